"""CreateTopics (19), DeleteTopics (20), CreatePartitions (37) with Kafka's validation errors.

In ZooKeeper mode they write ZooKeeper (engine.cluster.admin) and wait, at most the request's
timeout, for the controller's result to show in the metadata (REQUEST_TIMED_OUT otherwise).
"""

from __future__ import annotations

import uuid
from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.broker import BrokerError
from engine.config import TOPIC_CONFIGS
from engine.protocol.codec import field


def _configs_of(ctx: RequestContext, name: str) -> list[dict[str, Any]]:
    out = []
    rec = ctx.broker.topics.get(name)
    for spec in TOPIC_CONFIGS.values():
        override = rec is not None and spec.name in rec.configs
        value = ctx.broker.topic_config_value(name, spec.name)
        out.append({"name": spec.name, "value": str(value), "read_only": False,
                    "config_source": 1 if override else 5, "is_sensitive": False})
    return out


async def create_topics(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if ctx.broker.cluster is not None:
        from engine.cluster.admin_api import create_topics as create_in_cluster

        return await create_in_cluster(ctx, req)
    broker = ctx.broker
    validate_only = bool(field(req, "validate_only", False))
    results = []
    for t, entry in creation_entries(req):
        results.append(entry)
        if entry["error_code"]:
            continue
        partitions, rf = int(t.num_partitions), int(t.replication_factor)
        if t.assignments:
            if partitions != -1 or rf != -1:
                entry.update(error_code=ErrorCode.invalid_request, error_message=
                             "Both numPartitions or replicationFactor and replicasAssignments were set.")
                continue
            ids = [list(a.broker_ids) for a in t.assignments]
            indexes = sorted(int(a.partition_index) for a in t.assignments)
            if any(b != [broker.node_id] for b in ids) or indexes != list(range(len(ids))):
                entry.update(error_code=ErrorCode.invalid_replica_assignment,
                             error_message=f"Replica assignment must place every partition on broker {broker.node_id}")
                continue
            partitions, rf = len(ids), 1
        configs = [(c.name, c.value) for c in t.configs]
        try:
            if validate_only:
                partitions, rf, _ = broker.validate_new_topic(t.name, partitions, rf, configs)
                entry.update(num_partitions=partitions, replication_factor=rf)
            else:
                rec = broker.create_topic(t.name, partitions, rf, configs)
                entry.update(topic_id=rec.topic_id, num_partitions=rec.partitions,
                             replication_factor=rec.replication_factor)
            entry["configs"] = _configs_of(ctx, t.name) if not validate_only else []
        except BrokerError as exc:
            entry.update(error_code=exc.code, error_message=exc.message)
    return {"throttle_time": 0, "topics": results}


async def delete_topics(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if ctx.broker.cluster is not None:
        from engine.cluster.admin_api import delete_topics as delete_in_cluster

        return await delete_in_cluster(ctx, req)
    broker = ctx.broker
    targets = deletion_targets(broker, req)
    for entry, name in targets:
        if name is None:
            continue
        try:
            broker.delete_topic(name)
        except BrokerError as exc:
            entry.update(error_code=exc.code, error_message=exc.message)
    return {"throttle_time": 0, "responses": [entry for entry, _name in targets]}


def creation_entries(req: Any) -> list[tuple[Any, dict[str, Any]]]:
    """CreateTopics' response entries, one per topic asked for, with its request; a name asked for twice is
    INVALID_REQUEST in both entries, as Kafka answers."""
    seen: dict[str, int] = {}
    for t in req.topics:
        seen[t.name] = seen.get(t.name, 0) + 1
    out = []
    for t in req.topics:
        entry: dict[str, Any] = {"name": t.name, "topic_id": uuid.UUID(int=0), "error_code": 0,
                                 "error_message": None, "topic_config_error_code": 0,
                                 "num_partitions": -1, "replication_factor": -1, "configs": None}
        if seen[t.name] > 1:
            entry.update(error_code=ErrorCode.invalid_request,
                         error_message=f"Duplicate topic name {t.name} in the request")
        out.append((t, entry))
    return out


def deletion_targets(broker: Any, req: Any) -> list[tuple[dict[str, Any], str | None]]:
    """DeleteTopics' response entries, one per topic asked for (by name before v6, by name or topic id from v6), each
    with the name it stands for; None where the topic id is unknown (its entry already says UNKNOWN_TOPIC_ID)."""
    names = field(req, "topic_names")
    wanted: list[tuple[str | None, uuid.UUID | None]] = [(n, None) for n in names] if names is not None else \
        [(field(t, "name"), field(t, "topic_id")) for t in req.topics]
    targets: list[tuple[dict[str, Any], str | None]] = []
    for name, topic_id in wanted:
        entry: dict[str, Any] = {"name": name, "topic_id": topic_id or uuid.UUID(int=0),
                                 "error_code": 0, "error_message": None}
        if name is None and topic_id is not None:
            found = broker.topic_by_id(topic_id)
            if found is None:
                entry.update(error_code=ErrorCode.unknown_topic_id,
                             error_message="This server does not host this topic ID.")
                targets.append((entry, None))
                continue
            name = found.name
            entry["name"] = name
        rec = broker.topics.get(name or "")
        if rec is not None:
            entry["topic_id"] = rec.topic_id
        targets.append((entry, name or ""))
    return targets


async def create_partitions(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if ctx.broker.cluster is not None:
        from engine.cluster.admin_api import create_partitions as add_in_cluster

        return await add_in_cluster(ctx, req)
    out = []
    for t in req.topics:
        entry: dict[str, Any] = {"name": t.name, "error_code": 0, "error_message": None}
        out.append(entry)
        if t.assignments:
            bad = any(list(a.broker_ids) != [ctx.broker.node_id] for a in t.assignments)
            if bad:
                entry.update(error_code=ErrorCode.invalid_replica_assignment,
                             error_message=f"New partitions must be placed on broker {ctx.broker.node_id}")
                continue
        try:
            ctx.broker.create_partitions(t.name, int(t.count), bool(req.validate_only))
        except BrokerError as exc:
            entry.update(error_code=exc.code, error_message=exc.message)
    return {"throttle_time": 0, "results": out}
