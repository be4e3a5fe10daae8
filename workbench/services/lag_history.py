"""Lag history: each sampled group's total lag over time in the app's database, written and read off the GUI thread.

Theory of operation: the samples live in the store's `lag_samples` table (cluster,
group, time in ms, lag; created by Store._migrate). This class opens a sqlite3
connection of its own on the same file and uses it only from one worker thread of its
own, so the GUI thread never waits for a disk write or a query; callers await
`record`, `series` and `prune`. sqlite's busy timeout lets the two connections share
the file (the store's writes are rare and short).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

R = TypeVar("R")


class LagHistory:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbench-lag")
        self._conn: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = sqlite3.connect(self.path, timeout=10)
        return self._conn

    async def _run(self, fn: Callable[..., R], *args: object) -> R:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    # -- in the worker thread ----------------------------------------------------------------

    def _record(self, cluster: str, ts: int, lags: Mapping[str, int | None]) -> int:
        rows = [(cluster, g, ts, lag) for g, lag in lags.items() if lag is not None]
        with self._db() as db:
            db.executemany("insert into lag_samples (cluster, group_id, ts, lag) values (?, ?, ?, ?)", rows)
        return len(rows)

    def _series(self, cluster: str, group: str, since: int) -> list[tuple[int, int]]:
        cur = self._db().execute("select ts, lag from lag_samples where cluster = ? and group_id = ? and ts >= ? "
                                 "order by ts", (cluster, group, since))
        return [(int(ts), int(lag)) for ts, lag in cur.fetchall()]

    def _prune(self, before: int) -> int:
        with self._db() as db:
            return db.execute("delete from lag_samples where ts < ?", (before,)).rowcount

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- awaited by the GUI thread -------------------------------------------------------------

    async def record(self, cluster: str, ts: int, lags: Mapping[str, int | None]) -> int:
        """Add one sample per group with a known lag, all at time ts (ms); returns how many were written."""
        return await self._run(self._record, cluster, ts, dict(lags))

    async def series(self, cluster: str, group: str, since: int = 0) -> list[tuple[int, int]]:
        """(time in ms, lag) of one group since a time, oldest first."""
        return await self._run(self._series, cluster, group, since)

    async def prune(self, before: int) -> int:
        """Delete the samples older than a time (ms); returns how many went."""
        return await self._run(self._prune, before)

    def close(self) -> None:
        self._executor.submit(self._close)
        self._executor.shutdown(wait=False)
