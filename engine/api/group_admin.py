"""ListGroups (16), DescribeGroups (15), DeleteGroups (42), OffsetDelete (47)."""

from __future__ import annotations

from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.api.group_membership import coordinator, not_coordinator
from engine.api.metadata import NO_OPS
from engine.coordinator.group import GroupState
from engine.protocol.codec import field


async def list_groups(ctx: RequestContext, req: Any) -> dict[str, Any]:
    states = {s.lower() for s in (field(req, "states_filter", None) or ())}
    types = {t.lower() for t in (field(req, "types_filter", None) or ())}
    groups = []
    for g in coordinator(ctx).list_groups():
        if states and g.state.value.lower() not in states:
            continue
        if types and "classic" not in types:
            continue
        groups.append({"group_id": g.group_id, "protocol_type": g.protocol_type or "",
                       "group_state": g.state.value, "group_type": "classic"})
    return {"throttle_time": 0, "error_code": 0, "groups": groups}


async def describe_groups(ctx: RequestContext, req: Any) -> dict[str, Any]:
    out = []
    for group_id in req.groups:
        if (refused := not_coordinator(ctx, group_id)) is not None:
            out.append({"error_code": refused, "group_id": group_id, "group_state": "", "protocol_type": "",
                        "protocol_data": "", "members": [], "authorized_operations": NO_OPS})
            continue
        g = coordinator(ctx).describe(group_id)
        stable = g.state is GroupState.STABLE  # as Kafka: protocol, metadata and assignments only when Stable
        members = [{"member_id": m.member_id, "group_instance_id": m.group_instance_id, "client_id": m.client_id,
                    "client_host": m.client_host,
                    "member_metadata": m.metadata_for(g.protocol) if stable else b"",
                    "member_assignment": m.assignment if stable else b""}
                   for m in g.members.values()]
        out.append({"error_code": 0, "group_id": group_id, "group_state": g.state.value,
                    "protocol_type": g.protocol_type or "", "protocol_data": (g.protocol or "") if stable else "",
                    "members": members, "authorized_operations": NO_OPS})
    return {"throttle_time": 0, "groups": out}


async def delete_groups(ctx: RequestContext, req: Any) -> dict[str, Any]:
    return {"throttle_time": 0, "results": [
        {"group_id": gid, "error_code": not_coordinator(ctx, gid) or coordinator(ctx).delete_group(gid)}
        for gid in req.groups_names]}


async def offset_delete(ctx: RequestContext, req: Any) -> dict[str, Any]:
    wanted = [(t.name, int(p.partition_index)) for t in req.topics for p in t.partitions]
    if (refused := not_coordinator(ctx, req.group_id)) is not None:
        return {"error_code": refused, "throttle_time": 0, "topics": []}
    top, results = coordinator(ctx).delete_offsets(req.group_id, wanted)
    if top is not ErrorCode.none:
        return {"error_code": top, "throttle_time": 0, "topics": []}
    it = iter(results)
    return {"error_code": 0, "throttle_time": 0, "topics": [
        {"name": t.name, "partitions": [{"partition_index": p.partition_index, "error_code": next(it)}
                                        for p in t.partitions]} for t in req.topics]}
