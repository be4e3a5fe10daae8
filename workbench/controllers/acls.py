"""The ACLs feature: list the cluster's ACLs, add one, delete the selected ones."""

from __future__ import annotations

from PySide6.QtCore import QObject

from workbench.controllers.base import Controller, StatusLine
from workbench.errors import Problem
from workbench.panes.acls import AclsPane
from workbench.services.acls import AclEntry, AclListing, AclService
from workbench.session import Session
from workbench.ui.tasks import TaskRunner


class AclsController(Controller):
    pane_key = "acls"
    retries = True

    def __init__(self, pane: AclsPane, tasks: TaskRunner, status: StatusLine, parent: QObject | None = None) -> None:
        super().__init__(tasks, status, parent)
        self.pane = pane
        self.service: AclService | None = None
        pane.refresh_requested.connect(self.refresh)
        pane.create_requested.connect(self.create)
        pane.delete_requested.connect(self.delete)

    def on_connection(self, session: Session | None) -> None:
        self.pane.clear()
        self.service = AclService(session.admin) if session is not None else None
        if session is not None:
            self.pane.set_read_only(session.read_only)
            self.refresh()

    def refresh(self) -> None:
        service = self.service
        if service is None:
            return

        def done(listing: AclListing) -> None:
            if listing.unavailable is not None:
                self.pane.show_unavailable(listing.unavailable)
            else:
                self.pane.show_acls(listing.entries)
            self.refresh_worked()

        def failed(problem: Problem) -> None:
            self.pane.show_unavailable(problem)
            self.refresh_failed(problem)
        self.tasks.run("listing ACLs", service.list_acls(), done, key="acls", on_error=failed)

    def create(self, entry: AclEntry) -> None:
        service = self.service
        if service is None:
            return

        def done(_r: object) -> None:
            self.status.inform(f"Added: {entry.principal} {entry.permission} {entry.operation} on "
                               f"{entry.resource_type} {entry.pattern_type} {entry.resource_name}.")
            self.refresh()
        self.tasks.run("adding an ACL", service.create(entry), done, on_error=self.pane.show_problem)

    def delete(self, entries: list[AclEntry]) -> None:
        service = self.service
        if service is None:
            return

        def done(count: int) -> None:
            self.status.inform(f"Deleted {count} ACL(s).")
            self.refresh()
        self.tasks.run(f"deleting {len(entries)} ACL(s)", service.delete(entries), done,
                       on_error=self.pane.show_problem)
