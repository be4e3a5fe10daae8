"""The produce pane against the engine and Apache Kafka 3.9 (ZooKeeper mode): every option read back with a
confluent-kafka Consumer (and each batch's codec with a raw Fetch), partitioners, tombstones, delivery errors, a JSON
Lines file round trip byte-exact, a bad line named by number, repeat at a rate with cancel, templates that outlive the
window, read-only profiles, JSON validation, and qtmodeltester on the pane's models."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from tests.components.engine_proc import EngineProcess
from tests.workbench.conftest import spec_for
from tests.workbench.produce_support import batch_codecs, consume, create_topic, high_watermarks
from workbench.errors import WorkbenchError
from workbench.local_broker import LocalBroker
from workbench.main_window import MainWindow
from workbench.panes.produce import READ_ONLY_REASON, ProducePane
from workbench.services.model import TopicSummary
from workbench.services.pacing import MIN_WAIT, TokenBucket
from workbench.services.partitioner import partition_for
from workbench.services.produce import ProducerService
from workbench.services.produce_run import NOT_KNOWN, Delivery, ProduceRequest, ProduceRun
from workbench.services.record import Record
from workbench.services.record_file import RecordWriter
from workbench.store import SecretStore, Store
from workbench.ui.byte_fields import HeadersModel
from workbench.ui.delivery_model import DeliveryModel

pytestmark = pytest.mark.slow
WAIT = 60_000


@pytest.fixture
def engine_mod(shared_engine: EngineProcess) -> EngineProcess:
    """The session's shared engine (every test here uses topics of its own)."""
    return shared_engine


@pytest.fixture(params=["engine", "kafka-3.9-zk"])
def cluster(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue("engine_mod" if request.param == "engine" else "kafka_zk")


def topic_name() -> str:
    return f"produce-{uuid.uuid4().hex[:8]}"


def choose(box: QComboBox, data: str) -> None:
    at = box.findData(data)
    assert at >= 0, f"{data!r} not offered by {box.objectName()}"
    box.setCurrentIndex(at)


def open_pane(qtbot: QtBot, window: MainWindow, cluster: Any, topic: str | None = None, **kw: Any) -> ProducePane:
    pane = window.produce_pane
    window.show_pane("produce")
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "topics"):
        window.open_spec(spec_for(cluster, **kw))
    if topic is not None:
        pane.form.set_topic(topic)
    return pane


def run(qtbot: QtBot, pane: ProducePane, action: Any = None) -> str:
    """Start a run (click Produce unless told otherwise) and wait until it finished or failed; which one."""
    outcome: list[str] = []
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w in ("finished", "problem",
                                                                                      "invalid")) as blocker:
        (action or pane.produce_button.click)()
    outcome.append(str(blocker.args[0]) if blocker.args else "")
    return outcome[0]


def deliveries(pane: ProducePane) -> list[Delivery]:
    return [pane.model.delivery(r) for r in range(pane.model.rowCount())]


def fill(pane: ProducePane, key: str | None, value: str, *, mode: str = "text", headers: list[tuple[str, str, str]]
         | None = None, partition: str | int = "murmur2", timestamp: int = 0, compression: str = "none",
         acks: str = "all", repeat: int = 1, rate: int = 0, tombstone: bool = False) -> None:
    f = pane.form
    choose(f.key_encoding, "null" if key is None else "text")
    f.key.setText(key or "")
    f.value.set_mode(mode)
    f.value.text.setPlainText(value)
    f.tombstone.setChecked(tombstone)
    f.headers.set_state([{"name": n, "value": v, "encoding": e} for n, v, e in headers or []])
    if isinstance(partition, int):
        choose(f.partition_choice, "explicit")
        f.partition.setValue(partition)
    else:
        choose(f.partition_choice, partition)
    if timestamp:
        choose(f.timestamp_choice, "fixed")
        f.timestamp.setDateTime(QDateTime.fromMSecsSinceEpoch(timestamp))
    else:
        choose(f.timestamp_choice, "now")
    choose(f.compression, compression)
    choose(f.acks, acks)
    f.repeat.setValue(repeat)
    f.rate.setValue(rate)


