"""Committed offsets of the group coordinator: OffsetCommit, OffsetFetch, retention, OffsetDelete, and the
transactional offset commits of TxnOffsetCommit.

A transactional commit (TxnOffsetCommit, from a producer inside a transaction) is
written to __consumer_offsets as a transactional batch with the producer's id and
epoch, and stays pending until the transaction coordinator's marker reaches that
partition: COMMIT makes the offsets the group's committed offsets (unless a plain
commit of the same partition was written after them), ABORT drops them. While
offsets are pending, OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT
for those partitions (Kafka Streams and read_committed consumers ask so).
Replay at start-up follows the same rules, so pending and completed transactional
commits survive a restart.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple, Protocol

from kio.schema.errors import ErrorCode

from engine.coordinator import formats
from engine.coordinator.formats import OffsetValue
from engine.coordinator.group import Group, GroupState

if TYPE_CHECKING:
    pass

log = logging.getLogger("engine.coordinator")
S = GroupState
MAX_METADATA = 4096
TopicPartition = tuple[str, int]


class Journal(Protocol):
    def append(self, group: str, records: list[tuple[bytes, bytes | None]]) -> None: ...

    def append_transactional(self, group: str, producer_id: int, producer_epoch: int,
                             records: list[tuple[bytes, bytes | None]]) -> None: ...

    def partition_of(self, group: str) -> int: ...


class OffsetsRecord(NamedTuple):
    """A record of __consumer_offsets as replay needs it: with its batch's producer and marker."""

    key: bytes | None
    value: bytes | None
    producer_id: int
    transactional: bool
    marker: bool | None  # a control batch: True for COMMIT, False for ABORT
    partition: int


@dataclasses.dataclass
class PendingOffset:
    value: OffsetValue
    seq: int  # write order, against plain commits of the same partition


