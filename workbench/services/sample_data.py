"""Sample data for an empty cluster: a few topics of keyed JSON messages with headers, and a lagging consumer group.

Topics: orders (3 partitions, keyed by customer), customers (1 partition, keyed by
id), payments (2 partitions). The group `billing` has committed offsets halfway
through orders, so the groups pane has lag to show. Everything is produced through
librdkafka's producer in an executor thread and awaited with a timeout; a broker
without consumer groups gets the topics and a note instead of the group.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from typing import Any

from confluent_kafka import Producer, TopicPartition

from workbench.errors import describe
from workbench.services import wire
from workbench.services.admin import AdminService
from workbench.services.connection import client_config

TOPICS = {"orders": 3, "customers": 1, "payments": 2}
GROUP = "billing"
OFFSET_COMMIT, FIND_COORDINATOR = 8, 10
CUSTOMERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]


@dataclasses.dataclass(frozen=True)
class SampleResult:
    topics: tuple[str, ...]
    messages: int
    notes: tuple[str, ...]

    @property
    def sentence(self) -> str:
        text = f"Loaded {self.messages} sample messages into {', '.join(self.topics)}."
        return " ".join((text, *self.notes))


Headers = list[tuple[str, str | bytes | None]]


def _messages(seed: int = 7) -> list[tuple[str, bytes, bytes, Headers]]:
    rnd = random.Random(seed)
    out: list[tuple[str, bytes, bytes, Headers]] = []
    for i, name in enumerate(CUSTOMERS):
        doc = {"id": name, "name": name.title(), "tier": rnd.choice(["free", "pro", "enterprise"]),
               "since": 2019 + i % 5}
        out.append(("customers", name.encode(), json.dumps(doc).encode(), [("source", b"crm")]))
    for i in range(60):
        customer = rnd.choice(CUSTOMERS)
        order_id = f"o-{1000 + i}"
        order = {"order_id": order_id, "customer": customer, "amount": round(rnd.uniform(5, 500), 2),
                 "items": rnd.randint(1, 6), "currency": "EUR"}
        headers: Headers = [("trace-id", f"{rnd.getrandbits(64):016x}".encode()), ("content-type", b"application/json")]
        out.append(("orders", customer.encode(), json.dumps(order).encode(), headers))
        if i % 2 == 0:
            pay = {"order_id": order_id, "status": rnd.choice(["authorized", "captured", "refused"])}
            out.append(("payments", order_id.encode(), json.dumps(pay).encode(), [("psp", b"acme-pay")]))
    return out


def _produce(conf: dict[str, Any], timeout: float) -> int:
    producer = Producer({**conf, "linger.ms": 5, "acks": "all"})
    failures: list[str] = []

    def delivered(err: Any, _msg: Any) -> None:
        if err is not None:
            failures.append(err.str())
    messages = _messages()
    for topic, key, value, headers in messages:
        producer.produce(topic, key=key, value=value, headers=headers, on_delivery=delivered)
    left = producer.flush(timeout)
    if left or failures:
        raise RuntimeError(f"{left} messages not delivered; {failures[:1]}")
    return len(messages)


async def load_sample_data(admin: AdminService) -> SampleResult:
    existing = {t.name for t in await admin.list_topics()}
    for topic, partitions in TOPICS.items():
        if topic not in existing:
            await admin.create_topic(topic, partitions, 1)
    loop = asyncio.get_running_loop()
    conf = client_config(admin.spec, admin.timeout)
    count = await asyncio.wait_for(loop.run_in_executor(admin.executor, _produce, conf, admin.timeout * 3),
                                   admin.timeout * 3 + 2)
    notes: list[str] = []
    host, port = admin.spec.first_address()
    keys = {v.api_key for v in await wire.api_versions(admin.spec, host, port, admin.timeout)}
    if not {OFFSET_COMMIT, FIND_COORDINATOR} <= keys:
        notes.append("The lagging consumer group was not created: the broker does not support consumer groups "
                     "(OffsetCommit, FindCoordinator) yet.")
        return SampleResult(tuple(TOPICS), count, tuple(notes))
    try:
        await commit_group_offsets(admin, GROUP, "orders", fraction=0.5)
    except Exception as exc:
        notes.append(f"The lagging consumer group was not created: {describe(exc).sentence}")
    return SampleResult(tuple(TOPICS), count, tuple(notes))


async def commit_group_offsets(admin: AdminService, group: str, topic: str, fraction: float) -> None:
    """Commit offsets at `fraction` of each partition's high watermark, so the group lags behind."""
    from confluent_kafka import ConsumerGroupTopicPartitions

    parts = await admin.partitions(topic, sizes=False)
    offsets = [TopicPartition(topic, p.partition, int((p.high or 0) * fraction)) for p in parts]
    futs = admin.client.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, offsets)],
                                                     request_timeout=admin.timeout)
    for fut in futs.values():
        await asyncio.wait_for(asyncio.wrap_future(fut), admin.timeout + 1)