# -- every option, read back -------------------------------------------------------------------------------------------

RUNS = [("none", "all"), ("gzip", "1"), ("snappy", "0"), ("lz4", "all"), ("zstd", "1")]
HEADERS = [("trace", "abc", "text"), ("trace", "AAEC/w==", "base64"), ("gone", "", "null"), ("hex", "00ff", "hex")]
HEADER_BYTES = (("trace", b"abc"), ("trace", b"\x00\x01\x02\xff"), ("gone", None), ("hex", b"\x00\xff"))


def test_every_option_is_produced_as_asked(qtbot: QtBot, window: MainWindow, cluster: Any) -> None:
    topic = topic_name()
    create_topic(cluster.bootstrap, topic, len(RUNS))
    pane = open_pane(qtbot, window, cluster, topic)
    assert pane.form.topic_info.text() == f"{len(RUNS)} partitions"
    base = 1_700_000_000_000

    # one run per compression (each into its own partition, with its own acks): key, JSON value, headers with a
    # repeated name and a null value, explicit partition, fixed CreateTime, repeated 3 times
    for i, (compression, acks) in enumerate(RUNS):
        fill(pane, f"key-{i}", json.dumps({"n": i, "text": "héllo"}), mode="json", headers=HEADERS, partition=i,
             timestamp=base + i, compression=compression, acks=acks, repeat=3)
        assert run(qtbot, pane) == "finished", pane.banner.problem and pane.banner.problem.detail
        summary = pane.last_summary
        assert summary is not None and (summary.sent, summary.delivered, summary.failed) == (3, 3, 0)
        got = deliveries(pane)
        assert [d.number for d in got] == [1, 2, 3]
        assert {d.partition for d in got} == {i}
        if acks == "0":  # no answer from the broker: the offset is not known, and the table says so
            assert {d.offset for d in got} == {NOT_KNOWN}
            assert pane.model.index(0, 4).data() == "✔ sent (acks=0: no offset)"
        else:
            assert [d.offset for d in got] == [0, 1, 2]
            assert pane.model.index(0, 4).data() == "✔ delivered"
        assert {d.timestamp for d in got} == {base + i}
        assert "3 sent, 3 delivered, 0 failed" in pane.summary.text()

    records = consume(cluster.bootstrap, topic, len(RUNS), 3 * len(RUNS))
    for i, (compression, _acks) in enumerate(RUNS):
        mine = [r for r in records if r.partition == i]
        assert [r.offset for r in mine] == [0, 1, 2]
        for r in mine:
            assert r.key == f"key-{i}".encode()
            assert json.loads(r.value or b"") == {"n": i, "text": "héllo"}
            assert r.headers == HEADER_BYTES
            assert (r.timestamp, r.timestamp_type_name) == (base + i, "CreateTime")
        codecs = batch_codecs(cluster.bootstrap, topic, i)
        assert codecs and set(codecs) == {compression}, (compression, codecs)

    # partitioners: the partition each one picks is the one partitioner.py computes (what the messages pane's key
    # search relies on); a null key with `consistent` goes to partition 0; the producer's clock stamps CreateTime
    keys = [b"user-42", b"order-7", b"", b"\xff\xfe"]
    before = int(time.time() * 1000) - 1
    expected: list[int] = []
    for name in ("murmur2", "consistent_random", "consistent"):
        for key in keys:
            want = partition_for(key, len(RUNS), name)
            if want is None:
                continue  # empty keys are spread at random by this partitioner
            choose(pane.form.key_encoding, "hex")
            pane.form.key.setText(key.hex())
            choose(pane.form.partition_choice, name)
            assert pane.form.partition_note.text() == f"→ partition {want} of {len(RUNS)} for this key"
            fill_keep_key = pane.form.key.text()
            assert fill_keep_key == key.hex()
            choose(pane.form.timestamp_choice, "now")
            pane.form.repeat.setValue(1)
            assert run(qtbot, pane) == "finished", pane.banner.problem and pane.banner.problem.detail
            assert [d.partition for d in deliveries(pane)] == [want], (name, key)
            expected.append(want)
    choose(pane.form.key_encoding, "null")
    choose(pane.form.partition_choice, "consistent")
    assert run(qtbot, pane) == "finished"
    assert [d.partition for d in deliveries(pane)] == [0]
    after = int(time.time() * 1000) + 1
    late = consume(cluster.bootstrap, topic, len(RUNS), 3 * len(RUNS) + len(expected) + 1)
    stamped = [r for r in late if r.timestamp != 0 and not base <= r.timestamp < base + len(RUNS)]
    assert len(stamped) == len(expected) + 1
    assert all(before <= r.timestamp <= after and r.timestamp_type_name == "CreateTime" for r in stamped)


