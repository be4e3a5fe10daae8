"""OffsetForLeaderEpoch (23): the end offset of a leader epoch, for clients validating their position."""

from __future__ import annotations

from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.api.fetch import leader_epoch_error
from engine.protocol.codec import field


async def handle(ctx: RequestContext, req: Any) -> dict[str, Any]:
    topics = []
    for t in req.topics:
        parts = []
        for op in t.partitions:
            index = int(op.partition)
            entry: dict[str, Any] = {"error_code": 0, "partition": index, "leader_epoch": -1, "end_offset": -1}
            parts.append(entry)
            p = ctx.broker.partition(t.topic, index)
            if p is None:
                entry["error_code"] = ErrorCode.unknown_topic_or_partition
                continue
            err = leader_epoch_error(p, int(field(op, "current_leader_epoch", -1)))
            if err is not None:
                entry["error_code"] = err
                continue
            wanted = int(op.leader_epoch)
            if wanted <= p.leader_epoch:
                # One leader epoch so far: every earlier epoch ends where the current one starts.
                entry.update(leader_epoch=p.leader_epoch, end_offset=p.log.log_end_offset)
        topics.append({"topic": t.topic, "partitions": parts})
    return {"throttle_time": 0, "topics": topics}
