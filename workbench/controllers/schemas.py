"""The schemas feature: the schemas pane's intents run on the connection's RegistryService; results and problems go
back to the pane. A profile without a Schema Registry leaves the pane saying so; a read-only profile may look, check
compatibility and diff, but not register, change compatibility or delete (the pane disables those, and so does this)."""

from __future__ import annotations

from confluent_kafka.schema_registry import Schema
from PySide6.QtCore import QObject

from workbench.controllers.base import Controller, StatusLine
from workbench.errors import Problem
from workbench.panes.schemas import SchemasPane
from workbench.services.registry import RegistryService, RegistrySettings, parse_references
from workbench.session import Session
from workbench.ui.tasks import TaskRunner

NO_REGISTRY = "This connection's profile has no Schema Registry: add its URL in Edit connection… to see schemas."


class SchemasController(Controller):
    pane_key = "schemas"

    def __init__(self, pane: SchemasPane, tasks: TaskRunner, status: StatusLine, parent: QObject | None = None) -> None:
        super().__init__(tasks, status, parent)
        self.pane = pane
        self.service: RegistryService | None = None
        pane.refresh_requested.connect(self.refresh)
        pane.version_requested.connect(self.show_version)
        pane.diff_requested.connect(self.diff)
        pane.check_requested.connect(self.check)
        pane.register_requested.connect(self.register)
        pane.compatibility_requested.connect(self.set_compatibility)
        pane.delete_requested.connect(self.delete)

    def on_connection(self, session: Session | None) -> None:
        old, self.service = self.service, None
        if old is not None:
            old.close()
        settings = RegistrySettings.of(session.spec, session.admin.timeout) if session is not None else None
        if settings is not None:
            self.service = RegistryService(settings)
        self.pane.set_available(self.service is not None, NO_REGISTRY if session is not None else "")
        self.pane.set_read_only(session is not None and session.read_only)
        if self.service is not None:
            self.refresh()

    def _ready(self, changing: bool = False) -> RegistryService | None:
        if self.service is None:
            self.pane.show_problem(Problem("input", NO_REGISTRY))
            return None
        if changing and self.read_only:
            self.pane.show_problem(Problem("input", "This connection profile is read-only: schemas cannot be "
                                                    "changed."))
            return None
        return self.service

    def refresh(self) -> None:
        service = self._ready()
        if service is None:
            return
        self.tasks.run("listing schemas", service.subjects(), lambda r: self.pane.show_subjects(*r), key="schemas",
                       on_error=self.pane.show_problem)

    def show_version(self, subject: str, version: str) -> None:
        service = self._ready()
        if service is not None:
            self.tasks.run(f"reading {subject}", service.version(subject, version), self.pane.show_version,
                           key="schema-version", on_error=self.pane.show_problem)

    def diff(self, subject: str, left: int, right: int) -> None:
        service = self._ready()
        if service is not None:
            self.tasks.run(f"comparing {subject}", service.versions(subject, [left, right]),
                           lambda vs: self.pane.show_diff(vs[0], vs[1]), key="schema-diff",
                           on_error=self.pane.show_problem)

    @staticmethod
    def _schema(kind: str, text: str, references: str) -> Schema:
        return Schema(text, kind, parse_references(references))

    def check(self, subject: str, kind: str, text: str, references: str) -> None:
        service = self._ready()
        if service is None:
            return

        async def work() -> None:
            self.pane.show_check(await service.check_compatibility(subject, self._schema(kind, text, references)))
        self.tasks.run(f"checking a schema for {subject}", work(), key="schema-check", on_error=self.pane.show_problem)

    def register(self, subject: str, kind: str, text: str, references: str) -> None:
        service = self._ready(changing=True)
        if service is None:
            return

        async def work() -> None:
            schema_id = await service.register(subject, self._schema(kind, text, references))
            self.pane.show_registered(subject, schema_id)
            self.status.inform(f"Registered a schema under {subject} (schema id {schema_id}).")
            self.refresh()
        self.tasks.run(f"registering a schema for {subject}", work(), on_error=self.pane.show_problem)

    def set_compatibility(self, subject: str, level: str) -> None:
        service = self._ready(changing=True)
        if service is None:
            return

        async def work() -> None:
            await service.set_compatibility(subject or None, level)
            self.pane.show_note(f"Compatibility of {subject or 'the registry (global)'} set to {level}.")
            self.refresh()
        self.tasks.run("setting compatibility", work(), on_error=self.pane.show_problem)

    def delete(self, subject: str, version: int, permanent: bool) -> None:
        service = self._ready(changing=True)
        if service is None:
            return
        how = "permanently" if permanent else "softly"

        async def work() -> None:
            if version:
                await service.delete_version(subject, version, permanent)
                self.pane.show_note(f"Deleted version {version} of {subject} {how}.")
            else:
                await service.delete_subject(subject, permanent)
                self.pane.show_note(f"Deleted the subject {subject} {how}.")
            self.refresh()
        self.tasks.run(f"deleting {subject}", work(), on_error=self.pane.show_problem)

    def shutdown(self) -> None:
        if self.service is not None:
            self.service.close()
            self.service = None
