"""The demo cluster feature: the panel's intents (start, stop, stop/kill/start/restart a member) as calls on the
DemoCluster service, its profile, the members' logs, and a beat that has the open panes reload while it runs.

Theory of operation: the service reports every member's change through `on_change`; this
controller shows it and derives the cluster's state (running, partial, stopped, ...).
A timer checks the processes (a member that died on its own, a ZooKeeper node's Mode),
appends the selected member's new log lines, and, while the demo cluster is the open
connection, emits `cluster_changed` every LIVE_MS so the topics and brokers panes follow
leaders and ISRs as they move; every member action emits it too when it is done.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QObject, QTimer, Signal

from workbench.controllers.base import Controller, StatusLine
from workbench.errors import Problem
from workbench.services import demo_members
from workbench.services.demo_cluster import DemoCluster
from workbench.services.demo_members import PROFILE_NAME, Member
from workbench.session import Session
from workbench.store import Store
from workbench.ui.demo_panel import DemoClusterPanel
from workbench.ui.tasks import TaskRunner

POLL_MS = 1000
LIVE_MS = 2000
ACTION_WORDS = {"stop": "stopping", "kill": "killing", "start": "starting", "restart": "restarting"}


class DemoClusterController(Controller):
    pane_key = "local"
    #: the demo cluster's profile is saved and should be opened (its name)
    open_requested = Signal(str)
    #: the demo cluster is the open connection and may have changed: panes showing it should reload
    cluster_changed = Signal()

    def __init__(self, panel: DemoClusterPanel, tasks: TaskRunner, status: StatusLine, store: Store,
                 cluster: DemoCluster, parent: QObject | None = None) -> None:
        super().__init__(tasks, status, parent)
        self.panel = panel
        self.store = store
        self.cluster = cluster
        # process work has its own runner: opening or closing a connection cancels the window's tasks, and must not
        # leave a member half started
        self.process_tasks = TaskRunner(self)
        self.process_tasks.failed.connect(lambda _what, problem: self.status.report(problem))
        self.whole = ""  # "starting" or "stopping" while the whole cluster is
        self._log_key = ""
        self._log_offset = 0
        self._checking: asyncio.Task[None] | None = None
        cluster.on_change = self._member_changed
        panel.start_requested.connect(self.start)
        panel.stop_requested.connect(self.stop_cluster)
        panel.connect_requested.connect(lambda: self.open_requested.emit(PROFILE_NAME))
        panel.member_requested.connect(self.member_action)
        panel.member_selected.connect(self._show_log)
        self._show_addresses()
        panel.show_members(cluster.members)
        self._update_state()
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_MS)
        self.poll_timer.timeout.connect(self._poll)
        self.poll_timer.start()
        self.live_timer = QTimer(self)
        self.live_timer.setInterval(LIVE_MS)
        self.live_timer.timeout.connect(self._live)
        self.live_timer.start()

    @property
    def is_open(self) -> bool:
        """The open connection is the demo cluster's."""
        return self.session is not None and self.session.spec.name == PROFILE_NAME

    def on_connection(self, session: Session | None) -> None:
        pass  # nothing to load: the panel shows processes, not the cluster's data

    # -- state ---------------------------------------------------------------------------

    def _show_addresses(self) -> None:
        c = self.cluster
        self.panel.show_addresses(c.bootstrap if c.ports_known else "", c.zk_connect if c.ports_known else "",
                                  str(c.root))

    def _member_changed(self, m: Member) -> None:
        self.panel.show_members(self.cluster.members)
        if m.state == "failed" and not self.whole:
            self.status.report(Problem("internal", m.message, self.cluster.read_log(m, max(0, m.log_start))[0][-4000:]))
        self._update_state()

    def _update_state(self) -> None:
        missing = demo_members.missing_requirements()
        members = self.cluster.members
        running = [m for m in members if m.state == "running"]
        if missing and not running:
            self.panel.show_cluster("missing", missing)
        elif self.whole == "starting":
            self.panel.show_cluster("starting", f"Starting the demo cluster: {len(running)} of {len(members)} "
                                                "members ready…")
        elif self.whole == "stopping":
            self.panel.show_cluster("stopping", f"Stopping the demo cluster: {len(running)} members still running…")
        elif len(running) == len(members):
            self.panel.show_cluster("running", f"The demo cluster is running: 3 ZooKeeper nodes, 3 brokers. Its "
                                               f"connection is the profile \"{PROFILE_NAME}\".")
        elif not running and not any(m.state in ("starting", "stopping") for m in members):
            failed = [m for m in members if m.state == "failed"]
            self.panel.show_cluster("failed" if failed else "stopped", failed[0].message if failed else
                                    "The demo cluster is not running.")
        else:
            names = ", ".join(f"{m.name} {m.state}" for m in members if m.state != "running") or "changing"
            self.panel.show_cluster("partial", f"{len(running)} of {len(members)} members running ({names}).")

    # -- intents -------------------------------------------------------------------------

    def start(self) -> None:
        missing = demo_members.missing_requirements()
        if missing:
            self.panel.show_cluster("missing", missing)
            self.status.report(Problem("unsupported", missing))
            return

        async def work() -> None:
            self.whole = "starting"
            self._update_state()
            try:
                await self.cluster.start()
            finally:
                self.whole = ""
                self._show_addresses()
                self._update_state()
            await self.store.save_profile_async(self.cluster.spec())

        def done(_r: object) -> None:
            self.status.inform(f"The demo cluster is running: bootstrap servers {self.cluster.bootstrap}.")
            self.open_requested.emit(PROFILE_NAME)
        self.process_tasks.run("starting the demo cluster", work(), done, key="demo")

    def stop_cluster(self) -> None:
        async def work() -> None:
            self.whole = "stopping"
            self._update_state()
            try:
                await self.cluster.stop()
            finally:
                self.whole = ""
                self._update_state()
        self.process_tasks.run("stopping the demo cluster", work(),
                       lambda _r: self.status.inform("The demo cluster is stopped."), key="demo")

    def member_action(self, action: str, key: str) -> None:
        call = {"stop": self.cluster.stop_member, "kill": self.cluster.kill_member,
                "start": self.cluster.start_member, "restart": self.cluster.restart_member}[action]
        name = self.cluster.member(key).name

        def done(_r: object) -> None:
            self.status.inform(self.cluster.member(key).message)
            if self.is_open:
                self.cluster_changed.emit()
        self.process_tasks.run(f"{ACTION_WORDS[action]} {name}", call(key), done, key=f"demo-{key}")

    # -- the beat --------------------------------------------------------------------------

    def _show_log(self, key: str) -> None:
        self._log_key = key
        text, self._log_offset = self.cluster.read_log(self.cluster.member(key), max(0, self._log_size(key) - 32_000))
        self.panel.show_log(key, text, replace=True)

    def _log_size(self, key: str) -> int:
        path = self.cluster.member(key).log_path
        return path.stat().st_size if path.exists() else 0

    def _poll(self) -> None:
        if self._log_key:
            text, self._log_offset = self.cluster.read_log(self.cluster.member(self._log_key), self._log_offset)
            self.panel.show_log(self._log_key, text)
        if self.cluster.running and (self._checking is None or self._checking.done()):
            self._checking = asyncio.get_event_loop().create_task(self._check())

    async def _check(self) -> None:
        try:
            await self.cluster.check()
        except Exception as exc:  # a check that fails is retried at the next beat; say why once
            self.status.report(Problem("internal", f"Could not check the demo cluster's processes: {exc}"))

    def _live(self) -> None:
        if self.is_open and self.cluster.running:
            self.cluster_changed.emit()

    # -- exit --------------------------------------------------------------------------------

    async def stop(self) -> None:
        self.poll_timer.stop()
        self.live_timer.stop()
        self.process_tasks.cancel_all()
        if self.cluster.running:
            await self.cluster.stop()

    def shutdown(self) -> None:
        self.poll_timer.stop()
        self.live_timer.stop()
        self.process_tasks.cancel_all()
        if self._checking is not None:
            self._checking.cancel()
        self.cluster.stop_now()
