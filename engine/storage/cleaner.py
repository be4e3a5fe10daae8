"""Log compaction: one clean of one log, as Kafka's Cleaner, run off the event loop.

1. An offset map of the dirty section [first dirty, first uncleanable): for every key,
   the offset of its last record (records of aborted transactions and control batches
   left out). Bounded by log.cleaner.dedupe.buffer.size (24 bytes a key, as Kafka
   counts): a map that fills ends the clean early, at a batch boundary.
2. Every segment from the log start up to the end of the map is rewritten, in groups
   of at most segment.bytes, into `<base>.log.cleaned` (and its two indexes). A record
   stays if the map has no newer record of its key; a tombstone (null value) stays
   until the delete horizon of its batch passes: the first clean that keeps a
   tombstone stamps the batch with now + delete.retention.ms (KIP-534: the base
   timestamp becomes the horizon, attribute bit 6 set, record timestamps kept).
   Records of aborted transactions go; a transaction's marker goes once none of the
   transaction's batches remain and its own delete horizon has passed; keyless records
   go. A batch keeps its base offset and last offset delta (so producer sequences stay
   right); a producer's last batch is kept as an empty batch when all its records go.
3. The cleaned files and a `<base>.log.swap.end` file (the first base offset the group
   does not replace) are fsynced; engine.log_cleaner then swaps them in (`.cleaned` ->
   `.swap` -> `.log`), which engine.storage.log_loader completes or discards after a crash.

Everything here works on files by path and on plain values, so it can run on any thread.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from engine.storage import fileio
from engine.storage.batch import HEADER_SIZE, BatchHeader, parse_header
from engine.storage.batch_rewrite import RawRecord, delete_horizon, iter_raw_records, rebuild_batch
from engine.storage.control import parse_control_batch
from engine.storage.index import OFFSET_ENTRY, TIME_ENTRY
from engine.storage.log_loader import CLEANED_SUFFIX
from engine.storage.segment import segment_name

READ_CHUNK = 4 * 1024 * 1024
MAP_ENTRY_BYTES = 24  # Kafka's offset map: a 16-byte hash and an 8-byte offset per key


class CleanAborted(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class SourceSegment:
    base_offset: int
    path: Path
    size: int


@dataclasses.dataclass(frozen=True)
class CleanPlan:
    """What to clean, captured on the event loop (plain values only)."""

    name: str
    directory: Path
    sources: tuple[SourceSegment, ...]  # every segment below the first uncleanable offset, in order
    first_dirty: int
    first_uncleanable: int
    aborted: tuple[tuple[int, int, int], ...]  # (producer id, first offset, last offset) in the range
    retain: frozenset[tuple[int, int]]  # (producer id, last offset) of each producer's last data batch and
    # last marker: kept, even empty, so the producer's sequence and epoch survive (Kafka's RETAIN_EMPTY)
    now_ms: int
    delete_retention_ms: int
    segment_bytes: int
    index_interval_bytes: int
    max_map_keys: int
    throttle_bytes_per_s: float = float("inf")
    clean_to: int = 0  # clean at least up to here even with nothing dirty (a delete horizon passed)


@dataclasses.dataclass
class CleanedGroup:
    base_offset: int
    replaces: tuple[int, ...]  # base offsets of the source segments this group replaces
    end_base: int  # the first base offset after the group (the .swap.end content)
    size: int


@dataclasses.dataclass
class CleanResult:
    end_offset: int  # the next clean starts here (the cleaner checkpoint)
    groups: list[CleanedGroup]
    records_read: int = 0
    records_kept: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    latest_delete_horizon: int = -1  # the latest horizon stamped or seen: a later clean is due then


class _Throttle:
    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.start = time.monotonic()
        self.done = 0

    def __call__(self, n: int, stop: Stop) -> None:
        if self.rate == float("inf"):
            return
        self.done += n
        while True:
            wait = self.done / self.rate - (time.monotonic() - self.start)
            if wait <= 0:
                return
            stop.check()
            time.sleep(min(wait, 0.05))


class Stop:
    """Set from the event loop to abandon a clean (the log was closed or deleted)."""

    def __init__(self) -> None:
        self.requested = False

    def check(self) -> None:
        if self.requested:
            raise CleanAborted("cleaning was stopped")


# -- reading segments ---------------------------------------------------------------------------------

def _batches(path: Path, start_position: int, stop: Stop, throttle: _Throttle) -> Iterator[tuple[BatchHeader, bytes]]:
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        pos = start_position
        buf, buf_start = b"", pos
        while pos + HEADER_SIZE <= size:
            stop.check()
            rel = pos - buf_start
            if rel + HEADER_SIZE > len(buf):
                buf, buf_start, rel = os.pread(f.fileno(), READ_CHUNK, pos), pos, 0
                throttle(len(buf), stop)
            h = parse_header(buf, rel)
            if h.magic != 2 or h.size < HEADER_SIZE:
                return  # a torn tail: recovery's business, not ours
            if rel + h.size > len(buf):
                buf, buf_start, rel = os.pread(f.fileno(), max(READ_CHUNK, h.size), pos), pos, 0
                throttle(len(buf), stop)
                if len(buf) < h.size:
                    return
            yield h, buf[rel : rel + h.size]
            pos += h.size


class _Transactions:
    """Kafka's CleanedTransactionMetadata: which batches belong to aborted transactions, which markers may go."""

    def __init__(self, aborted: tuple[tuple[int, int, int], ...]) -> None:
        self.pending = sorted(aborted, key=lambda a: a[1])
        self.ongoing_aborted: dict[int, bool] = {}  # producer id -> a batch of it was seen
        self.ongoing_committed: set[int] = set()

    def _consume_up_to(self, offset: int) -> None:
        while self.pending and self.pending[0][1] <= offset:
            pid = self.pending.pop(0)[0]
            self.ongoing_aborted.setdefault(pid, False)

    def on_batch(self, h: BatchHeader) -> bool:
        """True when the batch belongs to an aborted transaction (it can go)."""
        self._consume_up_to(h.last_offset)
        if not h.is_transactional:
            return False
        if h.producer_id in self.ongoing_aborted:
            self.ongoing_aborted[h.producer_id] = True
            return True
        self.ongoing_committed.add(h.producer_id)
        return False

    def on_marker(self, h: BatchHeader, batch: bytes) -> bool:
        """True when the marker may go (no batch of its transaction was seen): once its horizon passes."""
        self._consume_up_to(h.last_offset)
        control = parse_control_batch(batch) if h.records_count else None
        if control is None:
            return True
        if control.aborted:
            seen = self.ongoing_aborted.pop(h.producer_id, None)
            return not seen
        if h.producer_id in self.ongoing_committed:
            self.ongoing_committed.discard(h.producer_id)
            return False
        return True