def test_tombstones_empty_values_and_delivery_errors(qtbot: QtBot, window: MainWindow, engine_mod: Any,
                                                      tmp_path: Path) -> None:
    topic = topic_name()
    create_topic(engine_mod.bootstrap, topic, 1, {"max.message.bytes": "2000"})
    pane = open_pane(qtbot, window, engine_mod, topic)

    fill(pane, "k", "ignored", tombstone=True)
    assert not pane.form.value.isEnabled()
    assert run(qtbot, pane) == "finished"
    fill(pane, "", "")  # an empty key and an empty value are not null
    assert run(qtbot, pane) == "finished"
    # a value's bytes from a file, read by the controller off the GUI thread
    blob = tmp_path / "blob.bin"
    blob.write_bytes(bytes(range(256)) * 4)
    fill(pane, "file", "")
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "value"):
        pane.value_file_requested.emit(str(blob))
    assert pane.form.value.status.text() == "1.0 KiB from blob.bin"
    assert run(qtbot, pane) == "finished"
    records = consume(engine_mod.bootstrap, topic, 1, 3)
    assert [(r.key, r.value) for r in records] == [(b"k", None), (b"", b""), (b"file", blob.read_bytes())]

    # the broker refuses a batch over the topic's max.message.bytes: each message gets the error in one sentence
    fill(pane, "big", "x" * 5000, repeat=2)
    assert run(qtbot, pane) == "finished"
    got = deliveries(pane)
    assert len(got) == 2 and all(d.error for d in got)
    assert {d.error for d in got} == {"The message, or the batch it was sent in, is larger than the topic's "
                                      "max.message.bytes allows (MSG_SIZE_TOO_LARGE)."}
    assert {(d.partition, d.offset) for d in got} == {(0, NOT_KNOWN)}
    assert pane.model.index(0, 3).data() == pane.model.index(0, 2).data() == "—"
    assert "2 sent, 0 delivered, 2 failed" in pane.summary.text()
    assert pane.model.index(0, 4).data().startswith("✖ ")
    pane.failures_only.setChecked(True)
    assert pane.model.rowCount() == 2

    # a topic that does not exist is one sentence before anything is sent (producing never creates topics)
    pane.form.set_topic("no-such-topic")
    fill(pane, "k", "v")
    assert run(qtbot, pane) == "problem"
    assert pane.banner.text.startswith("Topic no-such-topic does not exist"), pane.banner.text
    assert pane.model.rowCount() == 0

    # a topic whose timestamps are the broker's: the results say so
    broker_time = topic_name()
    create_topic(engine_mod.bootstrap, broker_time, 1, {"message.timestamp.type": "LogAppendTime"})
    pane.form.set_topic(broker_time)
    fill(pane, "k", "v", timestamp=1_600_000_000_000)
    assert run(qtbot, pane) == "finished"
    got = deliveries(pane)
    assert got[0].timestamp_type == 2 and got[0].timestamp > 1_600_000_000_000
    assert pane.model.index(0, 3).data().endswith("(broker time)")


