"""One log segment: `<20-digit base offset>.log` holding batches exactly as on the wire, plus its indexes.

An append that fails part-way (a full disk, an I/O error, a short write) is undone:
the file is truncated back to its size before the append and the error is raised
(the broker answers KAFKA_STORAGE_ERROR). If even the truncation fails, the segment
remembers the torn position and refuses appends until a later truncation succeeds,
so no append ever follows bytes that were not acknowledged; reads never go past the
last whole append, and recovery at the next start cuts whatever is left.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

from engine.storage import fileio
from engine.storage.batch import (
    HEADER_SIZE,
    LOG_OVERHEAD,
    MIN_BATCH_LENGTH,
    BatchHeader,
    check_crc,
    parse_header,
    peek_size,
)
from engine.storage.file_slice import FileSlice
from engine.storage.fileio import StorageError
from engine.storage.index import OffsetIndex, TimeIndex

log = logging.getLogger("engine.storage")

SCAN_CHUNK = 8 * 1024 * 1024


def segment_name(base_offset: int) -> str:
    return f"{base_offset:020d}"


class LogSegment:
    def __init__(self, directory: Path, base_offset: int, *, index_interval_bytes: int,
                 max_index_entries: int, created_ms: int) -> None:
        self.base_offset = base_offset
        name = segment_name(base_offset)
        self.log_path = directory / f"{name}.log"
        self.index = OffsetIndex(directory / f"{name}.index", base_offset, max_index_entries)
        self.time_index = TimeIndex(directory / f"{name}.timeindex", base_offset)
        self.fd = os.open(self.log_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        self.size = os.fstat(self.fd).st_size
        self.index_interval_bytes = index_interval_bytes
        self.bytes_since_index = 0
        self.next_offset = base_offset
        self.max_timestamp = -1
        self.offset_of_max_timestamp = -1
        self.created_ms = created_ms
        self._valid_end = 0
        self._torn = False  # bytes past self.size that a failed truncation could not remove

    # -- writing ----------------------------------------------------------------------
    def append(self, data: bytes | bytearray, first_offset: int, last_offset: int,
               max_timestamp: int, offset_of_max_timestamp: int) -> None:
        if self._torn:
            self._undo_partial_write()
        position = self.size
        try:
            fileio.write_all(self.fd, data)
        except OSError as exc:
            self._torn = True
            log.error("append of %d bytes to %s failed at position %d: %s", len(data), self.log_path, position, exc)
            self._undo_partial_write()
            raise StorageError(f"append to {self.log_path.name} failed: {exc}") from exc
        self.size += len(data)
        self.next_offset = last_offset + 1
        if self.bytes_since_index >= self.index_interval_bytes or not len(self.index):
            self.index.append(first_offset, position)
            self.bytes_since_index = 0
            if max_timestamp > self.time_index.last_timestamp:
                self.time_index.append(max(max_timestamp, self.max_timestamp), last_offset)
        self.bytes_since_index += len(data)
        if max_timestamp > self.max_timestamp:
            self.max_timestamp = max_timestamp
            self.offset_of_max_timestamp = offset_of_max_timestamp

    def _undo_partial_write(self) -> None:
        """Cut the file back to the end of the last whole append, or raise StorageError (appends stay refused)."""
        try:
            fileio.ftruncate(self.fd, self.size)
        except OSError as exc:
            raise StorageError(f"{self.log_path.name} cannot be truncated back to {self.size} after a failed "
                               f"write: {exc}") from exc
        self._torn = False

    def truncate_to_position(self, position: int) -> None:
        fileio.ftruncate(self.fd, position)
        self.size = position
        self.index.truncate_to_position(position)

    # -- reading ----------------------------------------------------------------------
    def last_modified_ms(self) -> int:
        return int(os.fstat(self.fd).st_mtime * 1000) if self.fd >= 0 else 0

    def read(self, position: int, length: int) -> bytes:
        return os.pread(self.fd, length, position)

    def iter_headers(self, start_position: int = 0) -> Iterator[tuple[int, BatchHeader]]:
        pos = start_position
        while pos + HEADER_SIZE <= self.size:
            head = os.pread(self.fd, HEADER_SIZE, pos)
            if len(head) < HEADER_SIZE:
                return
            h = parse_header(head)
            yield pos, h
            pos += h.size

    def find_batch(self, offset: int) -> tuple[int, BatchHeader] | None:
        """Position and header of the batch containing offset, or the first one after it."""
        for pos, h in self.iter_headers(self.index.lookup(offset)):
            if h.base_offset + h.last_offset_delta >= offset:
                return pos, h
        return None

    def read_slice(self, position: int, max_bytes: int, max_offset: int | None, first_whole: bool) -> FileSlice:
        """Batches from position within max_bytes, below max_offset; the first one whole if asked.

        Like Kafka, the slice may end inside a batch when max_bytes cuts it: clients
        drop the partial batch at the end and fetch it again from its offset.
        """
        end = min(position + max_bytes, self.size)
        if max_offset is not None and max_offset < self.next_offset:
            end = min(end, self._position_of(max_offset, position))
        if first_whole and end > position:
            _base, first_size = peek_size(os.pread(self.fd, LOG_OVERHEAD, position), 0)
            if end - position < first_size and position + first_size <= self.size:
                end = position + first_size
        return FileSlice(self.fd, position, max(0, end - position))

    def _position_of(self, offset: int, start: int) -> int:
        """Position of the first batch at or after offset, scanning headers from start."""
        for pos, h in self.iter_headers(start):
            if h.base_offset >= offset:
                return pos
        return self.size

    # -- recovery ---------------------------------------------------------------------
    def recover(self) -> int:
        """Scan every batch, truncate at the first invalid one, rebuild both indexes; bytes cut."""
        self._reset()
        self._scan(0, verify_crc=True)
        return self._cut_tail()

    def _reset(self) -> None:
        self.index.clear()
        self.time_index.clear()
        self.bytes_since_index = 0
        self.max_timestamp = -1
        self.offset_of_max_timestamp = -1
        self.next_offset = self.base_offset
        self._valid_end = 0

    def _scan(self, pos: int, *, verify_crc: bool, index: bool = True) -> None:
        buf = b""
        buf_start = pos
        while pos + HEADER_SIZE <= self.size:
            rel = pos - buf_start
            if rel + HEADER_SIZE > len(buf):
                buf, buf_start, rel = os.pread(self.fd, SCAN_CHUNK, pos), pos, 0
                if len(buf) < HEADER_SIZE:
                    break
            h = parse_header(buf, rel)
            if (h.magic != 2 or h.batch_length < MIN_BATCH_LENGTH or pos + h.size > self.size
                    or h.base_offset < self.next_offset):
                break
            if verify_crc:
                if rel + h.size > len(buf):
                    buf, buf_start, rel = os.pread(self.fd, max(SCAN_CHUNK, h.size), pos), pos, 0
                if not check_crc(buf, rel, h):
                    break
            if index:
                self._index_batch(pos, h)
            else:
                self._track_batch(h)
            pos += h.size
        self._valid_end = pos

    def _cut_tail(self) -> int:
        cut = self.size - self._valid_end
        if cut:
            log.warning("truncating %s from %d to %d bytes: %d bytes after offset %d are not whole valid batches",
                        self.log_path, self.size, self._valid_end, cut, self.next_offset - 1)
            fileio.ftruncate(self.fd, self._valid_end)
            self.size = self._valid_end
        return cut

    def load(self) -> int:
        """Open a segment known to be whole (cleanly closed, or below the recovery point): trust its index
        files, but check size and CRC of every batch from the last index entry on, as those bytes were
        written after the index (a marker or a checkpoint cannot vouch for them). Returns the bytes cut."""
        if not (self.index.load() and self.time_index.load()):
            return self.recover()
        self.bytes_since_index = 0
        self.next_offset = self.index.offsets[-1] if len(self.index) else self.base_offset
        self.max_timestamp = self.time_index.last_timestamp
        self.offset_of_max_timestamp = self.time_index.offsets[-1] if len(self.time_index) else -1
        start = self.index.positions[-1] if len(self.index) else 0
        self._scan(start, verify_crc=True, index=False)
        if self._valid_end != self.size:
            return self.recover()
        return 0

    def _track_batch(self, h: BatchHeader) -> None:
        if h.max_timestamp > self.max_timestamp:
            self.max_timestamp = h.max_timestamp
            self.offset_of_max_timestamp = h.last_offset
        self.next_offset = h.last_offset + 1
        self.bytes_since_index += h.size

    def _index_batch(self, position: int, h: BatchHeader) -> None:
        if self.bytes_since_index >= self.index_interval_bytes or not len(self.index):
            self.index.append(h.base_offset, position)
            self.bytes_since_index = 0
            if h.max_timestamp > self.time_index.last_timestamp:
                self.time_index.append(max(h.max_timestamp, self.max_timestamp), h.last_offset)
        self.bytes_since_index += h.size
        if h.max_timestamp > self.max_timestamp:
            self.max_timestamp = h.max_timestamp
            self.offset_of_max_timestamp = h.last_offset
        self.next_offset = h.last_offset + 1

    # -- lifecycle --------------------------------------------------------------------
    def flush(self) -> None:
        fileio.fsync(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            self.index.write()
            self.time_index.write()
            os.close(self.fd)
            self.fd = -1

    def discard(self) -> None:
        """Close without writing the index files (the segment is being replaced by a cleaned one)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def delete(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        for p in (self.log_path, self.index.path, self.time_index.path):
            p.unlink(missing_ok=True)
