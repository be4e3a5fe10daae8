"""Stopping asyncio tasks for sure.

Python 3.11's asyncio.wait_for can swallow a cancellation that arrives just as the future it
waits on completes (CPython gh-86296, fixed in 3.12 by the rewrite on asyncio.timeout): the
task then carries on, and a loop task (`while True: await queue.get() ...`) never ends, so
`task.cancel(); await task` waits forever. `cancel_and_wait` cancels again until the tasks
are done, a bounded number of times, and collects their outcome.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("engine")
CANCEL_ROUNDS = 200  # x ROUND_S: ten seconds at most
ROUND_S = 0.05


async def cancel_and_wait(*tasks: asyncio.Task[object] | asyncio.Future[object] | None) -> None:
    """Cancel the tasks and wait until every one has finished (re-cancelling those that swallowed it)."""
    pending = {t for t in tasks if t is not None and not t.done()}
    for _ in range(CANCEL_ROUNDS):
        if not pending:
            break
        for t in pending:
            t.cancel()
        _done, pending = await asyncio.wait(pending, timeout=ROUND_S)
    for t in pending:
        name = t.get_name() if isinstance(t, asyncio.Task) else repr(t)
        log.warning("task %s did not stop after %d cancellations", name, CANCEL_ROUNDS)
    for finished in tasks:
        if finished is not None and finished.done() and not finished.cancelled() and finished.exception():
            log.debug("task ended with %r while being stopped", finished.exception())
