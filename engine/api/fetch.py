"""Fetch (1): read committed data from the logs, park until min bytes arrive or max wait passes.

No fetch sessions: every response carries session id 0, which tells clients to send
full fetch requests. A parked fetch wakes as soon as any requested partition gets
new data, and answers empty when max wait passes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.partition import Partition
from engine.protocol.codec import field, ms
from engine.storage import OffsetOutOfRangeError
from engine.storage.file_slice import FileSlice


def leader_epoch_error(p: Partition, current_leader_epoch: int) -> ErrorCode | None:
    if current_leader_epoch < 0 or current_leader_epoch == p.leader_epoch:
        return None
    if current_leader_epoch > p.leader_epoch:
        return ErrorCode.unknown_leader_epoch
    return ErrorCode.fenced_leader_epoch


def _read(ctx: RequestContext, req: Any, max_bytes: int) -> tuple[list[dict[str, Any]], int, list[Partition]]:
    broker = ctx.broker
    total = 0
    watched: list[Partition] = []
    responses = []
    for topic in req.topics:
        name = topic.topic
        parts = []
        for fp in topic.partitions:
            index = int(fp.partition)
            entry: dict[str, Any] = {
                "partition_index": index, "error_code": 0, "high_watermark": -1,
                "last_stable_offset": -1, "log_start_offset": -1, "aborted_transactions": None,
                "preferred_read_replica": -1, "records": b"",
            }
            parts.append(entry)
            p = broker.partition(name, index)
            if p is None:
                entry["error_code"] = ErrorCode.unknown_topic_or_partition
                continue
            epoch_error = leader_epoch_error(p, int(field(fp, "current_leader_epoch", -1)))
            hw = p.high_watermark
            entry.update(high_watermark=hw, last_stable_offset=hw, log_start_offset=p.log_start_offset)
            if epoch_error is not None:
                entry["error_code"] = epoch_error
                continue
            watched.append(p)
            budget = min(int(fp.partition_max_bytes), max_bytes - total)
            if budget <= 0 and total > 0:
                continue
            try:
                data = p.log.read(int(fp.fetch_offset), max(budget, 1), max_offset=hw,
                                  min_one_batch=total == 0)
            except OffsetOutOfRangeError:
                entry["error_code"] = ErrorCode.offset_out_of_range
                continue
            if data.file_slice is not None:
                entry["records"] = data.file_slice
                total += data.file_slice.length
        responses.append({"topic": name, "partitions": parts})
    return responses, total, watched


def release(responses: list[dict[str, Any]]) -> None:
    """Close the file slices of a response that will not be sent."""
    for topic in responses:
        for part in topic["partitions"]:
            records = part["records"]
            if isinstance(records, FileSlice):
                records.close()


async def handle(ctx: RequestContext, req: Any) -> dict[str, Any]:
    max_bytes = int(field(req, "max_bytes", 0x7FFFFFFF))
    max_bytes = min(max_bytes, int(ctx.broker.config["fetch.max.bytes"]))
    min_bytes = int(req.min_bytes)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ms(req.max_wait) / 1000.0
    while True:
        responses, total, watched = _read(ctx, req, max_bytes)
        remaining = deadline - loop.time()
        if total >= min_bytes or remaining <= 0 or not watched:
            break
        release(responses)
        events = [p.data_event() for p in watched]
        waiters = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
    return {"throttle_time": 0, "error_code": 0, "session_id": 0, "responses": responses}
