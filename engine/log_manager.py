"""Background work on the logs, off the event loop, as Kafka's LogManager schedules it.

- A rolled segment is flushed (fsync of the old segment and of the partition
  directory) by a worker thread; the recovery point moves to the new segment's base
  when that completes (Kafka's flush-log task).
- flush.messages: an append that leaves that many messages unflushed is acknowledged
  only once a flush completes (the handler awaits `flush_if_due`).
- flush.ms: every log.flush.scheduler.interval.ms, logs not flushed for flush.ms are
  flushed.
- Every log.flush.offset.checkpoint.interval.ms, and at shutdown, the recovery points
  are written to `recovery-point-offset-checkpoint` (Kafka's format).
- A deleted topic's directory is renamed at once and removed (rmtree) by a worker.
- Shutdown: segments closed, one syncfs of the data directory (not a system-wide
  sync), then the clean-shutdown markers and the checkpoint, then a second syncfs.
Work runs on a small thread pool of its own; `drain` waits for what is in flight.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from engine.storage import fileio
from engine.storage.checkpoint import RECOVERY_POINT, read_checkpoint, write_checkpoint
from engine.storage.log import FlushJob, Log

log = logging.getLogger("engine.logs")

LogsFn = Callable[[], Iterable[tuple[str, int, Log]]]


class LogManager:
    def __init__(self, data_dir: Path, logs: LogsFn, *, flush_check_ms: int, checkpoint_interval_ms: int,
                 wall_ms: Callable[[], int] = lambda: int(time.time() * 1000)) -> None:
        self.data_dir = data_dir
        self.logs = logs
        self.flush_check_ms = flush_check_ms
        self.checkpoint_interval_ms = checkpoint_interval_ms
        self.wall_ms = wall_ms
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="log-io")
        self._pending: set[asyncio.Future[None]] = set()

    # -- start-up ---------------------------------------------------------------------------
    def recovery_points(self) -> dict[tuple[str, int], int]:
        return read_checkpoint(self.data_dir / RECOVERY_POINT)

    def attach(self, log_obj: Log) -> None:
        log_obj.on_roll = self._on_roll

    # -- flushing ---------------------------------------------------------------------------
    def _loop(self) -> asyncio.AbstractEventLoop | None:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return None

    def _on_roll(self, log_obj: Log, upto: int) -> None:
        job = log_obj.flush_job(upto)
        if job is not None:
            self._submit(job)

    def _submit(self, job: FlushJob) -> asyncio.Future[None] | None:
        loop = self._loop()
        if loop is None:  # not on the event loop (start-up, tools): flush here
            job.run()
            job.done(self.wall_ms())
            return None
        fut = loop.run_in_executor(self._pool, job.run)
        self._pending.add(fut)

        def finished(f: asyncio.Future[None]) -> None:
            self._pending.discard(f)
            if f.cancelled():
                return
            exc = f.exception()
            if exc is None:
                job.done(self.wall_ms())
            else:
                log.error("flush of %s up to offset %d failed: %s", job.log.dir.name, job.upto, exc)

        fut.add_done_callback(finished)
        return fut

    async def flush(self, log_obj: Log, upto: int | None = None) -> None:
        job = log_obj.flush_job(log_obj.log_end_offset if upto is None else upto)
        if job is None:
            return
        fut = self._submit(job)
        if fut is not None:
            await asyncio.shield(fut)
            if fut.exception() is not None:
                raise fileio.StorageError(f"flush of {log_obj.dir.name} failed: {fut.exception()}")

    async def flush_if_due(self, log_obj: Log) -> None:
        """flush.messages: flush before acknowledging once that many messages are unflushed."""
        if log_obj.unflushed_messages >= log_obj.config.flush_messages:
            await self.flush(log_obj)

    def flush_due_by_time(self) -> int:
        """flush.ms: start a flush of every log whose data has waited that long; returns how many."""
        now = self.wall_ms()
        started = 0
        for _topic, _index, log_obj in self.logs():
            if log_obj.unflushed_messages > 0 and now - log_obj.last_flush_ms >= log_obj.config.flush_ms:
                job = log_obj.flush_job(log_obj.log_end_offset)
                if job is not None:
                    self._submit(job)
                    started += 1
        return started

    # -- checkpoints ------------------------------------------------------------------------
    def _recovery_point_entries(self) -> dict[tuple[str, int], int]:
        return {(topic, index): log_obj.recovery_point for topic, index, log_obj in self.logs()}

    async def checkpoint(self) -> None:
        entries = self._recovery_point_entries()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool, write_checkpoint, self.data_dir / RECOVERY_POINT, entries)

    async def run(self) -> None:
        """The periodic tasks: flush.ms checks and recovery-point checkpoints."""
        next_flush = self.wall_ms() + self.flush_check_ms
        next_checkpoint = self.wall_ms() + self.checkpoint_interval_ms
        while True:
            now = self.wall_ms()
            await asyncio.sleep(max(0.0, min(next_flush, next_checkpoint) - now) / 1000)
            now = self.wall_ms()
            try:
                if now >= next_flush:
                    next_flush = now + self.flush_check_ms
                    self.flush_due_by_time()
                if now >= next_checkpoint:
                    next_checkpoint = now + self.checkpoint_interval_ms
                    await self.checkpoint()
            except Exception:
                log.exception("log flush or checkpoint failed")

    # -- deletions --------------------------------------------------------------------------
    def remove_later(self, path: Path) -> None:
        """rmtree a renamed-away directory on a worker thread (inline when there is no event loop)."""
        loop = self._loop()
        if loop is None:
            shutil.rmtree(path, ignore_errors=True)
            return
        fut = loop.run_in_executor(self._pool, lambda: shutil.rmtree(path, ignore_errors=True))
        self._pending.add(fut)
        fut.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    # -- shutdown ---------------------------------------------------------------------------
    def shutdown(self, logs: list[tuple[str, int, Log]]) -> None:
        """Blocking (run it on a worker thread): close, sync the data directory, then mark clean."""
        for _t, _i, log_obj in logs:
            log_obj.close()
        fileio.syncfs(self.data_dir)
        for _t, _i, log_obj in logs:
            log_obj.recovery_point = log_obj.log_end_offset
            log_obj.mark_clean()
        write_checkpoint(self.data_dir / RECOVERY_POINT,
                         {(t, i): log_obj.recovery_point for t, i, log_obj in logs})
        fileio.syncfs(self.data_dir)
        self._pool.shutdown(wait=True)
