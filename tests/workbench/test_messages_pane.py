"""The messages pane against the engine and Apache Kafka 3.9 (ZooKeeper mode): every start position, stop
condition, filter and decoder on a known data set; the detail view; problems in one sentence; qtmodeltester."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.workbench.conftest import spec_for
from tests.workbench.messages_support import (
    BASE_TS,
    PARTITIONS,
    PER_PARTITION,
    WAIT,
    Form,
    cell,
    dataset,
    fill,
    make_topic,
    produce_records,
    read,
    rows,
    where,
)
from workbench.main_window import MainWindow
from workbench.panes.messages import MessagesPane
from workbench.services.record import Record
from workbench.ui.messages_model import MessagesModel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["engine", "kafka-3.9-zk"])
def data(request: pytest.FixtureRequest) -> tuple[Any, str, list[Record]]:
    cluster = request.getfixturevalue("shared_engine" if request.param == "engine" else "kafka_zk")
    topic = f"scan-{uuid.uuid4().hex[:8]}"
    make_topic(cluster.bootstrap, topic)
    records = dataset(topic)
    produce_records(cluster.bootstrap, records)
    return cluster, topic, records


@pytest.fixture
def pane(qtbot: QtBot, window: MainWindow, data: tuple[Any, str, list[Record]]) -> Iterator[MessagesPane]:
    cluster, _topic, _records = data
    with qtbot.waitSignal(window.topics_pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "topics"):
        window.open_spec(spec_for(cluster))
    window.show_pane("messages")
    yield window.messages_pane


HIGH = {p: PER_PARTITION + (5 if p == 0 else 0) for p in range(PARTITIONS)}


def test_start_positions(qtbot: QtBot, pane: MessagesPane, data: tuple[Any, str, list[Record]]) -> None:
    _c, topic, records = data
    assert "range is done" in read(qtbot, pane, Form(topic))
    assert sorted(rows(pane)) == where(records, lambda r: True)
    assert pane.progress.model.rows and all(p.done for p in pane.progress.model.rows)

    read(qtbot, pane, Form(topic, start="newest", start_value=3))
    assert sorted(rows(pane)) == where(records, lambda r: r.offset >= HIGH[r.partition] - 3)

    read(qtbot, pane, Form(topic, start="offset", start_value=18))
    assert sorted(rows(pane)) == where(records, lambda r: r.offset >= 18)

    read(qtbot, pane, Form(topic, start="offset", start_value=10_000))  # past the end: clamped, nothing to read
    assert rows(pane) == []

    t = BASE_TS + 10_000
    read(qtbot, pane, Form(topic, start="timestamp", start_value=t))
    assert sorted(rows(pane)) == where(records, lambda r: r.timestamp >= t)

    read(qtbot, pane, Form(topic, partitions="1, 2"))
    assert sorted(rows(pane)) == where(records, lambda r: r.partition in (1, 2))
    assert [p.partition for p in pane.progress.model.rows] == [1, 2]


def test_stop_conditions(qtbot: QtBot, pane: MessagesPane, data: tuple[Any, str, list[Record]]) -> None:
    _c, topic, records = data
    read(qtbot, pane, Form(topic, stop="offset", stop_value=4))
    assert sorted(rows(pane)) == where(records, lambda r: r.offset <= 4)

    t = BASE_TS + 5_000
    read(qtbot, pane, Form(topic, stop="timestamp", stop_value=t))
    assert sorted(rows(pane)) == where(records, lambda r: r.timestamp <= t)

    said = read(qtbot, pane, Form(topic, limit=7))
    assert len(rows(pane)) == 7 and "result limit of 7" in said

    said = read(qtbot, pane, Form(topic, budget_messages=11))
    assert len(rows(pane)) == 11 and "budget of 11 messages" in said
    assert sum(p.read for p in pane.progress.model.rows) == 11

    said = read(qtbot, pane, Form(topic, budget_mib=1, partitions="0"))
    assert "range is done" in said  # the whole partition is far below 1 MiB


def test_live_tail_and_cancel(qtbot: QtBot, pane: MessagesPane, data: tuple[Any, str, list[Record]]) -> None:
    cluster, _topic, _records = data
    topic = f"live-{uuid.uuid4().hex[:8]}"  # its own topic: the shared data set stays as it is
    make_topic(cluster.bootstrap, topic)
    produce_records(cluster.bootstrap, dataset(topic)[:5])
    fill(pane, Form(topic, start="end", stop="live", limit=None))
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "started"):
        pane.read_button.click()
    assert pane.cancel_button.isEnabled() and not pane.read_button.isEnabled()
    fresh = [Record(topic, p, 0, BASE_TS + 99_000 + p, 1, f"new-{p}".encode(), b"fresh", ()) for p in range(3)]
    produce_records(cluster.bootstrap, fresh)
    qtbot.waitUntil(lambda: len(rows(pane)) == 3, timeout=WAIT)
    assert sorted(cell(pane, r, MessagesModel.COL_KEY) for r in range(3)) == ["new-0", "new-1", "new-2"]
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "finished"):
        pane.cancel_button.click()
    assert "cancelled" in pane.progress.reason_text
    assert len(rows(pane)) == 3, "what was found stays"
    assert pane.read_button.isEnabled()


@pytest.mark.parametrize(("form", "pred"), [
    (dict(key="user-3"), lambda r: r.key == b"user-3"),
    (dict(key="user-3", scan_all=True), lambda r: r.key == b"user-3"),
    (dict(key="user-", key_mode="prefix"), lambda r: r.key is not None and r.key.startswith(b"user-")),
    (dict(key="bin", key_mode="contains"), lambda r: r.key is not None and b"bin" in r.key),
    (dict(key=r"^user-[12]$", key_mode="regex"), lambda r: r.key in (b"user-1", b"user-2")),
    (dict(value='"kind": "odd"'), lambda r: r.value is not None and b'"kind": "odd"' in r.value),
    (dict(value=r'"i": 1\d', value_mode="regex"), lambda r: r.value is not None and b'"i": 1' in r.value
     and r.value[r.value.index(b'"i": 1') + 6:r.value.index(b'"i": 1') + 7].isdigit()),
    (dict(header_name="src", header_value="web"), lambda r: (("src", b"web") in r.headers)),
    (dict(header_name="dup"), lambda r: any(k == "dup" for k, _ in r.headers)),
    (dict(ts_from=BASE_TS + 3_000, ts_to=BASE_TS + 6_000), lambda r: BASE_TS + 3_000 <= r.timestamp <= BASE_TS + 6_000),
], ids=["key-exact-pruned", "key-exact-all", "key-prefix", "key-contains", "key-regex", "value-contains",
        "value-regex", "header-value", "header-name", "time-range"])
def test_filters(qtbot: QtBot, pane: MessagesPane, data: tuple[Any, str, list[Record]], form: dict[str, Any],
                 pred: Any) -> None:
    _c, topic, records = data
    said = read(qtbot, pane, Form(topic, partitioner="consistent_random", **form))
    assert "range is done" in said, said
    expected = where(records, pred)
    found = sorted(rows(pane))
    if form.get("key") == "user-3" and not form.get("scan_all"):
        # the data set puts records in partitions explicitly: the pruned search reads only the key's partition
        scanned = [p.partition for p in pane.progress.model.rows]
        assert len(scanned) == 1 and "by the consistent_random partitioner" in pane.progress.note.text()
        expected = [e for e in expected if e[0] == scanned[0]]
    assert found == expected and found


def test_decoders_and_detail(qtbot: QtBot, pane: MessagesPane, data: tuple[Any, str, list[Record]]) -> None:
    _c, topic, _records = data
    read(qtbot, pane, Form(topic, partitions="0", start="offset", start_value=PER_PARTITION))
    assert [o for _p, o in rows(pane)] == [20, 21, 22, 23, 24]
    key, value = MessagesModel.COL_KEY, MessagesModel.COL_VALUE
    assert cell(pane, 0, key) == "\\x00\\xffbin"  # invalid UTF-8 is shown as escapes, never dropped
    assert cell(pane, 0, value) == "\\xff\\xfe not utf8"
    assert cell(pane, 1, key) == "(null)" and cell(pane, 2, value) == "(null)"
    assert cell(pane, 2, MessagesModel.COL_SIZE) == "null"
    assert cell(pane, 4, MessagesModel.COL_HEADERS) == "dup=1, dup=(null), dup=3"

    pane.value_decoder.setCurrentIndex(pane.value_decoder.findData("hex"))
    assert cell(pane, 0, value) == "ff fe 20 6e 6f 74 20 75 74 66 38"
    pane.value_decoder.setCurrentIndex(pane.value_decoder.findData("base64"))
    assert cell(pane, 4, value) == "cGxhaW4gdGV4dA=="
    pane.value_decoder.setCurrentIndex(pane.value_decoder.findData("int"))
    assert cell(pane, 3, value) == "123456789"
    assert cell(pane, 4, value).startswith("⚠ 10 bytes are not a big-endian integer")
    pane.value_decoder.setCurrentIndex(pane.value_decoder.findData("json"))
    assert cell(pane, 1, value) == '{"i": 21, "nested": {"a": [1, 2]}}'
    assert cell(pane, 4, value).startswith("⚠ not JSON")

    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "detail-value"):
        pane.table.selectRow(1)
    assert pane.detail.value_view.toPlainText() == json.dumps({"i": 21, "nested": {"a": [1, 2]}}, indent=2)
    assert pane.detail.key_view.toPlainText() == "(null)"
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "detail-value"):
        pane.table.selectRow(4)
    assert pane.detail.headers_model.rows == [("dup", "1", "1"), ("dup", "(null)", "null"), ("dup", "3", "1")]
    assert "not JSON" in pane.detail.value_note.text() and pane.detail.value_view.toPlainText() == "plain text"
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "detail-value"):
        pane.detail.value_decoder.setCurrentIndex(pane.detail.value_decoder.findData("hex"))
    assert pane.detail.value_view.toPlainText() == "70 6c 61 69 6e 20 74 65 78 74"


def test_problems_in_one_sentence(qtbot: QtBot, pane: MessagesPane, data: tuple[Any, str, list[Record]]) -> None:
    _c, topic, _records = data
    said = read(qtbot, pane, Form(topic, key="(", key_mode="regex"))
    assert said.startswith("The key regex is not valid")
    said = read(qtbot, pane, Form(topic, partitions="0, 7"))
    assert "there is no partition 7" in said
    said = read(qtbot, pane, Form(f"missing-{uuid.uuid4().hex[:6]}"))
    assert "does not exist" in said or "not exist" in said, said
    said = read(qtbot, pane, Form(topic, start="offset"))
    assert said == "Start: enter a number."


def test_models(qtmodeltester: Any, qtbot: QtBot, pane: MessagesPane, data: tuple[Any, str, list[Record]]) -> None:
    _c, topic, _records = data
    read(qtbot, pane, Form(topic))
    qtmodeltester.check(pane.model)
    qtmodeltester.check(pane.progress.model)
