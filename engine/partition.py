"""One topic-partition on this broker: its log, leader epoch, replicas, ISR and high watermark.

Replication is modelled from the start: a partition has a leader, a replica list and
an in-sync set; the high watermark is the smallest log end offset among the in-sync
replicas. With one broker the ISR is the leader alone, so the high watermark is the
log end offset right after each append.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from pathlib import Path
from typing import Any

from kio.schema.errors import ErrorCode

from engine.producer_state import BatchMeta, ProducerStateManager, Verdict
from engine.storage import BatchHeader, Log, LogConfig
from engine.storage.fileio import StorageError


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
        self.leader = node_id
        self.leader_epoch = leader_epoch
        self.replicas = [node_id]
        self.isr = [node_id]
        self.producers = ProducerStateManager()
        self._data_arrived = asyncio.Event()
        self._rebuild_producer_state()

    @property
    def name(self) -> str:
        return f"{self.topic}-{self.index}"

    @property
    def high_watermark(self) -> int:
        return int(self.log.log_end_offset)

    @property
    def log_start_offset(self) -> int:
        return int(self.log.log_start_offset)

    @property
    def last_stable_offset(self) -> int:
        """The first offset of the oldest open transaction, else the high watermark (read_committed's limit)."""
        return self.high_watermark

    def aborted_transactions(self, start: int, end: int) -> list[tuple[int, int]]:
        """(producer id, first offset) of the aborted transactions with records in [start, end)."""
        return []

    def _rebuild_producer_state(self) -> None:
        for header in self.log.iter_batch_headers(self.log.log_start_offset):
            if header.producer_id >= 0 and header.base_sequence >= 0:
                self.producers.update(
                    header.producer_id,
                    header.producer_epoch,
                    BatchMeta(
                        header.base_sequence,
                        header.base_sequence + header.last_offset_delta,
                        header.base_offset,
                        header.base_offset + header.last_offset_delta,
                        header.max_timestamp,
                    ),
                )

    def append(self, records: bytes, batches: list[BatchHeader], now_ms: int) -> AppendResult:
        """Append validated batches (one produce request's data for this partition)."""
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
        try:
            info_ = self.log.append(records, leader_epoch=self.leader_epoch, now_ms=now_ms)
        except StorageError as exc:
            return AppendResult(ErrorCode.kafka_storage_error, message=str(exc))
        for b in idem:
            delta = b.last_offset_delta
            offset = info_.first_offset + (b.base_offset if len(batches) > 1 else 0)
            self.producers.update(
                b.producer_id,
                b.producer_epoch,
                BatchMeta(b.base_sequence, b.base_sequence + delta, offset, offset + delta, b.max_timestamp),
            )
        self.notify()
        return AppendResult(ErrorCode.none, info_.first_offset, info_.log_append_time, self.log_start_offset)

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
