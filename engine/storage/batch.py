"""RecordBatch v2 headers: parse, validate (magic, size, CRC-32C), and stamp offsets in place.

Layout (big-endian), the first 61 bytes of every batch:

    0  baseOffset int64          stamped by the broker
    8  batchLength int32         bytes after this field
   12  partitionLeaderEpoch int32  stamped by the broker, outside the CRC
   16  magic int8 = 2
   17  crc uint32                CRC-32C of bytes 21..end
   21  attributes int16          bits 0-2 codec, 3 LogAppendTime, 4 transactional, 5 control
   23  lastOffsetDelta int32
   27  baseTimestamp int64
   35  maxTimestamp int64
   43  producerId int64
   51  producerEpoch int16
   53  baseSequence int32
   57  recordsCount int32
   61  records...

The broker never decodes records on the hot path: it checks the header and the
CRC, then writes the batch as it came, with its base offset and leader epoch set.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import NamedTuple

import crc32c

HEADER = struct.Struct(">qiibIhiqqqhii")
HEADER_SIZE = HEADER.size  # 61
LOG_OVERHEAD = 12  # baseOffset + batchLength
MIN_BATCH_LENGTH = HEADER_SIZE - LOG_OVERHEAD
CRC_START = 21
_OFFSET_LEN = struct.Struct(">qi")
_I64 = struct.Struct(">q")
_I32 = struct.Struct(">i")
_U32 = struct.Struct(">I")
ATTR_LOG_APPEND_TIME = 0x08
ATTR_TRANSACTIONAL = 0x10
ATTR_CONTROL = 0x20


class InvalidRecordError(Exception):
    """A batch that is well-formed bytes but not acceptable (INVALID_RECORD)."""


class CorruptRecordError(Exception):
    """Bytes that are not a valid batch: truncated, wrong magic, bad CRC (CORRUPT_MESSAGE)."""


class BatchHeader(NamedTuple):
    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    records_count: int

    @property
    def size(self) -> int:
        return self.batch_length + LOG_OVERHEAD

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def compression(self) -> int:
        return self.attributes & 0x07

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & ATTR_TRANSACTIONAL)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & ATTR_CONTROL)

    @property
    def log_append_time(self) -> bool:
        return bool(self.attributes & ATTR_LOG_APPEND_TIME)


def parse_header(buf: bytes | bytearray | memoryview, pos: int = 0) -> BatchHeader:
    return BatchHeader._make(HEADER.unpack_from(buf, pos))


def peek_size(buf: bytes | bytearray | memoryview, pos: int) -> tuple[int, int]:
    """(base offset, total size) of the batch at pos; needs 12 bytes."""
    base, length = _OFFSET_LEN.unpack_from(buf, pos)
    return base, length + LOG_OVERHEAD


def check_crc(buf: bytes | bytearray | memoryview, pos: int, header: BatchHeader) -> bool:
    mv = memoryview(buf)[pos + CRC_START : pos + header.size]
    return bool(crc32c.crc32c(mv) == header.crc)


def validate_produce_batches(buf: bytes | bytearray | memoryview) -> list[BatchHeader]:
    """Every batch in a produce request's records, checked; raises on the first bad one."""
    out: list[BatchHeader] = []
    pos, end = 0, len(buf)
    while pos < end:
        if end - pos < HEADER_SIZE:
            raise CorruptRecordError(f"truncated record batch: {end - pos} bytes left, a header needs {HEADER_SIZE}")
        h = parse_header(buf, pos)
        if h.magic != 2:
            raise CorruptRecordError(f"record batch magic {h.magic} is not supported, only magic 2")
        if h.batch_length < MIN_BATCH_LENGTH:
            raise CorruptRecordError(f"record batch length {h.batch_length} is smaller than a header")
        if pos + h.size > end:
            raise CorruptRecordError(f"record batch of {h.size} bytes is truncated at {end - pos}")
        if not check_crc(buf, pos, h):
            raise CorruptRecordError("record batch CRC-32C does not match its contents")
        if h.last_offset_delta < 0 or h.records_count < 0:
            raise InvalidRecordError("record batch has a negative offset delta or record count")
        if h.records_count == 0 and not h.is_control:
            raise InvalidRecordError("record batch has no records")
        out.append(h)
        pos += h.size
    return out


def iter_valid_batches(buf: bytes | bytearray | memoryview, *, verify_crc: bool) -> Iterator[tuple[int, BatchHeader]]:
    """(position, header) of each whole, valid batch from the start; stops at the first bad or torn one."""
    pos, end = 0, len(buf)
    while end - pos >= HEADER_SIZE:
        h = parse_header(buf, pos)
        if h.magic != 2 or h.batch_length < MIN_BATCH_LENGTH or pos + h.size > end:
            return
        if verify_crc and not check_crc(buf, pos, h):
            return
        yield pos, h
        pos += h.size


def stamp(batch: bytearray, pos: int, base_offset: int, leader_epoch: int, log_append_time: int | None) -> None:
    """Set base offset and leader epoch in place; with log_append_time, also the timestamps and CRC."""
    _I64.pack_into(batch, pos, base_offset)
    _I32.pack_into(batch, pos + 12, leader_epoch)
    if log_append_time is not None:
        (attrs,) = struct.unpack_from(">h", batch, pos + 21)
        struct.pack_into(">h", batch, pos + 21, attrs | ATTR_LOG_APPEND_TIME)
        _I64.pack_into(batch, pos + 35, log_append_time)
        (length,) = _I32.unpack_from(batch, pos + 8)
        crc = crc32c.crc32c(memoryview(batch)[pos + CRC_START : pos + length + LOG_OVERHEAD])
        _U32.pack_into(batch, pos + 17, crc)