def test_json_validation_names_the_position(qtbot: QtBot) -> None:
    pane = ProducePane()
    qtbot.addWidget(pane)
    pane.set_connected(True)
    asked: list[Any] = []
    pane.produce_requested.connect(asked.append)
    pane.form.set_topic("t")
    pane.form.value.set_mode("json")
    pane.form.value.text.setPlainText('{\n  "a": 1,\n  "b": [1, 2,, 3]\n}')
    pane.request_produce()
    assert asked == []
    assert pane.banner.text == "The value is not valid JSON: Expecting value at line 3, column 14."
    assert pane.form.value.status.text() == "✖ Not valid JSON: Expecting value at line 3, column 14."
    cursor = pane.form.value.text.textCursor()
    assert (cursor.blockNumber() + 1, cursor.positionInBlock() + 1) == (3, 14)
    assert pane.form.value.text.extraSelections()  # the offending character is highlighted

    pane.form.value.text.setPlainText('{"a": 1, "b": [1, 2, 3]}')
    pane.form.value.check()
    assert pane.form.value.status.text() == "✔ Valid JSON"
    pane.form.value.format_json()
    assert pane.form.value.text.toPlainText().startswith('{\n  "a": 1,')
    pane.request_produce()
    assert len(asked) == 1 and json.loads(asked[0].record.value) == {"a": 1, "b": [1, 2, 3]}

    # an explicit partition the topic lacks is named before anything is sent
    pane.set_topics([TopicSummary("t", 2, 1, False)])
    choose(pane.form.partition_choice, "explicit")
    pane.form.partition.setValue(5)
    assert pane.form.partition_note.text() == "Topic t has no partition 5 (it has 0–1)."
    pane.request_produce()
    assert pane.banner.text == "Topic t has 2 partition(s) (0–1); there is no partition 5."
    choose(pane.form.partition_choice, "murmur2")

    # other encodings say what is wrong too
    pane.form.value.set_mode("base64")
    pane.form.value.text.setPlainText("not base64!")
    pane.request_produce()
    assert pane.banner.text.startswith("The value is not valid base64")
    pane.form.value.set_mode("text")
    choose(pane.form.key_encoding, "hex")
    pane.form.key.setText("zz")
    pane.request_produce()
    assert pane.banner.text.startswith("The key is not valid hex")
    assert len(asked) == 1


# -- JSON Lines files --------------------------------------------------------------------------------------------------

def binary_records(topic: str, partitions: int, count: int) -> list[Record]:
    out = []
    for i in range(count):
        key: bytes | None = [bytes([i % 256, 0, 255]), b"", None, f"k{i}".encode()][i % 4]
        value: bytes | None = None if i % 7 == 3 else bytes(range(i % 256)) + b"\x80\xff" + str(i).encode()
        headers: tuple[tuple[str, bytes | None], ...] = (("h", b"\x00\x01"), ("h", None), ("utf", "é".encode()))
        out.append(Record(topic, i % partitions, i // partitions, 1_650_000_000_000 + i, 1, key, value,
                          headers if i % 3 else ()))
    return out


