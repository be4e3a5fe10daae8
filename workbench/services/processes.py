"""A worker process for CPU-bound work that would hold the GIL for long (parsing a 20 MB JSON value): in a thread it
would stall the GUI thread for as long, in a process it cannot. Spawned (never forked: the GUI process has threads)
on first use, one at a time, shut down with the window."""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
from collections.abc import Callable
from typing import TypeVar

from workbench.services.threads import EXECUTOR

R = TypeVar("R")
_pool: concurrent.futures.ProcessPoolExecutor | None = None


def pool() -> concurrent.futures.ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return _pool


def _call(fn: Callable[..., R], args: tuple[object, ...]) -> R:
    return pool().submit(fn, *args).result()


async def off_process(fn: Callable[..., R], *args: object) -> R:
    """Run a picklable top-level function with picklable arguments in the worker process. Submitted from a worker
    thread, so that starting the process and pickling large arguments never happen on the GUI thread."""
    return await asyncio.get_running_loop().run_in_executor(EXECUTOR, _call, fn, args)


def prime() -> None:
    """Start the worker process now, from a worker thread, so the first use does not wait for it (~60 ms of
    spawning that would otherwise land on whoever submits first)."""
    EXECUTOR.submit(lambda: pool().submit(int).result())


def shutdown() -> None:
    global _pool
    if _pool is not None:
        p, _pool = _pool, None
        p.shutdown(wait=True, cancel_futures=True)
