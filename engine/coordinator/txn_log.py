"""The transaction coordinator's journal: __transaction_state in Kafka's formats, read back at start-up.

    TransactionLogKey   (version 0): transactional id string
    TransactionLogValue (version 0): producer id int64, producer epoch int16, transaction timeout int32,
        status int8 (the TxnState id), partitions nullable array of [topic string, partition ids int32 array]
        (null when Empty), last update timestamp int64, transaction start timestamp int64

Every key and value starts with its int16 version (as __consumer_offsets). A null value
(tombstone) removes an expired transactional id. The record for a transactional id goes
to partition abs(hashCode(id)) % transaction.state.log.num.partitions, as in Kafka, so
`kafka-dump-log --transaction-log-decoder` reads these segments.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from engine.coordinator.formats import Reader, Writer, partition_for
from engine.coordinator.txn_state import TxnMetadata, TxnState, TxnTransit
from engine.storage import OffsetOutOfRangeError, validate_produce_batches
from engine.storage.batch import HEADER_SIZE, parse_header
from engine.storage.records import build_batch, decode_records

if TYPE_CHECKING:
    from engine.broker import Broker

TXN_TOPIC = "__transaction_state"
KEY_VERSION = 0
VALUE_VERSION = 0
READ_CHUNK = 4 * 1024 * 1024


def txn_key(transactional_id: str) -> bytes:
    return bytes(Writer().i16(KEY_VERSION).string(transactional_id).buf)


def txn_value(t: TxnTransit) -> bytes:
    w = Writer().i16(VALUE_VERSION).i64(t.producer_id).i16(t.producer_epoch).i32(t.timeout_ms).i8(t.state.id)
    if t.state is TxnState.EMPTY:
        w.i32(-1)
    else:
        by_topic: dict[str, list[int]] = {}
        for topic, partition in sorted(t.partitions):
            by_topic.setdefault(topic, []).append(partition)
        w.i32(len(by_topic))
        for topic, parts in by_topic.items():
            w.string(topic).i32(len(parts))
            for p in parts:
                w.i32(p)
    return bytes(w.i64(t.update_ms).i64(t.start_ms).buf)


def parse_txn_key(data: bytes) -> str | None:
    r = Reader(data)
    if r.i16() != KEY_VERSION:
        return None
    return r.string()


def parse_txn_value(transactional_id: str, data: bytes) -> TxnMetadata:
    r = Reader(data)
    version = r.i16()
    if version not in (0, 1):
        raise ValueError(f"TransactionLogValue version {version} is not known")
    if version == 1:
        raise ValueError("TransactionLogValue version 1 (flexible) is not read by this broker")
    producer_id, epoch, timeout, status = r.i64(), r.i16(), r.i32(), r.i8()
    partitions: set[tuple[str, int]] = set()
    count = r.i32()
    for _ in range(max(count, 0)):
        topic = r.string() or ""
        for _ in range(r.i32()):
            partitions.add((topic, r.i32()))
    update_ms, start_ms = r.i64(), r.i64()
    state = TxnState.from_id(status)
    return TxnMetadata(transactional_id, producer_id, epoch, timeout, state,
                       partitions if state is not TxnState.EMPTY else set(), start_ms, update_ms)


class TxnLog:
    """Appends to and reads __transaction_state through the broker's partitions."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    @property
    def partitions(self) -> int:
        rec = self.broker.topics.get(TXN_TOPIC)
        return rec.partitions if rec else int(self.broker.config["transaction.state.log.num.partitions"])

    def ensure_topic(self) -> None:
        if TXN_TOPIC not in self.broker.topics:
            self.broker.create_internal_topic(TXN_TOPIC, self.partitions, {
                "cleanup.policy": "compact", "compression.type": "producer", "min.insync.replicas": "1",
                "segment.bytes": str(self.broker.config["transaction.state.log.segment.bytes"])})

    def partition_for(self, transactional_id: str) -> int:
        return partition_for(transactional_id, self.partitions)

    def append(self, transactional_id: str, value: bytes | None) -> None:
        """Persist one record; raises StorageError-like failures as TxnLogError."""
        self.ensure_topic()
        p = self.broker.partition(TXN_TOPIC, self.partition_for(transactional_id))
        assert p is not None
        now = self.broker.now_ms()
        batch = build_batch([(txn_key(transactional_id), value, (), now)])
        result = p.append(batch, validate_produce_batches(batch), now)
        if result.error != 0:
            raise TxnLogError(result.message or result.error.name)

    def read_all(self) -> Iterator[tuple[str, bytes | None]]:
        rec = self.broker.topics.get(TXN_TOPIC)
        if rec is None:
            return
        for i in range(rec.partitions):
            p = self.broker.partition(TXN_TOPIC, i)
            if p is None:
                continue
            offset = p.log_start_offset
            while offset < p.high_watermark:
                try:
                    data = p.log.read(offset, READ_CHUNK, max_offset=p.high_watermark).records
                except OffsetOutOfRangeError:
                    break
                pos, advanced = 0, False
                while pos + HEADER_SIZE <= len(data):
                    h = parse_header(data, pos)
                    if pos + h.size > len(data):
                        break
                    if h.last_offset >= offset and not h.is_control:
                        for r in decode_records(data[pos : pos + h.size]):
                            tid = parse_txn_key(r.key) if r.key is not None and r.offset >= offset else None
                            if tid is not None:
                                yield tid, r.value
                    if h.last_offset >= offset:
                        offset = h.last_offset + 1
                        advanced = True
                    pos += h.size
                if not advanced:
                    break


class TxnLogError(Exception):
    pass
