"""Fetch size limits: responses cut inside a batch (as Kafka does) are handled by every client."""

from __future__ import annotations

import asyncio
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from tests.engine.conformance import Msg, assert_contiguous
from tests.engine.test_client_confluent import create_topic, produce

COUNT = 400


def fill(engine: Any, topic: str) -> list[Msg]:
    create_topic(engine.bootstrap, topic)
    sent = [Msg(f"k{i}".encode(), bytes([i % 251]) * 1000, (), 1_700_000_000_000 + i) for i in range(COUNT)]
    produce(engine.bootstrap, topic, sent, "none", **{"batch.size": 16384})
    return sent


def test_librdkafka_with_small_fetches(engine: Any) -> None:
    sent = fill(engine, "small-rdk")
    c = Consumer({"bootstrap.servers": engine.bootstrap, "group.id": "x", "enable.auto.commit": False,
                  "max.partition.fetch.bytes": 5000, "fetch.max.bytes": 5000,
                  "message.max.bytes": 5000, "receive.message.max.bytes": 1000000})
    c.assign([TopicPartition("small-rdk", 0, 0)])
    got: list[int] = []
    try:
        for _ in range(300):
            if len(got) >= COUNT:
                break
            for m in c.consume(num_messages=100, timeout=0.5):
                assert m.error() is None, m.error()
                assert m.value() == sent[m.offset()].value
                got.append(m.offset())
    finally:
        c.close()
    assert_contiguous(got)


def test_kafka_python_with_small_fetches(engine: Any) -> None:
    from kafka import KafkaConsumer
    from kafka import TopicPartition as TP

    sent = fill(engine, "small-kpy")
    consumer = KafkaConsumer(bootstrap_servers=engine.bootstrap, enable_auto_commit=False,
                             max_partition_fetch_bytes=5000, fetch_max_bytes=5000)
    got: list[int] = []
    try:
        consumer.assign([TP("small-kpy", 0)])
        consumer.seek(TP("small-kpy", 0), 0)
        for _ in range(300):
            if len(got) >= COUNT:
                break
            for records in consumer.poll(timeout_ms=500).values():
                for r in records:
                    assert r.value == sent[r.offset].value
                    got.append(r.offset)
    finally:
        consumer.close()
    assert_contiguous(got)


def test_aiokafka_with_small_fetches(engine: Any) -> None:
    from aiokafka import AIOKafkaConsumer
    from aiokafka import TopicPartition as TP

    sent = fill(engine, "small-aio")

    async def run() -> list[int]:
        consumer = AIOKafkaConsumer(bootstrap_servers=engine.bootstrap, enable_auto_commit=False,
                                    max_partition_fetch_bytes=5000, fetch_max_bytes=5000)
        await consumer.start()
        got: list[int] = []
        try:
            tp = TP("small-aio", 0)
            consumer.assign([tp])
            consumer.seek(tp, 0)
            for _ in range(300):
                if len(got) >= COUNT:
                    break
                for r in (await consumer.getmany(tp, timeout_ms=500)).get(tp, []):
                    assert r.value == sent[r.offset].value
                    got.append(r.offset)
        finally:
            await consumer.stop()
        return got

    assert_contiguous(asyncio.run(run()))