# -- the clean ----------------------------------------------------------------------------------------

def build_offset_map(plan: CleanPlan, stop: Stop, throttle: _Throttle) -> tuple[dict[bytes, int], int]:
    """key hash -> last offset over the dirty section; and the offset the map covers up to (exclusive)."""
    offsets: dict[bytes, int] = {}
    txns = _Transactions(plan.aborted)
    end = plan.first_dirty
    for i, seg in enumerate(plan.sources):
        nxt = plan.sources[i + 1].base_offset if i + 1 < len(plan.sources) else plan.first_uncleanable
        if nxt <= plan.first_dirty:
            continue
        for h, batch in _batches(seg.path, 0, stop, throttle):
            if h.last_offset < plan.first_dirty:
                continue
            if h.base_offset >= plan.first_uncleanable:
                return offsets, end
            if h.is_control:
                txns.on_marker(h, batch)
            elif not txns.on_batch(h):
                new_keys = 0
                records = list(iter_raw_records(h, batch))
                for r in records:
                    if r.key is not None and hashlib.md5(r.key).digest() not in offsets:
                        new_keys += 1
                if len(offsets) + new_keys > plan.max_map_keys and offsets:
                    return offsets, end  # the map is full: clean what it covers
                for r in records:
                    if r.key is not None:
                        offsets[hashlib.md5(r.key).digest()] = h.base_offset + r.offset_delta
            end = h.last_offset + 1
    return offsets, end


def _group_sources(plan: CleanPlan, end_offset: int) -> list[list[SourceSegment]]:
    involved = [s for s in plan.sources if s.base_offset < end_offset]
    groups: list[list[SourceSegment]] = []
    for seg in involved:
        if groups and sum(s.size for s in groups[-1]) + seg.size <= plan.segment_bytes:
            groups[-1].append(seg)
        else:
            groups.append([seg])
    return groups


class _CleanedWriter:
    """`<base>.log.cleaned` with its `.index.cleaned` and `.timeindex.cleaned`."""

    def __init__(self, directory: Path, base: int, index_interval: int) -> None:
        self.base = base
        name = segment_name(base)
        self.log_path = directory / f"{name}.log{CLEANED_SUFFIX}"
        self.index_path = directory / f"{name}.index{CLEANED_SUFFIX}"
        self.time_path = directory / f"{name}.timeindex{CLEANED_SUFFIX}"
        self.f = open(self.log_path, "wb")  # noqa: SIM115 - closed in finish()
        self.index_interval = index_interval
        self.position = 0
        self.since_index = 0
        self.index = bytearray()
        self.time_index = bytearray()
        self.last_indexed_ts = -1
        self.max_ts = -1

    def append(self, h: BatchHeader, batch: bytes) -> None:
        if self.since_index >= self.index_interval or self.position == 0:
            self.index += OFFSET_ENTRY.pack(h.base_offset - self.base, self.position)
            ts = max(self.max_ts, h.max_timestamp)
            if ts > self.last_indexed_ts:
                self.time_index += TIME_ENTRY.pack(ts, h.last_offset - self.base)
                self.last_indexed_ts = ts
            self.since_index = 0
        self.f.write(batch)
        self.position += len(batch)
        self.since_index += len(batch)
        self.max_ts = max(self.max_ts, h.max_timestamp)

    def finish(self) -> None:
        self.f.flush()
        fileio.fsync(self.f.fileno())
        self.f.close()
        for path, data in ((self.index_path, self.index), (self.time_path, self.time_index)):
            with open(path, "wb") as f:
                f.write(data)
                f.flush()
                fileio.fsync(f.fileno())

    def discard(self) -> None:
        if not self.f.closed:
            self.f.close()
        for p in (self.log_path, self.index_path, self.time_path):
            p.unlink(missing_ok=True)


