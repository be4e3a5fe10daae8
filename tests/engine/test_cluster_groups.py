"""A consumer group on a 3-broker engine cluster keeps its committed offsets when the broker coordinating it is
killed: __consumer_offsets is replicated (offsets.topic.replication.factor=3) and the coordinator moves with the
leader of the group's __consumer_offsets partition."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from tests.components.engine_cluster import FAST, EngineCluster
from tests.components.process import wait_until
from tests.engine.cluster_checks import create_topic

pytestmark = pytest.mark.slow

GROUP = "keepers"
TOPIC = "orders"


def offsets_partition(group: str, partitions: int) -> int:
    """Kafka's partitionFor: Utils.abs(groupId.hashCode) % offsets.topic.num.partitions (Java's String.hashCode
    over UTF-16 code units; Utils.abs maps Integer.MIN_VALUE to 0)."""
    units = group.encode("utf-16-be")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + int.from_bytes(units[i:i + 2], "big")) & 0xFFFFFFFF
    signed = h - (1 << 32) if h >= 1 << 31 else h
    return (0 if signed == -(1 << 31) else abs(signed)) % partitions


def coordinator(admin: AdminClient) -> int:
    return int(admin.describe_consumer_groups([GROUP])[GROUP].result(30).coordinator.id)


def committed(admin: AdminClient) -> dict[int, int]:
    request = ConsumerGroupTopicPartitions(GROUP, [TopicPartition(TOPIC, p) for p in range(3)])
    answer = admin.list_consumer_group_offsets([request])[GROUP].result(30)
    return {tp.partition: tp.offset for tp in answer.topic_partitions}


def consume(bootstrap: str, count: int) -> list[bytes]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": GROUP, "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "session.timeout.ms": 6000})
    consumer.subscribe([TOPIC])
    got: list[bytes] = []
    try:
        wait_until(lambda: _poll_into(consumer, got) >= count, 60, f"{count} records for group {GROUP}")
        assert len(got) == count, f"{len(got)} records, {count} expected"
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    return got


def _poll_into(consumer: Consumer, got: list[bytes]) -> int:
    msg = consumer.poll(0.2)
    if msg is not None:
        assert msg.error() is None, msg.error()
        got.append(msg.value())
    return len(got)


def test_committed_offsets_survive_the_coordinator_being_killed(engine_cluster_factory: Any) -> None:
    cluster: EngineCluster = engine_cluster_factory()
    create_topic(cluster, TOPIC, 3, 3, {"min.insync.replicas": "2"})
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all", "enable.idempotence": True})
    values = [f"order {n}".encode() for n in range(30)]
    for n, value in enumerate(values):
        producer.produce(TOPIC, value=value, partition=n % 3)
    assert producer.flush(30) == 0

    # 30 records in 3 partitions of 10: the first consumer reads 20 and commits where it stopped (a partition it
    # never read has no committed offset, -1001)
    first = consume(cluster.bootstrap, 20)
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    before = committed(admin)
    assert sum(max(o, 0) for o in before.values()) == 20, before
    old = coordinator(admin)
    n_offsets = int(FAST["offsets.topic.num.partitions"])
    partition = offsets_partition(GROUP, n_offsets)
    assert cluster.leader("__consumer_offsets", partition) == old  # the coordinator is that partition's leader
    assert len(cluster.isr("__consumer_offsets", partition)) == 3

    cluster.kill(old)
    cluster.wait_deregistered(old)
    wait_until(lambda: cluster.leader("__consumer_offsets", partition) not in (old, -1), 30,
               f"a new leader of __consumer_offsets-{partition}")
    survivors = ",".join(b.bootstrap for i, b in cluster.brokers.items() if i != old)
    admin = AdminClient({"bootstrap.servers": survivors})
    wait_until(lambda: coordinator(admin) == cluster.leader("__consumer_offsets", partition), 30,
               "the coordinator to follow the partition's new leader")
    assert committed(admin) == before

    rest = consume(survivors, 10)  # resumes where the group committed: exactly the 10 records not yet read
    assert sorted(first + rest) == sorted(values)
    assert committed(admin) == {0: 10, 1: 10, 2: 10}
