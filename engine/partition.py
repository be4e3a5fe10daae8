"""One topic-partition on this broker: its log, leader epoch, replicas, ISR and high watermark.

Replication is modelled from the start: a partition has a leader, a replica list and
an in-sync set; the high watermark is the smallest log end offset among the in-sync
replicas. With one broker the ISR is the leader alone, so the high watermark is the
log end offset right after each append.

In ZooKeeper mode (engine.cluster) `replication` holds the replica's role and, on a
leader, its followers' state (engine.cluster.replica.ReplicaSet): the high watermark is
then kept in `hw`, appends are refused unless this broker leads, and a follower appends
its leader's batches as they are (`append_as_follower`) and truncates by leader epoch,
keeping the producers' state (idempotence, transactions) in step, so that it can take
over as leader.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kio.schema.errors import ErrorCode

from engine.producer_state import BatchMeta, ProducerStateManager, Verdict
from engine.storage import BatchHeader, Log, LogConfig, OffsetOutOfRangeError
from engine.storage.batch import HEADER_SIZE
from engine.storage.control import ControlRecord, control_batch, parse_control_batch
from engine.storage.fileio import StorageError
from engine.storage.log import AppendInfo

if TYPE_CHECKING:
    from engine.cluster.replica import ReplicaSet


@dataclasses.dataclass(frozen=True, slots=True)
class AppendResult:
    error: ErrorCode
    base_offset: int = -1
    log_append_time: int = -1
    log_start_offset: int = -1
    message: str | None = None


class Partition:
    def __init__(
        self,
        topic: str,
        index: int,
        topic_id: uuid.UUID,
        log: Log,
        node_id: int,
        leader_epoch: int = 0,
    ) -> None:
        self.topic = topic
        self.index = index
        self.topic_id = topic_id
        self.log = log
        self.node_id = node_id
        self.leader = node_id
        self.leader_epoch = leader_epoch
        self.replicas = [node_id]
        self.isr = [node_id]
        self.producers = ProducerStateManager()
        self.hw: int | None = None  # ZooKeeper mode: the replicated high watermark (None: the log end offset)
        self.replication: ReplicaSet | None = None
        self._data_arrived = asyncio.Event()
        self._rebuild_producer_state()

    @property
    def name(self) -> str:
        return f"{self.topic}-{self.index}"

    @property
    def high_watermark(self) -> int:
        return int(self.log.log_end_offset) if self.hw is None else self.hw

    @property
    def is_leader(self) -> bool:
        return self.leader == self.node_id

    def _not_leader(self) -> AppendResult | None:
        if self.replication is not None and not self.is_leader:
            return AppendResult(ErrorCode.not_leader_or_follower,
                                message=f"broker {self.node_id} is not the leader of {self.name}")
        return None

    @property
    def log_start_offset(self) -> int:
        return int(self.log.log_start_offset)

    @property
    def last_stable_offset(self) -> int:
        """The first offset of the oldest open transaction, else the high watermark (read_committed's limit)."""
        first = self.producers.first_unstable_offset()
        hw = self.high_watermark
        return hw if first is None else min(first, hw)

    def aborted_transactions(self, start: int, end: int) -> list[tuple[int, int]]:
        """(producer id, first offset) of the aborted transactions with records in [start, end)."""
        self.producers.forget_aborted_before(self.log_start_offset)
        return [(t.producer_id, t.first_offset) for t in self.producers.aborted_between(start, end)]

    def _rebuild_producer_state(self) -> None:
        """Producers' state from every batch header; also the leader epochs when their checkpoint was missing."""
        self.producers = ProducerStateManager()
        epochs = self.log.epochs
        rebuild_epochs = not epochs.loaded and not epochs.entries()
        latest = epochs.latest_epoch
        added = False
        for h in self.log.iter_batch_headers(self.log.log_start_offset):
            # a missing checkpoint is rebuilt whole; one older than the log (written, not yet fsynced, at a crash)
            # gains the epochs the log has past its latest
            if rebuild_epochs or latest is None or h.partition_leader_epoch > latest:
                epochs.assign(h.partition_leader_epoch, max(h.base_offset, self.log.log_start_offset), flush=False)
                latest = epochs.latest_epoch
                added = True
            self._track(h)
        if added and epochs.entries():
            epochs.flush()

    def _track(self, h: BatchHeader) -> None:
        """Follow one batch's producer in the producers' state (start-up, and a follower's appends)."""
        if h.producer_id < 0:
            return
        if h.is_control:
            control = self._control_type(h.base_offset)
            if control is not None:
                self.producers.complete_txn(h.producer_id, h.producer_epoch, h.base_offset,
                                            control.aborted, control.coordinator_epoch, h.max_timestamp)
            return
        if h.base_sequence >= 0:
            self.producers.update(h.producer_id, h.producer_epoch, BatchMeta(
                h.base_sequence, h.base_sequence + h.last_offset_delta, h.base_offset, h.last_offset,
                h.max_timestamp))
        if h.is_transactional:
            self.producers.begin_txn(h.producer_id, h.producer_epoch, h.base_offset, h.last_offset,
                                     h.max_timestamp)

    def _control_type(self, offset: int) -> ControlRecord | None:
        try:
            data = self.log.read(offset, HEADER_SIZE + 64, max_offset=None).records
            return parse_control_batch(data)
        except (OffsetOutOfRangeError, ValueError, IndexError):
            return None

    def append(self, records: bytes, batches: list[BatchHeader], now_ms: int) -> AppendResult:
        """Append validated batches (one produce request's data for this partition)."""
        refused = self._not_leader()
        if refused is not None:
            return refused
        idem = [b for b in batches if b.producer_id >= 0 and b.base_sequence >= 0]
        if idem:
            first = idem[0]
            verdict, info = self.producers.check(
                first.producer_id,
                first.producer_epoch,
                first.base_sequence,
                first.base_sequence + first.last_offset_delta,
            )
            if verdict is Verdict.DUPLICATE:
                assert isinstance(info, BatchMeta)
                return AppendResult(ErrorCode.none, info.first_offset, -1, self.log_start_offset)
            if verdict is Verdict.REJECT:
                assert isinstance(info, ErrorCode)
                return AppendResult(info, message=f"{info.name} for producer {first.producer_id}")
        for b in batches:
            if b.producer_id >= 0 and (err := self.producers.check_epoch(b.producer_id, b.producer_epoch)):
                return AppendResult(err, message=f"{err.name} for producer {b.producer_id}")
        try:
            info_ = self.log.append(records, leader_epoch=self.leader_epoch, now_ms=now_ms)
        except StorageError as exc:
            return AppendResult(ErrorCode.kafka_storage_error, message=str(exc))
        for b in batches:
            offset = info_.first_offset + (b.base_offset if len(batches) > 1 else 0)
            if b.producer_id >= 0 and b.base_sequence >= 0:
                delta = b.last_offset_delta
                self.producers.update(
                    b.producer_id,
                    b.producer_epoch,
                    BatchMeta(b.base_sequence, b.base_sequence + delta, offset, offset + delta, b.max_timestamp),
                )
            if b.is_transactional and b.producer_id >= 0:
                self.producers.begin_txn(b.producer_id, b.producer_epoch, offset, offset + b.last_offset_delta,
                                         b.max_timestamp)
        self.notify()
        if self.replication is not None:
            self.replication.after_leader_append()
        return AppendResult(ErrorCode.none, info_.first_offset, info_.log_append_time, self.log_start_offset)

    def append_marker(self, producer_id: int, producer_epoch: int, commit: bool, coordinator_epoch: int,
                      now_ms: int) -> AppendResult:
        """Write the transaction coordinator's COMMIT or ABORT control batch and close the transaction."""
        refused = self._not_leader()
        if refused is not None:
            return refused
        err = self.producers.check_marker(producer_id, producer_epoch, coordinator_epoch)
        if err is not None:
            return AppendResult(err, message=f"{err.name}: marker for producer {producer_id} epoch {producer_epoch}")
        batch = control_batch(producer_id, producer_epoch, commit, coordinator_epoch, now_ms)
        try:
            info_ = self.log.append(batch, leader_epoch=self.leader_epoch, now_ms=now_ms)
        except StorageError as exc:
            return AppendResult(ErrorCode.kafka_storage_error, message=str(exc))
        self.producers.complete_txn(producer_id, producer_epoch, info_.first_offset, not commit, coordinator_epoch,
                                    now_ms)
        self.notify()
        if self.replication is not None:
            self.replication.after_leader_append()
        return AppendResult(ErrorCode.none, info_.first_offset, -1, self.log_start_offset)

    # -- as a follower (ZooKeeper mode) --------------------------------------------------------
    def append_as_follower(self, records: bytes) -> AppendInfo | None:
        """Append the leader's batches as they are; the producers' state follows them."""
        before = self.log.log_end_offset
        info_ = self.log.append_as_follower(records)
        if info_ is not None:
            for h in self.log.iter_batch_headers(before):
                self._track(h)
            self.notify()
        return info_

    def set_high_watermark(self, hw: int) -> bool:
        """Set the replicated high watermark (clamped to [log start, log end]); True when it moved up."""
        hw = max(self.log_start_offset, min(hw, self.log.log_end_offset))
        old = self.high_watermark
        self.hw = hw
        if hw != old:
            self.notify()
        return hw > old

    def truncate_to(self, offset: int) -> None:
        """Cut the log at offset (a follower diverging from its leader): HW and producers' state follow."""
        if offset >= self.log.log_end_offset:
            return
        self.log.truncate_to(offset)
        if self.hw is not None and self.hw > self.log.log_end_offset:
            self.hw = self.log.log_end_offset
        self._rebuild_producer_state()

    def truncate_fully_and_start_at(self, offset: int, now_ms: int) -> None:
        self.log.truncate_fully_and_start_at(offset, now_ms)
        self.hw = offset
        self.producers = ProducerStateManager()

    def active_producers(self) -> list[dict[str, int]]:
        """DescribeProducers: each producer's epoch, last sequence and timestamp, open transaction."""
        return [{"producer_id": pid, "producer_epoch": e.epoch, "last_sequence": e.last_seq,
                 "last_timestamp": e.last_timestamp, "coordinator_epoch": e.coordinator_epoch,
                 "current_txn_start_offset": self.producers.ongoing.get(pid, -1)}
                for pid, e in sorted(self.producers.producers.items())]

    def notify(self) -> None:
        event, self._data_arrived = self._data_arrived, asyncio.Event()
        event.set()

    def data_event(self) -> asyncio.Event:
        return self._data_arrived

    def close(self) -> None:
        self.log.close()


def open_partition(
    data_dir: Path, topic: str, index: int, topic_id: uuid.UUID, config: LogConfig, node_id: int, now_ms: int,
    recovery_point: int | None = None,
) -> Partition:
    log = Log.open(data_dir / f"{topic}-{index}", config, now_ms=now_ms, recovery_point=recovery_point)
    return Partition(topic, index, topic_id, log, node_id)


def describe(p: Partition) -> dict[str, Any]:
    return {"leader": p.leader, "leader_epoch": p.leader_epoch, "replicas": p.replicas, "isr": p.isr}
