"""A transactional id's state, as Kafka's TransactionMetadata: the states as a table, and the transitions.

    state (id)             entered from                          on
    Empty (0)              Empty, CompleteCommit, CompleteAbort   InitProducerId (epoch bumped)
    Ongoing (1)            Ongoing, Empty, Complete*              AddPartitionsToTxn / AddOffsetsToTxn
    PrepareCommit (2)      Ongoing                                EndTxn(commit)
    PrepareAbort (3)       Ongoing, PrepareEpochFence             EndTxn(abort), fencing, timeout
    CompleteCommit (4)     PrepareCommit                          every marker written
    CompleteAbort (5)      PrepareAbort                           every marker written
    Dead (6)               Empty, Complete*                       transactional.id.expiration.ms
    PrepareEpochFence (7)  Ongoing                                InitProducerId or a timeout during a
                                                                  transaction (never persisted: it becomes
                                                                  PrepareAbort with the bumped epoch)

A transition is prepared (`prepare_*` returns the new `TxnTransit` and records it as
pending), persisted to __transaction_state, then completed (`complete`), as Kafka does:
while a transition is pending, other requests get CONCURRENT_TRANSACTIONS.
"""

from __future__ import annotations

import dataclasses
import enum

from kio.schema.errors import ErrorCode

NO_PRODUCER_EPOCH = -1
EPOCH_LIMIT = 32767 - 1  # Kafka keeps Short.MaxValue free, so a producer can always be fenced


class TxnState(enum.Enum):
    EMPTY = (0, "Empty")
    ONGOING = (1, "Ongoing")
    PREPARE_COMMIT = (2, "PrepareCommit")
    PREPARE_ABORT = (3, "PrepareAbort")
    COMPLETE_COMMIT = (4, "CompleteCommit")
    COMPLETE_ABORT = (5, "CompleteAbort")
    DEAD = (6, "Dead")
    PREPARE_EPOCH_FENCE = (7, "PrepareEpochFence")

    @property
    def id(self) -> int:
        return self.value[0]

    @property
    def display(self) -> str:
        return self.value[1]

    @classmethod
    def from_id(cls, state_id: int) -> TxnState:
        for s in cls:
            if s.id == state_id:
                return s
        raise ValueError(f"unknown transaction state id {state_id}")

    @classmethod
    def from_name(cls, name: str) -> TxnState | None:
        return next((s for s in cls if s.display == name), None)


T = TxnState
VALID_PREVIOUS: dict[TxnState, frozenset[TxnState]] = {
    T.EMPTY: frozenset({T.EMPTY, T.COMPLETE_COMMIT, T.COMPLETE_ABORT}),
    T.ONGOING: frozenset({T.ONGOING, T.EMPTY, T.COMPLETE_COMMIT, T.COMPLETE_ABORT}),
    T.PREPARE_COMMIT: frozenset({T.ONGOING}),
    T.PREPARE_ABORT: frozenset({T.ONGOING, T.PREPARE_EPOCH_FENCE}),
    T.COMPLETE_COMMIT: frozenset({T.PREPARE_COMMIT}),
    T.COMPLETE_ABORT: frozenset({T.PREPARE_ABORT}),
    T.DEAD: frozenset({T.EMPTY, T.COMPLETE_ABORT, T.COMPLETE_COMMIT}),
    T.PREPARE_EPOCH_FENCE: frozenset({T.ONGOING}),
}
EXPIRABLE = frozenset({T.EMPTY, T.COMPLETE_COMMIT, T.COMPLETE_ABORT})

TopicPartition = tuple[str, int]


