"""The coordinator's journal: records appended to __consumer_offsets, and read back at start-up.

The topic is the store: every commit and every group generation is appended in Kafka's formats
(engine.coordinator.formats) to partition abs(hashCode(group)) % partitions, and start-up replays
it. As in Kafka, the topic is compacted by the log cleaner (cleanup.policy=compact, segments of
offsets.topic.segment.bytes): once a segment rolls, superseded commits, deleted groups' records
(tombstones, after delete.retention.ms) and finished transactions' markers go, so readers from
the earliest offset, such as lag monitors, and start-up replay see about the live state.
Transactional offset commits are batches with the producer's id; replay yields each record with
its batch's producer and the transaction markers (OffsetsRecord).

In ZooKeeper mode the topic is replicated (offsets.topic.replication.factor) and created
cluster-wide, not here; a commit is answered once its records are replicated to the ISR
(`replicated`, Kafka's acks=-1 append of the coordinator), so a commit that was
acknowledged survives the coordinator's death.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kio.schema.errors import ErrorCode

from engine.coordinator.formats import partition_for
from engine.coordinator.offset_store import OffsetsRecord
from engine.storage import OffsetOutOfRangeError, validate_produce_batches
from engine.storage.batch import ATTR_TRANSACTIONAL, parse_header
from engine.storage.control import parse_control_batch
from engine.storage.records import build_batch, decode_records

if TYPE_CHECKING:
    from engine.broker import Broker


OFFSETS_TOPIC = "__consumer_offsets"
OFFSETS_TOPIC_CONFIGS = {"cleanup.policy": "compact", "compression.type": "producer"}
READ_CHUNK = 4 * 1024 * 1024
REPLICATION_TIMEOUT_S = 5.0
# Kafka's mapping of a failed __consumer_offsets append to what the group's client is told
COMMIT_ERRORS = {
    ErrorCode.not_leader_or_follower: ErrorCode.not_coordinator,
    ErrorCode.kafka_storage_error: ErrorCode.not_coordinator,
    ErrorCode.not_enough_replicas: ErrorCode.coordinator_not_available,
    ErrorCode.not_enough_replicas_after_append: ErrorCode.coordinator_not_available,
    ErrorCode.request_timed_out: ErrorCode.coordinator_not_available,
    ErrorCode.unknown_topic_or_partition: ErrorCode.coordinator_not_available,
}


class OffsetsTopicJournal:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.last_append: dict[int, tuple[ErrorCode, int]] = {}  # partition -> (error, end offset)

    @property
    def partitions(self) -> int:
        rec = self.broker.topics.get(OFFSETS_TOPIC)
        return rec.partitions if rec else int(self.broker.config["offsets.topic.num.partitions"])

    def ensure_topic(self) -> None:
        if self.broker.cluster is not None:
            return  # ZooKeeper mode: created cluster-wide by FindCoordinator (engine.cluster.admin)
        if OFFSETS_TOPIC not in self.broker.topics:
            configs = {**OFFSETS_TOPIC_CONFIGS, "segment.bytes": str(self.broker.config["offsets.topic.segment.bytes"])}
            self.broker.create_internal_topic(OFFSETS_TOPIC, self.partitions, configs)

    def partition_of(self, group: str) -> int:
        return partition_for(group, self.partitions)

    def append(self, group: str, records: list[tuple[bytes, bytes | None]]) -> None:
        self._append(group, records)

    def append_transactional(self, group: str, producer_id: int, producer_epoch: int,
                             records: list[tuple[bytes, bytes | None]]) -> None:
        self._append(group, records, producer_id, producer_epoch)

    def _append(self, group: str, records: list[tuple[bytes, bytes | None]], producer_id: int = -1,
                producer_epoch: int = -1) -> None:
        self.ensure_topic()
        index = self.partition_of(group)
        p = self.broker.partition(OFFSETS_TOPIC, index)
        if p is None:
            self.last_append[index] = (ErrorCode.not_leader_or_follower, -1)
            return
        now = self.broker.now_ms()
        batch = build_batch([(k, v, (), now) for k, v in records], producer_id=producer_id,
                            producer_epoch=producer_epoch, attributes=ATTR_TRANSACTIONAL if producer_id >= 0 else 0)
        result = p.append(batch, validate_produce_batches(batch), now)
        self.last_append[index] = (result.error, result.base_offset + len(records))

    def mark(self, group: str) -> tuple[int, ErrorCode, int]:
        """Right after a commit: (partition, error, end offset) of its append, for `replicated`."""
        index = self.partition_of(group)
        error, end = self.last_append.pop(index, (ErrorCode.none, -1))
        return index, error, end

    async def replicated(self, mark: tuple[int, ErrorCode, int]) -> ErrorCode:
        """ZooKeeper mode: wait until the marked append is replicated to the ISR; the error to answer."""
        index, error, end = mark
        if error is not ErrorCode.none:
            return COMMIT_ERRORS.get(error, error)
        p = self.broker.partition(OFFSETS_TOPIC, index)
        if p is None or p.replication is None or end < 0:
            return ErrorCode.none
        result = await p.replication.wait_for_acks(end, REPLICATION_TIMEOUT_S)
        return COMMIT_ERRORS.get(result, result)

    def read_all(self) -> Iterator[OffsetsRecord]:
        rec = self.broker.topics.get(OFFSETS_TOPIC)
        if rec is None:
            return
        for i in range(rec.partitions):
            yield from self.read_partition(i)

    def read_partition(self, i: int, to_log_end: bool = False) -> Iterator[OffsetsRecord]:
        """The records of one partition, up to the high watermark (or, for a new leader, its log end)."""
        p = self.broker.partition(OFFSETS_TOPIC, i)
        if p is None:
            return
        offset = p.log_start_offset
        end = p.log.log_end_offset if to_log_end else p.high_watermark
        while offset < end:
            try:
                data = p.log.read(offset, READ_CHUNK, max_offset=end).records
            except OffsetOutOfRangeError:
                break
            pos, advanced = 0, False
            while pos + 61 <= len(data):
                h = parse_header(data, pos)
                if pos + h.size > len(data):
                    break
                if h.last_offset >= offset:
                    batch = data[pos : pos + h.size]
                    if h.is_control:
                        control = parse_control_batch(batch)
                        if control is not None:
                            yield OffsetsRecord(None, None, h.producer_id, True, not control.aborted, i)
                    else:
                        for r in decode_records(batch):
                            if r.offset >= offset:
                                yield OffsetsRecord(r.key, r.value, h.producer_id, h.is_transactional, None, i)
                    offset = h.last_offset + 1
                    advanced = True
                pos += h.size
            if not advanced:
                break
