"""Conformance: confluent-kafka (librdkafka 2.1x) produces and consumes every codec through the engine."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from tests.engine.conformance import CODECS, Msg, assert_contiguous, assert_same, messages


def create_topic(bootstrap: str, name: str, partitions: int = 1) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, partitions, 1)], operation_timeout=10)
    futures[name].result(timeout=30)


def produce(bootstrap: str, topic: str, msgs: list[Msg], codec: str, **extra: Any) -> list[int]:
    offsets: list[int] = []
    errors: list[str] = []

    def done(err: Any, m: Any) -> None:
        if err is not None:
            errors.append(str(err))
        else:
            offsets.append(m.offset())

    p = Producer({"bootstrap.servers": bootstrap, "compression.type": codec, "linger.ms": 5,
                  "enable.idempotence": True, **extra})
    for m in msgs:
        p.produce(topic, key=m.key, value=m.value, headers=list(m.headers), timestamp=m.timestamp,
                  partition=0, on_delivery=done)
    assert p.flush(30) == 0, "messages still in the producer queue after 30 s"
    assert errors == []
    return offsets


def consume_all(bootstrap: str, topic: str, count: int, partition: int = 0) -> tuple[list[Msg], list[int]]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    c.assign([TopicPartition(topic, partition, 0)])
    got: list[Msg] = []
    offsets: list[int] = []
    try:
        for _ in range(200):
            if len(got) >= count:
                break
            for m in c.consume(num_messages=count - len(got), timeout=0.5):
                assert m.error() is None, m.error()
                got.append(Msg(m.key(), m.value(), tuple(m.headers() or ()), m.timestamp()[1]))
                offsets.append(m.offset())
    finally:
        c.close()
    return got, offsets


@pytest.mark.parametrize("codec", CODECS)
def test_confluent_kafka_round_trip(engine: Any, codec: str) -> None:
    topic = f"cfk-{codec}"
    create_topic(engine.bootstrap, topic)
    sent = messages(codec)
    delivered = produce(engine.bootstrap, topic, sent, codec)
    assert sorted(delivered) == list(range(len(sent)))
    got, offsets = consume_all(engine.bootstrap, topic, len(sent))
    assert_same(sent, got)
    assert_contiguous(offsets)
