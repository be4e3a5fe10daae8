"""__consumer_offsets as lag monitors read it: Kafka's own formatters decode the engine's records,
each group's records sit in partition abs(hashCode(group)) % offsets.topic.num.partitions, and the
topic is reported internal."""

from __future__ import annotations

import json
import struct
import time
from typing import Any

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from engine.coordinator.formats import partition_for
from tests.engine.test_client_confluent import create_topic
from tests.engine.test_groups_clients import GROUP_OVERRIDES

FORMATTERS = "org.apache.kafka.tools.consumer."


def json_objects(text: str) -> list[dict[str, Any]]:
    """The formatters print one JSON object per record (Kafka 4.1 without separators)."""
    decoder, out, pos = json.JSONDecoder(), [], 0
    while (start := text.find('{"key"', pos)) >= 0:
        obj, pos = decoder.raw_decode(text, start)
        out.append(obj)
    return out


def consume_as_group(bootstrap: str, topic: str, group: str, count: int) -> str:
    """A confluent-kafka consumer that joins `group`, reads `count` messages, commits with metadata
    and stays a member; returns its member id."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "session.timeout.ms": 6000})
    c.subscribe([topic])
    seen = 0
    deadline = time.monotonic() + 60
    while seen < count and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            seen += 1
    assert seen == count
    c.commit(offsets=[TopicPartition(topic, p, 2 if p == 0 else 1, metadata="lag-monitor") for p in range(2)],
             asynchronous=False)
    member = c.memberid()
    c.close()  # LeaveGroup: the group ends Empty, which is recorded too
    return str(member)


def test_kafka_formatters_read_the_engines_consumer_offsets(engine_factory: Any, kafka_cli: Any) -> None:
    eng = engine_factory(**GROUP_OVERRIDES)
    b = eng.bootstrap
    create_topic(b, "lagged", partitions=2)
    p = Producer({"bootstrap.servers": b})
    for i in range(3):
        p.produce("lagged", value=b"x", partition=i % 2)
    assert p.flush(30) == 0
    member = consume_as_group(b, "lagged", "monitored", 3)

    def read(formatter: str) -> list[dict[str, Any]]:
        out = kafka_cli.run("kafka-console-consumer", "--bootstrap-server", b, "--topic", "__consumer_offsets",
                            "--from-beginning", "--timeout-ms", "5000", "--formatter", FORMATTERS + formatter,
                            check=False)
        return [o for o in json_objects(out.stdout) if o["key"]["data"]["group"] == "monitored"]

    offsets = read("OffsetsMessageFormatter")
    latest = {(o["key"]["data"]["topic"], o["key"]["data"]["partition"]): o["value"] for o in offsets}
    # confluent-kafka sends commit metadata with its C string's NUL terminator; Kafka keeps it too.
    assert {k: (v["data"]["offset"], v["data"]["metadata"].rstrip("\0")) for k, v in latest.items()} == {
        ("lagged", 0): (2, "lag-monitor"), ("lagged", 1): (1, "lag-monitor")}
    assert all(o["key"]["type"] == 1 and o["value"]["version"] == 3 for o in offsets)
    assert all(v["data"]["commitTimestamp"] > 1_600_000_000_000 for v in latest.values())

    groups = read("GroupMetadataMessageFormatter")
    assert [g["key"]["type"] for g in groups] == [2] * len(groups) and len(groups) >= 2
    stable = next(g["value"]["data"] for g in groups if g["value"]["data"]["members"])
    assert stable["protocolType"] == "consumer" and stable["protocol"] == "range"
    assert [m["memberId"] for m in stable["members"]] == [member] == [stable["leader"]]
    assert stable["members"][0]["clientHost"] == "/127.0.0.1" and stable["members"][0]["sessionTimeout"] == 6000
    empty = groups[-1]["value"]["data"]
    assert empty["members"] == [] and empty["protocolType"] == "consumer" and empty["protocol"] is None
    assert empty["generation"] == stable["generation"] + 1

    # Where Kafka puts them: one partition per group, by Java's String.hashCode.
    admin = AdminClient({"bootstrap.servers": b})
    topic = admin.list_topics("__consumer_offsets", timeout=10).topics["__consumer_offsets"]
    assert len(topic.partitions) == 50
    c = Consumer({"bootstrap.servers": b, "group.id": "reader", "enable.auto.commit": False})
    c.assign([TopicPartition("__consumer_offsets", i, 0) for i in range(50)])
    placed: dict[str, set[int]] = {}
    idle_until = time.monotonic() + 3
    while time.monotonic() < idle_until:
        m = c.poll(0.2)
        if m is None or m.error() is not None:
            continue
        key = m.key()
        assert key is not None
        (n,) = struct.unpack_from(">h", key, 2)  # int16 key version, then the group as an int16-length string
        placed.setdefault(key[4 : 4 + n].decode(), set()).add(m.partition())
        idle_until = time.monotonic() + 3
    c.close()
    assert placed["monitored"] == {partition_for("monitored", 50)}
    assert all(parts == {partition_for(g, 50)} for g, parts in placed.items()), placed


def test_consumer_offsets_is_internal_in_metadata(engine_factory: Any) -> None:
    from kafka.admin import KafkaAdminClient

    eng = engine_factory(**GROUP_OVERRIDES)
    create_topic(eng.bootstrap, "t", partitions=1)
    admin = AdminClient({"bootstrap.servers": eng.bootstrap})
    fut = admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions("g", [TopicPartition("t", 0, 1)])])["g"]
    fut.result(30)
    kp = KafkaAdminClient(bootstrap_servers=eng.bootstrap)
    try:
        (t,) = kp.describe_topics(["__consumer_offsets"])
    finally:
        kp.close()
    assert t["is_internal"] and t["error_code"] == 0 and len(t["partitions"]) == 50
