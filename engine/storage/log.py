"""One partition's log: a directory `<topic>-<partition>` of segments, with Kafka's semantics.

- append assigns offsets (stamping each batch's base offset and leader epoch) and
  rolls to a new segment when the active one would pass segment.bytes, is older
  than segment.ms, or its index is full.
- read returns whole batches starting with the one that CONTAINS the fetch offset,
  never past max_offset (the high watermark), the first batch whole even when it
  is larger than max_bytes.
- The log start offset moves with retention and DeleteRecords and is checkpointed
  in `log-start-offset` (written to a temporary file, fsynced, renamed).
- The leader epoch cache (engine.storage.epoch_cache) follows every append, truncation
  and move of the log start. A follower appends its leader's batches as they are
  (`append_as_follower`: offsets and epochs kept), and truncates by epoch (`truncate_to`,
  or `truncate_fully_and_start_at` when the leader's log starts past its end).
- Durability follows Kafka's flush policy: the recovery point is the offset below
  which everything was fsynced (at each roll, off the request path; when flush.messages
  appends or flush.ms pass; at shutdown). Opening the log (engine.storage.log_loader)
  trusts the segments below the recovery point, or all of them after a clean shutdown
  (a `.clean-shutdown` marker, written only once the data directory is synced), and
  recovers the others: every batch checked (size, CRC-32C), the first invalid one and
  everything after it truncated (and logged), indexes rebuilt.
"""

from __future__ import annotations

import bisect
import dataclasses
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from engine.storage import fileio
from engine.storage.batch import BatchHeader, iter_valid_batches, parse_header, stamp
from engine.storage.epoch_cache import LeaderEpochCache
from engine.storage.file_slice import FileSlice
from engine.storage.index import OFFSET_ENTRY
from engine.storage.records import record_timestamps
from engine.storage.segment import LogSegment

CLEAN_MARKER = ".clean-shutdown"
START_CHECKPOINT = "log-start-offset"


class OffsetOutOfRangeError(Exception):
    pass


class UnexpectedAppendOffsetError(Exception):
    """A follower's fetched batches do not start where its log ends."""


@dataclasses.dataclass(frozen=True)
class LogConfig:
    segment_bytes: int = 1 << 30
    segment_ms: int = 7 * 24 * 3_600_000
    retention_ms: int = 7 * 24 * 3_600_000
    retention_bytes: int = -1
    index_interval_bytes: int = 4096
    segment_index_bytes: int = 10 * 1024 * 1024
    max_message_bytes: int = 1048588
    message_timestamp_type: str = "CreateTime"
    flush_messages: int = 2**63 - 1
    flush_ms: int = 2**63 - 1
    compact: bool = False  # cleanup.policy has compact: records need keys


@dataclasses.dataclass(frozen=True, slots=True)
class AppendInfo:
    first_offset: int
    last_offset: int
    log_append_time: int
    max_timestamp: int
    offset_of_max_timestamp: int


@dataclasses.dataclass(frozen=True, slots=True)
class FetchData:
    file_slice: FileSlice | None

    @property
    def records(self) -> bytes:
        """The bytes themselves (reads the file and releases the slice)."""
        if self.file_slice is None:
            return b""
        data = self.file_slice.read()
        self.file_slice.close()
        return data


@dataclasses.dataclass
class FlushJob:
    """An fsync of part of a log: run() anywhere (a worker thread), done() back where the log lives."""

    log: Log
    upto: int
    fds: list[int]

    def run(self) -> None:
        try:
            for fd in self.fds:
                fileio.fsync(fd)
            fileio.fsync_path(self.log.dir, directory=True)  # new segment files exist after a power loss
        finally:
            for fd in self.fds:
                os.close(fd)
            self.fds = []

    def done(self, now_ms: int) -> None:
        self.log.recovery_point = max(self.log.recovery_point, self.upto)
        self.log.last_flush_ms = now_ms


