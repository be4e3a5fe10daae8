"""SaslHandshake (17) and SaslAuthenticate (36): the connection's Channel runs the exchange (engine/security)."""

from __future__ import annotations

from typing import Any

from engine.api.context import RequestContext

ILLEGAL_SASL_STATE = 34


async def handshake(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if ctx.channel is None:
        return {"error_code": ILLEGAL_SASL_STATE, "mechanisms": []}
    code, mechanisms = ctx.channel.handshake(str(req.mechanism), ctx.version)
    return {"error_code": code, "mechanisms": mechanisms}


async def authenticate(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if ctx.channel is None:
        return {"error_code": ILLEGAL_SASL_STATE, "auth_bytes": b"", "session_lifetime": 0,
                "error_message": "SaslAuthenticate request received after successful authentication"}
    code, message, reply, lifetime_ms = ctx.channel.authenticate(bytes(req.auth_bytes))
    return {"error_code": code, "error_message": message, "auth_bytes": reply, "session_lifetime": lifetime_ms}