def test_jsonl_file_round_trips_byte_exact(qtbot: QtBot, window: MainWindow, cluster: Any, tmp_path: Path) -> None:
    topic = topic_name()
    create_topic(cluster.bootstrap, topic, 3)
    originals = binary_records("some-other-topic", 3, 60)
    path = tmp_path / "records.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        writer = RecordWriter(f)
        writer.write(originals[:30])
        f.write("\n")  # a blank line is allowed (and still counted as a line)
        RecordWriter(f, always_base64=True).write(originals[30:])
    pane = open_pane(qtbot, window, cluster, topic)
    choose(pane.form.compression, "lz4")
    assert run(qtbot, pane, lambda: pane.request_produce_file(str(path))) == "finished", pane.banner.text
    assert pane.model.headerData(0, Qt.Orientation.Horizontal) == "Line"
    got = deliveries(pane)
    assert sorted(d.number for d in got) == [*range(1, 31), *range(32, 62)]  # line numbers, past the blank one
    assert all(not d.error for d in got)
    back = consume(cluster.bootstrap, topic, 3, len(originals))
    # the file's partition and CreateTime are kept; offsets follow the file's order within each partition
    assert [(r.partition, r.offset, r.timestamp, r.timestamp_type, r.key, r.value, r.headers) for r in back] == \
        sorted((o.partition, o.offset, o.timestamp, o.timestamp_type, o.key, o.value, o.headers) for o in originals)
    # lz4 as asked; librdkafka sends a batch uncompressed when compressing would not make it smaller, which for these
    # short binary values depends on how the records happened to be batched
    codecs = batch_codecs(cluster.bootstrap, topic, 0)
    assert "lz4" in codecs and set(codecs) <= {"lz4", "none"}, codecs


def test_bad_file_line_is_named_and_nothing_is_produced(qtbot: QtBot, window: MainWindow, engine_mod: Any,
                                                         tmp_path: Path) -> None:
    topic = topic_name()
    create_topic(engine_mod.bootstrap, topic, 2)
    pane = open_pane(qtbot, window, engine_mod, topic)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"value": "one"}\n{"value": "two", "key": "k"}\n{"value": "x", "value_encoding": "base64"}\n'
                   '{"value": "four"}\n', encoding="utf-8")
    assert run(qtbot, pane, lambda: pane.request_produce_file(str(bad))) == "problem"
    assert pane.banner.text.startswith("bad.jsonl: line 3: value is not valid base64 (")
    assert pane.banner.text.endswith("). Nothing was produced.")
    not_json = tmp_path / "not-json.jsonl"
    not_json.write_text('{"value": "one"}\n\n{"value": "two"\n', encoding="utf-8")
    assert run(qtbot, pane, lambda: pane.request_produce_file(str(not_json))) == "problem"
    assert pane.banner.text.startswith("not-json.jsonl: line 3 is not JSON: Expecting ',' delimiter"), \
        pane.banner.text
    too_far = tmp_path / "partition.jsonl"
    too_far.write_text('{"value": "a", "partition": 1}\n{"value": "b", "partition": 5}\n', encoding="utf-8")
    assert run(qtbot, pane, lambda: pane.request_produce_file(str(too_far))) == "problem"
    assert pane.banner.text == (f"Topic {topic} has 2 partitions (0–1) but line 2 of partition.jsonl asks for "
                                "partition 5. Nothing was produced.")
    assert high_watermarks(engine_mod.bootstrap, topic, 2) == [0, 0]


# -- repeat at a rate, cancel ------------------------------------------------------------------------------------------

def test_token_bucket_paces_without_waking_per_message() -> None:
    bucket = TokenBucket(1000, now=0.0)
    assert bucket.delay(0.0) == 0.0  # the first goes at once
    assert bucket.delay(0.0) == MIN_WAIT  # then a wait of at least MIN_WAIT, not 1 ms per message
    sent, now = 1, 0.0
    while now < 1.0:
        wait = bucket.delay(now)
        if wait:
            now += wait
        else:
            sent += 1
    assert 995 <= sent <= 1011  # the asked rate, within the burst
    with pytest.raises(ValueError):
        TokenBucket(0, now=0.0)


