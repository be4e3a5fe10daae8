"""The topics pane against every cluster: list, filter, create, partitions, configs, add partitions, delete records,
delete with typed confirmation; read-only profiles disable every change; qtmodeltester on its models."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import uuid
from typing import Any

import pytest
from confluent_kafka import Producer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.workbench.conftest import spec_for
from workbench.main_window import MainWindow
from workbench.panes.topics import TopicsPane
from workbench.services.admin import AdminService
from workbench.ui.widgets import TypedConfirmDialog

pytestmark = pytest.mark.slow
WAIT = 30_000


def produce(bootstrap: str, topic: str, partition: int, count: int) -> None:
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(count):
        p.produce(topic, key=f"k{i}".encode(), value=b'{"n": %d}' % i, partition=partition,
                  headers=[("h", b"v")])
    assert p.flush(30) == 0


def wait_shown(qtbot: QtBot, pane: Any, what: str, action: Any) -> None:
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == what):
        action()


def open_cluster(qtbot: QtBot, window: MainWindow, cluster: Any, **kw: Any) -> TopicsPane:
    pane = window.topics_pane
    wait_shown(qtbot, pane, "topics", lambda: window.open_spec(spec_for(cluster, **kw)))
    return pane


def names(pane: TopicsPane) -> list[str]:
    return [pane.proxy.index(r, 0).data() for r in range(pane.proxy.rowCount())]


def confirm_dialog(pane: TopicsPane) -> TypedConfirmDialog:
    found = [d for d in pane.findChildren(TypedConfirmDialog) if d.isVisible()]
    assert found, "no confirmation dialog open"
    return found[-1]


def test_topics_pane_round_trip(qtbot: QtBot, window: MainWindow, any_cluster: Any) -> None:
    topic = f"wb-{uuid.uuid4().hex[:8]}"
    pane = open_cluster(qtbot, window, any_cluster)

    # create through the intent the dialog emits; the new topic is selected once the list is back
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "partitions"):
        pane.create_requested.emit(topic, 2, 1, {"retention.ms": "3600000"})
    assert topic in [t.name for t in pane.model.topics], window.status_label.text()
    assert pane.current == topic

    # filter
    pane.search.setText(topic[3:])
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "filter"):
        pass
    assert names(pane) == [topic]

    produce(any_cluster.bootstrap, topic, 1, 5)
    # refresh keeps the selection and reloads partitions with watermarks and counts
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "partitions"):
        pane.refresh_button.click()
    rows = pane.partition_model.rows
    assert [p.partition for p in rows] == [0, 1]
    assert all(p.leader >= 0 and p.replicas and p.isr for p in rows)
    if any_cluster.name == "tansu":
        # Tansu answers ListOffsets(latest) with 1 after one 5-record batch, though a consumer reads offsets 0-4:
        # the pane shows what the broker reports
        assert rows[1].low == 0 and rows[1].high is not None and rows[1].high >= 1
        assert rows[1].messages == rows[1].high
    else:
        assert (rows[1].low, rows[1].high, rows[1].messages) == (0, 5, 5)
        assert "5 messages" in pane.title.text()

    # configs: the override is told apart from defaults, or the pane says why there are none
    qtbot.waitUntil(lambda: bool(pane.config_model.rows) or "not available" in pane.config_note.text(),
                    timeout=WAIT)
    if pane.config_model.rows:
        retention = next(c for c in pane.config_model.rows if c.name == "retention.ms")
        assert retention.value == "3600000"
        if any_cluster.name != "tansu":  # Tansu reports every topic config with source DEFAULT_CONFIG
            assert retention.is_override
            assert any(c.is_default for c in pane.config_model.rows)
    else:
        assert "not available" in pane.config_note.text()

    # add partitions (a broker without CreatePartitions gets one clear sentence instead)
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w in ("partitions", "problem")):
        pane.add_partitions_spin.setValue(3)
        pane.add_partitions_button.click()
    qtbot.waitUntil(lambda: len(pane.partition_model.rows) == 3 or pane.banner.text != "", timeout=WAIT)
    if pane.banner.text:
        assert any_cluster.name == "tansu", pane.banner.text
        assert (pane.banner.text.startswith("Adding partitions to") and "CreatePartitions" in pane.banner.text) or \
            "not support" in pane.banner.text, pane.banner.text
    else:
        assert len(pane.partition_model.rows) == 3

    # delete records before offset 3 of partition 1 (typed confirmation)
    pane.partitions_view.selectRow(1)
    target = min(3, pane.partition_model.rows[1].high or 0)  # Tansu's high watermark is lower (see above)
    pane.delete_records_offset.setValue(target)
    pane.delete_records_button.click()
    dlg = confirm_dialog(pane)
    assert not dlg.ok.isEnabled()
    dlg.entry.setText(topic)
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "partitions"):
        dlg.ok.click()
    if any_cluster.name == "tansu":  # Tansu accepts DeleteRecords but its log start offset does not move
        assert pane.banner.text == ""
    else:
        qtbot.waitUntil(lambda: pane.partition_model.rows[1].low == target or pane.banner.text != "", timeout=WAIT)
        assert pane.partition_model.rows[1].low == target, pane.banner.text

    # delete the topic (typed confirmation)
    pane.ask_delete()
    dlg = confirm_dialog(pane)
    dlg.entry.setText(topic)
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "topics"):
        dlg.ok.click()
    qtbot.waitUntil(lambda: topic not in [t.name for t in pane.model.topics], timeout=WAIT)


def test_read_only_profile_disables_every_change(qtbot: QtBot, window: MainWindow, engine: Any) -> None:
    pane = open_cluster(qtbot, window, engine, read_only=True)
    assert window.read_only_badge.text().strip().endswith("read-only")
    for button in (pane.create_button, pane.delete_button, pane.add_partitions_button, pane.delete_records_button,
                   pane.purge_button, pane.save_configs_button, pane.remove_override_button):
        assert not button.isEnabled()
    assert not window.zk_pane.create_button.isEnabled()
    pane.ask_create()
    assert not [d for d in QApplication.topLevelWidgets() if d.isVisible() and d.windowTitle() == "Create topic"]


def test_topic_models_pass_qtmodeltester(qtmodeltester: Any, qtbot: QtBot, window: MainWindow, engine: Any) -> None:
    from workbench.services.admin import AdminService

    admin = AdminService(spec_for(engine), 10)
    import asyncio

    pane = window.topics_pane
    loop = asyncio.get_event_loop()
    task = loop.create_task(admin.create_topic("checked", 3, 1, {"retention.ms": "1000"}))
    qtbot.waitUntil(task.done, timeout=WAIT)
    pane = open_cluster(qtbot, window, engine)
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "configs"):
        pane.select("checked")
    qtmodeltester.check(pane.model)
    qtmodeltester.check(pane.proxy)
    qtmodeltester.check(pane.partition_model)
    qtmodeltester.check(pane.config_model)


class HeldResults(concurrent.futures.ThreadPoolExecutor):
    """Runs each call at once but hands its result back only when `release` is set: a metadata request that was
    answered before a change and is still in flight after it."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.answered = threading.Event()  # a call has run (its result is held)
        self.release = threading.Event()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        def held() -> Any:
            result = fn(*args, **kwargs)
            self.answered.set()
            assert self.release.wait(30), "the test never released the held result"
            return result
        return super().submit(held)


def test_a_listing_after_a_change_never_joins_metadata_read_before_it(engine: Any) -> None:
    """The race behind test_topics_pane_round_trip[tansu]'s one failure: another pane's metadata request (the brokers
    pane reads the same all-topics metadata) was in flight when a topic was created; the topics pane's refresh joined
    it and showed the list from before the creation, so the new topic never got selected."""
    async def run() -> None:
        held = HeldResults()
        admin = AdminService(spec_for(engine), 15, executor=held)
        topic = f"race-{uuid.uuid4().hex[:8]}"
        try:
            earlier = asyncio.ensure_future(admin.cluster())  # reads all-topics metadata: answered, held back
            assert await asyncio.to_thread(held.answered.wait, 30)
            await admin.create_topic(topic, 1, 1)
            listing = asyncio.ensure_future(admin.list_topics())
            held.release.set()
            await earlier
            assert topic in [t.name for t in await listing]
        finally:
            held.release.set()
            held.shutdown(wait=True)
    asyncio.run(run())