class Log:
    def __init__(self, directory: Path, config: LogConfig) -> None:
        self.dir = directory
        self.config = config
        self.segments: list[LogSegment] = []
        self._bases: list[int] = []
        self.log_start_offset = 0
        self.recovered_bytes = 0
        self.recovery_point = 0  # every offset below it is on disk (fsynced)
        self.last_flush_ms = 0
        self.on_roll: Callable[[Log, int], None] | None = None
        self.epochs = LeaderEpochCache(directory)

    # -- opening and closing -----------------------------------------------------------
    @classmethod
    def open(cls, directory: Path, config: LogConfig, *, now_ms: int, recovery_point: int | None = None) -> Log:
        """Open (and after an unclean shutdown, recover) the log in directory: see engine.storage.log_loader."""
        from engine.storage.log_loader import load

        return load(cls(directory, config), now_ms=now_ms, recovery_point=recovery_point)

    def _new_segment(self, base: int, now_ms: int) -> LogSegment:
        return LogSegment(self.dir, base, index_interval_bytes=self.config.index_interval_bytes,
                          max_index_entries=max(1, self.config.segment_index_bytes // OFFSET_ENTRY.size),
                          created_ms=now_ms)

    def _read_start_checkpoint(self) -> int:
        try:
            return int((self.dir / START_CHECKPOINT).read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def _write_start_checkpoint(self) -> None:
        # No fsync on the request path: after a power loss the start may fall back to an older value
        # (Kafka checkpoints it once a minute); a lost or torn file reads as 0, i.e. the first segment.
        path = self.dir / START_CHECKPOINT
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(f"{self.log_start_offset}\n")
        os.replace(tmp, path)

    def close(self) -> None:
        """Close every segment (writing its index files); the clean-shutdown marker comes later, once the
        data directory is synced (mark_clean)."""
        for seg in self.segments:
            seg.close()

    def mark_clean(self) -> None:
        if self.dir.exists():
            (self.dir / CLEAN_MARKER).touch()

    # -- flushing ---------------------------------------------------------------------
    @property
    def unflushed_messages(self) -> int:
        return self.log_end_offset - self.recovery_point

    def flush_job(self, upto: int) -> FlushJob | None:
        """What to fsync so that every offset below upto is durable: duplicates of the descriptors of the
        segments between the recovery point and upto (so retention may close a segment meanwhile)."""
        upto = min(upto, self.log_end_offset)
        if upto <= self.recovery_point:
            return None
        fds = []
        for i, seg in enumerate(self.segments):
            nxt = self.segments[i + 1].base_offset if i + 1 < len(self.segments) else None
            if nxt is not None and nxt <= self.recovery_point:
                continue
            if seg.base_offset >= upto and seg.base_offset > self.recovery_point:
                break
            if seg.fd >= 0:
                fds.append(os.dup(seg.fd))
        checkpoint = self.epochs.open_for_sync()  # the epochs of what is flushed, written but not yet fsynced
        if checkpoint is not None:
            fds.append(checkpoint)
        return FlushJob(self, upto, fds)

    def flush(self, now_ms: int = 0) -> None:
        """Make everything appended so far durable, here and now (tests, shutdown)."""
        job = self.flush_job(self.log_end_offset)
        if job is not None:
            job.run()
            job.done(now_ms)

    def delete(self) -> None:
        for seg in self.segments:
            seg.delete()
        shutil.rmtree(self.dir, ignore_errors=True)

    def update_config(self, config: LogConfig) -> None:
        self.config = config
        for seg in self.segments:
            seg.index_interval_bytes = config.index_interval_bytes
            seg.index.max_entries = max(1, config.segment_index_bytes // OFFSET_ENTRY.size)

    # -- state ------------------------------------------------------------------------
    @property
    def active(self) -> LogSegment:
        return self.segments[-1]

    @property
    def log_end_offset(self) -> int:
        return self.active.next_offset

    @property
    def size_in_bytes(self) -> int:
        return sum(s.size for s in self.segments)

    # -- appending --------------------------------------------------------------------
    def should_roll(self, incoming: int, now_ms: int) -> bool:
        seg = self.active
        if seg.size == 0:
            return False
        return (seg.size + incoming > self.config.segment_bytes
                or now_ms - seg.created_ms > self.config.segment_ms
                or seg.index.is_full)

    def roll(self, now_ms: int) -> None:
        """Start a new active segment; the old one is flushed off the request path (on_roll schedules
        it, as Kafka's flush-log task), or here when nothing schedules flushes."""
        old = self.active
        old.index.write()
        old.time_index.write()
        seg = self._new_segment(self.log_end_offset, now_ms)
        self.segments.append(seg)
        self._bases.append(seg.base_offset)
        if self.on_roll is not None:
            self.on_roll(self, seg.base_offset)
        else:
            job = self.flush_job(seg.base_offset)
            if job is not None:
                job.run()
                job.done(now_ms)

    def append(self, records: bytes | bytearray, *, leader_epoch: int, now_ms: int) -> AppendInfo:
        if self.should_roll(len(records), now_ms):
            self.roll(now_ms)
        data = bytearray(records)
        log_append = now_ms if self.config.message_timestamp_type == "LogAppendTime" else None
        first = next_offset = self.log_end_offset
        max_ts, offset_of_max = -1, -1
        pos = 0
        while pos < len(data):
            h = parse_header(data, pos)
            stamp(data, pos, next_offset, leader_epoch, log_append)
            last = next_offset + h.last_offset_delta
            ts = log_append if log_append is not None else h.max_timestamp
            if ts > max_ts:
                max_ts, offset_of_max = ts, last
            next_offset = last + 1
            pos += h.size
        self.active.append(data, first, next_offset - 1, max_ts, offset_of_max)
        self.epochs.assign(leader_epoch, first, sync=False)  # fsynced by the next flush, off the event loop
        return AppendInfo(first, next_offset - 1, -1 if log_append is None else log_append, max_ts, offset_of_max)

    def append_as_follower(self, records: bytes | bytearray) -> AppendInfo | None:
        """Append a leader's batches as they are (offsets, epochs, timestamps kept): the whole valid batches of
        records from this log's end on; a partial batch at the end (a fetch cut by max bytes) is left out.
        Returns None when nothing was appended."""
        end = self.log_end_offset
        start_pos = None
        stop_pos = 0
        first = last = -1
        max_ts, offset_of_max = -1, -1
        epoch_starts: list[tuple[int, int]] = []
        for pos, h in iter_valid_batches(records, verify_crc=True):
            if h.last_offset < end:
                continue  # already here (the batch holding the fetch offset may start below it)
            if start_pos is None:
                if h.base_offset < end:
                    raise UnexpectedAppendOffsetError(
                        f"{self.dir.name}: fetched batch {h.base_offset}-{h.last_offset} straddles the log end {end}")
                start_pos, first = pos, h.base_offset
            elif h.base_offset <= last:
                raise UnexpectedAppendOffsetError(f"{self.dir.name}: out of order offsets at {h.base_offset}")
            last = h.last_offset
            if h.max_timestamp > max_ts:
                max_ts, offset_of_max = h.max_timestamp, h.last_offset
            if not epoch_starts or h.partition_leader_epoch != epoch_starts[-1][0]:
                epoch_starts.append((h.partition_leader_epoch, h.base_offset))
            stop_pos = pos + h.size
        if start_pos is None:
            return None
        data = bytes(records[start_pos:stop_pos])
        if self.should_roll(len(data), max(max_ts, 0)):
            self.roll(max(max_ts, 0))
        self.active.append(data, first, last, max_ts, offset_of_max)
        for epoch, start in epoch_starts:
            self.epochs.assign(epoch, start, sync=False)  # fsynced by the next flush, off the event loop
        return AppendInfo(first, last, -1, max_ts, offset_of_max)

    # -- reading ----------------------------------------------------------------------
    def _segment_index(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self._bases, offset) - 1)

    def read(self, fetch_offset: int, max_bytes: int, *, max_offset: int | None = None,
             min_one_batch: bool = True) -> FetchData:
        end = self.log_end_offset
        if fetch_offset < self.log_start_offset or fetch_offset > end:
            raise OffsetOutOfRangeError(
                f"offset {fetch_offset} is outside [{self.log_start_offset}, {end}]")
        limit = end if max_offset is None else min(max_offset, end)
        if fetch_offset >= limit:
            return FetchData(None)
        for seg in self.segments[self._segment_index(fetch_offset):]:
            found = seg.find_batch(fetch_offset)
            if found is None:
                continue
            pos, _h = found
            return FetchData(seg.read_slice(pos, max_bytes, limit, min_one_batch))
        return FetchData(None)

    def iter_batch_headers(self, from_offset: int = 0) -> Iterator[BatchHeader]:
        for seg in self.segments[self._segment_index(from_offset):]:
            for _pos, h in seg.iter_headers(seg.index.lookup(from_offset)):
                if h.last_offset >= from_offset:
                    yield h

    def offset_for_timestamp(self, timestamp: int) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record at or after timestamp, at or above the log start."""
        for seg in self.segments:
            if seg.max_timestamp < timestamp:
                continue
            start = seg.index.lookup(seg.time_index.lookup(timestamp))
            for pos, h in seg.iter_headers(start):
                if h.max_timestamp < timestamp or h.last_offset < self.log_start_offset:
                    continue
                batch = seg.read(pos, h.size)
                for offset, ts in record_timestamps(batch):
                    if ts >= timestamp and offset >= self.log_start_offset:
                        return offset, ts
        return None

    def legacy_offsets_before(self, timestamp: int, max_num: int, now_ms: int) -> list[int]:
        """ListOffsets v0 (Kafka's legacyFetchOffsetsBefore): segment base offsets by last-modified time,
        newest first, with the log end offset as the newest entry when the active segment has data."""
        pairs = [(max(s.base_offset, self.log_start_offset), s.last_modified_ms()) for s in self.segments]
        if self.active.size > 0:
            pairs.append((self.log_end_offset, now_ms))
        if timestamp == -1:
            start = len(pairs) - 1
        elif timestamp == -2:
            start = 0
        else:
            start = len(pairs) - 1
            while start >= 0 and pairs[start][1] > timestamp:
                start -= 1
        return [pairs[i][0] for i in range(start, max(start - max_num, -1), -1)]

    def max_timestamp_and_offset(self) -> tuple[int, int] | None:
        best: tuple[int, int] | None = None
        for seg in self.segments:
            if seg.max_timestamp >= 0 and (best is None or seg.max_timestamp > best[0]):
                best = (seg.max_timestamp, seg.offset_of_max_timestamp)
        if best is None or best[1] < self.log_start_offset:
            return None
        return best

    # -- deleting ---------------------------------------------------------------------
    def delete_records_before(self, offset: int) -> int:
        """Move the log start offset to offset; delete segments wholly below it. Returns the new start."""
        if offset <= self.log_start_offset:
            return self.log_start_offset
        offset = min(offset, self.log_end_offset)
        self.log_start_offset = offset
        self._write_start_checkpoint()
        while len(self.segments) > 1 and self.segments[1].base_offset <= offset:
            self._drop_oldest()
        self.epochs.truncate_from_start(offset)
        return self.log_start_offset

    def _drop_oldest(self) -> None:
        seg = self.segments.pop(0)
        self._bases.pop(0)
        seg.delete()

    def truncate_to(self, offset: int) -> None:
        """Remove every record at or above offset (a follower diverging from its leader)."""
        while len(self.segments) > 1 and self.active.base_offset >= offset:
            seg = self.segments.pop()
            self._bases.pop()
            seg.delete()
        seg = self.active
        if offset >= seg.next_offset:
            return
        cut = None
        for pos, h in seg.iter_headers(seg.index.lookup(offset)):
            if h.last_offset >= offset:
                cut = pos
                break
        if cut is not None:
            seg.truncate_to_position(cut)
            seg.recover()
        self.log_start_offset = min(self.log_start_offset, self.log_end_offset)
        self.recovery_point = min(self.recovery_point, self.log_end_offset)
        self.epochs.truncate_from_end(self.log_end_offset)

    def truncate_fully_and_start_at(self, offset: int, now_ms: int) -> None:
        """Drop every segment and start empty at offset (a follower whose leader's log starts past its end)."""
        for seg in self.segments:
            seg.delete()
        self.segments = [self._new_segment(offset, now_ms)]
        self._bases = [offset]
        self.log_start_offset = offset
        self.recovery_point = offset
        self._write_start_checkpoint()
        self.epochs.clear()

    def apply_retention(self, now_ms: int) -> int:
        """Delete whole old segments by retention.ms and retention.bytes; the active one is kept."""
        deleted = 0
        if self.config.retention_ms >= 0:
            while len(self.segments) > 1 and now_ms - self.segments[0].max_timestamp > self.config.retention_ms:
                deleted += self._retire_oldest()
        if self.config.retention_bytes >= 0:
            while len(self.segments) > 1 and self.size_in_bytes - self.segments[0].size >= self.config.retention_bytes:
                deleted += self._retire_oldest()
        if (self.config.retention_ms >= 0 and self.active.size > 0
                and now_ms - self.active.max_timestamp > self.config.retention_ms):
            # Kafka rolls an expired active segment so that it can be deleted on the next pass.
            self.roll(now_ms)
            deleted += self._retire_oldest()
        return deleted

    def _retire_oldest(self) -> int:
        next_base = self.segments[1].base_offset
        self._drop_oldest()
        if self.log_start_offset < next_base:
            self.log_start_offset = next_base
            self._write_start_checkpoint()
            self.epochs.truncate_from_start(next_base)
        return 1


def scan_valid(data: bytes) -> int:
    """Length of the valid prefix of raw log bytes (for tools and tests)."""
    end = 0
    for pos, h in iter_valid_batches(data, verify_crc=True):
        end = pos + h.size
    return end