def test_repeat_at_a_rate_with_progress_and_cancel(qtbot: QtBot, window: MainWindow, engine_mod: Any) -> None:
    topic = topic_name()
    create_topic(engine_mod.bootstrap, topic, 4)
    pane = open_pane(qtbot, window, engine_mod, topic)
    fill(pane, None, "tick", repeat=400, rate=1000)
    started = time.monotonic()
    assert run(qtbot, pane) == "finished"
    took = time.monotonic() - started
    summary = pane.last_summary
    assert summary is not None and (summary.sent, summary.delivered, summary.failed) == (400, 400, 0)
    assert took >= 0.3, f"400 messages at 1,000/s took {took:.2f} s"
    assert 300 <= summary.rate <= 1100, summary.rate
    assert pane.progress.value() == pane.progress.maximum() == 400
    assert pane.model.rowCount() == 400 and sorted(d.number for d in deliveries(pane)) == list(range(1, 401))

    fill(pane, None, "slow", repeat=10_000, rate=200)
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "finished"):
        pane.produce_button.click()
        assert not pane.produce_button.isEnabled() and pane.cancel_button.isEnabled()
        assert not pane.form.isEnabled()
        qtbot.waitUntil(lambda: pane.model.rowCount() >= 20, timeout=WAIT)
        assert "of 10,000 reported" in pane.progress.format()
        pane.cancel_button.click()
    summary = pane.last_summary
    assert summary is not None and summary.cancelled
    assert 20 <= summary.sent < 10_000 and summary.delivered + summary.failed == summary.sent
    assert summary.not_sent == 10_000 - summary.sent
    assert pane.summary.text().startswith("Cancelled.") and f"{summary.not_sent:,} not sent" in pane.summary.text()
    assert pane.model.rowCount() == summary.sent
    assert pane.produce_button.isEnabled() and not pane.cancel_button.isEnabled()


# -- templates, produce again, read-only -------------------------------------------------------------------------------

def test_templates_outlive_the_window(qtbot: QtBot, window: MainWindow, engine_mod: Any, store: Store,
                                      home: Path) -> None:
    pane = open_pane(qtbot, window, engine_mod, "orders")
    fill(pane, "user-1", '{"total": 12.5}', mode="json", headers=HEADERS, partition=2, timestamp=1_700_000_000_000,
         compression="zstd", acks="1", repeat=50, rate=25)
    pane.form.value.set_bytes(b"\x00\x01binary", "blob.bin")
    state = pane.form.state()
    with qtbot.waitSignal(pane.shown, check_params_cb=lambda w: w == "templates"):
        pane.template_save_requested.emit("order for user 1", state)
    assert pane.templates.currentText() == "order for user 1"
    window.shutdown()

    again = MainWindow(Store(home / "workbench.db", SecretStore()), LocalBroker(home / "local-broker"))
    qtbot.addWidget(again)
    try:
        p2 = again.produce_pane
        assert [p2.templates.itemText(i) for i in range(p2.templates.count())] == ["order for user 1"]
        with qtbot.waitSignal(p2.shown, timeout=WAIT, check_params_cb=lambda w: w == "topics"):
            again.open_spec(spec_for(engine_mod))
        assert p2.load_template_button.isEnabled()
        with qtbot.waitSignal(p2.shown, check_params_cb=lambda w: w == "template"):
            p2.load_template_button.click()
        assert p2.form.state() == state
        record = p2.form.record()
        assert (record.key, record.value, record.partition, record.timestamp) == \
            (b"user-1", b"\x00\x01binary", 2, 1_700_000_000_000)
        assert record.headers == HEADER_BYTES
        with qtbot.waitSignal(p2.shown, check_params_cb=lambda w: w == "templates"):
            p2.delete_template_button.click()
        assert p2.templates.count() == 0 and again.store.template_names() == []
    finally:
        again.shutdown()
        again.store.close()


def test_load_record_fills_the_form_for_produce_again(qtbot: QtBot) -> None:
    pane = ProducePane()
    qtbot.addWidget(pane)
    pane.set_connected(True)
    consumed = Record("orders", 3, 41, 1_700_000_000_000, 1, b"\xff\x00key", b'{"id": 7}',
                      (("h", b"1"), ("h", None), ("bin", b"\x80")))
    pane.load_record(consumed)
    assert "offset 41 of orders partition 3" in pane.banner.text
    assert pane.form.value.current_mode == "json"
    record = pane.form.record()
    assert (record.topic, record.partition, record.key, record.value, record.headers) == \
        ("orders", 3, consumed.key, consumed.value, consumed.headers)
    assert record.timestamp == 0  # sent now, not with the old timestamp
    pane.load_record(Record("orders", 0, 1, 1, 1, None, None))
    assert pane.form.tombstone.isChecked() and pane.form.record().value is None and pane.form.record().key is None
    big = bytes(range(256)) * 5000  # over a megabyte of binary: kept as bytes, not put in the text box
    pane.load_record(Record("orders", 0, 2, 1, 1, b"k", big))
    assert pane.form.value.current_mode == "bytes" and pane.form.value.text.toPlainText() == ""
    assert pane.form.record().value == big


