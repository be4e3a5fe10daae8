"""FindCoordinator (10), JoinGroup (11), SyncGroup (14), Heartbeat (12), LeaveGroup (13).

In ZooKeeper mode a group's coordinator is the leader of its __consumer_offsets partition:
FindCoordinator names it from the metadata (creating __consumer_offsets with
offsets.topic.replication.factor first, and answering COORDINATOR_NOT_AVAILABLE meanwhile or
while too few brokers are alive), and a broker that does not lead a group's partition answers
that group's requests with NOT_COORDINATOR (engine.coordinator.ownership).
"""

from __future__ import annotations

import logging
from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.coordinator.coordinator import GroupCoordinator
from engine.protocol.codec import field, ms

GROUP_KEY, TRANSACTION_KEY = 0, 1
log = logging.getLogger("engine.coordinator")


def coordinator(ctx: RequestContext) -> GroupCoordinator:
    assert ctx.broker.groups is not None
    return ctx.broker.groups


def not_coordinator(ctx: RequestContext, group_id: str) -> ErrorCode | None:
    """ZooKeeper mode: NOT_COORDINATOR when this broker does not lead the group's __consumer_offsets partition."""
    node = ctx.broker.cluster
    return None if node is None else node.group_error(group_id)


def _host(ctx: RequestContext) -> str:
    return "/" + ctx.peer.rsplit(":", 1)[0]


async def find_coordinator(ctx: RequestContext, req: Any) -> dict[str, Any]:
    broker = ctx.broker
    host, port = ctx.endpoint
    key_type = int(field(req, "key_type", 0))
    keys = list(field(req, "coordinator_keys", None) or [])
    if ctx.version < 4:
        keys = [field(req, "key", "")]

    def one(key: str) -> dict[str, Any]:
        if key_type not in (GROUP_KEY, TRANSACTION_KEY):
            return {"key": key, "node_id": -1, "host": "", "port": -1, "error_code": ErrorCode.invalid_request,
                    "error_message": f"Unsupported coordinator key type {key_type}"}
        if broker.cluster is not None:
            return found.get(key) or _unavailable(key, "The coordinator is not available.")
        if key_type == TRANSACTION_KEY:
            assert broker.txn_log is not None
            broker.txn_log.ensure_topic()
        else:
            assert broker.journal is not None
            broker.journal.ensure_topic()
        return {"key": key, "node_id": broker.node_id, "host": host, "port": port, "error_code": 0,
                "error_message": None}

    found: dict[str, dict[str, Any]] = {}
    if broker.cluster is not None and key_type in (GROUP_KEY, TRANSACTION_KEY):
        found = await _find_in_cluster(ctx, key_type, keys)
    results = [one(k) for k in keys]
    if ctx.version >= 4:
        return {"throttle_time": 0, "coordinators": results}
    first = results[0]
    return {"throttle_time": 0, **{k: first[k] for k in ("error_code", "error_message", "node_id", "host", "port")}}


def _unavailable(key: str, message: str) -> dict[str, Any]:
    return {"key": key, "node_id": -1, "host": "", "port": -1, "error_code": ErrorCode.coordinator_not_available,
            "error_message": message}


async def _find_in_cluster(ctx: RequestContext, key_type: int, keys: list[str]) -> dict[str, dict[str, Any]]:
    from engine.cluster import client_view
    from engine.coordinator.offsets_topic import OFFSETS_TOPIC, OFFSETS_TOPIC_CONFIGS

    node = ctx.broker.cluster
    assert node is not None
    if key_type == TRANSACTION_KEY:
        return {k: _unavailable(k, "Transactions are not available in ZooKeeper mode in this broker yet.")
                for k in keys}
    cfg = ctx.broker.config
    partitions = int(cfg["offsets.topic.num.partitions"])
    configs = {**OFFSETS_TOPIC_CONFIGS, "segment.bytes": str(cfg["offsets.topic.segment.bytes"])}
    rf = int(cfg["offsets.topic.replication.factor"])
    code = await node.admin.ensure_internal_topic(OFFSETS_TOPIC, partitions, rf, configs)
    out = {}
    for key in keys:
        where = client_view.coordinator(node, OFFSETS_TOPIC, key, partitions) if code is ErrorCode.none else None
        if where is not None:
            out[key] = {"key": key, "node_id": where[0], "host": where[1], "port": where[2], "error_code": 0,
                        "error_message": None}
    return out


