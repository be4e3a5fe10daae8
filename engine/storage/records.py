"""Records inside a v2 batch: decompression of the five codecs, decoding, and building batches.

Each record: varint length, int8 attributes, varlong timestampDelta, varint
offsetDelta, varint key length + key, varint value length + value, varint header
count, then per header varint key length + key, varint value length + value.
Varints are zig-zag encoded; a length of -1 means null. The broker decodes
records only where a feature needs them (ListOffsets by timestamp, internal topics).
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Iterator, Sequence

import crc32c

from engine.storage.batch import CRC_START, HEADER, HEADER_SIZE, parse_header
from engine.storage.compression import GZIP, LZ4, NONE, SNAPPY, ZSTD, compress, decompress
from engine.varint import zigzag

__all__ = ["GZIP", "LZ4", "NONE", "SNAPPY", "ZSTD", "Record", "build_batch", "compress", "decode_records",
           "decompress", "record_timestamps"]


@dataclasses.dataclass(frozen=True, slots=True)
class Record:
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")
    return (result >> 1) ^ -(result & 1), pos


def _bytes(buf: bytes, pos: int) -> tuple[bytes | None, int]:
    n, pos = _varint(buf, pos)
    if n < 0:
        return None, pos
    return buf[pos : pos + n], pos + n


def decode_records(batch: bytes) -> list[Record]:
    h = parse_header(batch)
    body = decompress(h.compression, bytes(batch[HEADER_SIZE : h.size]))
    out: list[Record] = []
    pos = 0
    for _ in range(h.records_count):
        length, pos = _varint(body, pos)
        end = pos + length
        pos += 1  # attributes
        ts_delta, pos = _varint(body, pos)
        off_delta, pos = _varint(body, pos)
        key, pos = _bytes(body, pos)
        value, pos = _bytes(body, pos)
        count, pos = _varint(body, pos)
        headers = []
        for _ in range(count):
            hk, pos = _bytes(body, pos)
            hv, pos = _bytes(body, pos)
            headers.append(((hk or b"").decode("utf-8", "replace"), hv))
        ts = h.max_timestamp if h.log_append_time else h.base_timestamp + ts_delta
        out.append(Record(h.base_offset + off_delta, ts, key, value, tuple(headers)))
        pos = end
    return out


def record_timestamps(batch: bytes) -> Iterator[tuple[int, int]]:
    h = parse_header(batch)
    if h.log_append_time:
        yield h.base_offset, h.max_timestamp
        return
    for r in decode_records(batch):
        yield r.offset, r.timestamp


def _zz_bytes(b: bytes | None) -> bytes:
    return zigzag(-1) if b is None else zigzag(len(b)) + b


def build_batch(records: Sequence[tuple[bytes | None, bytes | None, Sequence[tuple[str, bytes | None]], int]], *,
                base_offset: int = 0, compression: int = NONE, producer_id: int = -1, producer_epoch: int = -1,
                base_sequence: int = -1, attributes: int = 0) -> bytes:
    """A v2 batch from (key, value, headers, timestamp) tuples."""
    if not records:
        raise ValueError("a batch needs at least one record")
    base_ts = records[0][3]
    body = bytearray()
    for i, (key, value, headers, ts) in enumerate(records):
        rec = bytearray(b"\x00")
        rec += zigzag(ts - base_ts) + zigzag(i) + _zz_bytes(key) + _zz_bytes(value) + zigzag(len(headers))
        for hk, hv in headers:
            rec += _zz_bytes(hk.encode()) + _zz_bytes(hv)
        body += zigzag(len(rec)) + rec
    payload = compress(compression, bytes(body))
    max_ts = max(r[3] for r in records)
    attrs = attributes | compression
    head = HEADER.pack(base_offset, 0, -1, 2, 0, attrs, len(records) - 1, base_ts, max_ts, producer_id,
                       producer_epoch, base_sequence, len(records))
    batch = bytearray(head + payload)
    struct.pack_into(">i", batch, 8, len(batch) - 12)
    struct.pack_into(">I", batch, 17, crc32c.crc32c(bytes(batch[CRC_START:])))
    return bytes(batch)
