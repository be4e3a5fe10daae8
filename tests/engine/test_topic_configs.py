"""Topic configs that change behaviour do so: max.message.bytes, message.timestamp.type, retention, compaction."""

from __future__ import annotations

import time
from typing import Any

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic, ResourceType


def admin(engine: Any) -> AdminClient:
    return AdminClient({"bootstrap.servers": engine.bootstrap})


def set_config(engine: Any, topic: str, name: str, value: str) -> None:
    a = admin(engine)
    res = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
        ConfigEntry(name, value, incremental_operation=AlterConfigOpType.SET)])
    a.incremental_alter_configs([res])[res].result(timeout=30)


def produce_one(engine: Any, topic: str, value: bytes) -> Any:
    p = Producer({"bootstrap.servers": engine.bootstrap, "message.max.bytes": 10_000_000,
                  "compression.type": "none", "retries": 0})
    result: list[Any] = []
    p.produce(topic, value=value, partition=0, timestamp=1_600_000_000_000,
              on_delivery=lambda err, m: result.append((err, m)))
    p.flush(30)
    return result[0]


def test_max_message_bytes_is_enforced_after_an_alter(engine: Any) -> None:
    a = admin(engine)
    a.create_topics([NewTopic("limited", 1, 1)])["limited"].result(timeout=30)
    err, _m = produce_one(engine, "limited", b"x" * 5000)
    assert err is None
    set_config(engine, "limited", "max.message.bytes", "2000")
    err, _m = produce_one(engine, "limited", b"x" * 5000)
    assert err is not None and err.code() == KafkaError.MSG_SIZE_TOO_LARGE


def test_log_append_time_replaces_the_producer_timestamp(engine: Any) -> None:
    a = admin(engine)
    a.create_topics([NewTopic("appended", 1, 1, config={"message.timestamp.type": "LogAppendTime"})])[
        "appended"].result(timeout=30)
    before = int(time.time() * 1000)
    err, _msg = produce_one(engine, "appended", b"v")
    assert err is None
    c = Consumer({"bootstrap.servers": engine.bootstrap, "group.id": "x", "enable.auto.commit": False})
    c.assign([TopicPartition("appended", 0, 0)])
    try:
        got = None
        for _ in range(40):
            got = c.poll(0.5)
            if got is not None and got.error() is None:
                break
        assert got is not None
        kind, ts = got.timestamp()
        assert kind == 2, "TIMESTAMP_LOG_APPEND_TIME"
        assert before - 1000 <= ts <= int(time.time() * 1000) + 1000
    finally:
        c.close()


def test_a_compacted_topic_refuses_records_without_a_key(engine: Any) -> None:
    a = admin(engine)
    a.create_topics([NewTopic("compacted", 1, 1, config={"cleanup.policy": "compact"})])["compacted"].result(30)
    errors: list[Any] = []
    p = Producer({"bootstrap.servers": engine.bootstrap, "linger.ms": 0, "retries": 0})
    p.produce("compacted", value=b"no key", partition=0, on_delivery=lambda err, _m: errors.append(err))
    assert p.flush(30) == 0  # its own batch: a batch with one keyless record is refused whole, as in Kafka
    p.produce("compacted", key=b"k", value=b"keyed", partition=0, on_delivery=lambda err, _m: errors.append(err))
    assert p.flush(30) == 0
    assert errors[0] is not None and errors[0].code() == KafkaError.INVALID_RECORD
    assert errors[1] is None


def test_retention_bytes_deletes_old_segments(engine_factory: Any) -> None:
    eng = engine_factory(**{"log.retention.check.interval.ms": "200"})
    a = admin(eng)
    a.create_topics([NewTopic("trimmed", 1, 1, config={"segment.bytes": "20000"})])["trimmed"].result(timeout=30)
    p = Producer({"bootstrap.servers": eng.bootstrap, "linger.ms": 0, "batch.num.messages": 1})
    for i in range(200):
        p.produce("trimmed", value=b"%04d" % i + b"x" * 500, partition=0)
        p.flush(10)
    set_config(eng, "trimmed", "retention.bytes", "40000")
    deadline = time.monotonic() + 20
    low = high = 0
    watcher = Consumer({"bootstrap.servers": eng.bootstrap, "group.id": "w"})
    try:
        while time.monotonic() < deadline:
            low, high = watcher.get_watermark_offsets(TopicPartition("trimmed", 0), timeout=10, cached=False)
            if low > 0:
                break
            time.sleep(0.2)
    finally:
        watcher.close()
    assert 0 < low < 200 and high == 200
    assert (eng.data_dir / "trimmed-0" / f"{0:020d}.log").exists() is False
