"""The produce feature: runs the pane's produce requests on a ProducerService, reads value files, keeps templates.

One run at a time: its ProduceRun is kept so Cancel can reach the worker thread. The
service's batches of delivery results and its counters go straight to the pane's slots
(they are called on the GUI thread by the awaiting coroutine). A new connection gets a
new ProducerService; the old one is closed off the GUI thread.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QObject

from workbench import settings as S
from workbench.controllers.base import Controller, StatusLine
from workbench.errors import Problem
from workbench.panes.produce import ProducePane
from workbench.services.produce import ProducerService
from workbench.services.produce_run import ProduceRequest, ProduceRun, ProduceSummary
from workbench.services.registry import RegistryService, RegistrySettings
from workbench.session import Session
from workbench.store import Store
from workbench.ui.tasks import TaskRunner


class ProduceController(Controller):
    pane_key = "produce"

    def __init__(self, pane: ProducePane, tasks: TaskRunner, status: StatusLine, store: Store,
                 parent: QObject | None = None) -> None:
        super().__init__(tasks, status, parent)
        self.pane = pane
        self.store = store
        self.service: ProducerService | None = None
        self.run: ProduceRun | None = None
        pane.produce_requested.connect(self.produce)
        pane.cancel_requested.connect(self.cancel)
        pane.value_file_requested.connect(self.read_value_file)
        pane.template_save_requested.connect(self.save_template)
        pane.template_load_requested.connect(self.load_template)
        pane.template_delete_requested.connect(self.delete_template)
        pane.show_templates(store.template_names())

    def on_connection(self, session: Session | None) -> None:
        self.cancel()
        old, self.service = self.service, None
        if old is not None:
            self.tasks.run("closing the producer", old.aclose())
        if session is not None:
            self.service = ProducerService(session.spec, self.store.get(S.REQUEST_TIMEOUT),
                                           self.store.get(S.PRODUCE_TIMEOUT))
        self.pane.forget_topics()
        if self.run is None:
            self.pane.clear_results()  # results belong to the connection they were produced on
        self.pane.set_connected(session is not None)
        self.pane.set_read_only(session is not None and session.read_only)
        self.pane.set_subjects({})
        self.refresh()

    def refresh(self) -> None:
        """The registry's subjects for the value schema choice (when the profile has a registry)."""
        session = self.session
        settings = RegistrySettings.of(session.spec, session.admin.timeout) if session is not None else None
        if settings is None:
            return
        service = RegistryService(settings)

        async def work() -> dict[str, tuple[int, ...]]:
            try:
                subjects, _level = await service.subjects()
            finally:
                service.close()
            return {s.name: s.versions for s in subjects}
        self.tasks.run("listing the registry's subjects", work(), self.pane.set_subjects, key="produce-subjects",
                       on_error=self.pane.show_problem)

    # -- producing -------------------------------------------------------------------------------------------------

    def produce(self, request: ProduceRequest) -> None:
        service = self.service
        if service is None or self.run is not None:
            return
        if self.read_only:
            self.pane.show_problem(Problem("input", "This connection profile is read-only: producing is disabled."))
            return
        run = self.run = ProduceRun()
        self.pane.show_started(request)
        self.status.inform(f"Producing {request.what}…")

        def done(summary: ProduceSummary) -> None:
            self.run = None
            self.pane.show_finished(summary)
            verb = "Cancelled producing" if summary.cancelled else "Produced"
            self.status.succeeded(f"{verb} {summary.request.what}: {summary.delivered:,} delivered, "
                                  f"{summary.failed:,} failed.")

        def failed(problem: Problem) -> None:
            self.run = None
            self.pane.show_failed(problem)

        task = self.tasks.run(f"producing {request.what}",
                              service.produce(request, run, self.pane.show_deliveries, self.pane.show_progress),
                              done, on_error=failed)
        task.add_done_callback(lambda t: self._forget(run) if t.cancelled() else None)

    def _forget(self, run: ProduceRun) -> None:
        run.cancel()
        if self.run is run:
            self.run = None
            self.pane.show_failed(Problem("input", "Producing stopped: the connection was closed."))

    def cancel(self) -> None:
        if self.run is not None:
            self.run.cancel()

    def read_value_file(self, path: str) -> None:
        def done(data: bytes) -> None:
            self.pane.set_value_bytes(data, Path(path).name)
        self.tasks.run(f"reading {path}", asyncio.to_thread(Path(path).read_bytes), done,
                       on_error=self.pane.show_problem)

    # -- templates -------------------------------------------------------------------------------------------------

    def save_template(self, name: str, state: dict[str, object]) -> None:
        try:
            self.store.save_template(name, state)
        except ValueError as exc:
            self.pane.show_problem(Problem("input", str(exc)))
            return
        self.pane.show_templates(self.store.template_names(), name)
        self.status.inform(f"Saved template {name}.")

    def load_template(self, name: str) -> None:
        try:
            state = self.store.load_template(name)
        except KeyError:
            self.pane.show_problem(Problem("input", f"There is no template named {name}."))
            return
        self.pane.apply_template(name, state)

    def delete_template(self, name: str) -> None:
        self.store.delete_template(name)
        self.pane.show_templates(self.store.template_names())
        self.status.inform(f"Deleted template {name}.")

    def shutdown(self) -> None:
        self.cancel()
        service, self.service = self.service, None
        if service is not None:
            service.close()
