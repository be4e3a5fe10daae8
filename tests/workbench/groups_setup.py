"""What the consumer-group tests set up with real clients: topics, records at chosen times, commits, a module engine."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from tests.components.engine_proc import EngineProcess, _require_engine
from tests.components.report import record
from tests.engine.test_groups_clients import GROUP_OVERRIDES

TP = tuple[str, int]


def module_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    """One engine for a whole test module, with group timings short enough for members to come and go quickly."""
    _require_engine()
    eng = EngineProcess(tmp_path_factory.mktemp("engine") / "data", dict(GROUP_OVERRIDES))
    eng.start()
    record(eng.name, eng.version, eng.startup_seconds)
    try:
        yield eng
    finally:
        eng.close()


def create_topics(bootstrap: str, topics: Mapping[str, int]) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for fut in admin.create_topics([NewTopic(t, n, 1) for t, n in topics.items()], operation_timeout=30).values():
        fut.result(timeout=60)


def produce(bootstrap: str, topic: str, partition: int, count: int, timestamps: list[int] | None = None) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(count):
        kw = {"timestamp": timestamps[i]} if timestamps is not None else {}
        p.produce(topic, value=b"v%d" % i, key=b"k%d" % i, partition=partition, **kw)
    assert p.flush(30) == 0


def delete_records(bootstrap: str, topic: str, partition: int, before: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for fut in admin.delete_records([TopicPartition(topic, partition, before)], request_timeout=30).values():
        fut.result(timeout=60)


def commit(bootstrap: str, group: str, offsets: Mapping[TP, tuple[int, str]]) -> None:
    """Commit offsets (with metadata) for a group from outside it, as a tool would: the group stays Empty."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        c.commit(offsets=[TopicPartition(t, p, o, md) for (t, p), (o, md) in offsets.items()], asynchronous=False)
    finally:
        c.close()


def committed(bootstrap: str, group: str) -> dict[TP, tuple[int, str]]:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    res = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(timeout=30)
    return {(tp.topic, tp.partition): (tp.offset, tp.metadata or "") for tp in res.topic_partitions
            if tp.offset >= 0}


def temp_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="wb-groups-"))
