"""Writing a transaction's markers: one control batch per partition, as Kafka's TransactionMarkerChannelManager
sends WriteTxnMarkers to each partition's leader (here every leader is this broker).

A marker to a __consumer_offsets partition also completes the transactional offset
commits of that producer there. A partition that no longer exists (its topic was
deleted) needs no marker; a marker that cannot be written (storage error) is returned
so the coordinator retries it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from kio.schema.errors import ErrorCode

from engine.coordinator.offsets_topic import OFFSETS_TOPIC
from engine.coordinator.txn_coordinator import COORDINATOR_EPOCH

if TYPE_CHECKING:
    from engine.broker import Broker

log = logging.getLogger("engine.transactions")


def write_markers(broker: Broker, producer_id: int, producer_epoch: int, commit: bool,
                  partitions: Iterable[tuple[str, int]]) -> set[tuple[str, int]]:
    failed: set[tuple[str, int]] = set()
    now = broker.now_ms()
    for topic, index in partitions:
        p = broker.partition(topic, index)
        if p is None:
            continue
        result = p.append_marker(producer_id, producer_epoch, commit, COORDINATOR_EPOCH, now)
        if result.error == ErrorCode.kafka_storage_error:
            failed.add((topic, index))
            continue
        if result.error != ErrorCode.none:
            log.warning("marker for producer %d on %s-%d refused: %s", producer_id, topic, index, result.message)
            continue
        if topic == OFFSETS_TOPIC and broker.groups is not None:
            broker.groups.complete_txn(producer_id, index, commit)
    return failed
