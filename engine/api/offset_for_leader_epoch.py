"""OffsetForLeaderEpoch (23): the end offset of a leader epoch (from the log's leader epoch cache), for clients
validating their position after a leader change (KIP-320) and for followers."""

from __future__ import annotations

from typing import Any

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
            p, missing = ctx.broker.leader_partition(t.topic, index)
            if p is None:
                entry["error_code"] = missing
                continue
            err = leader_epoch_error(p, int(field(op, "current_leader_epoch", -1)))
            if err is not None:
                entry["error_code"] = err
                continue
            wanted = int(op.leader_epoch)
            if p.replication is None and wanted <= p.leader_epoch:
                # One leader epoch so far: every earlier epoch ends where the current one starts.
                entry.update(leader_epoch=p.leader_epoch, end_offset=p.log.log_end_offset)
            elif p.replication is not None:
                epoch, end = p.log.epochs.end_offset_for(wanted, p.log.log_end_offset)
                entry.update(leader_epoch=epoch, end_offset=end)
        topics.append({"topic": t.topic, "partitions": parts})
    return {"throttle_time": 0, "topics": topics}
