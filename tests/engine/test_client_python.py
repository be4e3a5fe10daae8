"""Conformance: kafka-python 3.x (idempotent by default) and aiokafka 0.14, every codec, through the engine."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.engine.conformance import CODECS, Msg, assert_contiguous, assert_same, messages
from tests.engine.test_client_confluent import create_topic


@pytest.mark.parametrize("codec", CODECS)
def test_kafka_python_round_trip(engine: Any, codec: str) -> None:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    topic = f"kpy-{codec}"
    create_topic(engine.bootstrap, topic)
    sent = messages(codec)
    producer = KafkaProducer(bootstrap_servers=engine.bootstrap,
                             compression_type=None if codec == "none" else codec, linger_ms=5)
    try:
        futures = [producer.send(topic, key=m.key, value=m.value, headers=list(m.headers),
                                 timestamp_ms=m.timestamp, partition=0) for m in sent]
        producer.flush(timeout=30)
        offsets_sent = [f.get(timeout=30).offset for f in futures]
    finally:
        producer.close(timeout=10)
    assert offsets_sent == list(range(len(sent)))
    consumer = KafkaConsumer(bootstrap_servers=engine.bootstrap, enable_auto_commit=False,
                             consumer_timeout_ms=10_000)
    got: list[Msg] = []
    offsets: list[int] = []
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        for _ in range(100):
            if len(got) >= len(sent):
                break
            for records in consumer.poll(timeout_ms=500).values():
                for r in records:
                    got.append(Msg(r.key, r.value, tuple(r.headers), r.timestamp))
                    offsets.append(r.offset)
    finally:
        consumer.close()
    assert_same(sent, got)
    assert_contiguous(offsets)


@pytest.mark.parametrize("codec", CODECS)
def test_aiokafka_round_trip(engine: Any, codec: str) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    topic = f"aio-{codec}"
    create_topic(engine.bootstrap, topic)
    sent = messages(codec)

    async def run() -> tuple[list[int], list[Msg], list[int]]:
        producer = AIOKafkaProducer(bootstrap_servers=engine.bootstrap,
                                    compression_type=None if codec == "none" else codec,
                                    enable_idempotence=True)
        await producer.start()
        try:
            results = [await producer.send_and_wait(topic, m.value, key=m.key, partition=0,
                                                    timestamp_ms=m.timestamp, headers=list(m.headers))
                       for m in sent]
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(bootstrap_servers=engine.bootstrap, enable_auto_commit=False,
                                    auto_offset_reset="earliest")
        await consumer.start()
        got: list[Msg] = []
        offsets: list[int] = []
        try:
            tp = TopicPartition(topic, 0)
            consumer.assign([tp])
            await consumer.seek_to_beginning(tp)
            for _ in range(100):
                if len(got) >= len(sent):
                    break
                batch = await consumer.getmany(tp, timeout_ms=500)
                for r in batch.get(tp, []):
                    got.append(Msg(r.key, r.value, tuple(r.headers), r.timestamp))
                    offsets.append(r.offset)
        finally:
            await consumer.stop()
        return [r.offset for r in results], got, offsets

    delivered, got, offsets = asyncio.run(run())
    assert delivered == list(range(len(sent)))
    assert_same(sent, got)
    assert_contiguous(offsets)
