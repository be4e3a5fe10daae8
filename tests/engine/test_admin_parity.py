"""The same confluent-kafka AdminClient sequence against the engine and Apache Kafka gives the same results."""

from __future__ import annotations

import time
from typing import Any

import pytest
from confluent_kafka import (
    ConsumerGroupTopicPartitions,
    Producer,
    TopicCollection,
    TopicPartition,
)
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    OffsetSpec,
    ResourceType,
)

from tests.components.process import wait_until

COMPARED_CONFIGS = ("cleanup.policy", "retention.ms", "retention.bytes", "segment.bytes", "max.message.bytes",
                    "message.timestamp.type", "min.insync.replicas")
# Kafka 4 in KRaft mode sets a cluster-wide min.insync.replicas at format time (for eligible leader
# replicas), so it reports that config as DYNAMIC_DEFAULT_BROKER_CONFIG; the value is compared, not the source.
VALUE_ONLY = frozenset({"min.insync.replicas"})


def config_view(configs: Any) -> dict[str, Any]:
    return {n: configs[n].value if n in VALUE_ONLY else (configs[n].value, configs[n].source) for n in COMPARED_CONFIGS}


def warm_up_group_coordinator(admin: AdminClient, topic: str) -> None:
    """Commit and delete a throw-away group until it works: a fresh Kafka 4 loads its new
    __consumer_offsets partitions for a moment, and DeleteGroups then says GROUP_ID_NOT_FOUND."""
    deadline = time.monotonic() + 30
    while True:
        try:
            tps = [TopicPartition(topic, 0, 0)]
            admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions("warm-up", tps)])["warm-up"].result(30)
            admin.delete_consumer_groups(["warm-up"])["warm-up"].result(timeout=30)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def run_sequence(bootstrap: str) -> dict[str, Any]:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    out: dict[str, Any] = {}
    topic, group = "parity", "parity-group"
    admin.create_topics([NewTopic(topic, 3, 1, config={"retention.ms": "3600000"})])[topic].result(timeout=30)

    def ready() -> bool:
        t = admin.list_topics(topic, timeout=10).topics.get(topic)
        return t is not None and t.error is None and len(t.partitions) == 3
    wait_until(ready, 30, f"the metadata of {topic} with 3 partitions")
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(30):
        producer.produce(topic, key=str(i).encode(), value=b"v" * i, partition=i % 3, timestamp=1_700_000_000_000 + i)
    assert producer.flush(30) == 0

    desc = admin.describe_topics(TopicCollection([topic]))[topic].result(timeout=30)
    out["describe_topic"] = (desc.name, sorted((p.id, len(p.replicas), len(p.isr)) for p in desc.partitions))

    res = ConfigResource(ResourceType.TOPIC, topic)
    configs = admin.describe_configs([res])[res].result(timeout=30)
    out["configs"] = config_view(configs)

    alter = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
        ConfigEntry("retention.bytes", "1048576", incremental_operation=AlterConfigOpType.SET),
        ConfigEntry("retention.ms", None, incremental_operation=AlterConfigOpType.DELETE),
    ])
    admin.incremental_alter_configs([alter])[alter].result(timeout=30)
    configs = admin.describe_configs([res])[res].result(timeout=30)
    out["configs_after_alter"] = config_view(configs)
    bad = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
        ConfigEntry("no.such.config", "1", incremental_operation=AlterConfigOpType.SET)])
    try:
        admin.incremental_alter_configs([bad])[bad].result(timeout=30)
        out["bad_config"] = "accepted"
    except Exception as exc:  # the KafkaException carries the broker's error code
        out["bad_config"] = exc.args[0].name() if exc.args and hasattr(exc.args[0], "name") else repr(exc)

    specs = {
        "earliest": OffsetSpec.earliest(), "latest": OffsetSpec.latest(),
        "max_ts": OffsetSpec.max_timestamp(), "at_ts": OffsetSpec.for_timestamp(1_700_000_000_012),
    }
    listed = {}
    for name, spec in specs.items():
        r = admin.list_offsets({TopicPartition(topic, p): spec for p in range(3)})
        listed[name] = sorted((tp.partition, f.result(timeout=30).offset) for tp, f in r.items())
    out["list_offsets"] = listed

    deleted = admin.delete_records([TopicPartition(topic, 0, 4)])
    out["delete_records"] = [(tp.partition, f.result(timeout=30).low_watermark) for tp, f in deleted.items()]

    cluster = admin.describe_cluster().result(timeout=30)
    out["cluster"] = (len(cluster.nodes), cluster.controller is not None, bool(cluster.cluster_id))

    warm_up_group_coordinator(admin, topic)
    committed = [TopicPartition(topic, p, 5 + p) for p in range(3)]
    admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, committed)])[group].result(timeout=30)
    listed_offsets = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(timeout=30)
    out["group_offsets"] = sorted((tp.topic, tp.partition, tp.offset) for tp in listed_offsets.topic_partitions)
    groups = admin.list_consumer_groups().result(timeout=30)
    out["groups"] = sorted((g.group_id, str(g.state)) for g in groups.valid if g.group_id == group)
    described = admin.describe_consumer_groups([group])[group].result(timeout=30)
    out["group_describe"] = (described.group_id, str(described.state), len(described.members))
    admin.delete_consumer_groups([group])[group].result(timeout=30)
    groups = admin.list_consumer_groups().result(timeout=30)
    out["groups_after_delete"] = sorted(g.group_id for g in groups.valid if g.group_id == group)
    return out


@pytest.mark.slow
def test_admin_sequence_matches_apache_kafka(engine: Any, kafka_kraft: Any) -> None:
    ours = run_sequence(engine.bootstrap)
    theirs = run_sequence(kafka_kraft.bootstrap)
    for key in theirs:
        assert ours[key] == theirs[key], f"{key}: engine {ours[key]!r} != Kafka {theirs[key]!r}"
