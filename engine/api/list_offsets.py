"""ListOffsets (2): earliest (-2), latest (-1), max timestamp (-3), or the first offset at a timestamp."""

from __future__ import annotations

from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.api.fetch import leader_epoch_error
from engine.protocol.codec import field

LATEST, EARLIEST, MAX_TIMESTAMP = -1, -2, -3


async def handle(ctx: RequestContext, req: Any) -> dict[str, Any]:
    topics = []
    for t in req.topics:
        parts = []
        for lp in t.partitions:
            index = int(lp.partition_index)
            entry: dict[str, Any] = {"partition_index": index, "error_code": 0, "timestamp": -1,
                                     "offset": -1, "leader_epoch": -1}
            parts.append(entry)
            p = ctx.broker.partition(t.name, index)
            if p is None:
                entry["error_code"] = ErrorCode.unknown_topic_or_partition
                continue
            err = leader_epoch_error(p, int(field(lp, "current_leader_epoch", -1)))
            if err is not None:
                entry["error_code"] = err
                continue
            ts = int(lp.timestamp)
            if ts == LATEST:
                entry.update(offset=p.high_watermark, leader_epoch=p.leader_epoch)
            elif ts == EARLIEST:
                entry.update(offset=p.log_start_offset, leader_epoch=p.leader_epoch)
            elif ts == MAX_TIMESTAMP:
                found = p.log.max_timestamp_and_offset()
                if found is not None:
                    max_ts, offset = found
                    entry.update(timestamp=max_ts, offset=offset, leader_epoch=p.leader_epoch)
            elif ts < 0:
                entry["error_code"] = ErrorCode.unsupported_version
            else:
                hit = p.log.offset_for_timestamp(ts)
                if hit is not None and hit[0] < p.high_watermark:
                    offset, found_ts = hit
                    entry.update(offset=offset, timestamp=found_ts, leader_epoch=p.leader_epoch)
        topics.append({"name": t.name, "partitions": parts})
    return {"throttle_time": 0, "topics": topics}
