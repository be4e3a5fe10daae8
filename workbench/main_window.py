"""The main window: the composition root. It builds the panes and their controllers, opens connections, and
owns the status line; everything a pane asks for is done by that pane's controller (workbench/controllers).

Theory of operation: one `Session` per open connection. `open_spec` makes it and hands
it to every controller (`connection_changed`), which loads its pane. Controllers report
through this window's status line (`inform`, `report`, `succeeded`): a problem of a
transport kind marks the session failed and a timer calls `refresh()` on the
controllers that retry, so the window recovers by itself when the cluster is back.
The few signals that cross features (the topic list offered to other panes, "produce
again" from a message) are connected here, in `_wire_across`.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QPushButton,
    QWidget,
)

from workbench import settings as S
from workbench.controllers.acls import AclsController
from workbench.controllers.base import TRANSPORT_KINDS, Controller
from workbench.controllers.brokers import BrokersController
from workbench.controllers.demo_cluster import DemoClusterController
from workbench.controllers.groups import GroupsController
from workbench.controllers.local import LocalController
from workbench.controllers.messages import MessagesController
from workbench.controllers.produce import ProduceController
from workbench.controllers.profiles import ProfilesController
from workbench.controllers.schemas import SchemasController
from workbench.controllers.topics import TopicsController
from workbench.controllers.zookeeper import ZooKeeperController
from workbench.errors import Problem
from workbench.local_broker import LocalBroker
from workbench.panes.acls import AclsPane
from workbench.panes.brokers import BrokersPane
from workbench.panes.groups import GroupsPane
from workbench.panes.local import LocalPane
from workbench.panes.messages import MessagesPane
from workbench.panes.produce import ProducePane
from workbench.panes.schemas import SchemasPane
from workbench.panes.topics import TopicsPane
from workbench.panes.zookeeper import ZooKeeperPane
from workbench.services import wire
from workbench.services.admin import AdminService
from workbench.services.connection import ConnectionSpec
from workbench.services.demo_cluster import DemoCluster
from workbench.services.record import Record
from workbench.session import Session
from workbench.store import LOCAL_PROFILE, Store, data_dir
from workbench.ui.about_dialog import AboutDialog
from workbench.ui.connection_bar import ConnectionBar
from workbench.ui.navigation import PaneNavigator
from workbench.ui.tasks import TaskRunner
from workbench.ui.theme import apply_theme
from workbench.ui.widgets import DetailsDialog

RETRY_MS = 3000


class MainWindow(QMainWindow):
    connection_opened = Signal(str)
    connection_recovered = Signal(str)  # every pane that failed to reach the cluster has reloaded
    left = Signal()  # the window was closed and everything it started has stopped: the app may quit
    pane_changed = Signal(str)  # the pane on screen (its key)

    def __init__(self, store: Store | None = None, local: LocalBroker | None = None,
                 demo: DemoCluster | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Kafka Workbench")
        self.resize(1440, 900)  # the widest panes (messages, topics) fit beside the sidebar without scrolling
        self.store = store or Store()
        self.tasks = TaskRunner(self)
        self.session: Session | None = None
        self.last_problem: Problem | None = None
        self._closing = False
        self._shut_down = False
        self._leaving: asyncio.Task[None] | None = None
        self.local = local or LocalBroker(data_dir() / "local-broker", self.store.get(S.LOCAL_PORT))
        self.demo = demo or DemoCluster(data_dir() / "demo-cluster")

        # panes and their controllers, in the order of the sidebar, the View menu and the Ctrl+<n> shortcuts
        self.local_pane = LocalPane()
        self.topics_pane = TopicsPane()
        self.brokers_pane = BrokersPane()
        self.zk_pane = ZooKeeperPane(self.store.get(S.ZK_PAGE_SIZE))
        self.groups_pane = GroupsPane()
        self.messages_pane = MessagesPane()
        self.produce_pane = ProducePane()
        self.acls_pane = AclsPane()
        self.schemas_pane = SchemasPane()
        self.local_ctl = LocalController(self.local_pane, self.tasks, self, self.store, self.local, self)
        self.topics_ctl = TopicsController(self.topics_pane, self.tasks, self, self)
        self.brokers_ctl = BrokersController(self.brokers_pane, self.tasks, self, self)
        self.zk_ctl = ZooKeeperController(self.zk_pane, self.tasks, self, self.store, self)
        self.groups_ctl = GroupsController(self.groups_pane, self.tasks, self, self.store, self)
        self.messages_ctl = MessagesController(self.messages_pane, self.tasks, self, self)
        self.produce_ctl = ProduceController(self.produce_pane, self.tasks, self, self.store, self)
        self.acls_ctl = AclsController(self.acls_pane, self.tasks, self, self)
        self.schemas_ctl = SchemasController(self.schemas_pane, self.tasks, self, self)
        self.features: list[tuple[str, str, QWidget, Controller]] = [
            ("local", "Local broker", self.local_pane, self.local_ctl),
            ("topics", "Topics", self.topics_pane, self.topics_ctl),
            ("messages", "Messages", self.messages_pane, self.messages_ctl),
            ("produce", "Produce", self.produce_pane, self.produce_ctl),
            ("schemas", "Schemas", self.schemas_pane, self.schemas_ctl),
            ("groups", "Consumer groups", self.groups_pane, self.groups_ctl),
            ("brokers", "Brokers", self.brokers_pane, self.brokers_ctl),
            ("acls", "ACLs", self.acls_pane, self.acls_ctl),
            ("zookeeper", "ZooKeeper", self.zk_pane, self.zk_ctl),
        ]
        # controllers of sections inside a pane (the demo cluster, on the Local pane's second tab)
        self.demo_ctl = DemoClusterController(self.local_pane.demo, self.tasks, self, self.store, self.demo, self)
        self.sections: list[Controller] = [self.demo_ctl]
        self.profiles = ProfilesController(self.tasks, self, self.store, self, self)
        self.profiles.saved.connect(self._profile_saved)
        self.profiles.deleted.connect(self._profile_deleted)
        self._build_navigation()
        self._build_toolbar()
        self._build_status_bar()
        self._wire_across()
        self._wire_shortcuts()
        self.retry_timer = QTimer(self)
        self.retry_timer.setInterval(RETRY_MS)
        self.retry_timer.timeout.connect(self._retry)
        self._restore_layout()
        self.show_pane("topics")
        # the wire client's protocol schemas take ~0.1 s to import: do it now, off the GUI thread
        self.tasks.run("preparing the protocol client", wire.ensure_preloaded())
        # Garbage collection policy: a full collection scans every live object and pauses the GUI thread. What
        # lives as long as the app (modules, the window's Qt wrappers) is moved out of its reach once, here, after
        # a collection (so no garbage is frozen with it); such objects are still freed by reference counting when
        # dropped. Nothing is frozen later: cyclic garbage alive at that moment would never be collected.
        gc.collect()
        gc.freeze()
        # GIL policy: worker threads (scans, produce runs, librdkafka callbacks) hand the GIL to the GUI thread within
        # 1 ms of its asking instead of Python's default 5 ms (measured: a 1,000,000-message scan's longest GUI stall
        # went from ~45 to ~28 ms at the same throughput)
        sys.setswitchinterval(0.001)

    @property
    def controllers(self) -> list[Controller]:
        return [f[3] for f in self.features] + self.sections

    @property
    def pane_keys(self) -> list[str]:
        return [f[0] for f in self.features]

    # -- construction ----------------------------------------------------------------------

    def _build_navigation(self) -> None:
        """The sidebar of panes beside the stack of them (workbench.ui.navigation)."""
        self.navigator = PaneNavigator([(key, title, pane) for key, title, pane, _ctl in self.features])
        self.nav, self.stack, self.pages = self.navigator.nav, self.navigator.stack, self.navigator.pages
        self.navigator.pane_changed.connect(self.pane_changed)
        self.setCentralWidget(self.navigator)

    @property
    def current_pane(self) -> str:
        return self.navigator.current

    def _build_toolbar(self) -> None:
        """The connection toolbar and the menus (workbench.ui.connection_bar): its intents wired here."""
        bar = ConnectionBar(self, self.store.get(S.THEME) == "dark")
        self.addToolBar(bar)
        self.connection_bar = bar
        self.switcher, self.read_only_badge = bar.switcher, bar.read_only_badge
        self.new_action, self.edit_action, self.delete_profile_action, self.refresh_action = bar.connection_actions
        self.theme_action = bar.theme_action
        self._fill_switcher()
        bar.switch_requested.connect(self._switch_to)
        bar.new_requested.connect(lambda: self.profiles.edit(None))
        bar.edit_requested.connect(self.profiles.edit)
        bar.delete_requested.connect(self.profiles.delete)
        bar.refresh_requested.connect(self.refresh_current)
        bar.theme_requested.connect(self.set_theme)
        self.pane_actions, self.about_action = bar.add_menus(
            self, [(key, title) for key, title, _pane, _ctl in self.features], self.show_pane, self.show_about)

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
        self.tasks.failed.connect(lambda what, problem: self.report(problem))
        self.tasks.busy_changed.connect(lambda n: self.busy_label.setText(f"⏳ {n} running" if n else ""))

    def _fill_switcher(self) -> None:
        self.connection_bar.fill([LOCAL_PROFILE, *self.store.profile_names()])

    # -- wiring across features ------------------------------------------------------------

    def _wire_across(self) -> None:
        self.local_ctl.state_changed.connect(self._local_state)
        self.local_ctl.data_changed.connect(self.topics_ctl.refresh)
        self.local_ctl.data_changed.connect(self.brokers_ctl.refresh)
        self.local_ctl.data_changed.connect(self.groups_ctl.refresh)
        self.demo_ctl.open_requested.connect(self._profile_saved)
        self.demo_ctl.cluster_changed.connect(self.topics_ctl.refresh_live)
        self.demo_ctl.cluster_changed.connect(self.brokers_ctl.refresh_live)
        self.topics_ctl.topics_loaded.connect(self.produce_pane.set_topics)
        self.topics_ctl.topics_loaded.connect(self.messages_pane.set_topics)
        self.messages_ctl.produce_again.connect(self._produce_again)
        self.topics_pane.browse_requested.connect(self._browse_topic)
        self.pane_changed.connect(lambda key: self.messages_ctl.pane_visible(key == "messages"))

    def _browse_topic(self, topic: str) -> None:
        self.messages_pane.form.choose_topic(topic)
        self.show_pane("messages")
        self.messages_pane.form.topic.setFocus()

    def _produce_again(self, record: Record) -> None:
        self.produce_pane.load_record(record)
        self.show_pane("produce")

    def _wire_shortcuts(self) -> None:
        def shortcut(keys: str, *slots: Callable[[], Any]) -> None:
            sc = QShortcut(QKeySequence(keys), self)
            for slot in slots:
                sc.activated.connect(slot)
        shortcut("Ctrl+F", lambda: self.show_pane("topics"), self.topics_pane.focus_search)
        shortcut("Ctrl+N", lambda: self.show_pane("topics"), self.topics_pane.ask_create)
        shortcut("Ctrl+K", self.switcher.setFocus, self.switcher.showPopup)
        shortcut("Ctrl+I", self.show_details)
        shortcut("Ctrl+Q", self.close)
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.topics_pane.table)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.topics_pane.ask_delete)

    # -- the status line (controllers' StatusLine) -----------------------------------------

    def report(self, problem: Problem) -> None:
        """The one error path: one sentence in the status bar, the detail one click (or Ctrl+I) away."""
        self.last_problem = problem
        self.status_label.setText(f"⚠ {problem.sentence}")
        self.details_button.setVisible(bool(problem.detail))
        if self.session is not None and problem.kind in TRANSPORT_KINDS and not self._closing:
            self.session.failed = True
            if not self.retry_timer.isActive():
                self.retry_timer.start()

    def inform(self, text: str) -> None:
        self.status_label.setText(text)
        self.details_button.hide()

    def succeeded(self, text: str = "") -> None:
        """A refresh reached the cluster; the session has recovered when no retrying controller still fails."""
        if self.session is not None and self.session.failed:
            if any(c.failing for c in self.controllers if c.retries):
                return  # another pane still could not reload: the retry timer goes on, its problem stays shown
            self.session.failed = False
            self.retry_timer.stop()
            self.inform(f"Connected to {self.session.spec.name} again.")
            self.connection_recovered.emit(self.session.spec.name)
        elif text:
            self.inform(text)

    def show_details(self) -> None:
        if self.last_problem is not None:
            DetailsDialog("Error details", self.last_problem.sentence, self.last_problem.detail, self).open()

    def show_pane(self, key: str) -> None:
        self.navigator.show_pane(key)

    def show_about(self) -> None:
        AboutDialog(self).open()

    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, name)
        self.store.set(S.THEME, name)
        for w in self.findChildren(QWidget):
            w.update()

    # -- connections -----------------------------------------------------------------------

    def start(self) -> None:
        """After the window is shown: open the last connection (Local on first run, starting its broker), and say
        once if there is no OS keyring to keep passwords in."""
        self.tasks.run("looking for the OS keyring", self.store.keyring_note(),
                       lambda note: self.inform(note) if note else None)
        name = self.store.get(S.LAST_PROFILE)
        self._switch_to(name if name != LOCAL_PROFILE and name in self.store.profile_names() else LOCAL_PROFILE)

    def _switch_to(self, name: str) -> None:
        if self.switcher.findText(name) < 0:  # saved elsewhere (another window, an import): list it first
            self._fill_switcher()
        self.switcher.setCurrentText(name)
        self.store.set(S.LAST_PROFILE, name)
        if name == LOCAL_PROFILE:
            self.show_pane("local")
            if self.local.state == "running":
                self.open_spec(self.local.spec())
            else:
                self._close_session()
                self.inform("Starting the Local broker…")
                self.local_ctl.start()
            return
        if name not in self.store.profile_names():
            self.report(Problem("input", f"There is no connection profile named {name}."))
            return
        self._close_session()
        self.inform(f"Reading the connection profile {name}…")

        def loaded(spec: ConnectionSpec) -> None:
            if self.switcher.currentText() == name and not self._closing:
                self.open_spec(spec)
        # its secrets come from the OS keyring, which may block: off the GUI thread
        self.tasks.run(f"reading the connection profile {name}", self.store.load_profile_async(name), loaded,
                       key="open-profile")

    def _close_session(self) -> None:
        self.tasks.cancel_all(keep=("local",))  # the Local broker's start/stop/restart outlives a connection
        self.retry_timer.stop()
        old, self.session = self.session, None
        if old is not None:
            self.tasks.run("closing the previous connection", old.close())
            for ctl in self.controllers:
                ctl.connection_changed(None)

    def open_spec(self, spec: ConnectionSpec) -> None:
        """Open a connection: new services, every controller told, every pane reloaded."""
        self._close_session()
        self.session = Session(spec, AdminService(spec, self.store.get(S.REQUEST_TIMEOUT)))
        self.read_only_badge.setText("  🔒 read-only" if spec.read_only else "")
        self.inform(f"Connecting to {spec.name} ({spec.bootstrap})…")
        for ctl in self.controllers:
            ctl.connection_changed(self.session)
        self.connection_opened.emit(spec.name)

    def refresh_current(self) -> None:
        """Refresh the pane on screen."""
        self.features[self.stack.currentIndex()][3].refresh()

    def _retry(self) -> None:
        if self.session is None or not self.session.failed or self._closing:
            self.retry_timer.stop()
            return
        for ctl in self.controllers:
            if ctl.retries:
                ctl.refresh()

    def _local_state(self, state: str) -> None:
        if self.switcher.currentText() != LOCAL_PROFILE:
            return
        if state == "running":
            self.open_spec(self.local.spec())
        elif state in ("stopped", "failed"):
            self._close_session()
            self.topics_pane.show_note("The Local broker is not running: start it in the Local broker pane.")

    def _profile_saved(self, name: str) -> None:
        self._fill_switcher()
        self._switch_to(name)

    def _profile_deleted(self, _name: str) -> None:
        self._fill_switcher()
        self._switch_to(LOCAL_PROFILE)

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
        """Leave at once: save the layout, cancel work, let every controller stop what would outlive the window
        (ZooKeeper sessions; the Local broker unless the user keeps it running), blocking if it must."""
        if self._shut_down:
            return
        self._shut_down = True
        self._closing = True
        self.save_layout()
        self.retry_timer.stop()
        self.tasks.cancel_all()
        for ctl in self.controllers:
            ctl.shutdown()

    async def leave(self) -> None:
        """Leave without freezing: the window is already hidden while the controllers stop what takes time (the
        Local broker may take seconds); then `left` is emitted and the app quits."""
        try:
            if not self._shut_down:
                self._closing = True
                self.save_layout()
                self.retry_timer.stop()
                self.tasks.cancel_all()
                await asyncio.gather(*(ctl.stop() for ctl in self.controllers), return_exceptions=True)
        finally:
            self.shutdown()
            self.left.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Hide first, stop afterwards: the window disappears at once, the broker stops behind it."""
        if self._leaving is not None and not self._leaving.done():
            event.ignore()  # already leaving (a second Ctrl+Q or SIGTERM): let the first one finish
            return
        if self._leaving is None and not self._shut_down:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                event.ignore()
                self.hide()
                self._leaving = loop.create_task(self.leave())
                return
        self.shutdown()
        super().closeEvent(event)
