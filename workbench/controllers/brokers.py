"""The brokers feature: cluster overview, health verdict, log dirs, per-broker API versions and configs."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QObject

from workbench.controllers.base import Controller, StatusLine
from workbench.errors import Problem, describe
from workbench.panes.brokers import BrokersPane
from workbench.services.admin import AdminService
from workbench.services.model import ClusterOverview
from workbench.session import Session
from workbench.ui.tasks import TaskRunner


class BrokersController(Controller):
    pane_key = "brokers"
    retries = True

    def __init__(self, pane: BrokersPane, tasks: TaskRunner, status: StatusLine, parent: QObject | None = None) -> None:
        super().__init__(tasks, status, parent)
        self.pane = pane
        self._refreshing: asyncio.Task[None] | None = None
        pane.refresh_requested.connect(self.refresh)
        pane.broker_selected.connect(self.load_broker)

    def on_connection(self, session: Session | None) -> None:
        self.pane.clear()
        if session is not None:
            self.refresh()

    def refresh(self) -> None:
        admin = self.admin
        if admin is None:
            return

        async def work() -> None:
            overview = await admin.cluster()
            self.pane.show_overview(overview)
            self.refresh_worked()
            await asyncio.gather(self._health(admin, overview), self._log_dirs(admin))
        def failed(problem: Problem) -> None:
            self.pane.show_problem(problem)
            self.refresh_failed(problem)
        self._refreshing = self.tasks.run("describing the cluster", work(), key="brokers", on_error=failed)

    def refresh_live(self) -> None:
        """The cluster may have changed (a broker came or went, the controller moved): reload what is on screen,
        unless the previous reload is still on its way (replacing it, a slow cluster would never answer)."""
        if self.pane.isVisible() and (self._refreshing is None or self._refreshing.done()):
            self.refresh()

    async def _health(self, admin: AdminService, overview: ClusterOverview) -> None:
        try:
            self.pane.show_health(await admin.health(overview))
        except Exception as exc:
            self.pane.show_unavailable("health", describe(exc))

    async def _log_dirs(self, admin: AdminService) -> None:
        try:
            self.pane.show_log_dirs(await admin.log_dirs())
        except Exception as exc:
            self.pane.show_unavailable("log-dirs", describe(exc))

    def load_broker(self, broker_id: int) -> None:
        admin = self.admin
        broker = next((b for b in self.pane.brokers if b.id == broker_id), None)
        if admin is None or broker is None:
            return
        self.tasks.run(f"asking broker {broker_id} for its API versions", admin.api_versions(broker),
                       lambda v: self.pane.show_api_versions(broker_id, v), key="broker-api",
                       on_error=lambda p: self.pane.show_unavailable("api-versions", p))
        self.tasks.run(f"reading the configs of broker {broker_id}", admin.configs("broker", str(broker_id)),
                       lambda c: self.pane.show_broker_configs(broker_id, c), key="broker-configs",
                       on_error=lambda p: self.pane.show_unavailable("broker-configs", p))
