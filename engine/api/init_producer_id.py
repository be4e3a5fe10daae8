"""InitProducerId (22): a new producer id for idempotent producers, or a bumped epoch for a known one."""

from __future__ import annotations

from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.protocol.codec import field


async def handle(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if req.transactional_id is not None:
        return {"throttle_time": 0, "error_code": ErrorCode.transactional_id_authorization_failed,
                "producer_id": -1, "producer_epoch": -1}
    pid = int(field(req, "producer_id", -1))
    epoch = int(field(req, "producer_epoch", -1))
    if pid >= 0 and 0 <= epoch < 32766:
        return {"throttle_time": 0, "error_code": 0, "producer_id": pid, "producer_epoch": epoch + 1}
    assert ctx.broker.catalog is not None
    return {"throttle_time": 0, "error_code": 0, "producer_id": ctx.broker.catalog.next_producer_id(),
            "producer_epoch": 0}
