"""The pre-0.11 message format (magic 0 and 1): up-conversion on produce, down-conversion on fetch.

Produce v0-2 carry message sets and Fetch v0-3 expect them, as Kafka 3.9 still
accepts. The log holds only v2 batches, so, as Kafka 3.9 does with its default
message format: a produced message set becomes one v2 batch (keys, values and
timestamps kept; magic 0 messages have no timestamp, -1), and fetched v2 batches
are converted to magic 0 (Fetch v0-1) or magic 1 (Fetch v2-3) with the batch's
codec, control batches and empty batches left out, headers dropped.

A message set is a sequence of entries, each `offset int64, size int32` and a message:

    crc uint32          CRC-32 (IEEE) of everything after it
    magic int8          0 or 1
    attributes int8     bits 0-2 codec; bit 3 (magic 1) LogAppendTime
    timestamp int64     magic 1 only
    key bytes           int32 length (-1 null) + data
    value bytes         int32 length (-1 null) + data

A compressed message set is one wrapper message whose value is the compressed inner
message set. Inner offsets are absolute for magic 0 and relative (0..n-1) for magic 1,
where the wrapper carries the absolute offset of the last inner message.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import NamedTuple

from engine.storage.batch import (
    HEADER_SIZE,
    CorruptRecordError,
    InvalidRecordError,
    parse_header,
)
from engine.storage.compression import (
    LZ4,
    NONE,
    ZSTD,
    UnsupportedCodecError,
    compress,
    decompress,
    fix_lz4_header_checksum,
)
from engine.storage.records import build_batch, decode_records

_ENTRY = struct.Struct(">qi")
_V0 = struct.Struct(">Ibb")
_I64 = struct.Struct(">q")
_I32 = struct.Struct(">i")
LOG_OVERHEAD = 12
MIN_MESSAGE = {0: 14, 1: 22}  # crc, magic, attributes, (timestamp), key length, value length
TIMESTAMP_TYPE_BIT = 0x08
NO_TIMESTAMP = -1


class LegacyMessage(NamedTuple):
    offset: int
    magic: int
    attributes: int
    timestamp: int
    key: bytes | None
    value: bytes | None

    @property
    def codec(self) -> int:
        return self.attributes & 0x07


def is_legacy(records: bytes | bytearray | memoryview) -> bool:
    """True when the data starts with a magic 0 or 1 message (the magic byte sits where v2's does)."""
    return len(records) > 16 and records[16] in (0, 1)


def _bytes(buf: bytes, pos: int, end: int) -> tuple[bytes | None, int]:
    if pos + 4 > end:
        raise CorruptRecordError("message key or value length runs past the message")
    (n,) = _I32.unpack_from(buf, pos)
    pos += 4
    if n < 0:
        return None, pos
    if pos + n > end:
        raise CorruptRecordError("message key or value runs past the message")
    return buf[pos : pos + n], pos + n


def iter_messages(buf: bytes) -> Iterator[LegacyMessage]:
    """Every whole message of a message set; raises CorruptRecordError on a bad CRC or a torn entry."""
    pos, end = 0, len(buf)
    while pos < end:
        if end - pos < LOG_OVERHEAD:
            raise CorruptRecordError("message set ends inside an entry header")
        offset, size = _ENTRY.unpack_from(buf, pos)
        body = pos + LOG_OVERHEAD
        if size < MIN_MESSAGE[0] or body + size > end:
            raise CorruptRecordError(f"message of {size} bytes does not fit the message set")
        crc, magic, attributes = _V0.unpack_from(buf, body)
        if magic not in (0, 1) or size < MIN_MESSAGE[magic]:
            raise CorruptRecordError(f"message magic {magic} is not 0 or 1")
        if zlib.crc32(buf[body + 4 : body + size]) != crc:
            raise CorruptRecordError("message CRC-32 does not match its contents")
        p = body + 6
        timestamp = NO_TIMESTAMP
        if magic == 1:
            (timestamp,) = _I64.unpack_from(buf, p)
            p += 8
        key, p = _bytes(buf, p, body + size)
        value, p = _bytes(buf, p, body + size)
        yield LegacyMessage(offset, magic, attributes, timestamp, key, value)
        pos = body + size


def _flatten(buf: bytes) -> tuple[list[LegacyMessage], int]:
    """The messages of a produced message set with compressed wrappers opened; and the codec used."""
    out: list[LegacyMessage] = []
    codec = NONE
    for m in iter_messages(buf):
        if m.codec == NONE:
            out.append(m)
            continue
        codec = m.codec
        if m.value is None:
            raise CorruptRecordError("a compressed message has no value")
        try:
            value = fix_lz4_header_checksum(m.value) if m.codec == LZ4 and m.magic == 0 else m.value
            inner = decompress(m.codec, value)
        except UnsupportedCodecError as exc:
            raise InvalidRecordError(str(exc)) from None
        except Exception as exc:
            raise CorruptRecordError(f"compressed message cannot be decompressed: {exc}") from None
        log_append = m.magic == 1 and bool(m.attributes & TIMESTAMP_TYPE_BIT)
        for im in iter_messages(inner):
            if im.codec != NONE:
                raise InvalidRecordError("a compressed message holds another compressed message")
            out.append(im._replace(timestamp=m.timestamp) if log_append else im)
    return out, codec


def upconvert(records: bytes) -> bytes:
    """One v2 batch holding the messages of a produced message set (its codec kept, offsets from 0)."""
    messages, codec = _flatten(bytes(records))
    if not messages:
        raise InvalidRecordError("message set holds no messages")
    if codec == ZSTD:
        raise InvalidRecordError("zstd needs Produce v7 or later")
    return build_batch([(m.key, m.value, (), m.timestamp) for m in messages], compression=codec)


def _message(magic: int, attributes: int, timestamp: int, key: bytes | None, value: bytes | None) -> bytes:
    body = bytearray(struct.pack(">bb", magic, attributes))
    if magic == 1:
        body += _I64.pack(timestamp)
    for part in (key, value):
        body += _I32.pack(-1) if part is None else _I32.pack(len(part)) + part
    return struct.pack(">I", zlib.crc32(body)) + bytes(body)


def _entry(offset: int, message: bytes) -> bytes:
    return _ENTRY.pack(offset, len(message)) + message


def downconvert(data: bytes, magic: int, first_offset: int, max_bytes: int) -> bytes:
    """Whole v2 batches in data as a message set of `magic` (0 or 1), within max_bytes (at least one entry).

    Like Kafka: control and empty batches are skipped; records of an uncompressed batch
    below first_offset are dropped (a fetch from the middle of a batch); a compressed
    batch becomes one wrapper with the same codec; zstd cannot be converted."""
    out = bytearray()
    pos = 0
    while pos + HEADER_SIZE <= len(data):
        h = parse_header(data, pos)
        if pos + h.size > len(data):
            break  # the partial batch a size-limited read may end with
        batch = data[pos : pos + h.size]
        pos += h.size
        if h.is_control or h.records_count == 0:
            continue
        if h.compression == ZSTD:
            raise UnsupportedCodecError("zstd batches cannot be converted to the old message format")
        log_append = h.log_append_time
        ts_bit = TIMESTAMP_TYPE_BIT if magic == 1 and log_append else 0
        records = decode_records(batch)
        if h.compression == NONE:
            entries = [_entry(r.offset, _message(magic, ts_bit, r.timestamp, r.key, r.value))
                       for r in records if r.offset >= first_offset]
        else:
            base = records[0].offset
            inner = b"".join(_entry(r.offset if magic == 0 else r.offset - base,
                                    _message(magic, ts_bit, r.timestamp, r.key, r.value)) for r in records)
            wrapper_ts = h.max_timestamp if log_append else max(r.timestamp for r in records)
            wrapper = _message(magic, h.compression | ts_bit, wrapper_ts, None, compress(h.compression, inner))
            entries = [_entry(records[-1].offset, wrapper)]
        for e in entries:
            if out and len(out) + len(e) > max_bytes:
                return bytes(out)
            out += e
    return bytes(out)
