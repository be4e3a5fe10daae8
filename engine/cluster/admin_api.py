"""CreateTopics (19), DeleteTopics (20) and CreatePartitions (37) in ZooKeeper mode: the answers of
engine.api.topics_admin when the broker is part of a cluster (ZooKeeper written by engine.cluster.admin, then a
wait for the controller's work to show in the metadata, at most the request's timeout)."""

from __future__ import annotations

from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.api.topics_admin import creation_entries, deletion_targets
from engine.cluster.admin import AdminError
from engine.cluster.zk import ZkError
from engine.config import TOPIC_CONFIGS
from engine.protocol.codec import field, ms


def _node(ctx: RequestContext) -> Any:
    assert ctx.broker.cluster is not None
    return ctx.broker.cluster


def _timeout_s(req: Any) -> float:
    return max(0.0, ms(field(req, "timeout", 30000)) / 1000)


def _configs_of(ctx: RequestContext, name: str, overrides: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for spec in TOPIC_CONFIGS.values():
        override = spec.name in overrides
        value = overrides[spec.name] if override else ctx.broker.config.topic_default(spec.name)
        out.append({"name": spec.name, "value": str(value), "read_only": False,
                    "config_source": 1 if override else 5, "is_sensitive": False})
    return out


async def create_topics(ctx: RequestContext, req: Any) -> dict[str, Any]:
    node = _node(ctx)
    validate_only = bool(field(req, "validate_only", False))
    timeout = _timeout_s(req)
    results = []
    created: list[tuple[dict[str, Any], str, int]] = []
    for t, entry in creation_entries(req):
        results.append(entry)
        if entry["error_code"]:
            continue
        partitions, rf = int(t.num_partitions), int(t.replication_factor)
        assignment = None
        if t.assignments:
            if partitions != -1 or rf != -1:
                entry.update(error_code=ErrorCode.invalid_request, error_message=
                             "Both numPartitions or replicationFactor and replicasAssignments were set.")
                continue
            assignment = {int(a.partition_index): [int(b) for b in a.broker_ids] for a in t.assignments}
        configs = [(c.name, c.value) for c in t.configs]
        try:
            topic_id, partitions, rf = await node.admin.create_topic(t.name, partitions, rf, configs, assignment,
                                                                     validate_only)
        except AdminError as exc:
            entry.update(error_code=exc.code, error_message=exc.message)
            continue
        except ZkError as exc:
            entry.update(error_code=ErrorCode.request_timed_out, error_message=str(exc))
            continue
        entry.update(num_partitions=partitions, replication_factor=rf,
                     configs=[] if validate_only else _configs_of(ctx, t.name,
                                                                  {k: v for k, v in configs if v is not None}))
        if not validate_only:
            entry["topic_id"] = topic_id
            created.append((entry, t.name, partitions))
    for entry, name, partitions in created:
        if timeout > 0 and not await node.admin.wait_for_leaders(name, partitions, timeout):
            entry.update(error_code=ErrorCode.request_timed_out,
                         error_message=f"Topic {name} was created, but its partitions have no leaders yet.")
    return {"throttle_time": 0, "topics": results}


async def delete_topics(ctx: RequestContext, req: Any) -> dict[str, Any]:
    node = _node(ctx)
    broker = ctx.broker
    timeout = _timeout_s(req)
    targets = deletion_targets(broker, req)
    pending = []
    for entry, name in targets:
        if name is None:
            continue
        if name in ("__consumer_offsets", "__transaction_state"):
            entry.update(error_code=ErrorCode.invalid_topic_exception,
                         error_message=f"Topic {name} is internal and cannot be deleted")
            continue
        try:
            await node.admin.delete_topic(name)
        except AdminError as exc:
            entry.update(error_code=exc.code, error_message=exc.message)
            continue
        except ZkError as exc:
            entry.update(error_code=ErrorCode.request_timed_out, error_message=str(exc))
            continue
        pending.append((entry, name))
    for entry, name in pending:
        if timeout > 0 and not await node.admin.wait_for_deletion(name, timeout):
            entry.update(error_code=ErrorCode.request_timed_out,
                         error_message=f"Topic {name} is marked for deletion; it goes once every replica is deleted.")
    return {"throttle_time": 0, "responses": [entry for entry, _name in targets]}


async def create_partitions(ctx: RequestContext, req: Any) -> dict[str, Any]:
    node = _node(ctx)
    timeout = _timeout_s(req)
    validate_only = bool(req.validate_only)
    out = []
    pending = []
    for t in req.topics:
        entry: dict[str, Any] = {"name": t.name, "error_code": 0, "error_message": None}
        out.append(entry)
        assignment = [[int(b) for b in a.broker_ids] for a in t.assignments] if t.assignments else None
        try:
            await node.admin.create_partitions(t.name, int(t.count), assignment, validate_only)
        except AdminError as exc:
            entry.update(error_code=exc.code, error_message=exc.message)
            continue
        except ZkError as exc:
            entry.update(error_code=ErrorCode.request_timed_out, error_message=str(exc))
            continue
        if not validate_only:
            pending.append((entry, t.name, int(t.count)))
    for entry, name, count in pending:
        if timeout > 0 and not await node.admin.wait_for_leaders(name, count, timeout):
            entry.update(error_code=ErrorCode.request_timed_out,
                         error_message=f"The new partitions of {name} have no leaders yet.")
    return {"throttle_time": 0, "results": out}
