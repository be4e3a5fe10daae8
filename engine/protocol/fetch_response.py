"""Fetch responses (v0-v17) as a list of byte chunks and file slices, so records go out by sendfile.

Every other response is built by kio; Fetch is encoded here because its record
sets should not be copied through Python: each partition's records field is a
file region of a segment (the storage layer's `FileSlice`), written to the socket with `loop.sendfile` where
the transport allows it. The layout follows Kafka's FetchResponse.json (topics by
name up to v12, by id from v13; the only tagged field written is a partition's
DivergingEpoch, for followers that must truncate); a test checks these
bytes against kio's encoder (and the derived schemas of v0-3) for every version.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from engine.varint import uvarint

_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")


class FileRegion(Protocol):
    """A part of a file to send as is (the storage layer's FileSlice)."""

    fd: int
    position: int
    length: int


Chunk = bytes | FileRegion


def _string(s: str, flexible: bool) -> bytes:
    raw = s.encode()
    return (uvarint(len(raw) + 1) if flexible else _I16.pack(len(raw))) + raw


def _array_len(n: int | None, flexible: bool) -> bytes:
    if n is None:
        return b"\x00" if flexible else _I32.pack(-1)
    return uvarint(n + 1) if flexible else _I32.pack(n)


def _uuid(value: Any) -> bytes:
    if isinstance(value, uuid.UUID):
        return value.bytes
    return uuid.UUID(str(value)).bytes


def records_length(records: bytes | FileRegion) -> int:
    return len(records) if isinstance(records, bytes | bytearray) else records.length


def encode_fetch_response(version: int, correlation_id: int, body: Mapping[str, Any]) -> list[Chunk]:
    """Chunks of the frame payload (without the size prefix) for Fetch v0..v17."""
    if not 0 <= version <= 17:
        raise ValueError(f"Fetch v{version} is not encoded here")
    flexible = version >= 12
    out = bytearray(_I32.pack(correlation_id))
    if flexible:
        out += b"\x00"  # response header tagged fields
    if version >= 1:
        out += _I32.pack(int(body.get("throttle_time", 0)))
    if version >= 7:
        out += _I16.pack(int(body.get("error_code", 0))) + _I32.pack(int(body.get("session_id", 0)))
    chunks: list[Chunk] = []
    topics: Sequence[Mapping[str, Any]] = body["responses"]
    out += _array_len(len(topics), flexible)
    for topic in topics:
        if version >= 13:
            out += _uuid(topic["topic_id"])
        else:
            out += _string(topic["topic"], flexible)
        parts: Sequence[Mapping[str, Any]] = topic["partitions"]
        out += _array_len(len(parts), flexible)
        for p in parts:
            out += _I32.pack(int(p["partition_index"])) + _I16.pack(int(p["error_code"]))
            out += _I64.pack(int(p["high_watermark"]))
            if version >= 4:
                out += _I64.pack(int(p.get("last_stable_offset", -1)))
            if version >= 5:
                out += _I64.pack(int(p.get("log_start_offset", -1)))
            if version >= 4:
                aborted = p.get("aborted_transactions")
                out += _array_len(None if aborted is None else len(aborted), flexible)
                for a in aborted or ():
                    out += _I64.pack(int(a["producer_id"])) + _I64.pack(int(a["first_offset"]))
                    if flexible:
                        out += b"\x00"
            if version >= 11:
                out += _I32.pack(int(p.get("preferred_read_replica", -1)))
            records: bytes | FileRegion = p.get("records") or b""
            n = records_length(records)
            out += uvarint(n + 1) if flexible else _I32.pack(n)
            if isinstance(records, bytes | bytearray):
                out += records
            elif n:
                chunks.append(bytes(out))
                chunks.append(records)
                out = bytearray()
            diverging = p.get("diverging_epoch")
            if flexible and diverging is not None:
                # tagged field 0, DivergingEpoch (KIP-320, a follower must truncate): epoch, end offset, no tags
                payload = _I32.pack(int(diverging["epoch"])) + _I64.pack(int(diverging["end_offset"])) + b"\x00"
                out += b"\x01" + uvarint(0) + uvarint(len(payload)) + payload
            elif flexible:
                out += b"\x00"  # partition tagged fields
        if flexible:
            out += b"\x00"  # topic tagged fields
    if flexible:
        out += b"\x00"  # response tagged fields
    chunks.append(bytes(out))
    return chunks