def clean(plan: CleanPlan, stop: Stop) -> CleanResult:
    """Write the cleaned segments of plan (see the module text); nothing is swapped in here."""
    throttle = _Throttle(plan.throttle_bytes_per_s)
    offset_map, end_offset = build_offset_map(plan, stop, throttle)
    result = CleanResult(end_offset, [])
    latest_mapped = end_offset - 1
    end_offset = max(end_offset, plan.clean_to)
    if end_offset <= plan.first_dirty and plan.clean_to <= 0:
        return result
    txns = _Transactions(plan.aborted)
    groups = _group_sources(plan, end_offset)
    writers: list[_CleanedWriter] = []
    try:
        for gi, group in enumerate(groups):
            writer = _CleanedWriter(plan.directory, group[0].base_offset, plan.index_interval_bytes)
            writers.append(writer)
            for seg in group:
                for h, batch in _batches(seg.path, 0, stop, throttle):
                    result.bytes_read += h.size
                    out = _filter_batch(plan, h, batch, offset_map, latest_mapped, txns, result)
                    if out is not None:
                        writer.append(parse_header(out), out)
                        result.bytes_written += len(out)
            writer.finish()
            nxt = groups[gi + 1][0].base_offset if gi + 1 < len(groups) else _after(plan, group[-1])
            end_file = plan.directory / f"{segment_name(writer.base)}.log.swap.end"
            with open(end_file, "w") as f:
                f.write(str(nxt))
                f.flush()
                fileio.fsync(f.fileno())
            result.groups.append(CleanedGroup(writer.base, tuple(s.base_offset for s in group), nxt,
                                              writer.position))
        fileio.fsync_path(plan.directory, directory=True)
    except BaseException:
        for w in writers:
            w.discard()
        for g in result.groups:
            (plan.directory / f"{segment_name(g.base_offset)}.log.swap.end").unlink(missing_ok=True)
        raise
    return result


def _after(plan: CleanPlan, seg: SourceSegment) -> int:
    later = [s.base_offset for s in plan.sources if s.base_offset > seg.base_offset]
    return later[0] if later else plan.first_uncleanable


def _filter_batch(plan: CleanPlan, h: BatchHeader, batch: bytes, offset_map: dict[bytes, int], latest_mapped: int,
                  txns: _Transactions, result: CleanResult) -> bytes | None:
    now = plan.now_ms
    horizon = delete_horizon(h)
    last_of_producer = h.producer_id >= 0 and (h.producer_id, h.last_offset) in plan.retain
    if h.is_control:
        may_go = txns.on_marker(h, batch)
        if may_go and horizon is not None and horizon <= now and not last_of_producer:
            return None
        if may_go and horizon is None:
            result.latest_delete_horizon = max(result.latest_delete_horizon, now + plan.delete_retention_ms)
            return rebuild_batch(h, list(iter_raw_records(h, batch)), now + plan.delete_retention_ms)
        if horizon is not None:
            result.latest_delete_horizon = max(result.latest_delete_horizon, horizon)
        return batch
    aborted = txns.on_batch(h)
    records = [] if aborted else list(iter_raw_records(h, batch))
    result.records_read += h.records_count
    kept: list[RawRecord] = []
    tombstones = False
    for r in records:
        offset = h.base_offset + r.offset_delta
        if offset > latest_mapped:
            kept.append(r)
            tombstones |= r.value_is_null
            continue
        if r.key is None:
            continue
        if offset < offset_map.get(hashlib.md5(r.key).digest(), -1):
            continue
        if r.value_is_null and horizon is not None and horizon <= now:
            continue
        kept.append(r)
        tombstones |= r.value_is_null
    result.records_kept += len(kept)
    if not kept and not last_of_producer:
        return None
    new_horizon = horizon
    if tombstones and horizon is None:
        new_horizon = now + plan.delete_retention_ms
    if new_horizon is not None and tombstones:
        result.latest_delete_horizon = max(result.latest_delete_horizon, new_horizon)
    if len(kept) == h.records_count and new_horizon == horizon:
        return batch  # unchanged: copied as it is
    return rebuild_batch(h, kept, new_horizon if kept else horizon)
