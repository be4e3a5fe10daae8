"""The Local pane: the bundled broker's address (to copy into clients), state, log, start/stop/restart, keep-running,
sample data, and whether it runs secured (with how to connect to it then); and, on a second tab, the demo cluster
(three ZooKeeper nodes and three brokers)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.demo_panel import DemoClusterPanel
from workbench.ui.widgets import ProblemBanner

STATE_COLOURS = {"running": "healthy", "starting": "info", "stopping": "info", "stopped": "unreachable",
                 "failed": "critical"}


def _mono() -> QFont:
    font = QFont("monospace")
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


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
        self.address = ""  # host:port once known
        self.bootstrap = QLabel("")
        self.bootstrap.setObjectName("local-bootstrap")
        big = self.bootstrap.font()
        big.setPointSize(big.pointSize() + 8)
        big.setBold(True)
        self.bootstrap.setFont(big)
        self.bootstrap.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_address = QPushButton("Copy address")
        self.copy_address.setObjectName("copy-address")
        self.copy_address.clicked.connect(lambda: self._copy(self.address))
        self.client_settings = QLineEdit()
        self.client_settings.setObjectName("client-settings")
        self.client_settings.setReadOnly(True)
        self.client_settings.setFont(_mono())
        self.client_settings.setToolTip("Paste into your client's properties (Java, kcat -X, librdkafka, Python)")
        self.copy_settings = QPushButton("Copy client settings")
        self.copy_settings.setObjectName("copy-client-settings")
        self.settings_lines: list[str] = []  # copied one per line, as a properties file takes them
        self.copy_settings.clicked.connect(lambda: self._copy("\n".join(self.settings_lines)))
        self.data_label = QLabel("")
        self.data_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
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
        self.log.setFont(_mono())

        buttons = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.restart_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.sample_button)
        local = QWidget()
        layout = QVBoxLayout(local)
        layout.addWidget(self.status)
        info = QLabel("The Local broker is this app's own Kafka-compatible broker: no account, no network. "
                      "Your own programs can use it too, at the address below.")
        info.setWordWrap(True)
        layout.addWidget(info)
        box = QFrame()
        box.setObjectName("local-address-box")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(box)
        grid.addWidget(QLabel("Bootstrap server"), 0, 0)
        grid.addWidget(self.bootstrap, 0, 1)
        grid.addWidget(self.copy_address, 0, 2)
        grid.addWidget(QLabel("Client settings"), 1, 0)
        grid.addWidget(self.client_settings, 1, 1)
        grid.addWidget(self.copy_settings, 1, 2)
        grid.addWidget(QLabel("Data"), 2, 0)
        grid.addWidget(self.data_label, 2, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        layout.addWidget(box)
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
        self.demo = DemoClusterPanel()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("local-tabs")
        self.tabs.addTab(local, "Local broker")
        self.tabs.addTab(self.demo, "Demo cluster (3 ZooKeeper + 3 brokers)")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.tabs)
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

    def show_bootstrap(self, bootstrap: str, data_dir: str, security: tuple[str, ...] = ()) -> None:
        """The address the broker listens on ("" before its first start), with the client settings to paste
        (and the security settings, key=value, when the broker runs secured)."""
        self.address = bootstrap
        self.bootstrap.setText(bootstrap or "chosen at the first start (9092 when free)")
        self.settings_lines = [f"bootstrap.servers={bootstrap}", *security] if bootstrap else []
        self.client_settings.setText("  ".join(self.settings_lines))
        self.client_settings.setCursorPosition(0)  # the start (bootstrap.servers) in view, not the end
        self.copy_address.setEnabled(bool(bootstrap))
        self.copy_settings.setEnabled(bool(bootstrap))
        self.data_label.setText(data_dir)

    def _copy(self, text: str) -> None:
        if text:
            QGuiApplication.clipboard().setText(text)
            self.shown.emit("copied")

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
