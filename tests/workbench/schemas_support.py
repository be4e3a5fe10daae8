"""Messages written by confluent-kafka's own Schema Registry serialisers (Avro, Protobuf, JSON Schema; keys and values;
several versions; a schema reference), and helpers to read what the messages pane shows of them."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, timestamp_pb2
from google.protobuf.message_factory import GetMessageClass
from pytestqt.qtbot import QtBot

from workbench.panes.messages import MessagesPane
from workbench.services.schema_codec import to_json

KEY_SCHEMA = {"type": "string"}
MONEY = {"type": "record", "name": "Money", "namespace": "shop", "fields": [
    {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}},
    {"name": "currency", "type": "string"}]}
ORDER_V1 = {"type": "record", "name": "Order", "namespace": "shop", "fields": [
    {"name": "id", "type": "string"},
    {"name": "total", "type": "shop.Money"},
    {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "note", "type": ["null", "string", "long"], "default": None}]}
ORDER_V2 = {**ORDER_V1, "fields": [*ORDER_V1["fields"], {"name": "tags", "type": {"type": "array", "items": "string"},
                                                         "default": []}]}
JSON_SCHEMA = {"type": "object", "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"},
                                                "dims": {"type": "array", "items": {"type": "number"}}},
               "required": ["sku", "qty"], "additionalProperties": False}


def proto_classes() -> tuple[Any, Any]:
    """shop.Shipment (with a nested Line and a well-known Timestamp) and its nested type, built at run time."""
    fdp = descriptor_pb2.FileDescriptorProto(name=f"shipment_{uuid.uuid4().hex[:6]}.proto", package="shop",
                                             syntax="proto3", dependency=["google/protobuf/timestamp.proto"])
    m = fdp.message_type.add(name="Shipment")
    m.field.add(name="shipment_id", number=1, type=9, label=1)
    m.field.add(name="lines", number=2, type=11, label=3, type_name=".shop.Shipment.Line")
    m.field.add(name="sent_at", number=3, type=11, label=1, type_name=".google.protobuf.Timestamp")
    line = m.nested_type.add(name="Line")
    line.field.add(name="sku", number=1, type=9, label=1)
    line.field.add(name="count", number=2, type=3, label=1)
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(fdp)
    return (GetMessageClass(pool.FindMessageTypeByName("shop.Shipment")),
            GetMessageClass(pool.FindMessageTypeByName("shop.Shipment.Line")))


def produce_with_serialisers(bootstrap: str, registry_url: str, topic: str) -> list[tuple[Any, Any]]:
    """Write messages of every kind into `topic` (one partition) with confluent-kafka's serialisers; returns what
    each message's key and value should decode to, as JSON-able Python, in offset order."""
    sr = SchemaRegistryClient({"url": registry_url})
    tag = uuid.uuid4().hex[:6]
    money_subject = f"shop.Money-{tag}"
    sr.register_schema(money_subject, Schema(json.dumps(MONEY), "AVRO"))
    refs = [SchemaReference("shop.Money", money_subject, 1)]

    def subject(name: str) -> Any:
        return lambda _ctx, _record: f"{topic}-{name}"
    key_ser = AvroSerializer(sr, json.dumps(KEY_SCHEMA), conf={"subject.name.strategy": subject("key")})
    v1 = AvroSerializer(sr, Schema(json.dumps(ORDER_V1), "AVRO", refs), conf={"subject.name.strategy":
                                                                               subject("order")})
    v2 = AvroSerializer(sr, Schema(json.dumps(ORDER_V2), "AVRO", refs), conf={"subject.name.strategy":
                                                                               subject("order")})
    js = JSONSerializer(json.dumps(JSON_SCHEMA), sr, conf={"subject.name.strategy": subject("item")})
    shipment, line = proto_classes()
    pb_top = ProtobufSerializer(shipment, sr, {"use.deprecated.format": False,
                                               "subject.name.strategy": subject("shipment")})
    pb_nested = ProtobufSerializer(line, sr, {"use.deprecated.format": False, "subject.name.strategy":
                                              subject("line")})
    kctx = SerializationContext(topic, MessageField.KEY)
    vctx = SerializationContext(topic, MessageField.VALUE)
    expected: list[tuple[Any, Any]] = []
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})

    def send(key: str, value: Any, data: bytes) -> None:
        p.produce(topic, key=key_ser(key, kctx), value=data, partition=0)
        expected.append((key, json.loads(to_json(value))))

    at = datetime.datetime(2024, 3, 4, 5, 6, 7, 890000, tzinfo=datetime.UTC)
    for i in range(4):
        order = {"id": f"o-{i}", "total": {"amount": decimal.Decimal(f"{i}1.25"), "currency": "EUR"}, "at": at,
                 "day": datetime.date(2024, 1, 1 + i), "ref": str(uuid.UUID(int=i + 1)),
                 "note": [None, "rush", 42, "gift"][i]}
        if i < 2:
            send(f"k-{i}", order, v1(order, vctx))
        else:
            order["tags"] = ["a", f"t{i}"]
            send(f"k-{i}", order, v2(order, vctx))
    item = {"sku": "sku-9", "qty": 3, "dims": [1.5, 2]}
    send("k-json", item, js(item, vctx))
    s = shipment(shipment_id="s-1")
    s.lines.add(sku="x", count=2)
    s.sent_at.FromSeconds(1_700_000_000)
    send("k-proto", {"shipment_id": "s-1", "lines": [{"sku": "x", "count": "2"}], "sent_at": "2023-11-14T22:13:20Z"},
         pb_top(s, vctx))
    send("k-nested", {"sku": "y", "count": "5"}, pb_nested(line(sku="y", count=5), vctx))
    assert p.flush(30) == 0
    sr.close()
    return expected


def cells(qtbot: QtBot, pane: MessagesPane, col: int) -> list[str]:
    """A column's text once every row's schemas are fetched (cells show ⏳ until then)."""
    model = pane.model

    def texts() -> list[str]:
        return [str(model.index(r, col).data()) for r in range(model.rowCount())]
    qtbot.waitUntil(lambda: not any(t.startswith("⏳") for t in texts()), timeout=30_000)
    return texts()


def decoded(text: str) -> Any:
    """A cell's compact JSON; a plain string key shows as its JSON text too."""
    return json.loads(text)