def test_read_only_profile_disables_producing(qtbot: QtBot, window: MainWindow, engine_mod: Any) -> None:
    pane = open_pane(qtbot, window, engine_mod, "anything", read_only=True)
    assert pane.banner.text == READ_ONLY_REASON
    for w in (pane.produce_button, pane.produce_file_button, pane.save_template_button, pane.form):
        assert not w.isEnabled()
    assert pane.produce_button.toolTip() == READ_ONLY_REASON
    asked: list[Any] = []
    pane.produce_requested.connect(asked.append)
    pane.request_produce()
    pane.request_produce_file("/dev/null")
    assert asked == []
    # the service refuses too, whoever calls it
    assert window.produce_ctl.read_only
    with qtbot.waitSignal(pane.shown, check_params_cb=lambda w: w == "problem"):
        window.produce_ctl.produce(ProduceRequest("t", Record("t", -1, -1, 0, 1, None, b"v")))
    assert pane.banner.text == "This connection profile is read-only: producing is disabled."
    service = ProducerService(spec_for(engine_mod, read_only=True))
    task = asyncio.get_event_loop().create_task(service.produce(ProduceRequest("t", Record("t", -1, -1, 0, 1, None,
                                                                                              b"v")), ProduceRun(),
                                                                  print))
    qtbot.waitUntil(task.done, timeout=WAIT)
    assert isinstance(task.exception(), WorkbenchError)
    assert str(task.exception()) == f"The connection {engine_mod.name} is read-only: producing is disabled."
    # a writable profile enables it again
    open_pane(qtbot, window, engine_mod)
    assert pane.produce_button.isEnabled() and pane.form.isEnabled() and pane.banner.text == ""


# -- models ------------------------------------------------------------------------------------------------------------

def test_models_pass_qtmodeltester(qtmodeltester: Any) -> None:
    model = DeliveryModel(max_rows=50)
    model.append([Delivery(i, i % 3, i, 1_700_000_000_000 + i, 1) for i in range(1, 31)])
    model.append([Delivery(31, 0, NOT_KNOWN, 0, 0, "The message was not delivered in time."),
                  *[Delivery(i, 1, i, 5, 2) for i in range(32, 41)]])
    qtmodeltester.check(model)
    model.set_failures_only(True)
    assert model.rowCount() == 1 and model.index(0, 4).data() == "✖ The message was not delivered in time."
    qtmodeltester.check(model)
    model.append([Delivery(41, 0, NOT_KNOWN, 0, 0, "Cancelled before it was sent."),
                  Delivery(42, 0, 42, 1, 1)])
    assert model.rowCount() == 2
    model.set_failures_only(False)
    # past max_rows only failures are kept
    model.append([Delivery(i, 0, i, 1, 1, "" if i % 10 else "boom") for i in range(43, 100)])
    assert model.stored == 42 + 8 + 4 and model.left_out == 57 - 8 - 4  # 60, 70, 80, 90 kept past the cap
    qtmodeltester.check(model)

    headers = HeadersModel()
    headers.add("a", "1")
    headers.add("a", "", "null")
    headers.add("b", "AAE=", "base64")
    qtmodeltester.check(headers)
    assert headers.to_headers() == (("a", b"1"), ("a", None), ("b", b"\x00\x01"))
    assert headers.index(1, 1).data() == "(null)"
