"""The coordinator's journal: records appended to __consumer_offsets, and read back at start-up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from engine.coordinator.formats import partition_for
from engine.storage import OffsetOutOfRangeError, validate_produce_batches
from engine.storage.batch import parse_header
from engine.storage.records import build_batch, decode_records

if TYPE_CHECKING:
    from engine.broker import Broker

OFFSETS_TOPIC = "__consumer_offsets"
OFFSETS_TOPIC_CONFIGS = {"cleanup.policy": "compact", "segment.bytes": "104857600", "compression.type": "producer"}
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
            self.broker.create_internal_topic(OFFSETS_TOPIC, self.partitions, OFFSETS_TOPIC_CONFIGS)

    def append(self, group: str, records: list[tuple[bytes, bytes | None]]) -> None:
        self.ensure_topic()
        p = self.broker.partition(OFFSETS_TOPIC, partition_for(group, self.partitions))
        assert p is not None
        now = self.broker.now_ms()
        batch = build_batch([(k, v, (), now) for k, v in records])
        p.append(batch, validate_produce_batches(batch), now)

    def read_all(self) -> Iterator[tuple[bytes | None, bytes | None]]:
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
                        for r in decode_records(data[pos : pos + h.size]):
                            if r.offset >= offset:
                                yield r.key, r.value
                        offset = h.last_offset + 1
                        advanced = True
                    pos += h.size
                if not advanced:
                    break
