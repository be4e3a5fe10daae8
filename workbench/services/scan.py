"""Message scans for the GUI: plan on the event loop, read in a child process, report in batches.

Theory of operation: `ScanService.prepare` (asyncio) asks the cluster for the topic's
partitions, watermarks and, for time positions, offsets for times, and makes the
`ScanPlan` (scan_request.py). `ScanService.start` hands the plan to a scan worker
process (scan_worker.py and scan_job.py, running scan_loop.py), so the scan never competes with the GUI
for the GIL; a reader thread here turns the worker's frames into `on_update(entries,
progress)` calls on the event loop (at most one per HAND_OVER_S) and resolves
`RunningScan.wait()` with the Outcome. `cancel()` writes to the worker's stdin; a worker
that does not stop within CANCEL_GRACE_S is killed, and a worker that dies without an
outcome becomes an "error" outcome carrying its last words.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from typing import IO

from workbench.errors import Problem, WorkbenchError
from workbench.services.admin import AdminService
from workbench.services.export import ExportChoice
from workbench.services.launch import SCAN_WORKER_MODE, helper_command
from workbench.services.registry import RegistrySettings
from workbench.services.result_store import IndexEntries
from workbench.services.scan_job import ScanJob, read_frame, write_frame
from workbench.services.scan_loop import Outcome, PartitionProgress, Progress, consumer_config
from workbench.services.scan_request import ScanPlan, ScanRequest, plan

STALL_FACTOR = 3.0
CANCEL_GRACE_S = 5.0

__all__ = ["Outcome", "PartitionProgress", "Progress", "RunningScan", "ScanService"]


def worker_command() -> tuple[list[str], dict[str, str]]:
    """The command that runs a scan worker (`python -m workbench.services.scan_worker`, or the frozen app)."""
    return helper_command(SCAN_WORKER_MODE, "workbench.services.scan_worker")


@dataclasses.dataclass
class Worker:
    proc: subprocess.Popen[bytes]
    stderr: IO[bytes]  # a temporary file, read when the worker dies

    def close_pipes(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout, self.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError, ValueError):
                    pipe.close()


class WorkerPool:
    """One spare scan worker, started ahead so a scan does not wait for Python and librdkafka to load (~0.15 s).
    A spare waits on its stdin; closing that (close(), or this process dying) makes it exit."""

    def __init__(self) -> None:
        self._spare: Worker | None = None
        self._lock = threading.Lock()

    @staticmethod
    def _spawn() -> Worker:
        cmd, env = worker_command()
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the worker's pipes
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env,
                                close_fds=True)
        return Worker(proc, stderr)

    def take(self) -> Worker:
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None and spare.proc.poll() is None:
            return spare
        if spare is not None:
            spare.close_pipes()
        return self._spawn()

    def prime(self) -> None:
        with self._lock:
            if self._spare is None or self._spare.proc.poll() is not None:
                self._spare = self._spawn()

    def close(self) -> None:
        """Stop the spare (it exits when its stdin closes), waiting a little, then by force."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.close_pipes()
            try:
                spare.proc.wait(2)
            except subprocess.TimeoutExpired:
                spare.proc.kill()
                spare.proc.wait(2)


WORKERS = WorkerPool()


