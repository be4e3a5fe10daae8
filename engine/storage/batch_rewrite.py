"""Rewriting a v2 batch with some of its records: what the cleaner keeps of a batch, byte for byte where possible.

A record is parsed only as far as the cleaner needs (its attributes, timestamp and
offset deltas, key, and whether the value is null); the value and headers are copied
as they are. The rebuilt batch keeps the base offset, last offset delta, producer id,
epoch and base sequence, partition leader epoch and codec of the original, so offsets
and producer sequences never change. A delete horizon (KIP-534) is the base timestamp
with attribute bit 6 set; record timestamps are kept by adjusting their deltas.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Iterator

import crc32c

from engine.storage.batch import ATTR_LOG_APPEND_TIME, CRC_START, HEADER, HEADER_SIZE, LOG_OVERHEAD, BatchHeader
from engine.storage.compression import compress, decompress
from engine.varint import zigzag

ATTR_DELETE_HORIZON = 0x40


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


@dataclasses.dataclass(slots=True)
class RawRecord:
    attributes: int
    timestamp_delta: int
    offset_delta: int
    key: bytes | None
    value_is_null: bool
    rest: bytes  # the value (with its length) and the headers, copied as they are


def iter_raw_records(h: BatchHeader, batch: bytes) -> Iterator[RawRecord]:
    body = decompress(h.compression, bytes(batch[HEADER_SIZE : h.size]))
    pos = 0
    for _ in range(h.records_count):
        length, pos = _varint(body, pos)
        end = pos + length
        attributes = body[pos]
        ts_delta, p = _varint(body, pos + 1)
        off_delta, p = _varint(body, p)
        klen, p = _varint(body, p)
        key = None if klen < 0 else body[p : p + klen]
        p += max(klen, 0)
        vlen, _ = _varint(body, p)
        yield RawRecord(attributes, ts_delta, off_delta, key, vlen < 0, body[p:end])
        pos = end


def _encode_record(r: RawRecord, timestamp_delta: int) -> bytes:
    key = zigzag(-1) if r.key is None else zigzag(len(r.key)) + r.key
    inner = bytes((r.attributes,)) + zigzag(timestamp_delta) + zigzag(r.offset_delta) + key + r.rest
    return zigzag(len(inner)) + inner


def rebuild_batch(h: BatchHeader, kept: list[RawRecord], delete_horizon: int | None) -> bytes:
    """The batch with only `kept` (possibly none), base offset and last offset delta unchanged; with a delete
    horizon, the base timestamp becomes the horizon (KIP-534) and record timestamps stay what they were."""
    attributes = h.attributes
    base_ts = h.base_timestamp
    if delete_horizon is not None:
        attributes |= ATTR_DELETE_HORIZON
        base_ts = delete_horizon
    if not kept:
        attributes &= ~0x07  # an empty batch is not compressed
        max_ts = h.max_timestamp
        payload = b""
    else:
        times = [h.base_timestamp + r.timestamp_delta for r in kept]
        body = b"".join(_encode_record(r, t - base_ts) for r, t in zip(kept, times, strict=True))
        payload = compress(h.compression, body)
        max_ts = h.max_timestamp if h.attributes & ATTR_LOG_APPEND_TIME else max(times)
    batch = bytearray(HEADER.pack(h.base_offset, 0, h.partition_leader_epoch, 2, 0, attributes,
                                  h.last_offset_delta, base_ts, max_ts, h.producer_id, h.producer_epoch,
                                  h.base_sequence, len(kept)) + payload)
    struct.pack_into(">i", batch, 8, len(batch) - LOG_OVERHEAD)
    struct.pack_into(">I", batch, 17, crc32c.crc32c(bytes(batch[CRC_START:])))
    return bytes(batch)


def delete_horizon(h: BatchHeader) -> int | None:
    return h.base_timestamp if h.attributes & ATTR_DELETE_HORIZON else None
