"""Nothing blocks the GUI thread: the OS keyring (which can wait for the user to unlock it) and kazoo's stop after a
failed connection run on worker threads; and the garbage-collection policy leaves cyclic garbage collectable."""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import weakref
from collections.abc import Iterator

import keyring
import pytest
from pytestqt.qtbot import QtBot

from tests.keyrings import SlowKeyring
from tests.workbench.stall import StallProbe
from workbench.errors import WorkbenchError
from workbench.main_window import MainWindow
from workbench.services.connection import ConnectionSpec
from workbench.services.model import TopicSummary
from workbench.services.zk import ZkBrowser

WAIT = 30_000
STALL_LIMIT_MS = 250  # well under one answer of the slow keyring (500 ms): no keyring call ran on the GUI thread


@pytest.fixture
def slow_keyring() -> Iterator[SlowKeyring]:
    """Set before the window's store first looks for a keyring, and put back after."""
    before = keyring.get_keyring()
    slow = SlowKeyring(delay=0.5)
    keyring.set_keyring(slow)
    yield slow
    keyring.set_keyring(before)


def test_profiles_save_open_and_edit_without_waiting_for_the_keyring(slow_keyring: SlowKeyring, qtbot: QtBot,
                                                                      window: MainWindow) -> None:
    spec = ConnectionSpec(name="secured", bootstrap="127.0.0.1:1", sasl_mechanism="PLAIN", sasl_username="alice",
                          sasl_password="s3cret", tls_key_password="k3y")
    probe = StallProbe().start()
    window.profiles.edit(None)  # the dialog asks whether a keyring exists: a keyring call
    qtbot.waitUntil(lambda: window.profiles.dialog is not None and window.profiles.dialog.isVisible(), timeout=WAIT)
    dialog = window.profiles.dialog
    assert dialog is not None
    with qtbot.waitSignal(window.connection_opened, timeout=WAIT, check_params_cb=lambda name: name == "secured"):
        dialog.save_requested.emit(spec)  # saves the secrets, then opens the profile, reading them back
    assert window.session is not None and window.session.spec == spec
    window.profiles.dialog = None
    window.profiles.edit("secured")
    qtbot.waitUntil(lambda: window.profiles.dialog is not None and window.profiles.dialog.isVisible(), timeout=WAIT)
    longest = probe.stop() * 1000
    assert slow_keyring.calls >= 8, "the secrets went through the (slow) keyring"
    assert threading.main_thread().name not in slow_keyring.threads
    assert longest < STALL_LIMIT_MS, f"the GUI thread stalled {longest:.0f} ms"


def test_a_failed_zookeeper_connection_is_stopped_off_the_event_loop(qtbot: QtBot, aloop: asyncio.AbstractEventLoop
                                                                     ) -> None:
    """A server that accepts and never answers: kazoo's connection thread waits in a read for the server's answer (up
    to the session timeout), and kazoo's stop() joins that thread (up to max(session timeout, 10 s)). How long it
    blocks depends on where the thread is, so besides the stall probe the test checks where stop() ran."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        zk = ZkBrowser(f"127.0.0.1:{port}", timeout=1.5)
        kazoo = zk._zk
        stopped_on: list[str] = []
        real_stop = kazoo.stop

        def stop() -> None:
            stopped_on.append(threading.current_thread().name)
            real_stop()
        kazoo.stop = stop
        failure: list[BaseException] = []

        async def start() -> None:
            try:
                await zk.start()
            except WorkbenchError as exc:
                failure.append(exc)
        probe = StallProbe().start()
        task = aloop.create_task(start())
        qtbot.waitUntil(task.done, timeout=WAIT)
        longest = probe.stop() * 1000
        close = aloop.create_task(zk.stop())
        qtbot.waitUntil(close.done, timeout=WAIT)
    assert failure and "did not accept a session" in str(failure[0])
    assert stopped_on and threading.main_thread().name not in stopped_on, stopped_on
    assert longest < STALL_LIMIT_MS, f"the event loop stalled {longest:.0f} ms"


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_cyclic_garbage_alive_when_topics_are_shown_is_still_collected(qtbot: QtBot, window: MainWindow) -> None:
    garbage = Cycle()
    collected: list[bool] = []
    weakref.finalize(garbage, collected.append, True)
    del garbage  # unreachable, but only the cycle collector can free it
    pane = window.topics_pane
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "topics"):
        pane.show_topics([TopicSummary(f"t{i}", 1, 1, False) for i in range(100)])
    gc.collect()
    assert collected == [True], "cyclic garbage was frozen out of the collector's reach"
