"""What a broker knows of the cluster, as the controller's UpdateMetadata requests tell it (Kafka's
ZkMetadataCache): the live brokers with their endpoints, every partition's leader, epochs, replicas and ISR,
the topic ids and the controller.

Clients' Metadata, FindCoordinator and DescribeCluster are answered from here on every
broker. Every UpdateMetadata carries the full list of live brokers; partition states are
incremental, and a leader of -2 means the topic is being deleted (the partitions are
dropped). A request from a controller older than the newest one seen is refused.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from kio.schema.errors import ErrorCode

from engine.cluster.znodes import LEADER_DURING_DELETE, EndPoint

SECURITY_PROTOCOLS = {0: "PLAINTEXT", 1: "SSL", 2: "SASL_PLAINTEXT", 3: "SASL_SSL"}
PROTOCOL_IDS = {v: k for k, v in SECURITY_PROTOCOLS.items()}


@dataclasses.dataclass(frozen=True)
class LiveBroker:
    broker_id: int
    endpoints: tuple[EndPoint, ...]
    rack: str | None

    def endpoint(self, listener: str) -> EndPoint | None:
        for ep in self.endpoints:
            if ep.listener == listener:
                return ep
        return None


@dataclasses.dataclass(frozen=True)
class PartitionInfo:
    leader: int
    leader_epoch: int
    isr: tuple[int, ...]
    zk_version: int
    replicas: tuple[int, ...]
    offline: tuple[int, ...]
    controller_epoch: int


class MetadataCache:
    def __init__(self) -> None:
        self.controller_id = -1
        self.controller_epoch = 0
        self.brokers: dict[int, LiveBroker] = {}
        self.partitions: dict[str, dict[int, PartitionInfo]] = {}
        self.topic_ids: dict[str, uuid.UUID] = {}
        self.updated = 0  # how many UpdateMetadata requests were applied (waiters compare it)

    # -- updates ---------------------------------------------------------------------------------
    def update(self, req: Any) -> tuple[ErrorCode, list[tuple[str, int]], set[str]]:
        """Apply an UpdateMetadata request: (error, partitions deleted, topics that appeared)."""
        epoch = int(req.controller_epoch)
        if epoch < self.controller_epoch:
            return ErrorCode.stale_controller_epoch, [], set()
        self.controller_epoch = epoch
        self.controller_id = int(req.controller_id)
        self.brokers = {
            int(b.id): LiveBroker(int(b.id), tuple(
                EndPoint(str(e.listener), str(e.host), int(e.port), SECURITY_PROTOCOLS.get(int(e.security_protocol),
                                                                                              "PLAINTEXT"))
                for e in b.endpoints), b.rack) for b in req.live_brokers}
        deleted: list[tuple[str, int]] = []
        appeared: set[str] = set()
        for t in req.topic_states:
            name = str(t.topic_name)
            for ps in t.partition_states:
                index = int(ps.partition_index)
                if int(ps.leader) == LEADER_DURING_DELETE:
                    parts = self.partitions.get(name)
                    if parts is not None and parts.pop(index, None) is not None:
                        deleted.append((name, index))
                        if not parts:
                            del self.partitions[name]
                            self.topic_ids.pop(name, None)
                    continue
                if name not in self.partitions:
                    appeared.add(name)
                self.partitions.setdefault(name, {})[index] = PartitionInfo(
                    int(ps.leader), int(ps.leader_epoch), tuple(int(b) for b in ps.isr), int(ps.zk_version),
                    tuple(int(b) for b in ps.replicas), tuple(int(b) for b in ps.offline_replicas),
                    int(ps.controller_epoch))
                if t.topic_id is not None and t.topic_id.int != 0:
                    self.topic_ids[name] = t.topic_id
        self.updated += 1
        return ErrorCode.none, deleted, appeared

    # -- queries ----------------------------------------------------------------------------------
    def partition(self, topic: str, index: int) -> PartitionInfo | None:
        return self.partitions.get(topic, {}).get(index)

    def contains(self, topic: str, index: int | None = None) -> bool:
        parts = self.partitions.get(topic)
        return parts is not None and (index is None or index in parts)

    def alive(self, broker_id: int) -> bool:
        return broker_id in self.brokers

    def leader_endpoint(self, topic: str, index: int, listener: str) -> EndPoint | None:
        info = self.partition(topic, index)
        if info is None or info.leader < 0:
            return None
        broker = self.brokers.get(info.leader)
        return broker.endpoint(listener) if broker is not None else None

    def partition_count(self, topic: str) -> int:
        parts = self.partitions.get(topic, {})
        return max(parts) + 1 if parts else 0
