"""Clients pinned to old protocol versions produce, consume and commit (Produce v0-2, Fetch v0-3, ListOffsets v0,
OffsetCommit v2 and the pre-0.11 message format), and a round trip through the old format keeps keys, values and
timestamps: kafka-python with api_version=(0, 10) and (1, 0), librdkafka with api.version.request=false and
broker.version.fallback=0.10.0 (confluent-kafka and Debian's kcat)."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from tests.engine.conformance import Msg, assert_contiguous, assert_same, messages
from tests.engine.test_client_confluent import consume_all, create_topic, produce
from tests.engine.test_client_kcat import kcat

OLD_LIBRDKAFKA = {"api.version.request": False, "broker.version.fallback": "0.10.0", "log_level": 3}


def _kafka_python_round_trip(bootstrap: str, topic: str, api_version: tuple[int, ...], sent: list[Msg],
                             codec: str | None) -> tuple[list[int], list[Msg], list[int], int]:
    from kafka import KafkaConsumer, KafkaProducer
    from kafka import TopicPartition as KTopicPartition

    producer = KafkaProducer(bootstrap_servers=bootstrap, api_version=api_version, compression_type=codec,
                             linger_ms=5)
    try:
        futures = [producer.send(topic, key=m.key, value=m.value, timestamp_ms=m.timestamp, partition=0)
                   for m in sent]
        producer.flush(timeout=30)
        delivered = [f.get(timeout=30).offset for f in futures]
    finally:
        producer.close(timeout=10)
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, api_version=api_version, group_id=f"g-{topic}",
                             auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=15_000)
    got: list[Msg] = []
    offsets: list[int] = []
    try:
        for record in consumer:
            got.append(Msg(record.key, record.value, (), record.timestamp))
            offsets.append(record.offset)
            if len(got) == len(sent):
                break
        consumer.commit()
        committed = consumer.committed(KTopicPartition(topic, 0))
    finally:
        consumer.close()
    return delivered, got, offsets, committed


@pytest.mark.parametrize(("api_version", "codec"), [((0, 10), None), ((0, 10), "gzip"), ((0, 10), "snappy"),
                                                    ((1, 0), "lz4")])
def test_kafka_python_pinned(shared_engine: Any, api_version: tuple[int, ...], codec: str | None) -> None:
    topic = f"old-kpy-{'-'.join(map(str, api_version))}-{codec}"
    create_topic(shared_engine.bootstrap, topic)
    sent = messages(codec or "none", 30)
    delivered, got, offsets, committed = _kafka_python_round_trip(shared_engine.bootstrap, topic, api_version,
                                                                 sent, codec)
    assert delivered == list(range(len(sent)))
    assert_same(sent, got, check_headers=False)
    assert_contiguous(offsets)
    assert committed == len(sent)


def test_old_format_round_trip_keeps_keys_values_and_timestamps(shared_engine: Any) -> None:
    """Written in v2 by a current client (headers included), read through magic 1 by an old one, and back."""
    topic = "old-format-round-trip"
    create_topic(shared_engine.bootstrap, topic)
    sent = messages("gzip", 25)
    produce(shared_engine.bootstrap, topic, sent, "gzip")
    c = Consumer({"bootstrap.servers": shared_engine.bootstrap, "group.id": "old-rt", **OLD_LIBRDKAFKA,
                  "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    got: list[Msg] = []
    try:
        for _ in range(100):
            if len(got) >= len(sent):
                break
            for m in c.consume(num_messages=len(sent), timeout=0.5):
                assert m.error() is None, m.error()
                got.append(Msg(m.key(), m.value(), (), m.timestamp()[1]))
    finally:
        c.close()
    assert_same(sent, got, check_headers=False)  # the old format has no headers
    # ... and an old producer's messages read by a current client, offsets continuing.
    more = messages("snappy", 10, base_ts=1_800_000_000_000)
    p = Producer({"bootstrap.servers": shared_engine.bootstrap, **OLD_LIBRDKAFKA, "compression.codec": "snappy",
                  "linger.ms": 5})
    errors: list[Any] = []
    for m in more:
        p.produce(topic, key=m.key, value=m.value, timestamp=m.timestamp, partition=0,
                  on_delivery=lambda err, _m: errors.append(err) if err else None)
    assert p.flush(30) == 0
    assert errors == []
    back, offsets = consume_all(shared_engine.bootstrap, topic, len(sent) + len(more))
    assert_same(sent + more, back, check_headers=False)
    assert [m.headers for m in back[: len(sent)]] == [m.headers for m in sent]
    assert_contiguous(offsets)


def test_librdkafka_without_api_versions_consumes_in_a_group_and_commits(shared_engine: Any) -> None:
    topic = "old-rdk-group"
    create_topic(shared_engine.bootstrap, topic)
    sent = messages("lz4", 20)
    p = Producer({"bootstrap.servers": shared_engine.bootstrap, **OLD_LIBRDKAFKA, "compression.codec": "lz4"})
    for m in sent:
        p.produce(topic, key=m.key, value=m.value, timestamp=m.timestamp, partition=0)
    assert p.flush(30) == 0
    c = Consumer({"bootstrap.servers": shared_engine.bootstrap, **OLD_LIBRDKAFKA, "group.id": "old-rdk",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    got: list[Msg] = []
    try:
        deadline = time.monotonic() + 60
        while len(got) < len(sent) and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None and m.error() is None:
                got.append(Msg(m.key(), m.value(), (), m.timestamp()[1]))
        c.commit(asynchronous=False)
        committed = c.committed([TopicPartition(topic, 0)], timeout=10)
    finally:
        c.close()
    assert_same(sent, got, check_headers=False)
    assert committed[0].offset == len(sent)


def test_kcat_with_old_protocol_versions(shared_engine: Any) -> None:
    exe = kcat()
    topic = "old-kcat"
    create_topic(shared_engine.bootstrap, topic)
    old = ["-X", "api.version.request=false", "-X", "broker.version.fallback=0.10.0"]
    lines = [f"key-{i}\tvalue {i}" for i in range(15)]
    before = int(time.time() * 1000)
    subprocess.run([exe, "-b", shared_engine.bootstrap, *old, "-P", "-t", topic, "-p", "0", "-K", "\t", "-z", "gzip"],
                   input="\n".join(lines) + "\n", text=True, check=True, timeout=60, capture_output=True)
    after = int(time.time() * 1000)
    out = subprocess.run([exe, "-b", shared_engine.bootstrap, *old, "-C", "-t", topic, "-p", "0", "-o", "beginning",
                          "-e", "-f", "%o|%k|%s|%T\n"], text=True, check=True, timeout=60,
                         capture_output=True).stdout.splitlines()
    assert [ln.split("|", 1)[1].rsplit("|", 1)[0].replace("|", "\t") for ln in out] == lines
    assert [int(ln.split("|")[0]) for ln in out] == list(range(len(lines)))
    assert all(before - 1000 <= int(ln.rsplit("|", 1)[1]) <= after + 1000 for ln in out)