def _refused(code: ErrorCode, member_id: str) -> dict[str, Any]:
    return {"throttle_time": 0, "error_code": code, "generation_id": -1, "protocol_type": None,
            "protocol_name": None, "leader": "", "skip_assignment": False, "member_id": member_id, "members": []}


async def join_group(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if (refused := not_coordinator(ctx, req.group_id)) is not None:
        return _refused(refused, req.member_id or "")
    session = ms(req.session_timeout)
    rebalance = ms(field(req, "rebalance_timeout", session)) if ctx.version >= 1 else session
    result = await coordinator(ctx).join(
        group_id=req.group_id, member_id=req.member_id or "", group_instance_id=field(req, "group_instance_id"),
        client_id=ctx.header.client_id or "", client_host=_host(ctx), session_timeout_ms=session,
        rebalance_timeout_ms=rebalance, protocol_type=req.protocol_type,
        protocols=[(p.name, bytes(p.metadata)) for p in req.protocols], require_known_member=ctx.version >= 4)
    log.debug("JoinGroup v%d %s %r from %s: %s generation %s", ctx.version, req.group_id, req.member_id, ctx.peer,
              ErrorCode(result["error_code"]).name, result["generation_id"])
    return {"throttle_time": 0, **result}


async def sync_group(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if (refused := not_coordinator(ctx, req.group_id)) is not None:
        return {"throttle_time": 0, "error_code": refused, "protocol_type": None, "protocol_name": None,
                "assignment": b""}
    result = await coordinator(ctx).sync(
        group_id=req.group_id, generation=int(req.generation_id), member_id=req.member_id,
        group_instance_id=field(req, "group_instance_id"),
        assignments=[(a.member_id, bytes(a.assignment)) for a in req.assignments],
        protocol_type=field(req, "protocol_type", None), protocol_name=field(req, "protocol_name", None))
    log.debug("SyncGroup v%d %s %r generation %d from %s: %s", ctx.version, req.group_id, req.member_id,
              req.generation_id, ctx.peer, ErrorCode(result["error_code"]).name)
    return {"throttle_time": 0, **result}


async def heartbeat(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if (refused := not_coordinator(ctx, req.group_id)) is not None:
        return {"throttle_time": 0, "error_code": refused}
    code = coordinator(ctx).heartbeat(req.group_id, int(req.generation_id), req.member_id,
                                      field(req, "group_instance_id"))
    if code is not ErrorCode.none:
        log.debug("Heartbeat %s %r generation %d: %s", req.group_id, req.member_id, req.generation_id, code.name)
    return {"throttle_time": 0, "error_code": code}


async def leave_group(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if (refused := not_coordinator(ctx, req.group_id)) is not None:
        return {"throttle_time": 0, "error_code": refused, "members": []}
    if ctx.version < 3:
        members: list[tuple[str, str | None]] = [(req.member_id, None)]
    else:
        members = [(m.member_id, field(m, "group_instance_id")) for m in req.members]
    top, results = coordinator(ctx).leave(req.group_id, members)
    log.debug("LeaveGroup v%d %s %r: %s", ctx.version, req.group_id, members, [r.name for r in results])
    if ctx.version < 3:
        return {"throttle_time": 0, "error_code": results[0] if results else top}
    return {"throttle_time": 0, "error_code": top if top is not ErrorCode.unknown_member_id or not members else 0,
            "members": [{"member_id": m, "group_instance_id": i, "error_code": r}
                        for (m, i), r in zip(members, results, strict=True)]}
