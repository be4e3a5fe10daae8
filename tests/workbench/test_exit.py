"""Leaving: the window disappears at once when closed, while the Local broker stops behind it; then the app quits."""

from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest
from pytestqt.qtbot import QtBot

from workbench import settings as S
from workbench.local_broker import pid_alive
from workbench.main_window import MainWindow

pytestmark = pytest.mark.slow
HIDE_WITHIN_S = 0.2


def test_closing_hides_the_window_at_once_while_the_broker_stops(qtbot: QtBot, window: MainWindow) -> None:
    window.store.set(S.SAMPLE_DATA_OFFERED, True)
    window.start()
    qtbot.waitUntil(lambda: window.local.state == "running", timeout=30_000)
    pid = window.local.pid
    assert pid is not None
    # a broker slow to stop: frozen, it cannot act on SIGTERM, so the app waits stop_timeout and then kills it
    window.local.stop_timeout = 1.5
    os.kill(pid, signal.SIGSTOP)
    try:
        with qtbot.waitSignal(window.left, timeout=20_000):
            started = time.monotonic()
            window.close()
            hidden_after = time.monotonic() - started
            assert not window.isVisible()
            assert pid_alive(pid), "the broker was stopped before the window went away"
        assert hidden_after < HIDE_WITHIN_S, f"the window took {hidden_after * 1000:.0f} ms to disappear"
        assert window.local.state == "stopped" and not pid_alive(pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
