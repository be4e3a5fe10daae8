"""Sample data for an empty cluster: a few topics of keyed JSON messages with headers, and a lagging consumer group.

The data set is resources/sample-data/ (sample.json names the topics and the group;
records.jsonl holds the records in the app's JSON Lines format): orders (3 partitions,
keyed by customer), customers (1 partition, keyed by id), payments (2 partitions). The
group `billing` has committed offsets halfway through orders, so the groups pane has
lag to show. Everything is produced through librdkafka's producer in an executor
thread and awaited with a timeout; a broker without consumer groups gets the topics
and a note instead of the group.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

from confluent_kafka import Producer, TopicPartition

from workbench import resources
from workbench.errors import describe
from workbench.services import wire
from workbench.services.admin import AdminService
from workbench.services.connection import client_config
from workbench.services.record import Record
from workbench.services.record_file import read_jsonl

OFFSET_COMMIT, FIND_COORDINATOR = 8, 10


@dataclasses.dataclass(frozen=True)
class SampleSet:
    """resources/sample-data/sample.json: the topics (name -> partitions), the records file, the lagging group."""

    topics: dict[str, int]
    records: tuple[Record, ...]
    group: str
    group_topic: str
    committed_fraction: float


def sample_set() -> SampleSet:
    manifest = json.loads(resources.path("sample-data", "sample.json").read_text(encoding="utf-8"))
    with open(resources.path("sample-data", manifest["records"]), encoding="utf-8") as f:
        records = tuple(read_jsonl(f))
    group = manifest["group"]
    return SampleSet({str(k): int(v) for k, v in manifest["topics"].items()}, records, str(group["id"]),
                     str(group["topic"]), float(group["committed_fraction"]))


@dataclasses.dataclass(frozen=True)
class SampleResult:
    topics: tuple[str, ...]
    messages: int
    notes: tuple[str, ...]

    @property
    def sentence(self) -> str:
        text = f"Loaded {self.messages} sample messages into {', '.join(self.topics)}."
        return " ".join((text, *self.notes))


def _produce(conf: dict[str, Any], records: tuple[Record, ...], timeout: float) -> int:
    producer = Producer({**conf, "linger.ms": 5, "acks": "all"})
    failures: list[str] = []

    def delivered(err: Any, _msg: Any) -> None:
        if err is not None:
            failures.append(err.str())
    for r in records:
        producer.produce(r.topic, key=r.key, value=r.value, headers=list(r.headers), on_delivery=delivered)
    left = producer.flush(timeout)
    if left or failures:
        raise RuntimeError(f"{left} messages not delivered; {failures[:1]}")
    return len(records)


async def load_sample_data(admin: AdminService) -> SampleResult:
    loop = asyncio.get_running_loop()
    sample = await loop.run_in_executor(admin.executor, sample_set)
    existing = {t.name for t in await admin.list_topics()}
    for topic, partitions in sample.topics.items():
        if topic not in existing:
            await admin.create_topic(topic, partitions, 1)
    conf = client_config(admin.spec, admin.timeout)
    count = await asyncio.wait_for(loop.run_in_executor(admin.executor, _produce, conf, sample.records,
                                                        admin.timeout * 3), admin.timeout * 3 + 2)
    topics = tuple(sample.topics)
    notes: list[str] = []
    host, port = admin.spec.first_address()
    keys = {v.api_key for v in await wire.api_versions(admin.spec, host, port, admin.timeout)}
    if not {OFFSET_COMMIT, FIND_COORDINATOR} <= keys:
        notes.append("The lagging consumer group was not created: the broker does not support consumer groups "
                     "(OffsetCommit, FindCoordinator) yet.")
        return SampleResult(topics, count, tuple(notes))
    try:
        await commit_group_offsets(admin, sample.group, sample.group_topic, sample.committed_fraction)
    except Exception as exc:
        notes.append(f"The lagging consumer group was not created: {describe(exc).sentence}")
    return SampleResult(topics, count, tuple(notes))


async def commit_group_offsets(admin: AdminService, group: str, topic: str, fraction: float) -> None:
    """Commit offsets at `fraction` of each partition's high watermark, so the group lags behind."""
    from confluent_kafka import ConsumerGroupTopicPartitions

    parts = await admin.partitions(topic, sizes=False)
    offsets = [TopicPartition(topic, p.partition, int((p.high or 0) * fraction)) for p in parts]
    futs = admin.client.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, offsets)],
                                                     request_timeout=admin.timeout)
    for fut in futs.values():
        await asyncio.wait_for(asyncio.wrap_future(fut), admin.timeout + 1)
