"""InitProducerId (22): a producer id for idempotent producers, or the transaction coordinator's answer for a
transactional id (a new producer id, or the same one with its epoch bumped, fencing older producers)."""

from __future__ import annotations

from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.protocol.codec import field, ms


async def handle(ctx: RequestContext, req: Any) -> dict[str, Any]:
    pid = int(field(req, "producer_id", -1))
    epoch = int(field(req, "producer_epoch", -1))
    if req.transactional_id is not None:
        if ctx.broker.cluster is not None:  # ZooKeeper mode has no transaction coordinator yet
            return {"throttle_time": 0, "error_code": ErrorCode.not_coordinator, "producer_id": -1,
                    "producer_epoch": -1}
        assert ctx.broker.txn is not None
        expected = (pid, epoch) if pid >= 0 else None
        err, new_pid, new_epoch = ctx.broker.txn.init_producer_id(req.transactional_id,
                                                                  ms(req.transaction_timeout), expected)
        return {"throttle_time": 0, "error_code": err, "producer_id": new_pid, "producer_epoch": new_epoch}
    if pid >= 0 and 0 <= epoch < 32766:
        return {"throttle_time": 0, "error_code": ErrorCode.none, "producer_id": pid, "producer_epoch": epoch + 1}
    next_id = ctx.broker.next_producer_id()
    if next_id is None:  # ZooKeeper mode, before the controller's first block of ids arrived: the client retries
        return {"throttle_time": 0, "error_code": ErrorCode.coordinator_load_in_progress, "producer_id": -1,
                "producer_epoch": -1}
    return {"throttle_time": 0, "error_code": ErrorCode.none, "producer_id": next_id, "producer_epoch": 0}