class RunningScan:
    """One scan in its worker process. `wait()` gives the Outcome (and, for exports, the count written)."""

    def __init__(self, job: ScanJob, on_update: Callable[[IndexEntries | None, Progress], None]) -> None:
        self.job = job
        self._on_update = on_update
        self._loop = asyncio.get_running_loop()
        self._done: asyncio.Future[tuple[Outcome, int]] = self._loop.create_future()
        self._started = time.monotonic()
        self._last_progress = Progress(tuple(PartitionProgress(r.partition, r.start, r.start, r.end, 0, 0, r.empty)
                                             for r in job.plan.ranges), 0, 0, 0, 0.0)
        worker = WORKERS.take()
        self.proc = worker.proc
        self._stderr = worker.stderr
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._stdin: IO[bytes] = self.proc.stdin
        write_frame(self._stdin, job)
        self._reader = threading.Thread(target=self._read, args=(self.proc.stdout,), name="scan-reader",
                                        daemon=True)
        self._reader.start()
        WORKERS.prime()  # the next scan's worker, loading while this one reads

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cancel(self) -> None:
        """Ask the worker to stop (it reports "cancelled"); kill it if it has not stopped after CANCEL_GRACE_S."""
        with contextlib.suppress(OSError, ValueError):
            self._stdin.write(b"x")
            self._stdin.flush()
            self._stdin.close()
        if self.proc.poll() is None and not self._done.done():
            self._loop.call_later(CANCEL_GRACE_S, self.kill)

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.kill()

    async def wait(self) -> Outcome:
        return (await self.wait_count())[0]

    async def wait_count(self) -> tuple[Outcome, int]:
        try:
            return await asyncio.shield(self._done)
        except asyncio.CancelledError:
            self.cancel()
            raise

    def _read(self, stdout: IO[bytes]) -> None:
        result: tuple[Outcome, int] | None = None
        try:
            while True:
                frame = read_frame(stdout)
                if frame is None:
                    break
                if frame[0] == "update":
                    self._last_progress = frame[2]
                    self._loop.call_soon_threadsafe(self._on_update, frame[1], frame[2])
                elif frame[0] == "done":
                    result = (frame[1], frame[2])
                    self._resolve(result)  # the outcome is final: the process's exit may take its time
        except Exception:  # a torn frame: the worker died mid-write; _died tells what it said
            result = None
        code = self.proc.wait()
        if result is None:
            result = (self._died(code), 0)
        for pipe in (stdout, self._stdin, self._stderr):
            with contextlib.suppress(OSError, ValueError):
                pipe.close()
        self._resolve(result)

    def _resolve(self, result: tuple[Outcome, int]) -> None:
        def resolve() -> None:
            if not self._done.done():
                self._done.set_result(result)
        with contextlib.suppress(RuntimeError):  # the loop is closed: the app is gone
            self._loop.call_soon_threadsafe(resolve)

    def _died(self, code: int) -> Outcome:
        self._stderr.seek(0)
        last = self._stderr.read()[-4000:].decode("utf-8", errors="replace")
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        problem = Problem("internal", f"The scan process {how} before it finished.", last)
        p = self._last_progress
        return Outcome("error", f"Stopped: the scan process {how}; read {p.read:,} messages, "
                                f"{p.matched:,} matches.", p, problem)


class ScanService:
    """Plans and starts scans for one connection."""

    def __init__(self, admin: AdminService, registry: RegistrySettings | None = None) -> None:
        self.admin = admin
        self.registry = registry

    async def prepare(self, req: ScanRequest) -> ScanPlan:
        req.check()
        parts = await self.admin.partitions(req.topic, watermarks=True, sizes=False)
        count = len(parts)
        if count == 0:
            raise WorkbenchError("kafka", f"Topic {req.topic} has no partitions.")
        low = {p.partition: p.low if p.low is not None else 0 for p in parts}
        high = {p.partition: p.high if p.high is not None else 0 for p in parts}
        wanted = list(range(count))
        start_times = stop_times = None
        if req.needs_start_times:
            start_times = await self.admin.offsets_for_times(req.topic, wanted, req.start_value)
        if req.needs_stop_times:
            stop_times = await self.admin.offsets_for_times(req.topic, wanted, req.stop_value + 1)
        return plan(req, count, low, high, start_times, stop_times)

    def start(self, req: ScanRequest, scan_plan: ScanPlan, on_update: Callable[[IndexEntries | None, Progress], None],
              spill_path: str = "", export: ExportChoice | None = None) -> RunningScan:
        """Read the plan into the spill file at spill_path (results) or into an export file."""
        if bool(spill_path) == (export is not None):
            raise ValueError("a scan writes either results (spill_path) or an export, not both or neither")
        conf = consumer_config(self.admin.spec, self.admin.timeout, len(scan_plan.ranges))
        job = ScanJob(req, scan_plan, conf, STALL_FACTOR * self.admin.timeout, spill_path, export, self.registry)
        return RunningScan(job, on_update)
