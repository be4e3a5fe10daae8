"""DescribeAcls (29), CreateAcls (30), DeleteAcls (31) on the broker's ACL authorizer (engine/security).

Who may call them (DESCRIBE or ALTER on the cluster) is checked before the handler, with
every other API's authorization (engine/security/gates.py). Without an authorizer the
answer is SECURITY_DISABLED, as Kafka's.
"""

from __future__ import annotations

import itertools
from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.protocol.codec import field
from engine.security.acl import AclBinding, AclFilter
from engine.security.authorizer import Authorizer

NO_AUTHORIZER = "No Authorizer is configured on the broker"


def _authorizer(ctx: RequestContext) -> Authorizer | None:
    az = ctx.security.authorizer if ctx.security is not None else None
    return az if az is not None and az.enabled else None


def _filter(f: Any) -> AclFilter:
    return AclFilter.of(int(f.resource_type_filter), f.resource_name_filter, int(field(f, "pattern_type_filter", 3)),
                        f.principal_filter, f.host_filter, int(f.operation), int(f.permission_type))


async def describe_acls(ctx: RequestContext, req: Any) -> dict[str, Any]:
    az = _authorizer(ctx)
    if az is None:
        return {"throttle_time": 0, "error_code": ErrorCode.security_disabled, "error_message": NO_AUTHORIZER,
                "resources": []}
    flt = _filter(req)
    if flt.unknown:
        return {"throttle_time": 0, "error_code": ErrorCode.invalid_request,
                "error_message": "Filter contain UNKNOWN elements", "resources": []}
    resources = []
    key = lambda b: (int(b.resource_type), b.name, int(b.pattern_type))  # noqa: E731
    for (rtype, name, ptype), group in itertools.groupby(sorted(az.acls(flt), key=key), key=key):
        resources.append({"resource_type": rtype, "resource_name": name, "pattern_type": ptype, "acls": [
            {"principal": b.principal, "host": b.host, "operation": int(b.operation),
             "permission_type": int(b.permission)} for b in group]})
    return {"throttle_time": 0, "error_code": 0, "error_message": None, "resources": resources}


async def create_acls(ctx: RequestContext, req: Any) -> dict[str, Any]:
    az = _authorizer(ctx)
    if az is None:
        return {"throttle_time": 0, "results": [
            {"error_code": ErrorCode.security_disabled, "error_message": "No Authorizer is configured."}
            for _ in req.creations]}
    results: list[dict[str, Any]] = []
    valid: list[AclBinding] = []
    for c in req.creations:
        b = AclBinding.of(int(c.resource_type), c.resource_name, int(field(c, "resource_pattern_type", 3)),
                          c.principal, c.host,
                          int(c.operation), int(c.permission_type))
        problem = b.problem()
        if problem is None:
            valid.append(b)
            results.append({"error_code": 0, "error_message": None})
        elif problem.startswith(("The only valid name", "Invalid empty")):
            results.append({"error_code": ErrorCode.invalid_request, "error_message": problem})
        else:
            results.append({"error_code": ErrorCode.invalid_request,
                            "error_message": f"Failed to create ACL: {problem}"})
    if valid:
        az.create(valid)
    return {"throttle_time": 0, "results": results}


async def delete_acls(ctx: RequestContext, req: Any) -> dict[str, Any]:
    az = _authorizer(ctx)
    if az is None:
        return {"throttle_time": 0, "filter_results": [
            {"error_code": ErrorCode.security_disabled, "error_message": "No Authorizer is configured.",
             "matching_acls": []} for _ in req.filters]}
    filters = [_filter(f) for f in req.filters]
    deleted = az.delete(filters)
    return {"throttle_time": 0, "filter_results": [
        {"error_code": 0, "error_message": None, "matching_acls": [
            {"error_code": 0, "error_message": None, "resource_type": int(b.resource_type), "resource_name": b.name,
             "pattern_type": int(b.pattern_type), "principal": b.principal, "host": b.host,
             "operation": int(b.operation), "permission_type": int(b.permission)} for b in bindings]}
        for bindings in deleted]}
