"""The transaction coordinator: transactional ids, their producer ids and epochs, and ending transactions.

As Kafka's TransactionCoordinator, on one broker (coordinator epoch 0):

- InitProducerId with a transactional id: a new id gets a producer id and epoch 0; a
  known one gets its epoch bumped, which fences older producers (zombies) of that id.
  If a transaction is open, it is first aborted with a bumped epoch and the client is
  told CONCURRENT_TRANSACTIONS, so it retries and gets a second bump.
- AddPartitionsToTxn / AddOffsetsToTxn add partitions (AddOffsetsToTxn: the group's
  __consumer_offsets partition) and make the transaction Ongoing.
- EndTxn: PrepareCommit/PrepareAbort is persisted, the markers are written to every
  partition of the transaction (engine.broker writes them), then CompleteCommit /
  CompleteAbort is persisted. A marker that cannot be written (storage error) leaves
  the transaction in Prepare*, and `tick` retries it.
- `tick`: aborts (with an epoch bump) transactions older than their timeout, retries
  pending markers, expires idle transactional ids (transactional.id.expiration.ms).
- Start-up: `replay` loads __transaction_state, `recover` completes the transactions
  a crash left in Prepare*; Ongoing ones run into their timeout as any other.
Every state change goes through engine.coordinator.txn_state's table; a change that
cannot be persisted is abandoned and the request fails (NOT_COORDINATOR: retriable).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from kio.schema.errors import ErrorCode

from engine.coordinator.txn_log import parse_txn_value, txn_value
from engine.coordinator.txn_state import (
    EXPIRABLE,
    NO_PRODUCER_EPOCH,
    TopicPartition,
    TxnMetadata,
    TxnState,
    TxnTransit,
)

log = logging.getLogger("engine.transactions")
T = TxnState
COORDINATOR_EPOCH = 0


class TxnJournal(Protocol):
    def append(self, transactional_id: str, value: bytes | None) -> None: ...


MarkerWriter = Callable[[int, int, bool, Iterable[TopicPartition]], set[TopicPartition]]


class TransactionCoordinator:
    def __init__(self, *, journal: TxnJournal, write_markers: MarkerWriter, next_producer_id: Callable[[], int],
                 wall_ms: Callable[[], int], max_timeout_ms: int = 900_000,
                 id_expiration_ms: int = 7 * 24 * 3_600_000, abort_check_interval_ms: int = 10_000,
                 expiration_check_interval_ms: int = 3_600_000) -> None:
        self.journal = journal
        self.write_markers = write_markers
        self.next_producer_id = next_producer_id
        self.wall_ms = wall_ms
        self.max_timeout_ms = max_timeout_ms
        self.id_expiration_ms = id_expiration_ms
        self.abort_check_interval_ms = abort_check_interval_ms
        self.expiration_check_interval_ms = expiration_check_interval_ms
        self.txns: dict[str, TxnMetadata] = {}
        now = wall_ms()
        self._next_abort_check = now + abort_check_interval_ms
        self._next_expiration_check = now + expiration_check_interval_ms

    # -- persistence ------------------------------------------------------------------------
    def _persist(self, md: TxnMetadata, transit: TxnTransit) -> ErrorCode:
        try:
            self.journal.append(md.transactional_id, txn_value(transit))
        except Exception as exc:
            md.abandon()
            log.error("transactional id %s: %s could not be written to __transaction_state: %s",
                      md.transactional_id, transit.state.display, exc)
            return ErrorCode.not_coordinator
        md.complete(transit)
        return ErrorCode.none

    def replay(self, records: Iterable[tuple[str, bytes | None]]) -> None:
        for tid, value in records:
            if value is None:
                self.txns.pop(tid, None)
                continue
            try:
                self.txns[tid] = parse_txn_value(tid, value)
            except Exception:
                log.warning("skipping an unreadable __transaction_state record of %s", tid, exc_info=True)

    def recover(self) -> int:
        """Finish what a crash interrupted: write the markers of Prepare* transactions. Returns how many."""
        done = 0
        for md in list(self.txns.values()):
            if md.state in (T.PREPARE_COMMIT, T.PREPARE_ABORT):
                md.markers_pending = set(md.partitions)
                self._send_markers(md)
                done += 1
        return done

    # -- InitProducerId -----------------------------------------------------------------------
    def init_producer_id(self, transactional_id: str, timeout_ms: int,
                         expected: tuple[int, int] | None) -> tuple[ErrorCode, int, int]:
        if not transactional_id:
            return ErrorCode.invalid_request, -1, -1
        if not 0 < timeout_ms <= self.max_timeout_ms:
            return ErrorCode.invalid_transaction_timeout, -1, -1
        now = self.wall_ms()
        md = self.txns.get(transactional_id)
        if md is None:
            md = TxnMetadata(transactional_id, self.next_producer_id(), NO_PRODUCER_EPOCH, timeout_ms, T.EMPTY,
                             update_ms=now)
            self.txns[transactional_id] = md
        if md.pending is not None:
            return ErrorCode.concurrent_transactions, -1, -1
        if expected is not None and not (md.producer_epoch == NO_PRODUCER_EPOCH or expected[0] == md.producer_id
                                         or (expected[0] == md.last_producer_id and expected[1] >= 32766)):
            return ErrorCode.producer_fenced, -1, -1
        if md.state in (T.PREPARE_ABORT, T.PREPARE_COMMIT):
            return ErrorCode.concurrent_transactions, -1, -1
        if md.state is T.ONGOING:
            err = self._fence_and_abort(md)
            return (err if err is not ErrorCode.none else ErrorCode.concurrent_transactions), -1, -1
        if md.state not in (T.EMPTY, T.COMPLETE_ABORT, T.COMPLETE_COMMIT):
            return ErrorCode.invalid_txn_state, -1, -1
        if md.epoch_exhausted and (expected is None or expected[1] == md.producer_epoch):
            transit: TxnTransit | ErrorCode = md.prepare_rotate_producer_id(self.next_producer_id(), timeout_ms, now,
                                                                           expected is not None)
        else:
            transit = md.prepare_increment_epoch(timeout_ms, None if expected is None else expected[1], now)
        if isinstance(transit, ErrorCode):
            return transit, -1, -1
        err = self._persist(md, transit)
        if err is not ErrorCode.none:
            return err, -1, -1
        log.info("transactional id %s: producer id %d epoch %d", transactional_id, md.producer_id, md.producer_epoch)
        return ErrorCode.none, md.producer_id, md.producer_epoch

    def _fence_and_abort(self, md: TxnMetadata) -> ErrorCode:
        """Abort md's open transaction with a bumped epoch (Kafka's PrepareEpochFence, then PrepareAbort)."""
        fence = md.prepare_fence_epoch()
        md.pending = None
        md.producer_epoch = fence.producer_epoch
        md.last_producer_epoch = NO_PRODUCER_EPOCH
        err = self._end(md, commit=False)
        if err is not ErrorCode.none:
            md.has_failed_epoch_fence = True
        return err

    # -- AddPartitionsToTxn, AddOffsetsToTxn ---------------------------------------------------
    def _check(self, transactional_id: str, producer_id: int, producer_epoch: int
               ) -> tuple[TxnMetadata | None, ErrorCode]:
        if not transactional_id:
            return None, ErrorCode.invalid_request
        md = self.txns.get(transactional_id)
        if md is None or md.producer_id != producer_id:
            return None, ErrorCode.invalid_producer_id_mapping
        if md.producer_epoch != producer_epoch:
            return None, ErrorCode.producer_fenced
        if md.pending is not None or md.state in (T.PREPARE_COMMIT, T.PREPARE_ABORT):
            return None, ErrorCode.concurrent_transactions
        return md, ErrorCode.none

    def add_partitions(self, transactional_id: str, producer_id: int, producer_epoch: int,
                       partitions: set[TopicPartition]) -> ErrorCode:
        md, err = self._check(transactional_id, producer_id, producer_epoch)
        if md is None:
            return err
        if md.state is T.ONGOING and partitions <= md.partitions:
            return ErrorCode.none
        return self._persist(md, md.prepare_add_partitions(partitions, self.wall_ms()))

    def verify(self, transactional_id: str, producer_id: int, producer_epoch: int,
               partition: TopicPartition) -> ErrorCode:
        """KIP-890's check of a transactional produce: the partition must be in the producer's open transaction."""
        md = self.txns.get(transactional_id)
        if md is None or md.producer_id != producer_id:
            return ErrorCode.invalid_txn_state
        if producer_epoch < md.producer_epoch:
            return ErrorCode.invalid_producer_epoch
        if md.state is not T.ONGOING or partition not in md.partitions:
            return ErrorCode.invalid_txn_state
        return ErrorCode.none

    # -- EndTxn ---------------------------------------------------------------------------------
    def end_txn(self, transactional_id: str, producer_id: int, producer_epoch: int, commit: bool) -> ErrorCode:
        if not transactional_id:
            return ErrorCode.invalid_request
        md = self.txns.get(transactional_id)
        if md is None or md.producer_id != producer_id:
            return ErrorCode.invalid_producer_id_mapping
        if producer_epoch != md.producer_epoch:
            return ErrorCode.producer_fenced
        if md.pending is not None:
            return ErrorCode.concurrent_transactions
        if md.state is T.ONGOING:
            return self._end(md, commit)
        done = T.COMPLETE_COMMIT if commit else T.COMPLETE_ABORT
        preparing = T.PREPARE_COMMIT if commit else T.PREPARE_ABORT
        if md.state is done:
            return ErrorCode.none  # a retry of an EndTxn that succeeded
        if md.state is preparing:
            return ErrorCode.concurrent_transactions
        return ErrorCode.invalid_txn_state

    def _end(self, md: TxnMetadata, commit: bool) -> ErrorCode:
        err = self._persist(md, md.prepare_end(T.PREPARE_COMMIT if commit else T.PREPARE_ABORT, self.wall_ms()))
        if err is not ErrorCode.none:
            return err
        log.debug("transactional id %s: %s (producer id %d epoch %d, %d partitions)", md.transactional_id,
                 md.state.display, md.producer_id, md.producer_epoch, len(md.partitions))
        md.markers_pending = set(md.partitions)
        self._send_markers(md)
        return ErrorCode.none

    def _send_markers(self, md: TxnMetadata) -> None:
        commit = md.state is T.PREPARE_COMMIT
        if md.markers_pending:
            md.markers_pending = self.write_markers(md.producer_id, md.producer_epoch, commit,
                                                    sorted(md.markers_pending))
        if md.markers_pending:
            log.warning("transactional id %s: %d markers not written yet; retrying", md.transactional_id,
                        len(md.markers_pending))
            return
        self._persist(md, md.prepare_complete(self.wall_ms()))

    # -- timers ---------------------------------------------------------------------------------
    def tick(self) -> None:
        now = self.wall_ms()
        for md in list(self.txns.values()):
            if md.pending is None and md.state in (T.PREPARE_COMMIT, T.PREPARE_ABORT):
                self._send_markers(md)
        if now >= self._next_abort_check:
            self._next_abort_check = now + self.abort_check_interval_ms
            self.abort_timed_out(now)
        if now >= self._next_expiration_check:
            self._next_expiration_check = now + self.expiration_check_interval_ms
            self.expire_ids(now)

    def abort_timed_out(self, now: int) -> int:
        aborted = 0
        for md in list(self.txns.values()):
            if md.pending is None and md.state is T.ONGOING and md.start_ms + md.timeout_ms < now:
                log.info("transactional id %s: aborting the transaction started %d ms ago (timeout %d ms)",
                         md.transactional_id, now - md.start_ms, md.timeout_ms)
                self._fence_and_abort(md)
                aborted += 1
        return aborted

    def expire_ids(self, now: int) -> int:
        expired = 0
        for tid, md in list(self.txns.items()):
            if md.pending is None and md.state in EXPIRABLE and md.update_ms + self.id_expiration_ms <= now:
                try:
                    md.prepare_dead()
                    self.journal.append(tid, None)
                except Exception as exc:  # an illegal transition or a failed write: try again later
                    md.abandon()
                    log.warning("transactional id %s could not expire: %s", tid, exc)
                    continue
                del self.txns[tid]
                expired += 1
        return expired

    # -- admin ----------------------------------------------------------------------------------
    def describe(self, transactional_id: str) -> dict[str, Any]:
        md = self.txns.get(transactional_id)
        if not transactional_id:
            return _described(transactional_id, ErrorCode.invalid_request)
        if md is None or md.state is T.DEAD:
            return _described(transactional_id, ErrorCode.transactional_id_not_found)
        by_topic: dict[str, list[int]] = {}
        for topic, partition in sorted(md.partitions):
            by_topic.setdefault(topic, []).append(partition)
        return {"error_code": 0, "transactional_id": transactional_id, "transaction_state": md.state.display,
                "transaction_timeout": md.timeout_ms, "transaction_start_time": md.start_ms,
                "producer_id": md.producer_id, "producer_epoch": md.producer_epoch,
                "topics": [{"topic": t, "partitions": ps} for t, ps in by_topic.items()]}

    def list(self, states: set[str], producer_ids: set[int],
             duration_ms: int) -> tuple[list[dict[str, Any]], list[str]]:
        known = {s.display for s in TxnState}
        unknown = sorted(s for s in states if s not in known)
        now = self.wall_ms()
        out = []
        for tid, md in sorted(self.txns.items()):
            if md.state is T.DEAD or (producer_ids and md.producer_id not in producer_ids):
                continue
            if states and md.state.display not in states:
                continue
            if duration_ms >= 0 and now - md.start_ms <= duration_ms:
                continue
            out.append({"transactional_id": tid, "producer_id": md.producer_id,
                        "transaction_state": md.state.display})
        return out, unknown


def _described(transactional_id: str, code: ErrorCode) -> dict[str, Any]:
    return {"error_code": code, "transactional_id": transactional_id, "transaction_state": "",
            "transaction_timeout": 0, "transaction_start_time": -1, "producer_id": -1, "producer_epoch": -1,
            "topics": []}
