"""The real app's main window on a qasync event loop, for the screenshot scripts and the benchmarks (run as
programs, outside pytest, whose fixtures in conftest.py do the same for tests).

    with AppHarness(home) as h:           # QApplication, qasync loop, Store, MainWindow (shown)
        h.run(measure())                   # runs the coroutine on the loop, then shuts the window down

`until` waits for a condition with the loop running, bounded in time.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import qasync
from PySide6.QtWidgets import QApplication, QWidget

from workbench import settings as S
from workbench.local_broker import LocalBroker
from workbench.main_window import MainWindow
from workbench.services.threads import EXECUTOR
from workbench.store import HOME_ENV, Store
from workbench.ui.theme import apply_theme


async def until(cond: Callable[[], Any], timeout: float = 60, what: str = "") -> None:
    """Poll cond every 50 ms with the event loop running; TimeoutError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {what}")
        await asyncio.sleep(0.05)


class AppHarness:
    """The app as `kafka-workbench` builds it, with its home (settings, Local broker data) in `home`.

    theme: "light" or "dark" (None leaves the platform's); size: the window's (width, height). `settings` are
    stored, then prepare(store) is called, before the window is built. The first-run sample-data question is
    marked as asked: scripts load the data themselves. WB_BENCH_SLOW_CALLBACKS=1 in the environment names the
    event-loop callbacks that take over 20 ms."""

    def __init__(self, home: Path, theme: str | None = "light", size: tuple[int, int] | None = None,
                 settings: Mapping[S.Setting[Any], Any] | None = None,
                 prepare: Callable[[Store], object] | None = None) -> None:
        home.mkdir(parents=True, exist_ok=True)
        os.environ[HOME_ENV] = str(home)
        self.home = home
        self.app = QApplication.instance() or QApplication(sys.argv)
        assert isinstance(self.app, QApplication)
        self.store = Store(home / "config" / "workbench.db")
        self.store.set(S.SAMPLE_DATA_OFFERED, True)
        for setting, value in (settings or {}).items():
            self.store.set(setting, value)
        if prepare is not None:
            prepare(self.store)
        if theme is not None:
            apply_theme(self.app, theme)
        self.loop = qasync.QEventLoop(self.app)
        self.loop.set_default_executor(EXECUTOR)
        asyncio.set_event_loop(self.loop)
        if os.environ.get("WB_BENCH_SLOW_CALLBACKS"):  # name the GUI-thread callbacks that take over 20 ms
            import logging

            logging.basicConfig(level=logging.WARNING)
            self.loop.set_debug(True)
            self.loop.slow_callback_duration = 0.02
        self.window = MainWindow(self.store, LocalBroker(home / "data" / "local-broker",
                                                         self.store.get(S.LOCAL_PORT)))
        if size is not None:
            self.window.resize(*size)
        self.window.show()

    def __enter__(self) -> AppHarness:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.window.shutdown()
        self.store.close()

    def run(self, work: Coroutine[Any, Any, Any]) -> Any:
        """Run a coroutine on the app's event loop until it finishes."""
        with self.loop:
            return self.loop.run_until_complete(work)

    def shot(self, out: Path, name: str, widget: QWidget | None = None) -> Path:
        """A picture of the window (or of one widget) as out/<name>.png. It does not process events: called from
        a coroutine, that would run other tasks' steps re-entrantly (call app.processEvents() first where safe)."""
        path = out / f"{name}.png"
        (widget or self.window).grab().save(str(path))
        print(f"wrote {path}", flush=True)
        return path
