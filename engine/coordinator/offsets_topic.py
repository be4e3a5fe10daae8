"""The coordinator's journal: records appended to __consumer_offsets, and read back at start-up.

The topic is the store: every commit and every group generation is appended in Kafka's formats
(engine.coordinator.formats) to partition abs(hashCode(group)) % partitions, and start-up replays
it. As in Kafka, the topic is compacted by the log cleaner (cleanup.policy=compact, segments of
offsets.topic.segment.bytes): once a segment rolls, superseded commits, deleted groups' records
(tombstones, after delete.retention.ms) and finished transactions' markers go, so readers from
the earliest offset, such as lag monitors, and start-up replay see about the live state.
Transactional offset commits are batches with the producer's id; replay yields each record with
its batch's producer and the transaction markers (OffsetsRecord).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

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


class OffsetsTopicJournal:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    @property
    def partitions(self) -> int:
        rec = self.broker.topics.get(OFFSETS_TOPIC)
        return rec.partitions if rec else int(self.broker.config["offsets.topic.num.partitions"])

    def ensure_topic(self) -> None:
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
        p = self.broker.partition(OFFSETS_TOPIC, self.partition_of(group))
        assert p is not None
        now = self.broker.now_ms()
        batch = build_batch([(k, v, (), now) for k, v in records], producer_id=producer_id,
                            producer_epoch=producer_epoch, attributes=ATTR_TRANSACTIONAL if producer_id >= 0 else 0)
        p.append(batch, validate_produce_batches(batch), now)

    def read_all(self) -> Iterator[OffsetsRecord]:
        rec = self.broker.topics.get(OFFSETS_TOPIC)
        if rec is None:
            return
        for i in range(rec.partitions):
            p = self.broker.partition(OFFSETS_TOPIC, i)
            if p is None:
                continue
            offset = p.log_start_offset
            while offset < p.high_watermark:
                try:
                    data = p.log.read(offset, READ_CHUNK, max_offset=p.high_watermark).records
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
