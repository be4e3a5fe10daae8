"""Opening the broker's coordinators and cleaner, in the order start-up needs: the group coordinator replays
__consumer_offsets, the transaction coordinator replays __transaction_state and finishes the transactions a
crash left in PrepareCommit/PrepareAbort (their markers complete pending offset commits, so groups come first),
and the log cleaner picks up its checkpoint."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from engine.coordinator.coordinator import GroupCoordinator
from engine.coordinator.markers import write_markers
from engine.coordinator.offsets_topic import OffsetsTopicJournal
from engine.coordinator.txn_coordinator import TransactionCoordinator
from engine.coordinator.txn_log import TxnLog
from engine.log_cleaner import LogCleaner

if TYPE_CHECKING:
    from engine.broker import Broker

log = logging.getLogger("engine.broker")


def open_coordinators(broker: Broker, replay: bool = True) -> None:
    """replay=False (ZooKeeper mode): the coordinators load a partition's state when this broker becomes its
    leader (engine.coordinator.ownership), not at start-up."""
    assert broker.catalog is not None
    broker.journal = OffsetsTopicJournal(broker)
    broker.groups = GroupCoordinator(
        journal=broker.journal, wall_ms=broker.now_ms,
        initial_rebalance_delay_ms=int(broker.config["group.initial.rebalance.delay.ms"]),
        min_session_timeout_ms=int(broker.config["group.min.session.timeout.ms"]),
        max_session_timeout_ms=int(broker.config["group.max.session.timeout.ms"]),
        offsets_retention_ms=int(broker.config["offsets.retention.minutes"]) * 60_000,
        offsets_retention_check_interval_ms=int(broker.config["offsets.retention.check.interval.ms"]),
        topic_exists=lambda t, p: (t, p) in broker.partitions)
    if replay:
        broker.groups.replay(broker.journal.read_all())
    broker.txn_log = TxnLog(broker)
    broker.txn = TransactionCoordinator(
        journal=broker.txn_log, next_producer_id=lambda: _producer_id(broker), wall_ms=broker.now_ms,
        write_markers=lambda pid, epoch, commit, parts: write_markers(broker, pid, epoch, commit, parts),
        max_timeout_ms=int(broker.config["transaction.max.timeout.ms"]),
        id_expiration_ms=int(broker.config["transactional.id.expiration.ms"]),
        abort_check_interval_ms=int(broker.config["transaction.abort.timed.out.transaction.cleanup.interval.ms"]),
        expiration_check_interval_ms=int(
            broker.config["transaction.remove.expired.transaction.cleanup.interval.ms"]))
    broker.cleaner = LogCleaner(
        broker.data_dir, lambda: broker.partitions, broker.topic_config_value,
        backoff_ms=int(broker.config["log.cleaner.backoff.ms"]),
        dedupe_buffer_bytes=int(broker.config["log.cleaner.dedupe.buffer.size"]),
        io_bytes_per_s=float(broker.config["log.cleaner.io.max.bytes.per.second"]),
        enabled=bool(broker.config["log.cleaner.enable"]) and int(broker.config["log.cleaner.threads"]) > 0,
        wall_ms=broker.now_ms)
    if not replay:
        return
    broker.txn.replay(broker.txn_log.read_all())
    recovered = broker.txn.recover()
    if recovered:
        log.info("completed %d transaction(s) left in PrepareCommit/PrepareAbort", recovered)


def _producer_id(broker: Broker) -> int:
    pid = broker.next_producer_id()
    if pid is None:
        raise RuntimeError("no producer id is available yet")
    return pid
