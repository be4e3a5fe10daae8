"""Small shared widgets: the problem banner (one sentence, details one click away), typed confirmation; and
human_bytes, re-exported for the panes."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import Problem
from workbench.services.decoders import human_bytes
from workbench.ui.theme import colour

__all__ = ["DetailsDialog", "ProblemBanner", "TypedConfirmDialog", "human_bytes"]


class DetailsDialog(QDialog):
    def __init__(self, title: str, sentence: str, detail: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(720, 420)
        layout = QVBoxLayout(self)
        head = QLabel(sentence)
        head.setWordWrap(True)
        head.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(head)
        text = QPlainTextEdit(detail or "(no further detail)")
        text.setReadOnly(True)
        text.setObjectName("detail")
        layout.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class ProblemBanner(QWidget):
    """A coloured one-line banner: the sentence, and a Details button when there is more to see."""

    details_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.problem: Problem | None = None
        self.state = "info"
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPushButton("Details…")
        self.details.clicked.connect(self._show_details)
        row.addWidget(self.label, 1)
        row.addWidget(self.details)
        self.hide()

    def show_problem(self, problem: Problem) -> None:
        self.problem = problem
        self._paint("critical" if problem.kind not in ("unsupported", "input") else "warning")
        self.label.setText(problem.sentence)
        self.details.setVisible(bool(problem.detail))
        self.show()

    def show_note(self, text: str, state: str = "info") -> None:
        self.problem = None
        self._paint(state)
        self.label.setText(text)
        self.details.hide()
        self.show()

    def clear(self) -> None:
        self.problem = None
        self.label.clear()
        self.hide()

    @property
    def text(self) -> str:
        return self.label.text() if not self.isHidden() else ""

    def _paint(self, state: str) -> None:
        self.state = state
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """The state's colour in the theme of the moment (a banner shown before a theme switch takes the new one at
        its next paint); the text keeps the application's palette."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), colour(self.state))
        painter.end()

    def _show_details(self) -> None:
        if self.problem is not None:
            self.details_requested.emit(self.problem)
            DetailsDialog("Details", self.problem.sentence, self.problem.detail, self).open()


class TypedConfirmDialog(QDialog):
    """Ask the user to type a name (a topic's, a node's) before a destructive action is allowed."""

    def __init__(self, title: str, message: str, expected: str, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.expected = expected
        layout = QVBoxLayout(self)
        text = QLabel(message)
        text.setWordWrap(True)
        layout.addWidget(text)
        layout.addWidget(QLabel(f"Type <b>{expected}</b> to confirm:"))
        self.entry = QLineEdit()
        self.entry.setObjectName("confirm")
        layout.addWidget(self.entry)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.ok.setEnabled(False)
        self.ok.clicked.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.entry.textChanged.connect(lambda t: self.ok.setEnabled(t == expected))
        layout.addWidget(self.buttons)