class IllegalTxnTransition(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class TxnTransit:
    """A state a transactional id is about to enter (what is written to __transaction_state)."""

    producer_id: int
    last_producer_id: int
    producer_epoch: int
    last_producer_epoch: int
    timeout_ms: int
    state: TxnState
    partitions: frozenset[TopicPartition]
    start_ms: int
    update_ms: int


@dataclasses.dataclass
class TxnMetadata:
    transactional_id: str
    producer_id: int
    producer_epoch: int
    timeout_ms: int
    state: TxnState = T.EMPTY
    partitions: set[TopicPartition] = dataclasses.field(default_factory=set)
    start_ms: int = -1
    update_ms: int = -1
    last_producer_id: int = -1
    last_producer_epoch: int = NO_PRODUCER_EPOCH
    pending: TxnState | None = None
    has_failed_epoch_fence: bool = False
    markers_pending: set[TopicPartition] = dataclasses.field(default_factory=set)

    @property
    def epoch_exhausted(self) -> bool:
        return self.producer_epoch >= EPOCH_LIMIT

    @property
    def has_open_transaction(self) -> bool:
        return self.state in (T.ONGOING, T.PREPARE_ABORT, T.PREPARE_COMMIT)

    def _transit(self, state: TxnState, producer_id: int, epoch: int, last_epoch: int, timeout_ms: int,
                 partitions: frozenset[TopicPartition], start_ms: int, update_ms: int) -> TxnTransit:
        if self.pending is not None:
            raise IllegalTxnTransition(f"{self.transactional_id}: {state.display} while {self.pending.display} "
                                       "is pending")
        if self.state not in VALID_PREVIOUS[state]:
            raise IllegalTxnTransition(f"{self.transactional_id}: {self.state.display} -> {state.display}")
        self.pending = state
        return TxnTransit(producer_id, self.producer_id, epoch, last_epoch, timeout_ms, state, partitions, start_ms,
                          update_ms)

    # -- the transitions (Kafka's prepare* methods) -------------------------------------------------
    def prepare_fence_epoch(self) -> TxnTransit:
        epoch = self.producer_epoch if self.has_failed_epoch_fence else self.producer_epoch + 1
        return self._transit(T.PREPARE_EPOCH_FENCE, self.producer_id, epoch, NO_PRODUCER_EPOCH, self.timeout_ms,
                             frozenset(self.partitions), self.start_ms, self.update_ms)

    def prepare_increment_epoch(self, timeout_ms: int, expected_epoch: int | None,
                                now_ms: int) -> TxnTransit | ErrorCode:
        bumped = self.producer_epoch + 1
        if expected_epoch is None:
            epoch, last = bumped, NO_PRODUCER_EPOCH
        elif self.producer_epoch == NO_PRODUCER_EPOCH or expected_epoch == self.producer_epoch:
            epoch, last = bumped, self.producer_epoch
        elif expected_epoch == self.last_producer_epoch:
            epoch, last = self.producer_epoch, self.last_producer_epoch  # a retry of a bump that succeeded
        else:
            return ErrorCode.producer_fenced
        return self._transit(T.EMPTY, self.producer_id, epoch, last, timeout_ms, frozenset(), -1, now_ms)

    def prepare_rotate_producer_id(self, producer_id: int, timeout_ms: int, now_ms: int,
                                   record_last_epoch: bool) -> TxnTransit:
        last = self.producer_epoch if record_last_epoch else NO_PRODUCER_EPOCH
        return self._transit(T.EMPTY, producer_id, 0, last, timeout_ms, frozenset(), -1, now_ms)

    def prepare_add_partitions(self, added: set[TopicPartition], now_ms: int) -> TxnTransit:
        start = now_ms if self.state in (T.EMPTY, T.COMPLETE_ABORT, T.COMPLETE_COMMIT) else self.start_ms
        return self._transit(T.ONGOING, self.producer_id, self.producer_epoch, self.last_producer_epoch,
                             self.timeout_ms, frozenset(self.partitions | added), start, now_ms)

    def prepare_end(self, state: TxnState, now_ms: int) -> TxnTransit:
        return self._transit(state, self.producer_id, self.producer_epoch, self.last_producer_epoch, self.timeout_ms,
                             frozenset(self.partitions), self.start_ms, now_ms)

    def prepare_complete(self, now_ms: int) -> TxnTransit:
        state = T.COMPLETE_COMMIT if self.state is T.PREPARE_COMMIT else T.COMPLETE_ABORT
        self.has_failed_epoch_fence = False
        return self._transit(state, self.producer_id, self.producer_epoch, self.last_producer_epoch, self.timeout_ms,
                             frozenset(), self.start_ms, now_ms)

    def prepare_dead(self) -> TxnTransit:
        return self._transit(T.DEAD, self.producer_id, self.producer_epoch, self.last_producer_epoch,
                             self.timeout_ms, frozenset(), self.start_ms, self.update_ms)

    def complete(self, t: TxnTransit) -> None:
        """The transition was persisted: become it."""
        if self.pending is not t.state:
            raise IllegalTxnTransition(f"{self.transactional_id}: completing {t.state.display}, pending "
                                       f"{self.pending.display if self.pending else None}")
        self.pending = None
        if t.producer_id != self.producer_id:
            self.last_producer_id = self.producer_id
        self.producer_id = t.producer_id
        self.producer_epoch = t.producer_epoch
        self.last_producer_epoch = t.last_producer_epoch
        self.timeout_ms = t.timeout_ms
        self.state = t.state
        self.partitions = set(t.partitions)
        self.start_ms = t.start_ms
        self.update_ms = t.update_ms

    def abandon(self) -> None:
        """The transition could not be persisted: stay as before."""
        self.pending = None
