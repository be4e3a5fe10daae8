"""The controller's view of the cluster (Kafka's ControllerContext), loaded from ZooKeeper at fail-over and kept
up to date by the controller's events; nothing else writes it."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable

from engine.cluster.controller.states import PartitionState, ReplicaState
from engine.cluster.znodes import BrokerRegistration, LeaderAndIsr

TP = tuple[str, int]


@dataclasses.dataclass
class ControllerContext:
    epoch: int = 0
    epoch_zk_version: int = -1
    live: dict[int, BrokerRegistration] = dataclasses.field(default_factory=dict)
    shutting_down: set[int] = dataclasses.field(default_factory=set)
    topic_ids: dict[str, uuid.UUID] = dataclasses.field(default_factory=dict)
    assignments: dict[str, dict[int, list[int]]] = dataclasses.field(default_factory=dict)
    leadership: dict[TP, LeaderAndIsr] = dataclasses.field(default_factory=dict)
    partition_states: dict[TP, PartitionState] = dataclasses.field(default_factory=dict)
    replica_states: dict[tuple[str, int, int], ReplicaState] = dataclasses.field(default_factory=dict)
    topics_to_delete: set[str] = dataclasses.field(default_factory=set)
    topics_ineligible: set[str] = dataclasses.field(default_factory=set)

    # -- brokers -------------------------------------------------------------------------------
    @property
    def live_ids(self) -> set[int]:
        """Live brokers that are not shutting down (Kafka's liveBrokerIds)."""
        return set(self.live) - self.shutting_down

    @property
    def live_or_shutting_ids(self) -> set[int]:
        return set(self.live)

    def broker_epoch(self, broker_id: int) -> int:
        reg = self.live.get(broker_id)
        return reg.epoch if reg is not None else -1

    def replica_online(self, broker_id: int, include_shutting_down: bool = False) -> bool:
        return broker_id in (self.live_or_shutting_ids if include_shutting_down else self.live_ids)

    # -- partitions ----------------------------------------------------------------------------
    def all_partitions(self) -> list[TP]:
        return [(t, p) for t, parts in self.assignments.items() for p in sorted(parts)]

    def replicas(self, tp: TP) -> list[int]:
        return list(self.assignments.get(tp[0], {}).get(tp[1], []))

    def partitions_of(self, topic: str) -> list[TP]:
        return [(topic, p) for p in sorted(self.assignments.get(topic, {}))]

    def partitions_on(self, broker_ids: Iterable[int]) -> list[TP]:
        ids = set(broker_ids)
        return [tp for tp in self.all_partitions() if ids & set(self.replicas(tp))]

    def replicas_on(self, broker_ids: Iterable[int],
                    partitions: Iterable[TP] | None = None) -> list[tuple[str, int, int]]:
        ids = set(broker_ids)
        tps = self.all_partitions() if partitions is None else list(partitions)
        return [(t, p, r) for (t, p) in tps for r in self.replicas((t, p)) if r in ids]

    def replicas_of(self, partitions: Iterable[TP]) -> list[tuple[str, int, int]]:
        return [(t, p, r) for (t, p) in partitions for r in self.replicas((t, p))]

    def partitions_with_offline_leader(self) -> list[TP]:
        out = []
        for tp, state in self.partition_states.items():
            lead = self.leadership.get(tp)
            if state is PartitionState.ONLINE and lead is not None and not self.replica_online(lead.leader) \
                    and tp[0] not in self.topics_to_delete:
                out.append(tp)
        return out

    def partitions_in(self, *states: PartitionState) -> list[TP]:
        return [tp for tp, s in self.partition_states.items() if s in states and tp[0] not in self.topics_to_delete]

    def remove_topic(self, topic: str) -> None:
        for tp in self.partitions_of(topic):
            self.leadership.pop(tp, None)
            self.partition_states.pop(tp, None)
            for r in self.replicas(tp):
                self.replica_states.pop((tp[0], tp[1], r), None)
        self.assignments.pop(topic, None)
        self.topic_ids.pop(topic, None)
        self.topics_to_delete.discard(topic)
        self.topics_ineligible.discard(topic)
