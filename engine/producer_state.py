"""Producer state per partition: epochs, sequence checks, the last five batches, and open transactions.

A retried batch that matches one of the producer's last five batches is a duplicate:
it is answered with the offsets it got the first time and not appended again. Any
other sequence than the next one is OUT_OF_ORDER_SEQUENCE_NUMBER; an older epoch is
INVALID_PRODUCER_EPOCH (a fenced zombie).

Transactions (as Kafka's ProducerStateManager): a producer's first transactional batch
opens its transaction at that offset; a control batch (the coordinator's commit or abort
marker) closes it. The last stable offset is the first offset of the oldest open
transaction (the high watermark when none is open): read_committed consumers read up to
it. Aborted transactions are kept as (producer id, first offset, last offset = the
marker's offset), so a fetch can list those overlapping the records it returns.

The state is rebuilt from the batch headers of the log at start-up (and the control
records' types), so it survives restarts without a snapshot file.
"""

from __future__ import annotations

import bisect
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
    coordinator_epoch: int = -1
    current_txn_first_offset: int = -1
    last_timestamp: int = -1
    last_data_offset: int = -1  # last offset of the producer's last data batch
    last_marker_offset: int = -1  # offset of the last transaction marker for it

    @property
    def last_seq(self) -> int:
        return self.batches[-1].last_seq if self.batches else -1


@dataclasses.dataclass(frozen=True, slots=True)
class AbortedTxn:
    producer_id: int
    first_offset: int
    last_offset: int


class Verdict(enum.Enum):
    APPEND = "append"
    DUPLICATE = "duplicate"
    REJECT = "reject"


def _next(seq: int) -> int:
    return 0 if seq == INT32_MAX else seq + 1


class ProducerStateManager:
    def __init__(self) -> None:
        self.producers: dict[int, ProducerEntry] = {}
        self.ongoing: dict[int, int] = {}  # producer id -> first offset of its open transaction
        self.aborted: list[AbortedTxn] = []  # in marker order, so sorted by last offset
        self._aborted_last: list[int] = []

    # -- idempotence ------------------------------------------------------------------
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

    def check_epoch(self, producer_id: int, epoch: int) -> ErrorCode | None:
        entry = self.producers.get(producer_id)
        if entry is not None and epoch < entry.epoch:
            return ErrorCode.invalid_producer_epoch
        return None

    def _entry(self, producer_id: int, epoch: int) -> ProducerEntry:
        entry = self.producers.get(producer_id)
        if entry is None or epoch > entry.epoch:
            old = entry
            entry = ProducerEntry(epoch)
            if old is not None:
                entry.coordinator_epoch = old.coordinator_epoch
                entry.current_txn_first_offset = old.current_txn_first_offset
            self.producers[producer_id] = entry
        return entry

    def update(self, producer_id: int, epoch: int, meta: BatchMeta) -> None:
        entry = self._entry(producer_id, epoch)
        entry.batches.append(meta)
        entry.last_timestamp = max(entry.last_timestamp, meta.timestamp)
        entry.last_data_offset = max(entry.last_data_offset, meta.last_offset)

    # -- transactions -----------------------------------------------------------------
    def begin_txn(self, producer_id: int, epoch: int, first_offset: int, last_offset: int, timestamp: int) -> None:
        """A transactional batch at first_offset: opens the producer's transaction unless one is open."""
        entry = self._entry(producer_id, epoch)
        entry.last_timestamp = max(entry.last_timestamp, timestamp)
        entry.last_data_offset = max(entry.last_data_offset, last_offset)
        if producer_id not in self.ongoing:
            self.ongoing[producer_id] = first_offset
            entry.current_txn_first_offset = first_offset

    def check_marker(self, producer_id: int, epoch: int, coordinator_epoch: int) -> ErrorCode | None:
        entry = self.producers.get(producer_id)
        if entry is None:
            return None
        if epoch < entry.epoch:
            return ErrorCode.invalid_producer_epoch
        if coordinator_epoch < entry.coordinator_epoch:
            return ErrorCode.transaction_coordinator_fenced
        return None

    def complete_txn(self, producer_id: int, epoch: int, marker_offset: int, aborted: bool, coordinator_epoch: int,
                     timestamp: int) -> AbortedTxn | None:
        """The coordinator's marker at marker_offset closes the producer's open transaction (if any)."""
        entry = self._entry(producer_id, epoch)
        entry.coordinator_epoch = coordinator_epoch
        entry.current_txn_first_offset = -1
        entry.last_marker_offset = marker_offset
        entry.last_timestamp = max(entry.last_timestamp, timestamp)
        first = self.ongoing.pop(producer_id, None)
        if first is None or not aborted:
            return None
        txn = AbortedTxn(producer_id, first, marker_offset)
        self.aborted.append(txn)
        self._aborted_last.append(marker_offset)
        return txn

    def retained_batches(self) -> frozenset[tuple[int, int]]:
        """(producer id, last offset) of each producer's last data batch and last marker: compaction keeps them."""
        out = set()
        for pid, e in self.producers.items():
            for offset in (e.last_data_offset, e.last_marker_offset):
                if offset >= 0:
                    out.add((pid, offset))
        return frozenset(out)

    def expire(self, now_ms: int, expiration_ms: int) -> int:
        """Kafka's producer.id.expiration.ms: forget producers idle that long (no open transaction)."""
        gone = [pid for pid, e in self.producers.items()
                if pid not in self.ongoing and now_ms - e.last_timestamp >= expiration_ms]
        for pid in gone:
            del self.producers[pid]
        return len(gone)

    def first_unstable_offset(self) -> int | None:
        return min(self.ongoing.values()) if self.ongoing else None

    def aborted_between(self, start: int, end: int) -> list[AbortedTxn]:
        """Aborted transactions with records in [start, end): last offset >= start and first offset < end."""
        i = bisect.bisect_left(self._aborted_last, start)
        return [t for t in self.aborted[i:] if t.first_offset < end]

    def forget_aborted_before(self, offset: int) -> None:
        """Drop aborted transactions wholly below the log start offset (their records are gone)."""
        i = bisect.bisect_left(self._aborted_last, offset)
        if i:
            del self.aborted[:i]
            del self._aborted_last[:i]
