"""Workbench test fixtures: a qasync loop on pytest-qt's QApplication, a private app home, a main window."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from pytestqt.qtbot import QtBot

from workbench import local_broker
from workbench.local_broker import LocalBroker
from workbench.main_window import MainWindow
from workbench.services.connection import ConnectionSpec
from workbench.services.threads import EXECUTOR
from workbench.store import HOME_ENV, SecretStore, Store


@pytest.fixture(autouse=True)
def _no_default_local_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never take port 9092 (the installed app, or another suite, may use it): the Local broker of a test
    starts on a free port unless the test chooses the first-start port itself."""
    monkeypatch.setattr(local_broker, "DEFAULT_PORT", 0)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture(scope="session")
def _session_loop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    """One qasync loop for the session: late answers of librdkafka or kazoo threads always find a live loop."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    loop.set_default_executor(EXECUTOR)
    asyncio.events._set_running_loop(None)
    yield loop
    # not loop.stop(): it calls QApplication.exit(), after which every nested QEventLoop.exec() returns at once
    loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture
def aloop(qapp: Any, _session_loop: asyncio.AbstractEventLoop) -> Iterator[asyncio.AbstractEventLoop]:
    """asyncio on Qt's event loop, marked running so qtbot's waits drive coroutines too; tasks cancelled after."""
    loop = _session_loop
    asyncio.events._set_running_loop(loop)
    asyncio.set_event_loop(loop)
    yield loop
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in pending:
        t.cancel()
    deadline = time.monotonic() + 5
    while pending and time.monotonic() < deadline:
        qapp.processEvents()
        pending = [t for t in pending if not t.done()]
    asyncio.events._set_running_loop(None)  # so plain asyncio.run() works in the next (non-Qt) test


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    s = Store(home / "workbench.db", SecretStore())
    yield s
    s.close()


@pytest.fixture
def window(qtbot: QtBot, aloop: asyncio.AbstractEventLoop, store: Store, home: Path) -> Iterator[MainWindow]:
    w = MainWindow(store, LocalBroker(home / "local-broker"))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.shutdown()


def spec_for(cluster: Any, **kw: Any) -> ConnectionSpec:
    return ConnectionSpec(name=cluster.name, bootstrap=cluster.bootstrap, zookeeper=cluster.zookeeper or "", **kw)
