"""What a first-time user meets: the Local broker on Kafka's port 9092 when it is free (else a free port, kept from
then on) shown with its client settings to copy, internal topics hidden behind a toggle, a sidebar that reaches every
pane by mouse and by shortcut, the About dialog and `kafka-workbench --version` / `--help`."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox
from pytestqt.qtbot import QtBot

import workbench
from workbench import local_broker
from workbench import settings as S
from workbench.main_window import MainWindow
from workbench.services.model import TopicSummary
from workbench.store import Store
from workbench.ui.about_dialog import AboutDialog
from workbench.ui.navigation import pane_shortcut

ROOT = Path(__file__).resolve().parents[2]
START_WAIT = 30_000


@pytest.fixture
def first_port(monkeypatch: pytest.MonkeyPatch) -> int:
    """The port the Local broker takes at its first start when free: 9092 in the app, a free port here."""
    port = local_broker.free_port()
    monkeypatch.setattr(local_broker, "DEFAULT_PORT", port)
    return port


def start_local(qtbot: QtBot, window: MainWindow) -> None:
    window.store.set(S.SAMPLE_DATA_OFFERED, True)  # no first-run question in the way
    window.start()
    qtbot.waitUntil(lambda: window.local.state == "running", timeout=START_WAIT)


def shown_address(window: MainWindow) -> tuple[str, str]:
    pane = window.local_pane
    return pane.bootstrap.text(), pane.client_settings.text()


@pytest.mark.slow
def test_first_start_takes_the_default_port_and_shows_it(qtbot: QtBot, window: MainWindow, store: Store,
                                                          first_port: int) -> None:
    start_local(qtbot, window)
    assert window.local.port == first_port and store.get(S.LOCAL_PORT) == first_port
    assert window.current_pane == "local"
    assert shown_address(window) == (f"127.0.0.1:{first_port}", f"bootstrap.servers=127.0.0.1:{first_port}")
    with qtbot.waitSignal(window.local_pane.shown, check_params_cb=lambda w: w == "copied"):
        qtbot.mouseClick(window.local_pane.copy_settings, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == f"bootstrap.servers=127.0.0.1:{first_port}"
    qtbot.mouseClick(window.local_pane.copy_address, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == f"127.0.0.1:{first_port}"


@pytest.fixture
def taken(first_port: int) -> Iterator[socket.socket]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", first_port))
        s.listen()
        yield s


@pytest.mark.slow
def test_default_port_taken_a_free_port_is_kept_and_shown(qtbot: QtBot, window: MainWindow, store: Store,
                                                          first_port: int, taken: socket.socket) -> None:
    start_local(qtbot, window)
    chosen = window.local.port
    assert chosen != first_port and store.get(S.LOCAL_PORT) == chosen
    assert shown_address(window) == (f"127.0.0.1:{chosen}", f"bootstrap.servers=127.0.0.1:{chosen}")
    window.shutdown()  # stops the broker
    assert window.local.state == "stopped"
    taken.close()  # the default port is free again: the remembered one is used all the same

    again = MainWindow(store)
    qtbot.addWidget(again)
    assert shown_address(again) == (f"127.0.0.1:{chosen}", f"bootstrap.servers=127.0.0.1:{chosen}")
    try:
        start_local(qtbot, again)
        assert again.local.port == chosen and store.get(S.LOCAL_PORT) == chosen
        assert shown_address(again) == (f"127.0.0.1:{chosen}", f"bootstrap.servers=127.0.0.1:{chosen}")
    finally:
        again.shutdown()


def click(qtbot: QtBot, box: QCheckBox) -> None:
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))  # on the box itself


def test_internal_topics_are_hidden_behind_a_visible_toggle(qtbot: QtBot, window: MainWindow) -> None:
    pane = window.topics_pane
    window.show_pane("topics")
    topics = [TopicSummary("__consumer_offsets", 50, 1, True), TopicSummary("_schemas", 1, 1, False),
              TopicSummary("orders", 3, 1, False), TopicSummary("payments", 2, 1, False)]
    with qtbot.waitSignal(pane.shown, check_params_cb=lambda w: w == "topics"):
        pane.show_topics(topics)

    def names() -> list[str]:
        return sorted(pane.proxy.index(r, 0).data() for r in range(pane.proxy.rowCount()))
    assert pane.show_internal.isVisible() and not pane.show_internal.isChecked()
    assert names() == ["orders", "payments"]
    assert pane.count_label.text() == "2 of 4 topics (2 internal hidden)"
    with qtbot.waitSignal(pane.shown, check_params_cb=lambda w: w == "filter"):
        click(qtbot, pane.show_internal)
    assert names() == ["__consumer_offsets", "_schemas", "orders", "payments"]
    assert pane.count_label.text() == "4 topics"
    with qtbot.waitSignal(pane.shown, check_params_cb=lambda w: w == "filter"):
        pane.search.setText("ts")  # the search and the toggle combine
    assert names() == ["__consumer_offsets", "payments"]
    click(qtbot, pane.show_internal)
    assert names() == ["payments"]


def test_every_pane_is_reachable_by_mouse_and_by_shortcut(qtbot: QtBot, window: MainWindow) -> None:
    assert window.nav.isVisible() and window.nav.count() == len(window.features)
    for n, (key, title, pane, _ctl) in enumerate(window.features, start=1):
        window.show_pane("local" if key != "local" else "topics")
        item = window.nav.item(n - 1)
        assert item.text() == title and not item.icon().isNull()
        assert item.toolTip() == f"{title} (Ctrl+{n})"
        qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton,
                         pos=window.nav.visualItemRect(item).center())
        assert window.current_pane == key and pane.isVisible(), key

        window.show_pane("local" if key != "local" else "topics")
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0.value + n), Qt.KeyboardModifier.ControlModifier)
        assert window.current_pane == key and pane.isVisible(), key
        assert window.nav.currentRow() == n - 1
    assert [pane_shortcut(n) for n in (1, 9, 10, 11)] == ["Ctrl+1", "Ctrl+9", "Ctrl+0", ""]


def test_about_lists_the_versions(qtbot: QtBot, window: MainWindow) -> None:
    import confluent_kafka

    window.about_action.trigger()
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(AboutDialog)))
    dialog = next(d for d in window.findChildren(AboutDialog) if d.isVisible())
    rows = dict(dialog.rows)
    assert rows["Kafka Workbench"] == workbench.__version__
    assert rows["Qt"].startswith(qVersion())
    assert rows["librdkafka"].startswith(confluent_kafka.libversion()[0])
    assert rows["Bundled broker"].startswith(workbench.__version__)
    dialog.copy_button.click()
    assert "librdkafka:" in QGuiApplication.clipboard().text()
    dialog.reject()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return subprocess.run([sys.executable, "-m", "workbench", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_version_and_help_need_no_display() -> None:
    import confluent_kafka

    out = run_cli("--version")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == f"kafka-workbench {workbench.__version__}"
    assert any(ln.startswith("Qt:") and qVersion() in ln for ln in lines), out.stdout
    assert any(ln.startswith("librdkafka:") and confluent_kafka.libversion()[0] in ln for ln in lines), out.stdout
    assert any(ln.startswith("Bundled broker:") for ln in lines), out.stdout
    out = run_cli("--help")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage: kafka-workbench [-h] [--version]") and "9092" in out.stdout


def test_sample_data_set_is_a_resource() -> None:
    from workbench.services.sample_data import sample_set

    sample = asyncio.run(asyncio.to_thread(sample_set))
    assert sample.topics == {"orders": 3, "customers": 1, "payments": 2}
    assert len(sample.records) == 98 and {r.topic for r in sample.records} == set(sample.topics)
    assert (sample.group, sample.group_topic) == ("billing", "orders")