class OffsetCommits:
    """Mixed into GroupCoordinator: the offsets part of its state and requests."""

    groups: dict[str, Group]
    offsets: dict[str, dict[TopicPartition, OffsetValue]]
    group_records: dict[str, bytes]
    journal: Journal
    clock: Callable[[], float]
    wall_ms: Callable[[], int]
    topic_exists: Callable[[str, int], bool]
    offsets_retention_ms: int

    def _init_offsets(self) -> None:
        self._seq = 0
        self.offset_seq: dict[str, dict[TopicPartition, int]] = {}
        # (producer id, __consumer_offsets partition) -> group -> partition -> pending offset
        self.pending_txn: dict[tuple[int, int], dict[str, dict[TopicPartition, PendingOffset]]] = {}

    if TYPE_CHECKING:
        def _group(self, group_id: str, create: bool = False) -> Group | None: ...

        def _to(self, group: Group, state: GroupState) -> None: ...

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _set_offset(self, group_id: str, tp: TopicPartition, value: OffsetValue, seq: int) -> None:
        self.offsets.setdefault(group_id, {})[tp] = value
        self.offset_seq.setdefault(group_id, {})[tp] = seq

    # -- plain commits ---------------------------------------------------------------------------
    def commit(self, group_id: str, generation: int, member_id: str, group_instance_id: str | None,
               offsets: list[tuple[str, int, int, int, str | None]]) -> list[ErrorCode]:
        """offsets: (topic, partition, offset, leader epoch, metadata); returns an error per partition."""
        group = self._group(group_id)
        top: ErrorCode | None = None
        if not group_id:
            top = ErrorCode.invalid_group_id
        elif group is not None and group.is_(S.DEAD):
            top = ErrorCode.coordinator_not_available
        elif group is not None and group.fenced(group_instance_id, member_id):
            top = ErrorCode.fenced_instance_id
        elif generation < 0 and (group is None or group.is_(S.EMPTY)):
            top = None
        elif group is None:
            top = ErrorCode.illegal_generation if generation >= 0 else ErrorCode.unknown_member_id
        elif group.is_(S.COMPLETING_REBALANCE):
            top = ErrorCode.rebalance_in_progress
        elif member_id not in group.members:
            top = ErrorCode.unknown_member_id
        elif generation != group.generation:
            top = ErrorCode.illegal_generation
        if top is not None:
            return [top for _ in offsets]
        if group is None:
            group = self._group(group_id, create=True)
            assert group is not None
        if group is not None and member_id in group.members:
            m = group.members[member_id]
            m.session_deadline = self.clock() + m.session_timeout_ms / 1000
        now = self.wall_ms()
        results: list[ErrorCode] = []
        records: list[tuple[bytes, bytes | None]] = []
        for topic, partition, offset, epoch, metadata in offsets:
            if metadata is not None and len(metadata) > MAX_METADATA:
                results.append(ErrorCode.offset_metadata_too_large)
                continue
            if not self.topic_exists(topic, partition):
                results.append(ErrorCode.unknown_topic_or_partition)
                continue
            value = OffsetValue(offset, epoch, metadata or "", now)
            self._set_offset(group_id, (topic, partition), value, self._next_seq())
            records.append((formats.offset_key(group_id, topic, partition), formats.offset_value(value)))
            results.append(ErrorCode.none)
        if records:
            self.journal.append(group_id, records)
        return results

    def fetch_offsets(self, group_id: str, wanted: list[tuple[str, list[int]]] | None
                      ) -> list[tuple[str, list[tuple[int, OffsetValue | None]]]]:
        store = self.offsets.get(group_id, {})
        if wanted is None:
            by_topic: dict[str, list[tuple[int, OffsetValue | None]]] = {}
            for (topic, partition), value in sorted(store.items()):
                by_topic.setdefault(topic, []).append((partition, value))
            return list(by_topic.items())
        return [(topic, [(p, store.get((topic, p))) for p in parts]) for topic, parts in wanted]

    def expire_offsets(self) -> int:
        """Kafka's offset retention (offsets.retention.minutes): the offsets of an Empty group expire
        that long after it became Empty; those of a group that only commits (no protocol type), that
        long after each commit; a Stable consumer group loses only offsets of topics it no longer
        subscribes to. An Empty group left without offsets becomes Dead. Returns how many expired."""
        now = self.wall_ms()
        expired_total = 0
        for group_id in sorted(set(self.offsets) | set(self.groups)):
            g = self.groups.get(group_id)
            store = self.offsets.get(group_id, {})
            keep: set[str] = set()
            empty_since: int | None = None  # counted from the group's becoming Empty, else from each commit
            if g is None or g.protocol_type is None:
                pass
            elif g.is_(S.EMPTY):
                empty_since = g.state_timestamp if g.state_timestamp >= 0 else None
            elif g.is_(S.STABLE) and g.protocol_type == "consumer":
                for m in g.members.values():
                    keep.update(formats.subscribed_topics(m.metadata_for(g.protocol)))
            else:
                continue
            expired = [tp for tp, v in store.items() if tp[0] not in keep
                       and now - (v.commit_timestamp if empty_since is None else empty_since)
                       >= self.offsets_retention_ms]
            records: list[tuple[bytes, bytes | None]] = []
            for topic, partition in expired:
                del store[(topic, partition)]
                self.offset_seq.get(group_id, {}).pop((topic, partition), None)
                records.append((formats.offset_key(group_id, topic, partition), None))
            if group_id in self.offsets and not store:
                del self.offsets[group_id]
            if g is not None and g.is_(S.EMPTY) and group_id not in self.offsets and not g.pending:
                self._to(g, S.DEAD)
                del self.groups[group_id]
                self.group_records.pop(group_id, None)
                records.append((formats.group_key(group_id), None))
            if records:
                self.journal.append(group_id, records)
            if expired:
                log.info("group %s: %d committed offsets expired", group_id, len(expired))
            expired_total += len(expired)
        return expired_total


    def delete_offsets(self, group_id: str, partitions: list[tuple[str, int]]) -> tuple[ErrorCode, list[ErrorCode]]:
        g = self.groups.get(group_id)
        if g is None and group_id not in self.offsets:
            return ErrorCode.group_id_not_found, []
        if g is not None and g.is_(S.DEAD):
            return ErrorCode.group_id_not_found, []
        subscribed: set[str] = set()
        if g is not None and not g.is_(S.EMPTY):
            if g.protocol_type != "consumer":
                return ErrorCode.non_empty_group, []
            for m in g.members.values():
                subscribed.update(formats.subscribed_topics(m.metadata_for(g.protocol)))
        store = self.offsets.get(group_id, {})
        results = []
        records: list[tuple[bytes, bytes | None]] = []
        for topic, partition in partitions:
            if topic in subscribed:
                results.append(ErrorCode.group_subscribed_to_topic)
                continue
            self.offset_seq.get(group_id, {}).pop((topic, partition), None)
            if store.pop((topic, partition), None) is not None:
                records.append((formats.offset_key(group_id, topic, partition), None))
            results.append(ErrorCode.none)
        if records:
            self.journal.append(group_id, records)
        return ErrorCode.none, results


    # -- transactional commits ---------------------------------------------------------------
    def txn_commit(self, group_id: str, producer_id: int, producer_epoch: int, generation: int, member_id: str,
                   group_instance_id: str | None, offsets: list[tuple[str, int, int, int, str | None]]
                   ) -> list[ErrorCode]:
        """TxnOffsetCommit: write the offsets as a transactional batch; they count once the marker commits."""
        group = self._group(group_id)
        top: ErrorCode | None = None
        if not group_id:
            top = ErrorCode.invalid_group_id
        elif group is not None and group.is_(S.DEAD):
            top = ErrorCode.coordinator_not_available
        elif group is not None and group.fenced(group_instance_id, member_id):
            top = ErrorCode.fenced_instance_id
        elif member_id and (group is None or member_id not in group.members):
            top = ErrorCode.unknown_member_id
        elif generation >= 0 and (group is None or generation != group.generation):
            top = ErrorCode.illegal_generation
        if top is not None:
            return [top for _ in offsets]
        if group is None:
            self._group(group_id, create=True)
        now = self.wall_ms()
        results: list[ErrorCode] = []
        records: list[tuple[bytes, bytes | None]] = []
        staged: list[tuple[TopicPartition, OffsetValue]] = []
        for topic, partition, offset, epoch, metadata in offsets:
            if metadata is not None and len(metadata) > MAX_METADATA:
                results.append(ErrorCode.offset_metadata_too_large)
                continue
            if not self.topic_exists(topic, partition):
                results.append(ErrorCode.unknown_topic_or_partition)
                continue
            value = OffsetValue(offset, epoch, metadata or "", now)
            staged.append(((topic, partition), value))
            records.append((formats.offset_key(group_id, topic, partition), formats.offset_value(value)))
            results.append(ErrorCode.none)
        if records:
            self.journal.append_transactional(group_id, producer_id, producer_epoch, records)
            key = (producer_id, self.journal.partition_of(group_id))
            pending = self.pending_txn.setdefault(key, {}).setdefault(group_id, {})
            for tp, value in staged:
                pending[tp] = PendingOffset(value, self._next_seq())
        return results

    def complete_txn(self, producer_id: int, offsets_partition: int, commit: bool) -> None:
        """The marker of producer_id's transaction reached this __consumer_offsets partition."""
        by_group = self.pending_txn.pop((producer_id, offsets_partition), {})
        if not commit:
            return
        for group_id, pending in by_group.items():
            for tp, p in pending.items():
                if self.offset_seq.get(group_id, {}).get(tp, -1) < p.seq:
                    self._set_offset(group_id, tp, p.value, p.seq)
            if group_id not in self.groups:
                self._group(group_id, create=True)

    def has_pending_txn_offsets(self, group_id: str, tp: TopicPartition) -> bool:
        return any(tp in by_group.get(group_id, {}) for by_group in self.pending_txn.values())

    def _replay_offset(self, key: formats.OffsetKey, value_bytes: bytes | None, producer_id: int,
                       transactional: bool, partition: int) -> None:
        tp = (key.topic, key.partition)
        seq = self._next_seq()
        if transactional and value_bytes is not None:
            by_group = self.pending_txn.setdefault((producer_id, partition), {})
            by_group.setdefault(key.group, {})[tp] = PendingOffset(formats.parse_offset_value(value_bytes), seq)
            return
        if value_bytes is None:
            store = self.offsets.get(key.group, {})
            store.pop(tp, None)
            self.offset_seq.get(key.group, {}).pop(tp, None)
            if key.group in self.offsets and not store:
                del self.offsets[key.group]
        else:
            self._set_offset(key.group, tp, formats.parse_offset_value(value_bytes), seq)
