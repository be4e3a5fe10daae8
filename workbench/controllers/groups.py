"""The consumer-groups feature: list and describe groups, offset resets as plans (preview, apply, undo, CSV), delete a
group or its offsets, and the lag sampler that keeps each group's lag history.

Theory of operation: the sampler is a QTimer (interval from settings). Each tick takes the
groups on screen (the pane says which) and the pinned ones, asks the service for their
lag (computed in a worker thread) and writes the samples through LagHistory (its own
thread and sqlite connection), so a tick costs the GUI thread only the hand-over of the
results. A tick is skipped while the previous one is still running. Every reset applied
is recorded in the store with the offsets it replaced before anything else happens, so
the History tab can offer to undo it; an undo is a plan like any other.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from workbench import settings as S
from workbench.controllers.base import Controller, StatusLine
from workbench.errors import Problem
from workbench.panes.groups import GroupsPane
from workbench.services.group_model import GroupDetail, GroupSummary
from workbench.services.groups import AppliedReset, GroupsService
from workbench.services.lag_history import LagHistory
from workbench.services.reset_formats import PlanError, parse_csv
from workbench.services.reset_plan import ResetPlan, Scope, Strategy
from workbench.session import Session
from workbench.store import Store
from workbench.ui.tasks import TaskRunner


def now_ms() -> int:
    return int(time.time() * 1000)


class GroupsController(Controller):
    pane_key = "groups"
    retries = True
    #: one sampler tick is done: {group: total lag or None}
    lags_sampled = Signal(object)

    def __init__(self, pane: GroupsPane, tasks: TaskRunner, status: StatusLine, store: Store,
                 parent: QObject | None = None) -> None:
        super().__init__(tasks, status, parent)
        self.pane = pane
        self.store = store
        self.service: GroupsService | None = None
        self.history = LagHistory(store.path)
        self.plan: ResetPlan | None = None
        self._sampling = False
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.sample)
        pane.refresh_requested.connect(self.refresh)
        pane.group_selected.connect(self.load_group)
        pane.plan_requested.connect(self.make_plan)
        pane.apply_requested.connect(self.apply)
        pane.undo_requested.connect(self.plan_undo)
        pane.export_requested.connect(self.export_plan)
        pane.import_requested.connect(self.import_plan)
        pane.delete_group_requested.connect(self.delete_group)
        pane.delete_offsets_requested.connect(self.delete_offsets)
        pane.pin_requested.connect(self.pin)
        pane.lag_span_changed.connect(lambda _s: self.load_lag(self.pane.current or ""))

    @property
    def cluster(self) -> str:
        return self.session.spec.name if self.session is not None else ""

    def on_connection(self, session: Session | None) -> None:
        self.pane.clear()
        self.plan = None
        self.timer.stop()
        self.service = GroupsService(session.admin) if session is not None else None
        if session is not None:
            self.pane.set_read_only(session.read_only)
            self.pane.set_pinned(self.store.pinned_groups(self.cluster))
            self.refresh()
            interval = self.store.get(S.LAG_SAMPLE_INTERVAL)
            if interval > 0:
                self.timer.start(max(100, int(interval * 1000)))

    # -- listing and one group -------------------------------------------------------------------

    def refresh(self) -> None:
        service, name = self.service, self.cluster
        if service is None:
            return

        def done(groups: list[GroupSummary]) -> None:
            self.pane.show_groups(groups)
            self.refresh_worked(f"{len(groups):,} consumer groups on {name}.")
            if self.pane.current is not None:
                self.load_group(self.pane.current)
        def failed(problem: Problem) -> None:
            self.pane.show_problem(problem)
            self.refresh_failed(problem)
        self.tasks.run("listing consumer groups", service.list_groups(), done, key="groups", on_error=failed)

    def load_group(self, group: str) -> None:
        service = self.service
        if service is None or not group:
            return

        def done(detail: GroupDetail) -> None:
            self.pane.show_group(detail)
            self.pane.update_lags({group: detail.summary.lag})
        self.tasks.run(f"describing group {group}", service.describe_group(group), done, key="group-detail",
                       on_error=self.pane.show_problem)
        self.pane.show_history(group, self.store.resets(self.cluster, group))
        self.load_lag(group)

    def load_lag(self, group: str) -> None:
        if not group or self.session is None:
            return
        since = now_ms() - self.pane.span_s * 1000
        interval, retention = self.store.get(S.LAG_SAMPLE_INTERVAL), self.store.get(S.LAG_RETENTION)
        self.tasks.run(f"reading the lag history of {group}", self.history.series(self.cluster, group, since),
                       lambda points: self.pane.show_lag(group, points, interval, retention), key="lag-series")

    # -- reset plans ------------------------------------------------------------------------------

    def _show_plan(self, plan: ResetPlan) -> None:
        self.plan = plan
        bootstrap = self.session.spec.bootstrap if self.session is not None else ""
        self.pane.show_plan(plan, plan.command_text(bootstrap))

    def make_plan(self, group: str, strategy: Strategy, scope: Scope) -> None:
        if self.service is not None and group:
            self.tasks.run(f"planning a reset of {group}", self.service.plan(group, strategy, scope),
                           self._show_plan, key="plan", on_error=self.pane.show_plan_problem)

    def plan_undo(self, group: str, reset_id: int) -> None:
        record = next((r for r in self.store.resets(self.cluster, group) if r.id == reset_id), None)
        if self.service is None or record is None:
            return
        before = [(t, p, b, md, e) for t, p, b, md, e, _a in record.rows]
        self.tasks.run(f"planning the undo of reset #{reset_id}", self.service.plan_undo(group, reset_id, before),
                       self._show_plan, key="plan", on_error=self.pane.show_plan_problem)

    def apply(self, plan: ResetPlan) -> None:
        service, session = self.service, self.session
        if service is None or session is None:
            return
        cluster = self.cluster

        def done(applied: AppliedReset) -> None:
            if applied.rows:
                self.store.record_reset(cluster, plan.group, now_ms(), plan.description,
                                        plan.command_text(session.spec.bootstrap, execute=True), applied.rows,
                                        plan.undo_of)
            what = f"Undid reset #{plan.undo_of} of" if plan.undo_of is not None else "Reset"
            said = f"{what} {len(applied.rows)} partition(s) of group {plan.group}."
            self.status.inform(said)
            if applied.failures:
                self.status.report(Problem("kafka", f"{len(applied.failures)} partition(s) of {plan.group} were not "
                                                    f"reset: {applied.failures[0]}", "\n".join(applied.failures)))
            self.plan = None
            self.pane.reset.show_applied(f"{said} The offsets it replaced are kept: the History tab can undo it.")
            self.load_group(plan.group)
            self.pane.shown.emit("applied")
        self.tasks.run(f"resetting the offsets of {plan.group}", service.apply(plan), done,
                       on_error=self.pane.show_plan_problem)

    def export_plan(self, path: str) -> None:
        if self.plan is None:
            return
        try:
            Path(path).write_text(self.plan.csv())
        except OSError as exc:
            self.pane.show_plan_problem(Problem("input", f"Cannot write {path}: {exc.strerror or exc}."))
            return
        self.status.inform(f"Exported the plan ({len(self.plan.offsets)} partitions) to {path}.")

    def import_plan(self, group: str, path: str) -> None:
        try:
            rows = parse_csv(Path(path).read_text(), group)
        except OSError as exc:
            self.pane.show_plan_problem(Problem("input", f"Cannot read {path}: {exc.strerror or exc}."))
            return
        except PlanError as exc:
            self.pane.show_plan_problem(Problem("input", str(exc)))
            return
        strategy = Strategy("from-file", rows=rows, file_name=path)
        self.pane.reset.set_file(strategy)
        self.make_plan(group, strategy, Scope())

    # -- deleting and pinning -----------------------------------------------------------------------

    def delete_group(self, group: str) -> None:
        if self.service is None:
            return

        def done(_r: object) -> None:
            self.status.inform(f"Deleted group {group}.")
            self.refresh()
        self.tasks.run(f"deleting group {group}", self.service.delete_group(group), done,
                       on_error=self.pane.show_problem)

    def delete_offsets(self, group: str, topic: str) -> None:
        if self.service is None:
            return

        def done(parts: list[int]) -> None:
            self.status.inform(f"Deleted the committed offsets of group {group} for {len(parts)} partition(s) of "
                               f"{topic}.")
            self.load_group(group)
        self.tasks.run(f"deleting the offsets of {group} for {topic}", self.service.delete_offsets(group, topic),
                       done, on_error=self.pane.show_problem)

    def pin(self, group: str, pinned: bool) -> None:
        if self.session is not None:
            self.store.set_pinned(self.cluster, group, pinned)
            self.pane.set_pinned(self.store.pinned_groups(self.cluster))

    # -- lag sampling --------------------------------------------------------------------------------

    def sample(self) -> None:
        """One sampler tick: the lag of the groups on screen and the pinned ones, into the store."""
        service = self.service
        if service is None or self._sampling or (self.session is not None and self.session.failed):
            return
        cluster = self.cluster
        groups = list(dict.fromkeys([*self.pane.groups_on_screen(), *sorted(self.store.pinned_groups(cluster))]))
        if not groups:
            return
        retention_ms = int(self.store.get(S.LAG_RETENTION) * 3_600_000)

        async def work() -> dict[str, int | None]:
            lags = await service.lags(groups)
            ts = now_ms()
            await self.history.record(cluster, ts, lags)
            await self.history.prune(ts - retention_ms)
            return lags

        def done(lags: dict[str, int | None]) -> None:
            self.pane.update_lags(lags)
            if self.pane.current in lags:
                self.load_lag(self.pane.current or "")
            self.lags_sampled.emit(lags)
        self._sampling = True
        task = self.tasks.run("sampling consumer-group lag", work(), done)
        task.add_done_callback(lambda _t: setattr(self, "_sampling", False))

    def shutdown(self) -> None:
        self.timer.stop()
        self.history.close()
