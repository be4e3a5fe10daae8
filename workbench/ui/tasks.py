"""The one bridge from the GUI to awaited services: start a coroutine, deliver its result or its Problem.

Theory of operation: `TaskRunner.run(what, coro, done)` schedules the coroutine on
the running asyncio loop (qasync's, i.e. Qt's event loop) and keeps a reference so it
is neither garbage-collected nor forgotten at shutdown. When it finishes, `done(result)`
runs on the GUI thread; a failure becomes a Problem through errors.describe and is
emitted as `failed(what, problem)`. Tasks started under a key (say "topics") replace
the previous one with that key, so a fast typist or a double refresh never gets an
older answer after a newer one. `busy_changed(count)` drives the progress indicator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

from workbench.errors import Problem, describe


class TaskRunner(QObject):
    failed = Signal(str, object)
    busy_changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._keyed: dict[str, asyncio.Task[Any]] = {}

    @property
    def busy(self) -> int:
        return len(self._tasks)

    def run(self, what: str, coro: Coroutine[Any, Any, Any], done: Callable[[Any], object] | None = None,
            key: str | None = None, on_error: Callable[[Problem], object] | None = None) -> asyncio.Task[Any]:
        if key is not None and key in self._keyed:
            self._keyed.pop(key).cancel()
        task = asyncio.get_event_loop().create_task(coro)
        self._tasks.add(task)
        if key is not None:
            self._keyed[key] = task
        self.busy_changed.emit(len(self._tasks))

        def finished(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if key is not None and self._keyed.get(key) is t:
                del self._keyed[key]
            self.busy_changed.emit(len(self._tasks))
            if t.cancelled():
                return
            exc = t.exception()
            if exc is not None:
                problem = describe(exc)
                if on_error is not None:
                    on_error(problem)
                self.failed.emit(what, problem)
                return
            if done is not None:
                done(t.result())
        task.add_done_callback(finished)
        return task

    def cancel_all(self, keep: tuple[str, ...] = ()) -> None:
        """Cancel every task but those started under a key in `keep`."""
        kept = {self._keyed[k] for k in keep if k in self._keyed}
        for task in list(self._tasks):
            if task not in kept:
                task.cancel()
        self._keyed = {k: t for k, t in self._keyed.items() if t in kept}
