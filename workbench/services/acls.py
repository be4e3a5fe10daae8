"""ACLs of a cluster: list (DescribeAcls), create (CreateAcls), delete (DeleteAcls), in Kafka's terms.

Theory of operation: an ACL is Kafka's binding of a resource pattern (type, name,
LITERAL or PREFIXED) and an entry (principal, host, operation, ALLOW or DENY).
All three go through wire.py's own protocol client: confluent-kafka's describe_acls
turns the broker's error (CLUSTER_AUTHORIZATION_FAILED, SECURITY_DISABLED) into an
empty list, and "no ACLs" must not be said when the truth is "not authorised to see
them" or "this cluster has no authorizer"; and its enums lack the cluster, user and
delegation-token resources and the token operations. A delete names each binding
exactly (no pattern matching), so it removes what the person selected and nothing else.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from workbench.errors import Problem, WorkbenchError, kafka_error
from workbench.services import wire
from workbench.services.admin import AdminService

RESOURCE_TYPES = ("TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER")
PATTERN_TYPES = ("LITERAL", "PREFIXED")
OPERATIONS = ("ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "CLUSTER_ACTION", "DESCRIBE_CONFIGS",
              "ALTER_CONFIGS", "IDEMPOTENT_WRITE", "CREATE_TOKENS", "DESCRIBE_TOKENS")
PERMISSIONS = ("ALLOW", "DENY")
# Kafka's codes (ResourceType, PatternType, AclOperation, AclPermissionType)
_RESOURCE_CODES = {"UNKNOWN": 0, "ANY": 1, "TOPIC": 2, "GROUP": 3, "CLUSTER": 4, "TRANSACTIONAL_ID": 5,
                   "DELEGATION_TOKEN": 6, "USER": 7}
_PATTERN_CODES = {"UNKNOWN": 0, "ANY": 1, "MATCH": 2, "LITERAL": 3, "PREFIXED": 4}
_OPERATION_CODES = {"UNKNOWN": 0, "ANY": 1, **{op: n for n, op in enumerate(OPERATIONS, start=2)}}
_PERMISSION_CODES = {"UNKNOWN": 0, "ANY": 1, "DENY": 2, "ALLOW": 3}
SECURITY_DISABLED, CLUSTER_AUTHORIZATION_FAILED = 54, 31


def _name(codes: dict[str, int], code: int) -> str:
    return next((n for n, c in codes.items() if c == code), f"UNKNOWN({code})")


@dataclasses.dataclass(frozen=True, order=True)
class AclEntry:
    resource_type: str  # TOPIC, GROUP, CLUSTER, ...
    pattern_type: str  # LITERAL or PREFIXED
    resource_name: str
    principal: str  # User:alice, User:*
    host: str  # an IP address or *
    operation: str  # READ, WRITE, ..., ALL
    permission: str  # ALLOW or DENY

    def problem(self) -> str | None:
        """Why Kafka would refuse this ACL, said before asking it (None when it would not)."""
        if self.resource_type not in RESOURCE_TYPES or self.pattern_type not in PATTERN_TYPES or \
                self.operation not in OPERATIONS or self.permission not in PERMISSIONS:
            return "Choose a resource type, pattern type, operation and permission from the lists."
        if ":" not in self.principal or self.principal.startswith(":"):
            return f"The principal {self.principal!r} must read Type:name, e.g. User:alice or User:*."
        if not self.resource_name.strip():
            return "An ACL needs a resource name (* for every resource of its type)."
        if self.resource_type == "CLUSTER" and self.resource_name != "kafka-cluster":
            return "The cluster resource is always named kafka-cluster."
        if not self.host.strip():
            return "An ACL needs a host: an IP address, or * for every host."
        return None


@dataclasses.dataclass(frozen=True)
class AclListing:
    """The cluster's ACLs, or why there are none to show: no authorizer, or not authorised to see them. Those are
    answers, not failures, so they come back here instead of as errors."""

    entries: list[AclEntry]
    unavailable: Problem | None = None


class AclService:
    """The ACLs of one connection, through its AdminService."""

    def __init__(self, admin: AdminService) -> None:
        self.admin = admin

    async def list_acls(self) -> AclListing:
        spec = self.admin.spec

        async def work() -> AclListing:
            host, port = spec.first_address()
            body = {"resource_type_filter": 1, "resource_name_filter": None, "pattern_type_filter": 1,
                    "principal_filter": None, "host_filter": None, "operation": 1, "permission_type": 1}
            resp = await wire.request_with_versions(spec, host, port, self.admin.timeout, wire.DESCRIBE_ACLS, 1, 3,
                                                    lambda _v: body)
            code = int(resp.error_code)
            if code == SECURITY_DISABLED:
                return AclListing([], Problem("unsupported", "This cluster has no authorizer (authorizer.class.name "
                                                             "is not set): it keeps no ACLs and lets every client do "
                                                             "everything."))
            if code == CLUSTER_AUTHORIZATION_FAILED:
                return AclListing([], Problem("denied", "Not authorised to list ACLs: this user needs DESCRIBE on "
                                                        "the cluster (CLUSTER_AUTHORIZATION_FAILED)."))
            if code != 0:
                raise kafka_error(resp.error_code.name, "listing ACLs")
            return AclListing(sorted(AclEntry(_name(_RESOURCE_CODES, int(r.resource_type)), _name(_PATTERN_CODES,
                                   int(getattr(r, "pattern_type", 3))), r.resource_name, a.principal, a.host,
                                   _name(_OPERATION_CODES, int(a.operation)),
                                   _name(_PERMISSION_CODES, int(a.permission_type)))
                          for r in resp.resources for a in r.acls))
        return await self.admin._guard("listing ACLs", work())

    async def _request(self, api_key: int, body: Any) -> Any:
        host, port = self.admin.spec.first_address()
        return await wire.request_with_versions(self.admin.spec, host, port, self.admin.timeout, api_key, 1, 3, body)

    async def create(self, entry: AclEntry) -> None:
        self.admin._refuse_if_read_only("creating an ACL")
        problem = entry.problem()
        if problem:
            raise WorkbenchError("input", problem)

        def body(version: int) -> dict[str, Any]:
            creation = wire.nested_request_type(wire.CREATE_ACLS, version, "AclCreation")
            return {"creations": (creation(resource_type=_RESOURCE_CODES[entry.resource_type],
                                           resource_name=entry.resource_name,
                                           resource_pattern_type=_PATTERN_CODES[entry.pattern_type],
                                           principal=entry.principal, host=entry.host,
                                           operation=_OPERATION_CODES[entry.operation],
                                           permission_type=_PERMISSION_CODES[entry.permission]),)}

        async def work() -> None:
            resp = await self._request(wire.CREATE_ACLS, body)
            for result in resp.results:
                if int(result.error_code) != 0:
                    raise _acl_error(result.error_code.name, result.error_message, "creating the ACL")
        await self.admin._guard("creating the ACL", work())

    async def delete(self, entries: list[AclEntry]) -> int:
        """Delete exactly these ACLs; returns how many the cluster deleted."""
        self.admin._refuse_if_read_only("deleting ACLs")

        def body(version: int) -> dict[str, Any]:
            flt = wire.nested_request_type(wire.DELETE_ACLS, version, "DeleteAclsFilter")
            return {"filters": tuple(flt(resource_type_filter=_RESOURCE_CODES[e.resource_type],
                                         resource_name_filter=e.resource_name,
                                         pattern_type_filter=_PATTERN_CODES[e.pattern_type],
                                         principal_filter=e.principal, host_filter=e.host,
                                         operation=_OPERATION_CODES[e.operation],
                                         permission_type=_PERMISSION_CODES[e.permission]) for e in entries)}

        async def work() -> int:
            resp = await self._request(wire.DELETE_ACLS, body)
            deleted = 0
            for result in resp.filter_results:
                if int(result.error_code) != 0:
                    raise _acl_error(result.error_code.name, result.error_message, f"deleting {len(entries)} ACL(s)")
                deleted += len(result.matching_acls)
            return deleted
        return await self.admin._guard(f"deleting {len(entries)} ACL(s)", work())


def _acl_error(name: str, message: str | None, doing: str) -> WorkbenchError:
    """The broker's refusal of an ACL change: its error in one sentence, with the broker's own words if it gave
    any beyond the error's name."""
    exc = kafka_error(name, doing)
    if message and name.upper() not in ("CLUSTER_AUTHORIZATION_FAILED", "SECURITY_DISABLED"):
        p = exc.problem
        return WorkbenchError(p.kind, f"{p.sentence.rstrip('.')}: {message.rstrip('.')}.")
    return exc
