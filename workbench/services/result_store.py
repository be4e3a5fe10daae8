"""Scan results on disk: an append-only spill file of records and a compact in-memory index.

Theory of operation: matching records can be millions and values megabytes, so they
are not kept as Python objects. The scanner thread appends each record to a spill
file (`SpillWriter.append`) and hands the GUI thread only the index entries (position
and length in the file, plus the few numbers the table shows); the results model keeps
those in `array`s (about 40 bytes per row) and reads a row's bytes back with `os.pread`
when the row is drawn, a few dozen at a time, through a small cache. Memory stays
bounded however many rows there are; the file lives in a temporary directory and goes
away with the result set.

Record layout in the file (little-endian), headers before the value so that a row's
preview never reads a large value whole:

    partition i32 | offset i64 | timestamp i64 | timestamp type i8 |
    key length i32 (-1: null) | header count u16 | value length i32 (-1: null) |
    key | headers: (name length u16, name, value length i32 (-1: null), value)* | value
"""

from __future__ import annotations

import array
import os
import struct
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path

from workbench.services.record import Record

FIXED = struct.Struct("<iqqbiHi")
HEADER_NAME = struct.Struct("<H")
HEADER_VALUE = struct.Struct("<i")
PREVIEW_BYTES = 4096  # of a value, for a table row; the detail view reads the record whole
CACHE_ROWS = 2048


def encode(r: Record) -> bytes:
    key = r.key
    value = r.value
    parts = [FIXED.pack(r.partition, r.offset, r.timestamp, r.timestamp_type, -1 if key is None else len(key),
                        len(r.headers), -1 if value is None else len(value))]
    if key:
        parts.append(key)
    for name, hv in r.headers:
        nb = name.encode("utf-8")
        parts.append(HEADER_NAME.pack(len(nb)))
        parts.append(nb)
        parts.append(HEADER_VALUE.pack(-1 if hv is None else len(hv)))
        if hv:
            parts.append(hv)
    if value:
        parts.append(value)
    return b"".join(parts)


def decode(buf: bytes, topic: str, value_limit: int | None = None) -> tuple[Record, int]:
    """A record from its bytes (the value cut to value_limit when given), and the value's full length (-1: null)."""
    partition, offset, ts, ts_type, key_len, n_headers, value_len = FIXED.unpack_from(buf, 0)
    pos = FIXED.size
    key = None if key_len < 0 else bytes(buf[pos:pos + key_len])
    pos += max(key_len, 0)
    headers = []
    for _ in range(n_headers):
        (n,) = HEADER_NAME.unpack_from(buf, pos)
        pos += HEADER_NAME.size
        name = bytes(buf[pos:pos + n]).decode("utf-8", errors="replace")
        pos += n
        (hl,) = HEADER_VALUE.unpack_from(buf, pos)
        pos += HEADER_VALUE.size
        headers.append((name, None if hl < 0 else bytes(buf[pos:pos + hl])))
        pos += max(hl, 0)
    if value_len < 0:
        value = None
    else:
        take = value_len if value_limit is None else min(value_len, value_limit)
        value = bytes(buf[pos:pos + take])
    return Record(topic, partition, offset, ts, ts_type, key, value, tuple(headers)), value_len




class ResultIndex:
    """Where each result row is in the spill file, and what the table sorts and shows without reading it."""

    def __init__(self) -> None:
        self.position = array.array("q")
        self.length = array.array("i")
        self.partition = array.array("i")
        self.offset = array.array("q")
        self.timestamp = array.array("q")
        self.value_size = array.array("i")

    def __len__(self) -> int:
        return len(self.position)

    def extend(self, entries: IndexEntries) -> None:
        self.position.extend(entries.position)
        self.length.extend(entries.length)
        self.partition.extend(entries.partition)
        self.offset.extend(entries.offset)
        self.timestamp.extend(entries.timestamp)
        self.value_size.extend(entries.value_size)

    @property
    def nbytes(self) -> int:
        return sum(a.itemsize * len(a) for a in (self.position, self.length, self.partition, self.offset,
                                                 self.timestamp, self.value_size))


class IndexEntries(ResultIndex):
    """A batch of index entries, made by the scanner thread and handed to the GUI thread whole."""


class ResultSet:
    """One scan's results: the spill file, written by one thread and read by another, and its index."""

    def __init__(self, topic: str, directory: Path | None = None) -> None:
        self.topic = topic
        self._dir = tempfile.TemporaryDirectory(prefix="kw-scan-", dir=directory)
        self.path = Path(self._dir.name) / "results.bin"
        self._write = open(self.path, "ab", buffering=1024 * 1024)  # noqa: SIM115 - lives as long as the set
        self._read_fd = os.open(self.path, os.O_RDONLY)
        self._end = 0
        self._lock = threading.Lock()
        self.index = ResultIndex()
        self._cache: OrderedDict[int, tuple[Record, int]] = OrderedDict()
        self.closed = False

    # -- the scanner's side (any thread) ---------------------------------------------------

    def append(self, records: Sequence[Record]) -> IndexEntries:
        """Write records; the returned entries are added to `index` on the reading thread (`publish`)."""
        out = IndexEntries()
        with self._lock:
            if self.closed:
                return out
            pos = self._end
            for r in records:
                data = encode(r)
                self._write.write(data)
                out.position.append(pos)
                out.length.append(len(data))
                out.partition.append(r.partition)
                out.offset.append(r.offset)
                out.timestamp.append(r.timestamp)
                out.value_size.append(-1 if r.value is None else len(r.value))
                pos += len(data)
            self._write.flush()
            self._end = pos
        return out

    # -- the reader's side (the GUI thread) ------------------------------------------------

    def publish(self, entries: IndexEntries) -> None:
        self.index.extend(entries)

    def __len__(self) -> int:
        return len(self.index)

    def preview(self, row: int) -> tuple[Record, int]:
        """Row `row` with its value cut to PREVIEW_BYTES, and the value's full length; cached."""
        hit = self._cache.get(row)
        if hit is not None:
            self._cache.move_to_end(row)
            return hit
        pos, length = self.index.position[row], self.index.length[row]
        value_size = self.index.value_size[row]
        want = length - max(0, value_size - PREVIEW_BYTES) if value_size > PREVIEW_BYTES else length
        found = decode(os.pread(self._read_fd, want, pos), self.topic, PREVIEW_BYTES)
        self._cache[row] = found
        if len(self._cache) > CACHE_ROWS:
            self._cache.popitem(last=False)
        return found

    def record(self, row: int) -> Record:
        """Row `row` whole (its value may be large: call it off the GUI thread)."""
        buf = os.pread(self._read_fd, self.index.length[row], self.index.position[row])
        return decode(buf, self.topic)[0]

    def records(self, rows: Sequence[int] | None = None) -> Iterator[Record]:
        """Rows whole, in order (all when rows is None), for export; safe off the GUI thread."""
        count = len(self.index)
        for row in (range(count) if rows is None else rows):
            yield self.record(row)

    def rows_by_partition_offset(self, count: int | None = None) -> list[int]:
        """Row numbers ordered by (partition, offset): the order exports use, whatever order rows arrived in."""
        idx = self.index
        n = len(idx) if count is None else count
        part, off = idx.partition, idx.offset
        return sorted(range(n), key=lambda i: (part[i], off[i]))

    @property
    def disk_bytes(self) -> int:
        return self._end

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._write.close()
            os.close(self._read_fd)
        self._cache.clear()
        self._dir.cleanup()
