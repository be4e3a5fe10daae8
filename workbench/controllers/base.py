"""What every feature controller shares: the task runner, the status line, the open session.

Theory of operation: a controller never touches another pane and never formats an
error itself. It starts awaited service calls through `self.tasks` (which turns any
failure into a Problem and reports it on the status line), gives successful results to
its pane, and calls `status.succeeded()` after a refresh that reached the cluster so a
session marked failed by a transport problem recovers. `connection_changed` is called
with the new Session (or None when the connection closes); `refresh()` reloads what the
pane shows and is what the Refresh action and the automatic retry call.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QObject

from workbench.errors import Problem
from workbench.services.admin import AdminService
from workbench.session import Session
from workbench.ui.tasks import TaskRunner


class StatusLine(Protocol):
    """The window's one place for messages: a sentence, a problem (detail one click away), a recovery."""

    def inform(self, text: str) -> None: ...

    def report(self, problem: Problem) -> None: ...

    def succeeded(self, text: str = "") -> None: ...


TRANSPORT_KINDS = ("refused", "timeout", "dns", "tls", "auth")


class Controller(QObject):
    #: the key of the pane this controller feeds (refresh targets the visible panes)
    pane_key = ""
    #: refreshed again by the window's retry timer after a transport failure
    retries = False
    #: its last refresh could not reach the cluster: the retry timer refreshes it until one works
    failing = False

    def __init__(self, tasks: TaskRunner, status: StatusLine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.status = status
        self.session: Session | None = None

    @property
    def admin(self) -> AdminService | None:
        return self.session.admin if self.session is not None else None

    @property
    def read_only(self) -> bool:
        return self.session is not None and self.session.read_only

    def connection_changed(self, session: Session | None) -> None:
        """A new connection (or none): forget what belongs to the old one and load from the new one."""
        self.session = session
        self.failing = False
        self.on_connection(session)

    def on_connection(self, session: Session | None) -> None:
        if session is not None:
            self.refresh()

    def refresh(self) -> None:
        """Reload what the pane shows from the open connection."""

    def refresh_worked(self, text: str = "") -> None:
        """A refresh reached the cluster (call it from the refresh's result)."""
        self.failing = False
        self.status.succeeded(text)

    def refresh_failed(self, problem: Problem) -> None:
        """A refresh failed (call it from the refresh's error path): a transport problem keeps it being retried."""
        self.failing = problem.kind in TRANSPORT_KINDS

    async def stop(self) -> None:
        """The window has closed (and is hidden): stop, awaited, what takes time to stop (the Local broker)."""

    def shutdown(self) -> None:
        """The window is closing: stop anything that would outlive it, at once (without an event loop)."""
