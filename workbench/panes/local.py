"""The Local pane: the bundled broker's state, its log, start/stop/restart, keep-running, sample data, and whether
it runs secured (with how to connect to it then)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from workbench.ui.widgets import ProblemBanner

STATE_COLOURS = {"running": "healthy", "starting": "info", "stopping": "info", "stopped": "unreachable",
                 "failed": "critical"}


class LocalPane(QWidget):
    start_requested = Signal()
    stop_requested = Signal()
    restart_requested = Signal()
    keep_running_changed = Signal(bool)
    secured_changed = Signal(bool)
    copy_password_requested = Signal()
    sample_data_requested = Signal()
    shown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = "stopped"
        self.status = ProblemBanner()
        self.status.setObjectName("local-state")
        self.bootstrap = QLabel("")
        self.bootstrap.setObjectName("local-bootstrap")
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.restart_button = QPushButton("Restart")
        self.sample_button = QPushButton("Load sample data")
        self.keep_running = QCheckBox("Keep the broker running when the app exits")
        self.secured = QCheckBox("Secured: SASL_SSL with SCRAM, TLS from a local CA, ACLs on (restarts the broker)")
        self.secured.setObjectName("local-secured")
        self.secured.toggled.connect(self.secured_changed)
        self.security = QLabel("")
        self.security.setObjectName("local-security")
        self.security.setWordWrap(True)
        self.security.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_password = QPushButton("Copy admin password")
        self.copy_password.clicked.connect(self.copy_password_requested)
        self.start_button.clicked.connect(self.start_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.restart_button.clicked.connect(self.restart_requested)
        self.sample_button.clicked.connect(self.sample_data_requested)
        self.keep_running.toggled.connect(self.keep_running_changed)
        self.sample_note = QLabel("")
        self.sample_note.setWordWrap(True)
        self.log = QPlainTextEdit()
        self.log.setObjectName("local-log")
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(5000)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.log.setFont(mono)

        buttons = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.restart_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.sample_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        info = QLabel("The Local broker is this app's own Kafka-compatible broker: no account, no network. "
                      "Your own programs can use it too, at the address below.")
        info.setWordWrap(True)
        layout.addWidget(info)
        layout.addWidget(self.bootstrap)
        layout.addLayout(buttons)
        layout.addWidget(self.keep_running)
        layout.addWidget(self.secured)
        secured_row = QHBoxLayout()
        secured_row.addWidget(self.security, 1)
        secured_row.addWidget(self.copy_password)
        layout.addLayout(secured_row)
        layout.addWidget(self.sample_note)
        layout.addWidget(QLabel("Broker log"))
        layout.addWidget(self.log, 1)
        self.show_state("stopped", "The Local broker is not running.")
        self.show_security("")

    def show_state(self, state: str, message: str) -> None:
        self.state = state
        self.status.show_note(message, STATE_COLOURS.get(state, "info"))
        busy = state in ("starting", "stopping")
        self.start_button.setEnabled(state in ("stopped", "failed"))
        self.stop_button.setEnabled(state == "running")
        self.restart_button.setEnabled(not busy and state != "stopped")
        self.sample_button.setEnabled(state == "running")
        self.shown.emit(f"state:{state}")

    def show_bootstrap(self, bootstrap: str, data_dir: str) -> None:
        self.bootstrap.setText(f"Bootstrap server: <b>{bootstrap}</b> &nbsp; Data: {data_dir}")

    def append_log(self, text: str) -> None:
        if text:
            self.log.appendPlainText(text.rstrip("\n"))

    def show_sample_result(self, text: str) -> None:
        self.sample_note.setText(text)
        self.shown.emit("sample")

    def set_secured(self, secured: bool) -> None:
        self.secured.blockSignals(True)
        self.secured.setChecked(secured)
        self.secured.blockSignals(False)

    def show_security(self, text: str) -> None:
        """How to connect to the secured broker (empty when it runs without security)."""
        self.security.setText(text)
        self.security.setVisible(bool(text))
        self.copy_password.setVisible(bool(text))

    def set_keep_running(self, keep: bool) -> None:
        self.keep_running.blockSignals(True)
        self.keep_running.setChecked(keep)
        self.keep_running.blockSignals(False)
