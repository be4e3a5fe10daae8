"""The main window: the composition root. It owns the panes, the services of the open connection and the
Local broker, and connects every signal in one place, grouped by concern (`_wire_*`).

Panes only emit intents and take data. Each intent handler here starts one awaited
service call through the TaskRunner (ui/tasks.py) and hands the result to the pane,
or the Problem to the pane's banner and the status bar (one sentence; the detail one
click away). A refresh that could not reach the cluster marks the session failed and
a timer retries it, so the window recovers by itself when the cluster is back.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QToolBar,
    QWidget,
)

from workbench import settings as S
from workbench.errors import Problem
from workbench.local_broker import LocalBroker
from workbench.panes.brokers import BrokersPane
from workbench.panes.local import LocalPane
from workbench.panes.topics import TopicsPane
from workbench.panes.zookeeper import ZooKeeperPane
from workbench.services import wire
from workbench.services.admin import AdminService
from workbench.services.connection import ConnectionSpec
from workbench.services.model import ClusterOverview, TopicSummary
from workbench.services.sample_data import SampleResult, load_sample_data
from workbench.services.zk import ZkBrowser
from workbench.services.zk_kafka import decode
from workbench.session import Session
from workbench.store import LOCAL_PROFILE, Store, data_dir
from workbench.ui.profile_dialog import ProfileDialog
from workbench.ui.tasks import TaskRunner
from workbench.ui.theme import apply_theme
from workbench.ui.widgets import DetailsDialog

PANES = ("local", "topics", "brokers", "zookeeper")
RETRY_MS = 3000
TRANSPORT_KINDS = ("refused", "timeout", "dns", "tls", "auth")


class MainWindow(QMainWindow):
    connection_opened = Signal(str)

    def __init__(self, store: Store | None = None, local: LocalBroker | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Kafka Workbench")
        self.resize(1280, 820)
        self.store = store or Store()
        self.tasks = TaskRunner(self)
        self.session: Session | None = None
        self.last_problem: Problem | None = None
        self._log_offset = 0
        self._closing = False
        self.local = local or LocalBroker(data_dir() / "local-broker", self.store.get(S.LOCAL_PORT))
        self.local.on_state = self._local_state

        self.local_pane = LocalPane()
        self.topics_pane = TopicsPane()
        self.brokers_pane = BrokersPane()
        self.zk_pane = ZooKeeperPane(self.store.get(S.ZK_PAGE_SIZE))
        self.docks: dict[str, QDockWidget] = {}
        self.setDockNestingEnabled(True)
        titles = {"local": "Local broker", "topics": "Topics", "brokers": "Brokers", "zookeeper": "ZooKeeper"}
        for key, pane in zip(PANES, (self.local_pane, self.topics_pane, self.brokers_pane, self.zk_pane),
                             strict=True):
            dock = QDockWidget(titles[key], self)
            dock.setObjectName(f"dock-{key}")
            dock.setWidget(pane)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable |
                             QDockWidget.DockWidgetFeature.DockWidgetFloatable)
            self.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, dock)
            self.docks[key] = dock
        first = self.docks["local"]
        for key in PANES[1:]:
            self.tabifyDockWidget(first, self.docks[key])

        self._build_toolbar()
        self._build_status_bar()
        self._wire_tasks()
        self._wire_local()
        self._wire_topics()
        self._wire_brokers()
        self._wire_zookeeper()
        self._wire_shortcuts()
        self.retry_timer = QTimer(self)
        self.retry_timer.setInterval(RETRY_MS)
        self.retry_timer.timeout.connect(self._retry)
        self.local_timer = QTimer(self)
        self.local_timer.setInterval(500)
        self.local_timer.timeout.connect(self._poll_local)
        self.local_timer.start()
        self.local_pane.set_keep_running(self.store.get(S.KEEP_LOCAL_RUNNING))
        self.local_pane.show_bootstrap(self.local.bootstrap if self.local.port else "(chosen at start)",
                                       str(self.local.data_dir))
        self._restore_layout()
        self.show_pane("topics")
        # the wire client's protocol schemas take ~0.1 s to import: do it now, off the GUI thread
        self.tasks.run("preparing the protocol client", wire.ensure_preloaded())
        # Garbage collection policy: a full collection scans every live object and pauses the GUI thread (~60 ms
        # with 10,000 topics loaded). Long-lived objects (Qt wrappers, modules, a loaded topic list) are moved
        # out of its reach with gc.freeze() here and whenever a topic list has been shown; they are still freed
        # by reference counting when dropped.
        gc.freeze()

    # -- construction ----------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        bar = QToolBar("Connection")
        bar.setObjectName("toolbar-connection")
        bar.setMovable(False)
        self.addToolBar(bar)
        bar.addWidget(QLabel(" Connection: "))
        self.switcher = QComboBox()
        self.switcher.setObjectName("connection-switcher")
        self.switcher.setMinimumWidth(220)
        self._fill_switcher()
        self.switcher.activated.connect(lambda _i: self._switch_to(self.switcher.currentText()))
        bar.addWidget(self.switcher)
        self.read_only_badge = QLabel("")
        bar.addWidget(self.read_only_badge)
        self.new_action = QAction("New connection…", self)
        self.new_action.triggered.connect(lambda: self.edit_profile(None))
        self.edit_action = QAction("Edit connection…", self)
        self.edit_action.triggered.connect(lambda: self.edit_profile(self.switcher.currentText()))
        self.delete_profile_action = QAction("Delete connection", self)
        self.delete_profile_action.triggered.connect(self._delete_current_profile)
        self.refresh_action = QAction("Refresh", self)
        self.refresh_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.refresh_action.triggered.connect(self.refresh_current)
        self.theme_action = QAction("Dark theme", self)
        self.theme_action.setCheckable(True)
        self.theme_action.setShortcut(QKeySequence("Ctrl+Shift+T"))
        self.theme_action.setChecked(self.store.get(S.THEME) == "dark")
        self.theme_action.toggled.connect(lambda on: self.set_theme("dark" if on else "light"))
        for action in (self.new_action, self.edit_action, self.delete_profile_action, self.refresh_action,
                       self.theme_action):
            bar.addAction(action)
        view = self.menuBar().addMenu("&View")
        for key in PANES:
            view.addAction(self.docks[key].toggleViewAction())
        view.addSeparator()
        view.addAction(self.theme_action)
        conn = self.menuBar().addMenu("&Connection")
        for action in (self.new_action, self.edit_action, self.delete_profile_action, self.refresh_action):
            conn.addAction(action)

    def _build_status_bar(self) -> None:
        self.status_label = QLabel("Ready")
        self.status_label.setObjectName("status-sentence")
        self.details_button = QPushButton("Details…")
        self.details_button.setFlat(True)
        self.details_button.hide()
        self.details_button.clicked.connect(self.show_details)
        self.busy_label = QLabel("")
        bar = self.statusBar()
        bar.addWidget(self.status_label, 1)
        bar.addWidget(self.details_button)
        bar.addPermanentWidget(self.busy_label)

    def _fill_switcher(self) -> None:
        current = self.switcher.currentText()
        self.switcher.blockSignals(True)
        self.switcher.clear()
        self.switcher.addItem(LOCAL_PROFILE)
        self.switcher.addItems(self.store.profile_names())
        if current:
            self.switcher.setCurrentText(current)
        self.switcher.blockSignals(False)

    # -- wiring, one concern at a time -----------------------------------------------------

    def _wire_tasks(self) -> None:
        self.tasks.failed.connect(lambda what, problem: self.report(problem))
        self.tasks.busy_changed.connect(lambda n: self.busy_label.setText(f"⏳ {n} running" if n else ""))

    def _wire_local(self) -> None:
        p = self.local_pane
        p.start_requested.connect(lambda: self.tasks.run("starting the Local broker", self.local.start(),
                                                          key="local"))
        p.stop_requested.connect(lambda: self.tasks.run("stopping the Local broker", self.local.stop(), key="local"))
        p.restart_requested.connect(lambda: self.tasks.run("restarting the Local broker", self.local.restart(),
                                                            key="local"))
        p.keep_running_changed.connect(lambda keep: self.store.set(S.KEEP_LOCAL_RUNNING, keep))
        p.sample_data_requested.connect(self.load_sample_data)

    def _wire_topics(self) -> None:
        p = self.topics_pane
        p.refresh_requested.connect(self.refresh_topics)
        p.topic_selected.connect(self._load_topic)
        p.create_requested.connect(self._create_topic)
        p.delete_requested.connect(self._delete_topic)
        p.configs_save_requested.connect(self._save_topic_configs)
        p.add_partitions_requested.connect(self._add_partitions)
        p.delete_records_requested.connect(self._delete_records)
        p.shown.connect(lambda what: gc.freeze() if what == "topics" else None)

    def _wire_brokers(self) -> None:
        p = self.brokers_pane
        p.refresh_requested.connect(self.refresh_brokers)
        p.broker_selected.connect(self._load_broker)

    def _wire_zookeeper(self) -> None:
        p = self.zk_pane
        p.children_requested.connect(self._zk_children)
        p.node_requested.connect(self._zk_node)
        p.node_hidden.connect(lambda key: self.session.zk.forget(key) if self.session and self.session.zk else None)
        p.create_requested.connect(self._zk_create)
        p.save_requested.connect(self._zk_save)
        p.delete_requested.connect(self._zk_delete)
        p.server_state_requested.connect(self._zk_server_state)
        p.refresh_requested.connect(self.refresh_zookeeper)

    def _wire_shortcuts(self) -> None:
        def shortcut(keys: str, *slots: Any) -> None:
            sc = QShortcut(QKeySequence(keys), self)
            for slot in slots:
                sc.activated.connect(slot)
        for n, key in enumerate(PANES, start=1):
            shortcut(f"Ctrl+{n}", lambda k=key: self.show_pane(k))
        shortcut("Ctrl+F", lambda: self.show_pane("topics"), self.topics_pane.focus_search)
        shortcut("Ctrl+N", lambda: self.show_pane("topics"), self.topics_pane.ask_create)
        shortcut("Ctrl+K", self.switcher.setFocus, self.switcher.showPopup)
        shortcut("Ctrl+I", self.show_details)
        shortcut("Ctrl+Q", self.close)
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.topics_pane.table)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.topics_pane.ask_delete)

    # -- status and errors -----------------------------------------------------------------

    def report(self, problem: Problem) -> None:
        """The one error path: one sentence in the status bar, the detail one click (or Ctrl+I) away."""
        self.last_problem = problem
        self.status_label.setText(f"⚠ {problem.sentence}")
        self.details_button.setVisible(bool(problem.detail))
        if self.session is not None and problem.kind in TRANSPORT_KINDS:
            self.session.failed = True
            if not self.retry_timer.isActive():
                self.retry_timer.start()

    def inform(self, text: str) -> None:
        self.status_label.setText(text)
        self.details_button.hide()

    def show_details(self) -> None:
        if self.last_problem is not None:
            DetailsDialog("Error details", self.last_problem.sentence, self.last_problem.detail, self).open()

    def show_pane(self, key: str) -> None:
        dock = self.docks[key]
        dock.show()
        dock.raise_()

    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, name)
        self.store.set(S.THEME, name)
        for w in self.findChildren(QWidget):
            w.update()

    # -- connections -----------------------------------------------------------------------

    def start(self) -> None:
        """After the window is shown: open the last connection (Local on first run, starting its broker)."""
        name = self.store.get(S.LAST_PROFILE)
        if name != LOCAL_PROFILE and name in self.store.profile_names():
            self._switch_to(name)
        else:
            self._switch_to(LOCAL_PROFILE)

    def _switch_to(self, name: str) -> None:
        self.switcher.setCurrentText(name)
        self.store.set(S.LAST_PROFILE, name)
        if name == LOCAL_PROFILE:
            self.show_pane("local")
            if self.local.state == "running":
                self.open_spec(self.local.spec())
            else:
                self._close_session()
                self.inform("Starting the Local broker…")
                self.tasks.run("starting the Local broker", self.local.start(), key="local")
            return
        try:
            spec = self.store.load_profile(name)
        except KeyError:
            self.report(Problem("input", f"There is no connection profile named {name}."))
            return
        self.open_spec(spec)

    def _close_session(self) -> None:
        self.tasks.cancel_all()
        self.retry_timer.stop()
        if self.session is not None:
            old, self.session = self.session, None
            self.tasks.run("closing the previous connection", old.close())
        self.topics_pane.clear()
        self.brokers_pane.clear()

    def open_spec(self, spec: ConnectionSpec) -> None:
        """Open a connection: new services, every pane refreshed."""
        self._close_session()
        timeout = self.store.get(S.REQUEST_TIMEOUT)
        self.session = Session(spec, AdminService(spec, timeout))
        self.read_only_badge.setText("  🔒 read-only" if spec.read_only else "")
        self.topics_pane.set_read_only(spec.read_only)
        self.zk_pane.set_read_only(spec.read_only)
        self.inform(f"Connecting to {spec.name} ({spec.bootstrap})…")
        self.refresh_topics()
        self.refresh_brokers()
        self.refresh_zookeeper()
        self.connection_opened.emit(spec.name)

    def refresh_current(self) -> None:
        visible = [k for k, d in self.docks.items() if not d.visibleRegion().isEmpty()]
        if "topics" in visible or not visible:
            self.refresh_topics()
        if "brokers" in visible:
            self.refresh_brokers()
        if "zookeeper" in visible:
            self.refresh_zookeeper()

    def _retry(self) -> None:
        if self.session is None or not self.session.failed:
            self.retry_timer.stop()
            return
        self.refresh_topics()
        self.refresh_brokers()

    def _succeeded(self, text: str = "") -> None:
        if self.session is not None and self.session.failed:
            self.session.failed = False
            self.retry_timer.stop()
            self.inform(f"Connected to {self.session.spec.name} again.")
        elif text:
            self.inform(text)

    def edit_profile(self, name: str | None) -> None:
        spec = None
        if name and name != LOCAL_PROFILE:
            with contextlib.suppress(KeyError):
                spec = self.store.load_profile(name)
        dlg = ProfileDialog(spec, self.store.secrets.fallback_message, self)
        self.profile_dialog = dlg

        def test(candidate: ConnectionSpec) -> None:
            dlg.show_result("Testing…", True)
            self.tasks.run("testing the connection", AdminService(candidate, self.store.get(S.REQUEST_TIMEOUT))
                           .check(), done=lambda text: dlg.show_result(text, True),
                           on_error=lambda p: dlg.show_result(p.sentence, False))

        def save(candidate: ConnectionSpec) -> None:
            try:
                self.store.save_profile(candidate)
            except ValueError as exc:
                dlg.show_result(str(exc), False)
                return
            dlg.accept()
            self._fill_switcher()
            self._switch_to(candidate.name)
        dlg.test_requested.connect(test)
        dlg.save_requested.connect(save)
        dlg.open()

    def _delete_current_profile(self) -> None:
        name = self.switcher.currentText()
        if name == LOCAL_PROFILE:
            return
        self.store.delete_profile(name)
        self._fill_switcher()
        self._switch_to(LOCAL_PROFILE)

    # -- topics ----------------------------------------------------------------------------

    def _admin(self) -> AdminService | None:
        return self.session.admin if self.session is not None else None

    def refresh_topics(self) -> None:
        admin = self._admin()
        if admin is None:
            return

        def done(topics: list[TopicSummary]) -> None:
            self.topics_pane.show_topics(topics)
            self._succeeded(f"{len(topics):,} topics on {admin.spec.name}.")
        self.tasks.run("listing topics", admin.list_topics(), done, key="topics",
                       on_error=self.topics_pane.show_problem)

    def _load_topic(self, topic: str) -> None:
        admin = self._admin()
        if admin is None:
            return
        self.tasks.run(f"describing {topic}", admin.partitions(topic),
                       lambda parts: self.topics_pane.show_partitions(topic, parts), key="topic-partitions",
                       on_error=self.topics_pane.show_problem)
        self.tasks.run(f"reading the configs of {topic}", admin.configs("topic", topic),
                       lambda cfg: self.topics_pane.show_configs(topic, cfg), key="topic-configs",
                       on_error=lambda p: self.topics_pane.show_configs_unavailable(topic, p))

    def _after_change(self, text: str, select: str | None = None) -> None:
        self.inform(text)
        if select is not None:
            self.topics_pane.pending_select = select
        self.refresh_topics()

    def _create_topic(self, name: str, partitions: int, rf: int, configs: dict[str, str]) -> None:
        admin = self._admin()
        if admin is not None:
            self.tasks.run(f"creating {name}", admin.create_topic(name, partitions, rf, configs),
                           lambda _r: self._after_change(f"Created topic {name}.", select=name),
                           on_error=self.topics_pane.show_problem)

    def _delete_topic(self, name: str) -> None:
        admin = self._admin()
        if admin is not None:
            def done(_r: object) -> None:
                self.topics_pane.clear()
                self._after_change(f"Deleted topic {name}.")
            self.tasks.run(f"deleting {name}", admin.delete_topic(name), done, on_error=self.topics_pane.show_problem)

    def _save_topic_configs(self, topic: str, changes: dict[str, str | None]) -> None:
        admin = self._admin()
        if admin is not None:
            def done(_r: object) -> None:
                self.inform(f"Saved {len(changes)} config change(s) of {topic}.")
                self._load_topic(topic)
            self.tasks.run(f"changing the configs of {topic}", admin.alter_configs("topic", topic, changes), done,
                           on_error=self.topics_pane.show_problem)

    def _add_partitions(self, topic: str, total: int) -> None:
        admin = self._admin()
        if admin is not None:
            def done(_r: object) -> None:
                self._after_change(f"{topic} now has {total} partitions.", select=topic)
                self._load_topic(topic)
            self.tasks.run(f"adding partitions to {topic}", admin.add_partitions(topic, total), done,
                           on_error=self.topics_pane.show_problem)

    def _delete_records(self, topic: str, before: dict[int, int]) -> None:
        admin = self._admin()
        if admin is not None:
            what = "Purged" if all(o < 0 for o in before.values()) else "Deleted records of"
            def done(_r: object) -> None:
                self.inform(f"{what} {topic}.")
                self._load_topic(topic)
            self.tasks.run(f"deleting records of {topic}", admin.delete_records(topic, before), done,
                           on_error=self.topics_pane.show_problem)

    # -- brokers ---------------------------------------------------------------------------

    def refresh_brokers(self) -> None:
        admin = self._admin()
        if admin is None:
            return

        async def work() -> None:
            overview = await admin.cluster()
            self.brokers_pane.show_overview(overview)
            self._succeeded()
            await asyncio.gather(self._health(admin, overview), self._log_dirs(admin))
        self.tasks.run("describing the cluster", work(), key="brokers", on_error=self.brokers_pane.show_problem)

    async def _health(self, admin: AdminService, overview: ClusterOverview) -> None:
        try:
            self.brokers_pane.show_health(await admin.health(overview))
        except Exception as exc:
            from workbench.errors import describe

            self.brokers_pane.show_unavailable("health", describe(exc))

    async def _log_dirs(self, admin: AdminService) -> None:
        try:
            self.brokers_pane.show_log_dirs(await admin.log_dirs())
        except Exception as exc:
            from workbench.errors import describe

            self.brokers_pane.show_unavailable("log-dirs", describe(exc))

    def _load_broker(self, broker_id: int) -> None:
        admin = self._admin()
        broker = next((b for b in self.brokers_pane.brokers if b.id == broker_id), None)
        if admin is None or broker is None:
            return
        self.tasks.run(f"asking broker {broker_id} for its API versions", admin.api_versions(broker),
                       lambda v: self.brokers_pane.show_api_versions(broker_id, v), key="broker-api",
                       on_error=lambda p: self.brokers_pane.show_unavailable("api-versions", p))
        self.tasks.run(f"reading the configs of broker {broker_id}", admin.configs("broker", str(broker_id)),
                       lambda c: self.brokers_pane.show_broker_configs(broker_id, c), key="broker-configs",
                       on_error=lambda p: self.brokers_pane.show_unavailable("broker-configs", p))

    # -- ZooKeeper -------------------------------------------------------------------------

    def refresh_zookeeper(self) -> None:
        session = self.session
        if session is None:
            return
        connect = session.spec.zookeeper
        if not connect:
            self.zk_pane.show_unavailable(
                f"{session.spec.name} has no ZooKeeper: this profile has no ZooKeeper connect string. KRaft "
                "clusters (Kafka 4 and later) and the Local broker keep their metadata without ZooKeeper. "
                "For a ZooKeeper-mode cluster, add its connect string to the profile.")
            return
        if session.zk is None:
            session.zk = ZkBrowser(connect, self.store.get(S.ZK_TIMEOUT), session.read_only,
                                   self.store.get(S.ZK_WATCH_BUDGET), on_change=self.zk_pane.node_changed)
        zk = session.zk

        async def work() -> None:
            await zk.start()
            self.zk_pane.show_available(connect)
        self.tasks.run(f"connecting to ZooKeeper at {connect}", work(), key="zk",
                       on_error=self.zk_pane.show_problem)

    def _zk(self) -> ZkBrowser | None:
        return self.session.zk if self.session is not None else None

    def _zk_children(self, path: str) -> None:
        zk = self._zk()
        if zk is None:
            return

        def failed(p: Problem) -> None:
            self.zk_pane.model.fail(path)
            self.zk_pane.show_problem(p)
        self.tasks.run(f"listing the children of {path}", zk.children(path, watch=True),
                       lambda names: self.zk_pane.show_children(path, names), on_error=failed)

    def _zk_node(self, path: str) -> None:
        zk = self._zk()
        if zk is not None:
            self.tasks.run(f"reading {path}", zk.node(path, watch=True),
                           lambda node: self.zk_pane.show_node(node, decode(node.path, node.data)), key="zk-node",
                           on_error=self.zk_pane.show_problem)

    def _zk_reload(self, path: str, text: str) -> None:
        self.inform(text)
        parent = path.rsplit("/", 1)[0] or "/"
        self._zk_children(parent)

    def _zk_create(self, path: str, data: bytes) -> None:
        zk = self._zk()
        if zk is not None:
            self.tasks.run(f"creating {path}", zk.create(path, data),
                           lambda _r: self._zk_reload(path, f"Created {path}."), on_error=self.zk_pane.show_problem)

    def _zk_save(self, path: str, data: bytes, version: int) -> None:
        zk = self._zk()
        if zk is not None:
            def done(_r: object) -> None:
                self.inform(f"Saved {path}.")
                self._zk_node(path)
            self.tasks.run(f"writing {path}", zk.set_data(path, data, version), done,
                           on_error=self.zk_pane.show_problem)

    def _zk_delete(self, path: str, version: int) -> None:
        zk = self._zk()
        if zk is not None:
            self.tasks.run(f"deleting {path}", zk.delete(path, version),
                           lambda _r: self._zk_reload(path, f"Deleted {path}."), on_error=self.zk_pane.show_problem)

    def _zk_server_state(self, word: str) -> None:
        zk = self._zk()
        if zk is not None:
            self.tasks.run(f"asking ZooKeeper {word}", zk.four_letter_word(word),
                           lambda text: self.zk_pane.show_server_state(word, text),
                           on_error=self.zk_pane.show_problem)

    # -- Local broker ----------------------------------------------------------------------

    def _local_state(self, state: str, message: str) -> None:
        self.local_pane.show_state(state, message)
        if self.local.port:
            self.local_pane.show_bootstrap(self.local.bootstrap, str(self.local.data_dir))
            if self.store.get(S.LOCAL_PORT) != self.local.port:
                self.store.set(S.LOCAL_PORT, self.local.port)
        if state == "failed":
            self.report(Problem("internal", message, self.local.read_log(max(0, self._log_offset - 4000))[0]))
        if self.switcher.currentText() != LOCAL_PROFILE:
            return
        if state == "running":
            self.open_spec(self.local.spec())
            if not self.store.get(S.SAMPLE_DATA_OFFERED):
                self._offer_sample_data()
        elif state in ("stopped", "failed"):
            self._close_session()
            self.topics_pane.show_note("The Local broker is not running: start it in the Local broker pane.")

    def _poll_local(self) -> None:
        self.local.check()
        text, self._log_offset = self.local.read_log(self._log_offset)
        self.local_pane.append_log(text)

    def _offer_sample_data(self) -> None:
        self.store.set(S.SAMPLE_DATA_OFFERED, True)
        box = QMessageBox(QMessageBox.Icon.Question, "Sample data",
                          "The Local broker is running. Load sample data (a few topics of keyed JSON messages with "
                          "headers, and a consumer group that lags) so every pane has something to show?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("sample-data-offer")
        box.accepted.connect(self.load_sample_data)
        self.sample_offer = box
        box.open()

    def load_sample_data(self) -> None:
        admin = self._admin()
        if admin is None or not admin.spec.local:
            return

        def done(result: SampleResult) -> None:
            self.local_pane.show_sample_result(result.sentence)
            self.inform(result.sentence)
            self.refresh_topics()
            self.refresh_brokers()
        self.tasks.run("loading sample data", load_sample_data(admin), done, key="sample",
                       on_error=lambda p: self.local_pane.show_sample_result(p.sentence))

    # -- layout and exit -------------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self.store.get(S.WINDOW_GEOMETRY)
        state = self.store.get(S.WINDOW_STATE)
        if geometry:
            self.restoreGeometry(QByteArray(base64.b64decode(geometry)))
        if state:
            self.restoreState(QByteArray(base64.b64decode(state)))

    def save_layout(self) -> None:
        self.store.set(S.WINDOW_GEOMETRY, base64.b64encode(self.saveGeometry().data()).decode())
        self.store.set(S.WINDOW_STATE, base64.b64encode(self.saveState().data()).decode())

    def shutdown(self) -> None:
        """Leave: save the layout, cancel work, close ZooKeeper, stop the Local broker unless kept running."""
        if self._closing:
            return
        self._closing = True
        self.save_layout()
        self.local_timer.stop()
        self.retry_timer.stop()
        self.tasks.cancel_all()
        if self.session is not None and self.session.zk is not None:
            zk = self.session.zk
            self.session.zk = None
            import threading

            threading.Thread(target=zk.close_now, name="zk-close", daemon=True).start()
        if self.store.get(S.KEEP_LOCAL_RUNNING):
            self.local.detach()
        else:
            self.local.stop_now()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
