"""Sparse offset and time indexes of one segment, in memory with Kafka's file formats on disk.

.index entries are 8 bytes: int32 offset relative to the segment's base offset,
int32 position in the .log file. .timeindex entries are 12 bytes: int64 timestamp,
int32 relative offset. An entry is added every index.interval.bytes of log (the
time index only when the largest timestamp grew). The files are rewritten whole
when a segment is rolled or closed; after an unclean shutdown they are rebuilt
from the log, never trusted.
"""

from __future__ import annotations

import bisect
import os
import struct
from array import array
from pathlib import Path

OFFSET_ENTRY = struct.Struct(">ii")
TIME_ENTRY = struct.Struct(">qi")


class OffsetIndex:
    def __init__(self, path: Path, base_offset: int, max_entries: int) -> None:
        self.path = path
        self.base_offset = base_offset
        self.max_entries = max_entries
        self.offsets = array("q")
        self.positions = array("q")

    def __len__(self) -> int:
        return len(self.offsets)

    @property
    def is_full(self) -> bool:
        return len(self.offsets) >= self.max_entries

    def append(self, offset: int, position: int) -> None:
        self.offsets.append(offset)
        self.positions.append(position)

    def lookup(self, offset: int) -> int:
        """File position of the last indexed batch starting at or before offset (0 if none)."""
        i = bisect.bisect_right(self.offsets, offset) - 1
        return self.positions[i] if i >= 0 else 0

    def truncate_to_position(self, position: int) -> None:
        i = bisect.bisect_left(self.positions, position)
        del self.offsets[i:]
        del self.positions[i:]

    def clear(self) -> None:
        del self.offsets[:]
        del self.positions[:]

    def load(self) -> bool:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return False
        if len(data) % OFFSET_ENTRY.size:
            return False
        self.clear()
        last = -1
        for rel, pos in OFFSET_ENTRY.iter_unpack(data):
            if rel == 0 and pos == 0 and last >= 0:
                break  # zero-filled tail of a preallocated file
            if pos <= last:
                return False
            self.append(self.base_offset + rel, pos)
            last = pos
        return True

    def write(self) -> None:
        pairs = zip(self.offsets, self.positions, strict=True)
        data = b"".join(OFFSET_ENTRY.pack(o - self.base_offset, p) for o, p in pairs)
        _write_atomically(self.path, data)


class TimeIndex:
    def __init__(self, path: Path, base_offset: int) -> None:
        self.path = path
        self.base_offset = base_offset
        self.timestamps = array("q")
        self.offsets = array("q")

    def __len__(self) -> int:
        return len(self.timestamps)

    @property
    def last_timestamp(self) -> int:
        return self.timestamps[-1] if self.timestamps else -1

    def append(self, timestamp: int, offset: int) -> None:
        if timestamp > self.last_timestamp:
            self.timestamps.append(timestamp)
            self.offsets.append(offset)

    def lookup(self, timestamp: int) -> int:
        """An offset at or before the first record with a timestamp >= timestamp (the segment base if none)."""
        i = bisect.bisect_left(self.timestamps, timestamp) - 1
        return self.offsets[i] if i >= 0 else self.base_offset

    def truncate_to_offset(self, offset: int) -> None:
        keep = [i for i, o in enumerate(self.offsets) if o < offset]
        n = keep[-1] + 1 if keep else 0
        del self.timestamps[n:]
        del self.offsets[n:]

    def clear(self) -> None:
        del self.timestamps[:]
        del self.offsets[:]

    def load(self) -> bool:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return False
        if len(data) % TIME_ENTRY.size:
            return False
        self.clear()
        for ts, rel in TIME_ENTRY.iter_unpack(data):
            if ts <= self.last_timestamp:
                return False
            self.timestamps.append(ts)
            self.offsets.append(self.base_offset + rel)
        return True

    def write(self) -> None:
        pairs = zip(self.timestamps, self.offsets, strict=True)
        data = b"".join(TIME_ENTRY.pack(t, o - self.base_offset) for t, o in pairs)
        _write_atomically(self.path, data)


def _write_atomically(path: Path, data: bytes) -> None:
    # No fsync per file: a broker with thousands of partitions would take minutes to stop.
    # The rename is atomic, the broker syncs the file system once at shutdown, and a
    # torn or missing index is rebuilt from the log when it is opened.
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
