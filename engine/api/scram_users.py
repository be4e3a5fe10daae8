"""DescribeUserScramCredentials (50) and AlterUserScramCredentials (51): the SCRAM users of SASL listeners;
DescribeClientQuotas (48), empty.

What `kafka-configs --entity-type users --alter --add-config 'SCRAM-SHA-256=[...]'` sends.
Validation and answers follow Kafka's (ZooKeeper-mode) broker: empty user names,
unknown mechanisms and iterations outside 4096..16384 fail the user with
UNACCEPTABLE_CREDENTIAL or UNSUPPORTED_SASL_MECHANISM; a user named twice for one
mechanism gets DUPLICATE_RESOURCE; deleting a credential that does not exist gets
RESOURCE_NOT_FOUND; otherwise all of a user's changes apply together.
"""

from __future__ import annotations

from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.security.scram import BY_TYPE, MECHANISMS, ScramCredential, credential_from_salted

MAX_ITERATIONS = 16384


async def describe_client_quotas(ctx: RequestContext, req: Any) -> dict[str, Any]:
    """DescribeClientQuotas (48): this broker enforces no client quotas, so there are none to describe
    (kafka-configs --describe --entity-type users asks for them next to the SCRAM credentials)."""
    return {"throttle_time": 0, "error_code": 0, "error_message": None, "entries": []}


async def describe(ctx: RequestContext, req: Any) -> dict[str, Any]:
    assert ctx.security is not None
    users = ctx.security.scram_users()

    def result(user: str) -> dict[str, Any]:
        creds = users.get(user)
        if not creds:
            return {"user": user, "error_code": ErrorCode.resource_not_found,
                    "error_message": f"Attempt to describe a user credential that does not exist: {user}",
                    "credential_infos": []}
        return {"user": user, "error_code": 0, "error_message": None, "credential_infos": [
            {"mechanism": MECHANISMS[m].type_code, "iterations": it} for m, it in sorted(creds.items())]}
    if not req.users:
        return {"throttle_time": 0, "error_code": 0, "error_message": None,
                "results": [result(u) for u in sorted(users)]}
    names = [u.name for u in req.users]
    out = []
    for name in dict.fromkeys(names):
        if not name:
            out.append({"user": name, "error_code": ErrorCode.resource_not_found,
                        "error_message": "Username must not be empty", "credential_infos": []})
        elif names.count(name) > 1:
            out.append({"user": name, "error_code": ErrorCode.duplicate_resource, "credential_infos": [],
                        "error_message": f"Cannot describe SCRAM credentials for the same user twice in a single "
                                         f"request: {name}"})
        else:
            out.append(result(name))
    return {"throttle_time": 0, "error_code": 0, "error_message": None, "results": out}


async def alter(ctx: RequestContext, req: Any) -> dict[str, Any]:
    assert ctx.security is not None
    results: list[dict[str, Any]] = []
    failed: set[str] = set()

    def fail(user: str, code: ErrorCode, message: str) -> None:
        if user not in failed:
            failed.add(user)
            results.append({"user": user, "error_code": code, "error_message": message})
    for d in req.deletions:
        if not d.name:
            fail(d.name, ErrorCode.unacceptable_credential, "Username must not be empty")
        elif int(d.mechanism) not in BY_TYPE:
            fail(d.name, ErrorCode.unsupported_sasl_mechanism, "Unknown SCRAM mechanism")
    for u in req.upsertions:
        mech = BY_TYPE.get(int(u.mechanism))
        if not u.name:
            fail(u.name, ErrorCode.unacceptable_credential, "Username must not be empty")
        elif mech is None:
            fail(u.name, ErrorCode.unsupported_sasl_mechanism, "Unknown SCRAM mechanism")
        elif int(u.iterations) > MAX_ITERATIONS:
            fail(u.name, ErrorCode.unacceptable_credential, "Too many iterations")
        elif int(u.iterations) < mech.min_iterations:
            fail(u.name, ErrorCode.unacceptable_credential, "Too few iterations")
    pairs = [(d.name, int(d.mechanism)) for d in req.deletions if d.name not in failed] + \
            [(u.name, int(u.mechanism)) for u in req.upsertions if u.name not in failed]
    for user, mech_code in pairs:
        if pairs.count((user, mech_code)) > 1:
            fail(user, ErrorCode.duplicate_resource, "A user credential cannot be altered twice in the same request")
    existing = ctx.security.scram_users()
    for d in req.deletions:
        if d.name not in failed and BY_TYPE[int(d.mechanism)].name not in existing.get(d.name, {}):
            fail(d.name, ErrorCode.resource_not_found, "Attempt to delete a user credential that does not exist")
    upserts: dict[tuple[str, str], ScramCredential] = {}
    deletes: list[tuple[str, str]] = []
    changed: list[str] = []
    for d in req.deletions:
        if d.name not in failed:
            deletes.append((d.name, BY_TYPE[int(d.mechanism)].name))
            changed.append(d.name)
    for u in req.upsertions:
        if u.name not in failed:
            mech = BY_TYPE[int(u.mechanism)]
            upserts[(u.name, mech.name)] = credential_from_salted(mech, bytes(u.salt), bytes(u.salted_password),
                                                                 int(u.iterations))
            changed.append(u.name)
    if upserts or deletes:
        ctx.security.change_scram(upserts, deletes)
    results += [{"user": user, "error_code": 0, "error_message": None} for user in dict.fromkeys(changed)]
    return {"throttle_time": 0, "results": results}
