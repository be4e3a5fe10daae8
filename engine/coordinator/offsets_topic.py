"""The coordinator's journal: records appended to __consumer_offsets, and read back at start-up.

The topic is the store: every commit and every group generation is appended in Kafka's formats
(engine.coordinator.formats) to partition abs(hashCode(group)) % partitions, and start-up replays
it. Kafka keeps the topic small by log compaction; here `compact` does the same job at start-up
and at each offset-retention check: when a partition holds far more records than its groups'
live state, that state is appended again as fresh batches and the log start offset moves to
them (old segments are deleted once wholly below it). Readers from the earliest offset, such as
lag monitors, still see every live offset; start-up replay stays proportional to the live state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from engine.coordinator.formats import partition_for
from engine.coordinator.offset_store import OffsetsRecord
from engine.storage import OffsetOutOfRangeError, validate_produce_batches
from engine.storage.batch import ATTR_TRANSACTIONAL, parse_header
from engine.storage.control import parse_control_batch
from engine.storage.records import build_batch, decode_records

if TYPE_CHECKING:
    from engine.broker import Broker


class LiveState(Protocol):
    def live_records(self) -> Iterator[tuple[str, list[tuple[bytes, bytes]]]]: ...

OFFSETS_TOPIC = "__consumer_offsets"
OFFSETS_TOPIC_CONFIGS = {"cleanup.policy": "compact", "segment.bytes": "104857600", "compression.type": "producer"}
READ_CHUNK = 4 * 1024 * 1024
COMPACT_MIN_RECORDS = 10_000  # below this a partition replays in well under 0.1 s
BATCH_RECORDS = 5_000


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

    def compact(self, state: LiveState, min_records: int = COMPACT_MIN_RECORDS) -> int:
        """Rewrite the partitions that have outgrown their live state; returns how many were rewritten."""
        rec = self.broker.topics.get(OFFSETS_TOPIC)
        if rec is None:
            return 0
        live: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
        for group, records in state.live_records():
            live[partition_for(group, rec.partitions)] += records
        rewritten = 0
        for i in range(rec.partitions):
            p = self.broker.partition(OFFSETS_TOPIC, i)
            if p is None or p.high_watermark - p.log_start_offset <= max(min_records, 2 * len(live[i])):
                continue
            if p.last_stable_offset < p.high_watermark:
                continue  # pending transactional commits: they must stay in the log
            now = self.broker.now_ms()
            start = p.high_watermark
            records = live[i]
            for at in range(0, len(records), BATCH_RECORDS):
                batch = build_batch([(k, v, (), now) for k, v in records[at : at + BATCH_RECORDS]])
                result = p.append(batch, validate_produce_batches(batch), now)
                if at == 0:
                    start = result.base_offset
            p.log.delete_records_before(start)
            rewritten += 1
        return rewritten

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
