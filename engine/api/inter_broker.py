"""The ZooKeeper-mode requests between brokers: from the controller LeaderAndIsr (4), StopReplica (5),
UpdateMetadata (6); to the controller ControlledShutdown (7), AlterPartition (56), AllocateProducerIds (67).

They are served by engine.cluster (the replica manager and the controller). A broker running
alone has no controller: it answers the controller's requests with STALE_CONTROLLER_EPOCH and
the requests to a controller with NOT_CONTROLLER.
"""

from __future__ import annotations

from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext


async def leader_and_isr(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if ctx.broker.cluster is None:
        return {"error_code": ErrorCode.stale_controller_epoch, "topics": []}
    return await ctx.broker.cluster.replicas.leader_and_isr(req)


async def stop_replica(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if ctx.broker.cluster is None:
        return {"error_code": ErrorCode.stale_controller_epoch, "partition_errors": []}
    return await ctx.broker.cluster.replicas.stop_replica(req)


async def update_metadata(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if ctx.broker.cluster is None:
        return {"error_code": ErrorCode.stale_controller_epoch}
    return await ctx.broker.cluster.replicas.update_metadata(req)


async def controlled_shutdown(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if ctx.broker.cluster is None:
        return {"error_code": ErrorCode.not_controller, "remaining_partitions": []}
    return await ctx.broker.cluster.controller.controlled_shutdown(int(req.broker_id), int(req.broker_epoch))


async def alter_partition(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if ctx.broker.cluster is None:
        return {"throttle_time": 0, "error_code": ErrorCode.not_controller, "topics": []}
    return await ctx.broker.cluster.controller.alter_partition(req)


async def allocate_producer_ids(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if ctx.broker.cluster is None:
        return {"throttle_time": 0, "error_code": ErrorCode.not_controller, "producer_id_start": -1,
                "producer_id_len": 0}
    return await ctx.broker.cluster.controller.allocate_producer_ids(int(req.broker_id), int(req.broker_epoch))
