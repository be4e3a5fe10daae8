"""Which __consumer_offsets partitions this broker's group coordinator owns (ZooKeeper mode).

A broker coordinates the groups of the __consumer_offsets partitions it leads (Kafka's
GroupCoordinator.onElection / onResignation): becoming leader it replays that partition's
records into the coordinator; losing the leadership it unloads those groups and offsets,
answering members that wait in JoinGroup or SyncGroup with NOT_COORDINATOR so they find the
new coordinator. Requests for a group of a partition it does not own get NOT_COORDINATOR.
Without ZooKeeper the broker owns every partition and nothing here is used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from kio.schema.errors import ErrorCode

from engine.coordinator.coordinator import GroupCoordinator, _fail
from engine.coordinator.offset_store import OffsetsRecord

log = logging.getLogger("engine.coordinator")


class Ownership:
    def __init__(self, coordinator: GroupCoordinator, partition_of: Callable[[str], int]) -> None:
        self.coordinator = coordinator
        self.partition_of = partition_of
        self.owned: dict[int, int] = {}  # partition -> leader epoch it was loaded at

    def error_for(self, group_id: str) -> ErrorCode | None:
        return None if self.partition_of(group_id) in self.owned else ErrorCode.not_coordinator

    def elected(self, partition: int, epoch: int, records: Iterable[OffsetsRecord]) -> None:
        if self.owned.get(partition, -1) >= epoch and partition in self.owned:
            return
        self._drop(partition)
        self.coordinator.replay(records)
        self.owned[partition] = epoch
        groups = sum(1 for g in self.coordinator.groups if self.partition_of(g) == partition)
        log.info("coordinating the groups of __consumer_offsets-%d (leader epoch %d): %d group(s)", partition,
                 epoch, groups)

    def resigned(self, partition: int) -> None:
        if self.owned.pop(partition, None) is not None:
            self._drop(partition)
            log.info("no longer coordinating the groups of __consumer_offsets-%d", partition)

    def _drop(self, partition: int) -> None:
        c = self.coordinator
        for gid in [g for g in c.groups if self.partition_of(g) == partition]:
            for member in c.groups[gid].members.values():
                _fail(member, ErrorCode.not_coordinator)
            del c.groups[gid]
            c.group_records.pop(gid, None)
        for gid in [g for g in c.offsets if self.partition_of(g) == partition]:
            del c.offsets[gid]
            c.offset_seq.pop(gid, None)
        for key in [k for k in c.pending_txn if k[1] == partition]:
            del c.pending_txn[key]
