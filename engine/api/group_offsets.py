"""OffsetCommit (8) and OffsetFetch (9), including all-partition and multi-group fetches."""

from __future__ import annotations

from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.api.group_membership import coordinator, not_coordinator
from engine.protocol.codec import field


async def offset_commit(ctx: RequestContext, req: Any) -> dict[str, Any]:
    entries = []
    for t in req.topics:
        for p in t.partitions:
            entries.append((t.name, int(p.partition_index), int(p.committed_offset),
                            int(field(p, "committed_leader_epoch", -1)), p.committed_metadata))
    if (refused := not_coordinator(ctx, req.group_id)) is not None:
        results = [refused] * len(entries)
    else:
        results = coordinator(ctx).commit(req.group_id, int(field(req, "generation_id_or_member_epoch", -1)),
                                          field(req, "member_id", None) or "", field(req, "group_instance_id"),
                                          entries)
        if ctx.broker.cluster is not None and ctx.broker.journal is not None:
            # ZooKeeper mode: answered once the commit is replicated to the ISR of its partition
            replicated = await ctx.broker.journal.replicated(ctx.broker.journal.mark(req.group_id))
            if replicated is not ErrorCode.none:
                results = [replicated if r is ErrorCode.none else r for r in results]
    it = iter(results)
    topics = [{"name": t.name, "partitions": [{"partition_index": p.partition_index, "error_code": next(it)}
                                               for p in t.partitions]} for t in req.topics]
    return {"throttle_time": 0, "topics": topics}


def _topics(ctx: RequestContext, group_id: str, wanted: Any, require_stable: bool) -> list[dict[str, Any]]:
    spec = None if wanted is None else [(t.name, [int(i) for i in t.partition_indexes]) for t in wanted]
    groups = coordinator(ctx)
    out = []
    for topic, parts in groups.fetch_offsets(group_id, spec):
        entries = []
        for p, v in parts:
            if require_stable and groups.has_pending_txn_offsets(group_id, (topic, p)):
                # A transaction holds an offset commit of this partition: the client retries (KIP-447).
                entries.append({"partition_index": p, "committed_offset": -1, "committed_leader_epoch": -1,
                                "metadata": "", "error_code": ErrorCode.unstable_offset_commit})
                continue
            entries.append({"partition_index": p, "committed_offset": v.offset if v else -1,
                            "committed_leader_epoch": v.leader_epoch if v else -1,
                            "metadata": v.metadata if v else "", "error_code": 0})
        out.append({"name": topic, "partitions": entries})
    return out


async def offset_fetch(ctx: RequestContext, req: Any) -> dict[str, Any]:
    stable = bool(field(req, "require_stable", False))
    if ctx.version >= 8:
        groups = [{"group_id": g.group_id, "topics": _topics(ctx, g.group_id, g.topics, stable), "error_code": 0}
                  if (refused := not_coordinator(ctx, g.group_id)) is None else
                  {"group_id": g.group_id, "topics": [], "error_code": refused} for g in req.groups]
        return {"throttle_time": 0, "groups": groups}
    if (refused := not_coordinator(ctx, req.group_id)) is not None:
        return {"throttle_time": 0, "topics": [], "error_code": refused}
    return {"throttle_time": 0, "topics": _topics(ctx, req.group_id, req.topics, stable), "error_code": 0}
