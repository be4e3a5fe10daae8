"""The brokers pane: brokers, controller, cluster id, one health verdict, API versions, configs, log dirs, risks."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import Problem
from workbench.services.model import BrokerNode, ClusterOverview, ConfigValue, HealthVerdict, LogDir
from workbench.services.wire import ApiVersionRange
from workbench.ui.models import RowTableModel
from workbench.ui.widgets import ProblemBanner, human_bytes

LEVEL_TITLES = {"healthy": "Healthy", "warning": "Warning", "critical": "Critical", "unreachable": "Unreachable"}


def _table(model: RowTableModel, name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.verticalHeader().hide()
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return view


class _Section(QWidget):
    """A table with a note line above it (for "not supported by this broker" and similar)."""

    def __init__(self, model: RowTableModel, name: str) -> None:
        super().__init__()
        self.model = model
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setObjectName(f"{name}-note")
        self.view = _table(model, name)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.view, 1)


class BrokersPane(QWidget):
    refresh_requested = Signal()
    broker_selected = Signal(int)
    shown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.brokers: list[BrokerNode] = []
        self.controller_id = -1
        self.current: int | None = None
        self.verdict: HealthVerdict | None = None

        self.health = ProblemBanner()
        self.health.setObjectName("health")
        self.summary = QLabel("Not connected")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.banner = ProblemBanner()

        self.broker_model = RowTableModel(("Id", "Host", "Port", "Rack", "Role"))
        self.broker_view = _table(self.broker_model, "brokers")
        self.broker_view.selectionModel().currentRowChanged.connect(self._row_changed)

        self.api_model = RowTableModel(("Key", "API", "Min version", "Max version"))
        self.config_model = RowTableModel(("Name", "Value", "Source", "Read-only"))
        self.logdir_model = RowTableModel(("Broker", "Log directory", "Size", "Partitions", "Disk total",
                                           "Disk usable", "Error"))
        self.risk_model = RowTableModel(("Topic", "Partition", "Leader", "Replicas", "ISR", "Problem"))
        self.api_section = _Section(self.api_model, "api-versions")
        self.config_section = _Section(self.config_model, "broker-configs")
        self.logdir_section = _Section(self.logdir_model, "log-dirs")
        self.risk_section = _Section(self.risk_model, "at-risk")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.risk_section, "Partitions at risk")
        self.tabs.addTab(self.api_section, "API versions")
        self.tabs.addTab(self.config_section, "Broker configs")
        self.tabs.addTab(self.logdir_section, "Log dirs")

        head = QHBoxLayout()
        head.addWidget(self.summary, 1)
        head.addWidget(self.refresh_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.broker_view)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.health)
        layout.addWidget(self.banner)
        layout.addLayout(head)
        layout.addWidget(split, 1)

    # -- data in -------------------------------------------------------------------------

    def show_overview(self, ov: ClusterOverview) -> None:
        self.banner.clear()
        self.brokers = list(ov.brokers)
        self.controller_id = ov.controller_id
        self.broker_model.set_rows([(b.id, b.host, b.port, b.rack or "", "controller" if b.id == ov.controller_id
                                     else "broker") for b in ov.brokers])
        controller = f"broker {ov.controller_id}" if ov.controller_id >= 0 else "none"
        if ov.controller_id >= 0 and all(b.id != ov.controller_id for b in ov.brokers):
            controller += " (a KRaft controller, not a broker)"
        self.summary.setText(f"Cluster id {ov.cluster_id or '(none)'} · controller: {controller} · "
                             f"{len(ov.brokers)} broker(s) · {ov.topics:,} topics · {ov.partitions:,} partitions")
        if ov.note:
            self.banner.show_note(ov.note, "warning")
        if self.brokers:
            keep = next((i for i, b in enumerate(self.brokers) if b.id == self.current), 0)
            self.broker_view.selectRow(keep)
        self.shown.emit("overview")

    def show_health(self, verdict: HealthVerdict) -> None:
        self.verdict = verdict
        self.health.show_note(f"{LEVEL_TITLES.get(verdict.level, verdict.level)}: {verdict.reason}", verdict.level)
        rows, states = [], []
        for label, parts, state in (("offline", verdict.offline, "critical"),
                                    ("below min.insync.replicas", verdict.under_min_isr, "critical"),
                                    ("under-replicated", verdict.under_replicated, "warning")):
            for p in parts:
                rows.append((p.topic, p.partition, p.leader if p.leader >= 0 else "none",
                             ", ".join(map(str, p.replicas)), ", ".join(map(str, p.isr)), label))
                states.append(state)
        self.risk_model.set_rows(rows, states)
        self.risk_section.note.setText("No partition is offline, under-replicated or below min.insync.replicas."
                                       if not rows else f"{len(rows)} partition problem(s).")
        self.shown.emit("health")

    def show_api_versions(self, broker_id: int, versions: list[ApiVersionRange]) -> None:
        if broker_id != self.current:
            return
        self.api_model.set_rows([(v.api_key, v.name, v.min_version, v.max_version)
                                 for v in sorted(versions, key=lambda v: v.api_key)])
        self.api_section.note.setText(f"Broker {broker_id} supports {len(versions)} APIs "
                                      "(as kafka-broker-api-versions prints them).")
        self.shown.emit("api-versions")

    def show_broker_configs(self, broker_id: int, configs: list[ConfigValue]) -> None:
        if broker_id != self.current:
            return
        self.config_model.set_rows([(c.name, "(sensitive)" if c.sensitive else (c.value or ""),
                                     "default" if c.is_default else c.source.replace("_", " ").lower(),
                                     "yes" if c.read_only else "") for c in configs])
        overrides = sum(1 for c in configs if c.is_override)
        self.config_section.note.setText(
            f"{len(configs)} configs of broker {broker_id}, {overrides} not default." if configs else
            f"Broker {broker_id} answered DescribeConfigs with no configs: this broker does not describe its "
            "configuration.")
        self.shown.emit("broker-configs")

    def show_log_dirs(self, dirs: list[LogDir]) -> None:
        self.logdir_model.set_rows([(d.broker, d.path, human_bytes(d.size), d.partitions,
                                     human_bytes(d.total_bytes) if d.total_bytes is not None else "",
                                     human_bytes(d.usable_bytes) if d.usable_bytes is not None else "", d.error)
                                    for d in dirs], ["critical" if d.error else "" for d in dirs])
        total = sum(d.size for d in dirs)
        self.logdir_section.note.setText(f"{len(dirs)} log directories, {human_bytes(total)} in total.")
        self.shown.emit("log-dirs")

    def show_unavailable(self, section: str, problem: Problem) -> None:
        """A part the cluster cannot answer (e.g. a broker without DescribeLogDirs): say so in that tab."""
        target = {"api-versions": self.api_section, "broker-configs": self.config_section,
                  "log-dirs": self.logdir_section, "health": self.risk_section}[section]
        target.model.set_rows([])
        target.note.setText(f"Not available: {problem.sentence}")
        if section == "health":
            self.health.show_note(f"Unknown: {problem.sentence}", "unreachable")
        self.shown.emit(section)

    def show_problem(self, problem: Problem) -> None:
        self.banner.show_problem(problem)
        self.health.show_note(f"Unreachable: {problem.sentence}", "unreachable")
        self.shown.emit("problem")

    def clear(self) -> None:
        self.brokers, self.current, self.verdict = [], None, None
        for m in (self.broker_model, self.api_model, self.config_model, self.logdir_model, self.risk_model):
            m.set_rows([])
        self.summary.setText("Not connected")
        self.health.clear()
        self.banner.clear()

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or current.row() >= len(self.brokers):
            return
        broker_id = self.brokers[current.row()].id
        if broker_id == self.current and self.api_model.rows:
            return
        self.current = broker_id
        self.broker_selected.emit(broker_id)
