"""DeleteRecords (21), DescribeCluster (60), DescribeLogDirs (35)."""

from __future__ import annotations

import shutil
from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.api.metadata import NO_OPS
from engine.cluster import client_view
from engine.protocol.codec import field

HIGH_WATERMARK = -1


async def delete_records(ctx: RequestContext, req: Any) -> dict[str, Any]:
    topics = []
    for t in req.topics:
        parts = []
        for dp in t.partitions:
            index = int(dp.partition_index)
            entry: dict[str, Any] = {"partition_index": index, "low_watermark": -1, "error_code": 0}
            parts.append(entry)
            p, missing = ctx.broker.leader_partition(t.name, index)
            if p is None:
                entry["error_code"] = missing
                continue
            offset = int(dp.offset)
            if offset == HIGH_WATERMARK:
                offset = p.high_watermark
            if offset < 0 or offset > p.high_watermark:
                entry.update(error_code=ErrorCode.offset_out_of_range, low_watermark=p.log_start_offset)
                continue
            if offset > p.log_start_offset:
                p.log.delete_records_before(offset)
            entry["low_watermark"] = p.log_start_offset
        topics.append({"name": t.name, "partitions": parts})
    return {"throttle_time": 0, "topics": topics}


async def describe_cluster(ctx: RequestContext, req: Any) -> dict[str, Any]:
    broker = ctx.broker
    host, port = ctx.endpoint
    brokers = [{"broker_id": broker.node_id, "host": host, "port": port, "rack": broker.config["broker.rack"]}]
    controller = broker.node_id
    if broker.cluster is not None:
        brokers = [{"broker_id": b["node_id"], "host": b["host"], "port": b["port"], "rack": b["rack"]}
                   for b in client_view.brokers(broker.cluster)]
        controller = client_view.controller_id(broker.cluster)
    return {"throttle_time": 0, "error_code": 0, "error_message": None,
            "endpoint_type": int(field(req, "endpoint_type", 1)), "cluster_id": broker.cluster_id,
            "controller_id": controller, "brokers": brokers, "cluster_authorized_operations": NO_OPS}


async def describe_log_dirs(ctx: RequestContext, req: Any) -> dict[str, Any]:
    broker = ctx.broker
    wanted = None if req.topics is None else {t.topic: set(int(p) for p in t.partitions) for t in req.topics}
    by_topic: dict[str, list[dict[str, Any]]] = {}
    for (topic, index), p in sorted(broker.partitions.items()):
        if wanted is not None and (topic not in wanted or index not in wanted[topic]):
            continue
        by_topic.setdefault(topic, []).append({"partition_index": index, "partition_size": int(p.log.size_in_bytes),
                                               "offset_lag": 0, "is_future_key": False})
    usage = shutil.disk_usage(broker.data_dir)
    return {"throttle_time": 0, "error_code": 0, "results": [{
        "error_code": 0, "log_dir": str(broker.data_dir.resolve()),
        "topics": [{"name": t, "partitions": ps} for t, ps in by_topic.items()],
        "total_bytes": usage.total, "usable_bytes": usage.free}]}
