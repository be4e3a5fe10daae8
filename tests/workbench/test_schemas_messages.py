"""Schema Registry messages in the messages and produce panes against a real registry (Apicurio, Confluent-compatible
API) and both the engine and Apache Kafka 3.9: what confluent-kafka's serialisers wrote is decoded to exactly that,
filters and key search work on the decoded form, what the pane produces with a schema is read back by
confluent-kafka's deserialisers as typed, and every bad case shows the raw bytes with its reason."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from pytestqt.qtbot import QtBot

from tests.workbench.conftest import spec_for
from tests.workbench.messages_support import WAIT, Form, make_topic, read, rows
from tests.workbench.produce_support import consume
from tests.workbench.schemas_support import cells, decoded, produce_with_serialisers
from workbench.main_window import MainWindow
from workbench.panes.messages import MessagesPane
from workbench.services.export import ExportChoice
from workbench.services.record_file import from_json
from workbench.ui.messages_model import MessagesModel

pytestmark = pytest.mark.slow
KEY, VALUE = MessagesModel.COL_KEY, MessagesModel.COL_VALUE


@pytest.fixture(scope="module", params=["engine", "kafka-3.9-zk"])
def data(request: pytest.FixtureRequest, registry: Any) -> tuple[Any, str, list[tuple[Any, Any]]]:
    cluster = request.getfixturevalue("shared_engine" if request.param == "engine" else "kafka_zk")
    topic = f"sr-{uuid.uuid4().hex[:8]}"
    make_topic(cluster.bootstrap, topic, 1)
    return cluster, topic, produce_with_serialisers(cluster.bootstrap, registry.url, topic)


@pytest.fixture
def pane(qtbot: QtBot, window: MainWindow, data: Any, registry: Any) -> Iterator[MessagesPane]:
    cluster = data[0]
    with qtbot.waitSignal(window.topics_pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "topics"):
        window.open_spec(spec_for(cluster, registry_url=registry.url))
    window.show_pane("messages")
    yield window.messages_pane


def test_serialisers_messages_decode_to_what_was_written(qtbot: QtBot, pane: MessagesPane, data: Any) -> None:
    _cluster, topic, expected = data
    assert pane.decoders == ("schema", "schema")  # a profile with a registry decodes by default
    assert "range is done" in read(qtbot, pane, Form(topic))
    keys, values = cells(qtbot, pane, KEY), cells(qtbot, pane, VALUE)
    assert [(decoded(k), decoded(v)) for k, v in zip(keys, values, strict=True)] == expected

    # the detail view: pretty JSON with the schema's type, id, subject and version
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "detail-value"):
        pane.table.selectRow(2)
    assert json.loads(pane.detail.value_view.toPlainText()) == expected[2][1]
    note = pane.detail.value_note.text()
    assert note.startswith("AVRO · schema id ") and f"{topic}-order v2" in note, note

    # key search and value filters see the decoded form (every partition is read: keys are serialised)
    read(qtbot, pane, Form(topic, key="k-proto"))
    assert rows(pane) == [(0, 5)]
    read(qtbot, pane, Form(topic, key="k-", key_mode="prefix", value='"currency":"EUR"'))
    assert rows(pane) == [(0, i) for i in range(4)]
    read(qtbot, pane, Form(topic, value='"sku":"y"'))
    assert rows(pane) == [(0, 6)]


def test_produced_with_a_schema_reads_back_as_typed(qtbot: QtBot, window: MainWindow, data: Any,
                                                    registry: Any) -> None:
    cluster, topic, _expected = data
    pane = window.produce_pane
    window.show_pane("produce")
    window.open_spec(spec_for(cluster, registry_url=registry.url))
    qtbot.waitUntil(lambda: f"{topic}-order" in pane.form.schema_versions, timeout=WAIT)
    out = f"{topic}-out"
    make_topic(cluster.bootstrap, out, 1)
    form = pane.form
    form.set_topic(out)
    form.choose_schema(f"{topic}-order", "1")
    assert form.value_schema() == (f"{topic}-order", "1")
    typed = {"id": "typed", "total": {"amount": "1234.50", "currency": "USD"}, "at": "2024-05-06T07:08:09.123+00:00",
             "day": "2024-02-29", "ref": "12345678-1234-5678-1234-567812345678", "note": 7}
    form.value.text.setPlainText(json.dumps(typed))
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w in ("finished", "problem")) as sig:
        pane.produce_button.click()
    assert sig.args == ["finished"], pane.banner.text
    record = consume(cluster.bootstrap, out, 1, 1)[0]
    sr = SchemaRegistryClient({"url": registry.url})
    got = AvroDeserializer(sr)(record.value, SerializationContext(out, MessageField.VALUE))
    sr.close()
    assert json.loads(json.dumps(got, default=str)) == {
        **typed, "total": {"amount": "1234.50", "currency": "USD"}, "at": "2024-05-06 07:08:09.123000+00:00"}

    # JSON that does not fit the schema: one sentence, nothing sent
    form.value.text.setPlainText(json.dumps({**typed, "day": "not a date"}))
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w in ("finished", "problem")) as sig:
        pane.produce_button.click()
    assert sig.args == ["problem"]
    assert "does not fit" in pane.banner.text and "'not a date' is not an ISO 8601 date" in pane.banner.text
    form.choose_schema(f"{topic}-item", "latest")
    form.value.text.setPlainText(json.dumps({"sku": "a", "qty": "three"}))
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w in ("finished", "problem")):
        pane.produce_button.click()
    assert "'three' is not of type 'integer'" in pane.banner.text


def test_bad_cases_show_raw_bytes_with_their_reason(qtbot: QtBot, window: MainWindow, shared_engine: Any,
                                                    registry_factory: Any, tmp_path: Path) -> None:
    reg = registry_factory()
    sr = SchemaRegistryClient({"url": reg.url})
    good = sr.register_schema("bad-cases-value", Schema(json.dumps({"type": "record", "name": "G", "fields": [
        {"name": "n", "type": "long"}, {"name": "s", "type": "string"}]}), "AVRO"))
    # a registry checks what it registers, but may serve a Protobuf schema as .proto text that this app cannot parse
    # (only descriptors, as confluent-kafka's serialisers register them)
    broken = sr.register_schema("broken-value", Schema('syntax = "proto3";\nmessage Broken { string x = 1; }\n',
                                                       "PROTOBUF"))
    sr.close()
    topic = f"sr-bad-{uuid.uuid4().hex[:8]}"
    make_topic(shared_engine.bootstrap, topic, 1)
    values = [
        b"\x00" + (99_999).to_bytes(4, "big") + b"\x02",  # an unknown schema id
        b"plain text, not the wire format",
        b"\x00" + good.to_bytes(4, "big") + b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",  # magic, then garbage
        b"\x00" + broken.to_bytes(4, "big") + b"\x00\x0a\x01x",  # a schema that does not parse
        b"\x00" + good.to_bytes(4, "big") + b"\x04\x04ok",  # a good one: {"n": 2, "s": "ok"}
    ]
    p = Producer({"bootstrap.servers": shared_engine.bootstrap})
    for i, v in enumerate(values):
        p.produce(topic, key=f"b-{i}".encode(), value=v, partition=0)
    assert p.flush(30) == 0
    pane = window.messages_pane
    with qtbot.waitSignal(window.topics_pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "topics"):
        window.open_spec(spec_for(shared_engine, registry_url=reg.url))
    window.show_pane("messages")
    pane.key_decoder.setCurrentIndex(pane.key_decoder.findData("string"))
    read(qtbot, pane, Form(topic))
    shown = cells(qtbot, pane, VALUE)
    assert len(shown) == 5  # nothing lost
    assert shown[0].startswith("⚠ schema id 99999 is not in the registry")
    assert shown[1].startswith("⚠ not in the Schema Registry wire format") and "plain text" in shown[1]
    assert shown[2].startswith(f"⚠ the bytes do not match AVRO schema id {good}")
    assert shown[3].startswith(f"⚠ schema id {broken} (PROTOBUF) does not parse: it is not a descriptor")
    assert json.loads(shown[4]) == {"n": 2, "s": "ok"}

    # the registry goes down: a new connection's scan still shows every message, raw, with the reason; a filter on
    # the decoded form falls back to the raw bytes
    reg.stop()
    with qtbot.waitSignal(window.topics_pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "topics"):
        window.open_spec(spec_for(shared_engine, registry_url=reg.url))
    window.show_pane("messages")
    read(qtbot, pane, Form(topic))
    down = cells(qtbot, pane, VALUE)
    assert len(down) == 5
    assert down[1].startswith("⚠ not in the Schema Registry wire format")
    for text in (down[0], down[2], down[3], down[4]):
        assert text.startswith("⚠ fetching schema id") and "refused" in text, text
    read(qtbot, pane, Form(topic, value="plain text"))
    assert rows(pane) == [(0, 1)]

    # an export keeps the bytes and adds the decoded form (or why not) beside them
    reg2 = registry_factory()
    sr = SchemaRegistryClient({"url": reg2.url})
    assert sr.register_schema("bad-cases-value", Schema(json.dumps({"type": "record", "name": "G", "fields": [
        {"name": "n", "type": "long"}, {"name": "s", "type": "string"}]}), "AVRO")) == good
    sr.close()
    with qtbot.waitSignal(window.topics_pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "topics"):
        window.open_spec(spec_for(shared_engine, registry_url=reg2.url))
    window.show_pane("messages")
    read(qtbot, pane, Form(topic))
    path = tmp_path / "out.jsonl"
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w in ("exported", "problem")):
        pane.request_export(ExportChoice("results", str(path), add_decoded=True))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 5
    assert lines[4]["value_decoded"] == {"n": 2, "s": "ok"} and lines[4]["value_schema_id"] == good
    assert [from_json(line).value for line in lines] == values  # the raw bytes, lossless
    assert "not in the Schema Registry wire format" in lines[1]["value_decode_error"]
    assert lines[1]["value"] == "plain text, not the wire format"
