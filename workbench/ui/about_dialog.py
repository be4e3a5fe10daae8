"""The About dialog: the app's icon and name, and the versions of what it is made of (copyable for bug reports)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from workbench import resources
from workbench.about import APP_NAME, version_text, versions


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("about-dialog")
        self.setWindowTitle(f"About {APP_NAME}")
        icon = QLabel()
        icon.setPixmap(QIcon(str(resources.path("kafka-workbench.svg"))).pixmap(96, 96))
        title = QLabel(f"<h2>{APP_NAME}</h2><p>A desktop workbench for Apache Kafka, with its own bundled "
                       "Kafka-compatible broker.</p><p>Licensed under the Apache License 2.0.</p>")
        title.setWordWrap(True)
        head = QHBoxLayout()
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(title, 1)
        form = QFormLayout()
        self.rows = versions()
        for name, value in self.rows:
            label = QLabel(value)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setObjectName(f"version-{name.lower().replace(' ', '-')}")
            form.addRow(f"{name}:", label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("Copy versions", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(version_text()))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(form)
        layout.addWidget(buttons)
