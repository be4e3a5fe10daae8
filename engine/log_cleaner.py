"""The log cleaner: which compacted log to clean next, cleaning it off the event loop, swapping the result in.

As Kafka's LogCleanerManager and LogCleaner (one cleaner thread):
- A log with `compact` in cleanup.policy has a dirty section from its cleaner
  checkpoint (`cleaner-offset-checkpoint`, Kafka's format) to the first uncleanable
  offset: the active segment's base, the last stable offset, or the first segment
  newer than min.compaction.lag.ms, whichever comes first.
- The log with the highest dirty ratio (dirty bytes over all bytes up to the first
  uncleanable offset) is cleaned once that ratio passes min.cleanable.dirty.ratio; a
  log is also cleaned when its oldest dirty record is older than max.compaction.lag.ms
  or when a delete horizon stamped by an earlier clean has passed (tombstones and
  markers to remove). Nothing to do: the cleaner waits log.cleaner.backoff.ms.
- The clean itself (engine.storage.cleaner) runs on a worker thread and only reads
  the old segments and writes new files; appends and fetches go on. Back on the
  event loop the result is swapped in: `.cleaned` renamed `.swap`, the old segments
  closed and deleted, `.swap` renamed to `.log`, the new segments opened. If the log
  changed meanwhile (retention deleted a segment, the topic was deleted) the result
  is discarded. log.cleaner.io.max.bytes.per.second throttles the reads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.partition import Partition
from engine.storage import fileio
from engine.storage.batch import HEADER_SIZE, parse_header
from engine.storage.checkpoint import CLEANER, read_checkpoint, write_checkpoint
from engine.storage.cleaner import MAP_ENTRY_BYTES, CleanPlan, CleanResult, SourceSegment, Stop, clean
from engine.storage.log_loader import CLEANED_SUFFIX, SWAP_SUFFIX
from engine.storage.segment import segment_name

log = logging.getLogger("engine.cleaner")

PartitionsFn = Callable[[], dict[tuple[str, int], Partition]]
ConfigFn = Callable[[str, str], Any]  # (topic, topic config name) -> value


@dataclasses.dataclass
class Candidate:
    key: tuple[str, int]
    partition: Partition
    first_dirty: int
    first_uncleanable: int
    ratio: float
    forced: bool


class LogCleaner:
    def __init__(self, data_dir: Path, partitions: PartitionsFn, topic_config: ConfigFn, *, backoff_ms: int,
                 dedupe_buffer_bytes: int, io_bytes_per_s: float, enabled: bool = True,
                 wall_ms: Callable[[], int] = lambda: int(time.time() * 1000)) -> None:
        self.data_dir = data_dir
        self.partitions = partitions
        self.topic_config = topic_config
        self.backoff_ms = backoff_ms
        self.dedupe_buffer_bytes = dedupe_buffer_bytes
        self.io_bytes_per_s = io_bytes_per_s
        self.enabled = enabled
        self.wall_ms = wall_ms
        self.checkpoints = read_checkpoint(data_dir / CLEANER)
        self.horizons: dict[tuple[str, int], int] = {}
        self.cleans = 0
        self._stop = Stop()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="log-cleaner")
        self._running: asyncio.Future[CleanResult] | None = None
        self._wakeup = asyncio.Event()

    # -- choosing ---------------------------------------------------------------------------
    def candidate(self, key: tuple[str, int], p: Partition, now: int) -> Candidate | None:
        lg = p.log
        start, end = lg.log_start_offset, lg.log_end_offset
        first_dirty = self.checkpoints.get(key, start)
        if first_dirty < start or first_dirty > end:
            first_dirty = start
        first_uncleanable = min(p.last_stable_offset, lg.active.base_offset)
        min_lag = int(self.topic_config(p.topic, "min.compaction.lag.ms"))
        segments = lg.segments
        if min_lag > 0:
            for i, seg in enumerate(segments[:-1]):
                if segments[i + 1].base_offset > first_dirty and seg.max_timestamp > now - min_lag:
                    first_uncleanable = min(first_uncleanable, seg.base_offset)
                    break
        first_uncleanable = max(first_dirty, first_uncleanable)

        def overlapping(lo: int, hi: int) -> int:
            total = 0
            for i, seg in enumerate(segments):
                nxt = segments[i + 1].base_offset if i + 1 < len(segments) else end + 1
                if nxt > lo and seg.base_offset < hi:
                    total += seg.size
            return total

        dirty = overlapping(first_dirty, first_uncleanable) if first_uncleanable > first_dirty else 0
        clean_bytes = overlapping(start, first_dirty) if first_dirty > start else 0
        ratio = dirty / (dirty + clean_bytes) if dirty else 0.0
        horizon = self.horizons.get(key, -1)
        horizon_due = 0 <= horizon <= now and first_uncleanable > start
        max_lag = int(self.topic_config(p.topic, "max.compaction.lag.ms"))
        overdue = dirty > 0 and max_lag < 2**62 and self._first_dirty_timestamp(p, first_dirty) < now - max_lag
        min_ratio = float(self.topic_config(p.topic, "min.cleanable.dirty.ratio"))
        if (dirty > 0 and ratio > min_ratio) or overdue or horizon_due:
            return Candidate(key, p, first_dirty, first_uncleanable, ratio, horizon_due or overdue)
        return None

    @staticmethod
    def _first_dirty_timestamp(p: Partition, first_dirty: int) -> int:
        try:
            data = p.log.read(first_dirty, HEADER_SIZE, max_offset=None, min_one_batch=False).records
        except Exception:
            return 2**62
        return parse_header(data).max_timestamp if len(data) >= HEADER_SIZE else 2**62

    def filthiest(self, now: int) -> Candidate | None:
        best: Candidate | None = None
        for key, p in self.partitions().items():
            if not p.log.config.compact:
                continue
            c = self.candidate(key, p, now)
            if c is not None and (best is None or (c.forced, c.ratio) > (best.forced, best.ratio)):
                best = c
        return best

    def plan(self, c: Candidate, now: int) -> CleanPlan:
        p = c.partition
        lg = p.log
        sources = tuple(SourceSegment(s.base_offset, s.log_path, s.size) for s in lg.segments
                        if s.base_offset < c.first_uncleanable and s is not lg.active)
        aborted = tuple((t.producer_id, t.first_offset, t.last_offset)
                        for t in p.producers.aborted_between(lg.log_start_offset, c.first_uncleanable))
        return CleanPlan(
            name=f"{p.topic}-{p.index}", directory=lg.dir, sources=sources, first_dirty=c.first_dirty,
            first_uncleanable=c.first_uncleanable, aborted=aborted, retain=p.producers.retained_batches(),
            now_ms=now, delete_retention_ms=int(self.topic_config(p.topic, "delete.retention.ms")),
            segment_bytes=int(self.topic_config(p.topic, "segment.bytes")),
            index_interval_bytes=int(self.topic_config(p.topic, "index.interval.bytes")),
            max_map_keys=max(1, self.dedupe_buffer_bytes // MAP_ENTRY_BYTES),
            throttle_bytes_per_s=self.io_bytes_per_s, clean_to=c.first_dirty if c.forced else 0)

    # -- cleaning ---------------------------------------------------------------------------
    async def clean_once(self) -> bool:
        """Clean the filthiest log, if any is due; True if one was cleaned."""
        now = self.wall_ms()
        c = self.filthiest(now)
        if c is None:
            return False
        plan = self.plan(c, now)
        log.info("cleaning %s: dirty offsets [%d, %d), ratio %.2f", plan.name, plan.first_dirty,
                 plan.first_uncleanable, c.ratio)
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        self._running = loop.run_in_executor(self._pool, clean, plan, self._stop)
        try:
            result = await self._running
        finally:
            self._running = None
        swapped = self.swap(c, plan, result)
        if swapped:
            self.checkpoints[c.key] = max(self.checkpoints.get(c.key, 0), result.end_offset)
            if result.latest_delete_horizon >= 0:
                self.horizons[c.key] = result.latest_delete_horizon
            else:
                self.horizons.pop(c.key, None)
            await loop.run_in_executor(self._pool, write_checkpoint, self.data_dir / CLEANER, dict(self.checkpoints))
            self.cleans += 1
            log.info("cleaned %s in %.0f ms: %d of %d records kept, %d -> %d bytes, next clean from offset %d",
                     plan.name, (time.monotonic() - started) * 1000, result.records_kept, result.records_read,
                     result.bytes_read, result.bytes_written, result.end_offset)
        return True

    def swap(self, c: Candidate, plan: CleanPlan, result: CleanResult) -> bool:
        """On the event loop: put the cleaned segments in place of the ones they replace."""
        p = c.partition
        lg = p.log
        d = plan.directory
        current = self.partitions().get(c.key) is p and d.exists()
        by_base = {s.base_offset: s for s in lg.segments} if current else {}
        swapped = False
        for g in result.groups:
            name = segment_name(g.base_offset)
            sources = [by_base.get(b) for b in g.replaces]
            if not current or any(s is None or s is lg.active for s in sources):
                for suffix in (".log", ".index", ".timeindex"):
                    (d / f"{name}{suffix}{CLEANED_SUFFIX}").unlink(missing_ok=True)
                (d / f"{name}.log.swap.end").unlink(missing_ok=True)
                log.info("%s changed while it was cleaned: the cleaned segment %s is discarded", plan.name, name)
                continue
            for suffix in (".log", ".index", ".timeindex"):
                os.replace(d / f"{name}{suffix}{CLEANED_SUFFIX}", d / f"{name}{suffix}{SWAP_SUFFIX}")
            for s in sources:
                assert s is not None
                s.discard()
                for path in (s.log_path, s.index.path, s.time_index.path):
                    path.unlink(missing_ok=True)
            for suffix in (".log", ".index", ".timeindex"):
                os.replace(d / f"{name}{suffix}{SWAP_SUFFIX}", d / f"{name}{suffix}")
            (d / f"{name}.log.swap.end").unlink(missing_ok=True)
            seg = lg._new_segment(g.base_offset, plan.now_ms)
            seg.load()
            first = lg.segments.index(sources[0])  # type: ignore[arg-type]
            lg.segments[first : first + len(sources)] = [seg]
            lg._bases = [s.base_offset for s in lg.segments]
            swapped = True
        if swapped:
            self._pool.submit(fileio.fsync_path, d, True)
        return swapped

    async def run(self) -> None:
        """The cleaner thread's loop."""
        while True:
            cleaned = False
            if self.enabled:
                try:
                    cleaned = await self.clean_once()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("the log cleaner failed; retrying after log.cleaner.backoff.ms")
            if not cleaned:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self.backoff_ms / 1000)

    def wake(self) -> None:
        self._wakeup.set()

    async def stop(self) -> None:
        self._stop.requested = True
        if self._running is not None:
            await asyncio.gather(self._running, return_exceptions=True)

    def close(self) -> None:
        """Blocking: write the checkpoint one last time."""
        self._stop.requested = True
        self._pool.shutdown(wait=True)
        write_checkpoint(self.data_dir / CLEANER, dict(self.checkpoints))
