"""Metadata (3): brokers, controller, cluster id, and topics with their partitions; auto-creates topics.

In ZooKeeper mode everything comes from the broker's metadata cache (engine.cluster.client_view),
and an auto-created topic is created cluster-wide and answered LEADER_NOT_AVAILABLE until its
leaders are elected, as Kafka does.
"""

from __future__ import annotations

import uuid
from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.broker import INTERNAL_TOPICS, BrokerError, topic_name_problem
from engine.catalog import TopicRecord
from engine.cluster import client_view
from engine.protocol.codec import field

NO_OPS = -(2**31)


def brokers(ctx: RequestContext) -> list[dict[str, Any]]:
    if ctx.broker.cluster is not None:
        return client_view.brokers(ctx.broker.cluster)
    cfg = ctx.broker.config
    host, port = ctx.endpoint
    return [{"node_id": ctx.broker.node_id, "host": host, "port": port, "rack": cfg["broker.rack"]}]


def topic_entry(ctx: RequestContext, rec: TopicRecord) -> dict[str, Any]:
    parts = []
    if ctx.broker.cluster is not None:
        parts = client_view.partitions(ctx.broker.cluster, rec.name, ctx.version)
    for i in range(rec.partitions if ctx.broker.cluster is None else 0):
        p = ctx.broker.partition(rec.name, i)
        if p is None:
            continue
        parts.append({
            "error_code": 0, "partition_index": i, "leader_id": p.leader, "leader_epoch": p.leader_epoch,
            "replica_nodes": p.replicas, "isr_nodes": p.isr, "offline_replicas": [],
        })
    return {"error_code": 0, "name": rec.name, "topic_id": rec.topic_id,
            "is_internal": rec.name in INTERNAL_TOPICS, "partitions": parts,
            "topic_authorized_operations": NO_OPS}


def error_entry(name: str | None, code: ErrorCode, topic_id: uuid.UUID | None = None) -> dict[str, Any]:
    return {"error_code": code, "name": name, "topic_id": topic_id or uuid.UUID(int=0),
            "is_internal": False, "partitions": [], "topic_authorized_operations": NO_OPS}


async def handle(ctx: RequestContext, req: Any) -> dict[str, Any]:
    broker = ctx.broker
    requested = field(req, "topics")
    allow_auto = bool(field(req, "allow_auto_topic_creation", True))
    topics: list[dict[str, Any]] = []
    if requested is None or (ctx.version == 0 and not requested):
        topics = [topic_entry(ctx, rec) for rec in broker.topics.values()]
    else:
        for t in requested:
            name = field(t, "name")
            topic_id = field(t, "topic_id")
            if name is None and topic_id is not None and topic_id.int != 0:
                rec = broker.topic_by_id(topic_id)
                topics.append(topic_entry(ctx, rec) if rec else
                              error_entry(None, ErrorCode.unknown_topic_id, topic_id))
                continue
            rec = broker.topics.get(name)
            if rec is None:
                if topic_name_problem(name or ""):
                    topics.append(error_entry(name, ErrorCode.invalid_topic_exception))
                    continue
                if allow_auto and broker.config["auto.create.topics.enable"] and broker.cluster is not None:
                    topics.append(error_entry(name, await _create_in_cluster(ctx, name or "")))
                    continue
                if allow_auto and broker.config["auto.create.topics.enable"]:
                    try:
                        rec = broker.create_topic(name, -1, -1, [])
                    except BrokerError as exc:
                        topics.append(error_entry(name, exc.code))
                        continue
                else:
                    topics.append(error_entry(name, ErrorCode.unknown_topic_or_partition))
                    continue
            topics.append(topic_entry(ctx, rec))
    return {
        "throttle_time": 0,
        "brokers": brokers(ctx),
        "cluster_id": broker.cluster_id,
        "controller_id": broker.node_id if broker.cluster is None else client_view.controller_id(broker.cluster),
        "topics": topics,
        "cluster_authorized_operations": NO_OPS,
        "error_code": 0,
    }


async def _create_in_cluster(ctx: RequestContext, name: str) -> ErrorCode:
    from engine.cluster.admin import AdminError

    node = ctx.broker.cluster
    assert node is not None
    try:
        await node.admin.create_topic(name, -1, -1, [], None, False)
    except AdminError as exc:
        if exc.code is not ErrorCode.topic_already_exists:
            return exc.code
    return ErrorCode.leader_not_available
