"""The messages pane when things go wrong or cross panes: a cluster that dies mid-scan, a scan process that is
killed, produce again into the Produce pane, Browse messages from the Topics pane, read-only profiles."""

from __future__ import annotations

import os
import signal
import uuid
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.workbench.conftest import spec_for
from tests.workbench.messages_support import WAIT, Form, dataset, fill, make_topic, produce_records, read, rows
from workbench import settings as S
from workbench.main_window import MainWindow
from workbench.services.scan import ScanService
from workbench.store import Store

pytestmark = pytest.mark.slow


def open_cluster(qtbot: QtBot, window: MainWindow, cluster: Any, **kw: Any) -> None:
    with qtbot.waitSignal(window.topics_pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "topics"):
        window.open_spec(spec_for(cluster, **kw))


def test_a_cluster_dying_mid_scan_stops_it_with_a_sentence(qtbot: QtBot, window: MainWindow, store: Store,
                                                           engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store.set(S.REQUEST_TIMEOUT, 1.0)  # a scan gives up after 3 x this without data
    topic = f"dies-{uuid.uuid4().hex[:6]}"
    make_topic(engine.bootstrap, topic, 1)
    produce_records(engine.bootstrap, dataset(topic)[:10])
    open_cluster(qtbot, window, engine)
    pane = window.messages_pane
    real_start = ScanService.start

    def die_then_start(self: ScanService, *args: Any, **kw: Any) -> Any:
        engine.kill()  # the plan was made; the broker is gone before a single message is read
        return real_start(self, *args, **kw)
    monkeypatch.setattr(ScanService, "start", die_then_start)
    said = read(qtbot, pane, Form(topic))
    assert said.startswith("Stopped: No data arrived for 3 s before the end of the range"), said
    assert "read 0 messages" in said and pane.read_button.isEnabled() and not pane.running

    # and with the broker already gone, the plan itself fails in one sentence
    monkeypatch.setattr(ScanService, "start", real_start)
    said = read(qtbot, pane, Form(topic))
    assert "refused the connection" in said, said


def test_live_scan_on_a_cluster_that_dies_keeps_the_window_usable(qtbot: QtBot, window: MainWindow,
                                                                   engine: Any) -> None:
    topic = f"live-dies-{uuid.uuid4().hex[:6]}"
    make_topic(engine.bootstrap, topic, 1)
    open_cluster(qtbot, window, engine)
    pane = window.messages_pane
    fill(pane, Form(topic, start="end", stop="live", limit=None))
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "started"):
        pane.read_button.click()
    engine.kill()
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "finished"):
        pane.cancel_button.click()
    assert "cancelled" in pane.progress.reason_text


def test_a_killed_scan_process_is_an_error_not_a_hang(qtbot: QtBot, window: MainWindow, shared_engine: Any) -> None:
    topic = f"killed-{uuid.uuid4().hex[:6]}"
    make_topic(shared_engine.bootstrap, topic, 1)
    open_cluster(qtbot, window, shared_engine)
    pane = window.messages_pane
    fill(pane, Form(topic, start="end", stop="live", limit=None))
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "started"):
        pane.read_button.click()
    qtbot.waitUntil(lambda: window.messages_ctl.running is not None, timeout=WAIT)
    running = window.messages_ctl.running
    assert running is not None
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "finished"):
        os.kill(running.pid, signal.SIGKILL)
    assert "the scan process was killed by signal 9" in pane.progress.reason_text
    # and the next scan works
    produce_records(shared_engine.bootstrap, dataset(topic)[:3])
    assert "range is done" in read(qtbot, pane, Form(topic))
    assert len(rows(pane)) == 3


def test_produce_again_and_browse_messages(qtbot: QtBot, window: MainWindow, shared_engine: Any) -> None:
    topic = f"again-{uuid.uuid4().hex[:6]}"
    make_topic(shared_engine.bootstrap, topic, 3)
    records = dataset(topic)
    produce_records(shared_engine.bootstrap, records)
    open_cluster(qtbot, window, shared_engine)
    topics = window.topics_pane
    with qtbot.waitSignal(topics.shown, timeout=WAIT, check_params_cb=lambda w: w == "partitions"):
        assert topics.select(topic)
    topics.browse_button.click()
    pane = window.messages_pane
    assert pane.form.topic.currentText() == topic
    assert window.current_pane == "messages"

    read(qtbot, pane, Form(topic, partitions="0", start="offset", start_value=24))
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "detail-value"):
        pane.table.selectRow(0)
    assert pane.detail.produce_again.isEnabled()
    produce = window.produce_pane
    with qtbot.waitSignal(produce.shown, timeout=WAIT, check_params_cb=lambda w: w == "record"):
        pane.detail.produce_again.click()
    assert produce.form.topic_name == topic
    assert window.current_pane == "produce"
    got = produce.form.record()
    original = records[-1]
    assert (got.key, got.value, got.headers) == (original.key, original.value, original.headers)


def test_read_only_profile_can_read_but_not_produce_again(qtbot: QtBot, window: MainWindow,
                                                          shared_engine: Any) -> None:
    topic = f"ro-{uuid.uuid4().hex[:6]}"
    make_topic(shared_engine.bootstrap, topic, 1)
    produce_records(shared_engine.bootstrap, dataset(topic)[:2])
    open_cluster(qtbot, window, shared_engine, read_only=True)
    pane = window.messages_pane
    assert "range is done" in read(qtbot, pane, Form(topic))
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "detail-value"):
        pane.table.selectRow(0)
    assert not pane.detail.produce_again.isEnabled()
    assert pane.detail.produce_again.toolTip() == "This profile is read-only."
