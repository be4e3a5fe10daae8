"""Idempotent-producer state per partition: epochs, sequence checks, and the last five batches.

A retried batch that matches one of the producer's last five batches is a duplicate:
it is answered with the offsets it got the first time and not appended again. Any
other sequence than the next one is OUT_OF_ORDER_SEQUENCE_NUMBER; an older epoch is
INVALID_PRODUCER_EPOCH. The state is rebuilt from the batch headers of the log at
start-up, so it survives restarts without a snapshot file.
"""

from __future__ import annotations

import collections
import dataclasses
import enum

from kio.schema.errors import ErrorCode

MAX_CACHED_BATCHES = 5
INT32_MAX = 2**31 - 1


@dataclasses.dataclass(frozen=True, slots=True)
class BatchMeta:
    first_seq: int
    last_seq: int
    first_offset: int
    last_offset: int
    timestamp: int


@dataclasses.dataclass
class ProducerEntry:
    epoch: int
    batches: collections.deque[BatchMeta] = dataclasses.field(
        default_factory=lambda: collections.deque(maxlen=MAX_CACHED_BATCHES)
    )

    @property
    def last_seq(self) -> int:
        return self.batches[-1].last_seq if self.batches else -1


class Verdict(enum.Enum):
    APPEND = "append"
    DUPLICATE = "duplicate"
    REJECT = "reject"


def _next(seq: int) -> int:
    return 0 if seq == INT32_MAX else seq + 1


class ProducerStateManager:
    def __init__(self) -> None:
        self.producers: dict[int, ProducerEntry] = {}

    def check(
        self, producer_id: int, epoch: int, first_seq: int, last_seq: int
    ) -> tuple[Verdict, BatchMeta | ErrorCode | None]:
        entry = self.producers.get(producer_id)
        if entry is None:
            if first_seq != 0:
                return Verdict.REJECT, ErrorCode.unknown_producer_id
            return Verdict.APPEND, None
        if epoch < entry.epoch:
            return Verdict.REJECT, ErrorCode.invalid_producer_epoch
        if epoch > entry.epoch:
            if first_seq != 0:
                return Verdict.REJECT, ErrorCode.out_of_order_sequence_number
            return Verdict.APPEND, None
        for meta in entry.batches:
            if meta.first_seq == first_seq and meta.last_seq == last_seq:
                return Verdict.DUPLICATE, meta
        if first_seq != _next(entry.last_seq):
            return Verdict.REJECT, ErrorCode.out_of_order_sequence_number
        return Verdict.APPEND, None

    def update(self, producer_id: int, epoch: int, meta: BatchMeta) -> None:
        entry = self.producers.get(producer_id)
        if entry is None or epoch != entry.epoch:
            entry = ProducerEntry(epoch)
            self.producers[producer_id] = entry
        entry.batches.append(meta)
