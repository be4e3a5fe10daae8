"""The demo cluster section of the Local pane: three ZooKeeper nodes and three brokers, their states and logs, with
start/stop of the whole cluster and stop/kill/start/restart of one member. It emits intents and shows data."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.services.demo_members import SESSION_TIMEOUT_MS, Member
from workbench.ui.models import RowTableModel
from workbench.ui.widgets import ProblemBanner

MEMBER_STATES = {"running": "healthy", "starting": "info", "stopping": "info", "stopped": "", "killed": "critical",
                 "failed": "critical"}
LIMITS = (f"Limits: everything runs on this machine (loopback only), so it shows how Kafka behaves, not how fast it "
          f"is. A killed broker is noticed when its ZooKeeper session expires ({SESSION_TIMEOUT_MS / 1000:g} s here, "
          "18 s in Kafka), and a restarted one waits for that before it registers again. The cluster stops when the "
          "app exits. The topics and brokers panes reload every 2 s while this cluster is the open connection; the "
          "ZooKeeper pane follows the nodes it shows through watches.")


def _mono() -> QFont:
    font = QFont("monospace")
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


class DemoClusterPanel(QWidget):
    start_requested = Signal()
    stop_requested = Signal()
    connect_requested = Signal()
    #: (action, member key): action is "start", "stop", "kill" or "restart"; key like "broker-2" or "zookeeper-1"
    member_requested = Signal(str, str)
    member_selected = Signal(str)
    shown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keys: list[str] = []
        self.states: dict[str, str] = {}
        self.banner = ProblemBanner()
        self.banner.setObjectName("demo-state")
        intro = QLabel("A replicated cluster as the Kafka tutorial builds it: an ensemble of three ZooKeeper nodes and "
                       "three brokers (replication factor 3 for the internal topics), all on this machine. Kill the "
                       "leader of a partition and watch the topics, brokers and ZooKeeper panes: a new leader is "
                       "elected, the ISR shrinks, and grows back when the broker returns.")
        intro.setWordWrap(True)
        self.start_button = QPushButton("Start demo cluster")
        self.start_button.setObjectName("demo-start")
        self.stop_button = QPushButton("Stop demo cluster")
        self.stop_button.setObjectName("demo-stop")
        self.connect_button = QPushButton("Open its connection")
        self.connect_button.setObjectName("demo-connect")
        self.start_button.clicked.connect(self.start_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.connect_button.clicked.connect(self.connect_requested)

        box = QFrame()
        box.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(box)
        self.bootstrap = QLabel("")
        self.zookeeper = QLabel("")
        self.data_label = QLabel("")
        rows = (("Bootstrap servers", self.bootstrap), ("ZooKeeper connect", self.zookeeper), ("Data", self.data_label))
        for n, (title, label) in enumerate(rows):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            if n < 2:
                label.setFont(_mono())
            grid.addWidget(QLabel(title), n, 0)
            grid.addWidget(label, n, 1)
        self.copy_button = QPushButton("Copy client settings")
        self.copy_button.setObjectName("demo-copy")
        self.copy_button.clicked.connect(self._copy)
        grid.addWidget(self.copy_button, 0, 2)
        grid.setColumnStretch(1, 1)

        self.model = RowTableModel(("Member", "Address", "PID", "State", "Role", "What happened"))
        self.table = QTableView()
        self.table.setObjectName("demo-members")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())

        self.member_buttons: dict[str, QPushButton] = {}
        member_row = QHBoxLayout()
        self.selected_label = QLabel("Select a member:")
        member_row.addWidget(self.selected_label)
        for action, title, tip in (("stop", "Stop", "SIGTERM: a clean shutdown (a broker hands its leaderships over)"),
                                   ("kill", "Kill (SIGKILL)", "SIGKILL, like a crash: no clean shutdown"),
                                   ("start", "Start", "Start it again with its data"),
                                   ("restart", "Restart", "Stop, then start")):
            button = QPushButton(title)
            button.setObjectName(f"demo-member-{action}")
            button.setToolTip(tip)
            button.clicked.connect(lambda _c=False, a=action: self._member_action(a))
            self.member_buttons[action] = button
            member_row.addWidget(button)
        member_row.addStretch(1)

        self.log = QPlainTextEdit()
        self.log.setObjectName("demo-log")
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(3000)
        self.log.setFont(_mono())
        self.log_title = QLabel("Log")
        limits = QLabel(LIMITS)
        limits.setWordWrap(True)
        limits.setObjectName("demo-limits")

        buttons = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.connect_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table)
        top_layout.addLayout(member_row)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.log_title)
        bottom_layout.addWidget(self.log)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(intro)
        layout.addWidget(box)
        layout.addLayout(buttons)
        layout.addWidget(split, 1)
        layout.addWidget(limits)
        self.show_cluster("stopped", "The demo cluster is not running.")

    # -- data in -------------------------------------------------------------------------

    def show_cluster(self, state: str, message: str) -> None:
        """The cluster as a whole: stopped, starting, running (all or some members), stopping, failed, missing."""
        self.cluster_state = state
        colour = {"running": "healthy", "partial": "warning", "failed": "critical", "missing": "critical",
                  "stopped": "unreachable"}.get(state, "info")
        self.banner.show_note(message, colour)
        busy = state in ("starting", "stopping")
        self.start_button.setEnabled(state in ("stopped", "failed", "partial"))
        self.stop_button.setEnabled(state in ("running", "partial", "failed") and not busy)
        self.connect_button.setEnabled(state in ("running", "partial"))
        self._update_buttons()
        self.shown.emit(f"cluster:{state}")

    def show_addresses(self, bootstrap: str, zookeeper: str, data_dir: str) -> None:
        self.bootstrap.setText(bootstrap or "chosen at the first start (free loopback ports)")
        self.zookeeper.setText(zookeeper)
        self.data_label.setText(data_dir)
        self.copy_button.setEnabled(bool(bootstrap))
        self._settings = f"bootstrap.servers={bootstrap}" if bootstrap else ""

    def show_members(self, members: Sequence[Member]) -> None:
        current = self.selected_key
        self.keys = [m.key for m in members]
        self.states = {m.key: m.state for m in members}
        self.model.set_rows([(m.name, m.address if m.port else "", m.pid or "", m.state, m.role, m.message)
                             for m in members], [MEMBER_STATES.get(m.state, "") for m in members])
        if current in self.keys:
            self.select(current)
        self._update_buttons()
        self.shown.emit("members")

    def show_log(self, key: str, text: str, replace: bool = False) -> None:
        if key != self.selected_key:
            return
        if replace:
            self.log.setPlainText(text.rstrip("\n"))
        elif text:
            self.log.appendPlainText(text.rstrip("\n"))

    # -- selection and intents -----------------------------------------------------------

    @property
    def selected_key(self) -> str:
        row = self.table.currentIndex().row()
        return self.keys[row] if 0 <= row < len(self.keys) else ""

    def select(self, key: str) -> None:
        if key in self.keys:
            index = self.model.index(self.keys.index(key), 0)
            self.table.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def _selection_changed(self) -> None:
        key = self.selected_key
        name = self.model.rows[self.keys.index(key)][0] if key else ""
        self.selected_label.setText(f"{name}:" if name else "Select a member:")
        self.log_title.setText(f"Log of {name}" if name else "Log")
        self._update_buttons()
        if key:
            self.log.clear()
            self.member_selected.emit(key)

    def _update_buttons(self) -> None:
        state = self.states.get(self.selected_key, "")
        known = bool(self.selected_key) and getattr(self, "cluster_state", "stopped") not in ("missing", "starting")
        self.member_buttons["stop"].setEnabled(known and state == "running")
        self.member_buttons["kill"].setEnabled(known and state in ("running", "starting"))
        self.member_buttons["start"].setEnabled(known and state in ("stopped", "killed", "failed")
                                                and any(s == "running" for s in self.states.values()))
        self.member_buttons["restart"].setEnabled(known and state == "running")

    def _member_action(self, action: str) -> None:
        if self.selected_key:
            self.member_requested.emit(action, self.selected_key)

    def _copy(self) -> None:
        text = getattr(self, "_settings", "")
        if text:
            QGuiApplication.clipboard().setText(text)
            self.shown.emit("copied")
