"""ApiVersions (18): the versions of every API this broker implements, derived from the routing table."""

from __future__ import annotations

from typing import Any

from engine.api.context import RequestContext


async def handle(ctx: RequestContext, req: Any) -> dict[str, Any]:
    from engine.api.routes import api_version_list

    return {"error_code": 0, "api_keys": api_version_list(), "throttle_time": 0}
