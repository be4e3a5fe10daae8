"""Kafka's ACL authorizer: super users, ALLOW and DENY entries, prefixed and wildcard patterns, implied operations.

Theory of operation (Kafka's AclAuthorizer, which StandardAuthorizer follows): a
principal may do an operation on a resource when it is a super user, or when the
resource has no ACLs at all and `allow.everyone.if.no.acl.found` is true, or when
no DENY entry matches and an ALLOW entry does. The ACLs of a resource are those of
its literal name, of the wildcard `*`, and of every prefix pattern its name starts
with; an entry matches when its principal is the client's or `User:*`, its host the
client's IP or `*`, and its operation the one asked or ALL. Allowing READ, WRITE,
DELETE or ALTER also allows DESCRIBE, and ALTER_CONFIGS allows DESCRIBE_CONFIGS.

The ACLs live in memory, indexed by resource type, and are written through to the
SecurityStore on every change.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from engine.security.acl import (
    IMPLIED_BY,
    SUPPORTED_OPERATIONS,
    WILDCARD,
    WILDCARD_PRINCIPAL,
    AclBinding,
    AclFilter,
    Operation,
    PatternType,
    Permission,
    ResourceType,
)
from engine.security.store import SecurityStore

log = logging.getLogger("engine.authorizer")

# authorizer.class.name values that select this authorizer (Kafka's own class names, so server.properties carry over)
AUTHORIZER_CLASSES = frozenset({
    "kafka.security.authorizer.AclAuthorizer",
    "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "kafka.security.auth.SimpleAclAuthorizer",
})


def parse_super_users(text: str) -> frozenset[str]:
    out = set()
    for item in text.split(";"):
        item = item.strip()
        if item:
            kind, sep, name = item.partition(":")
            if not sep:
                raise ValueError(f"expected a string in format principalType:principalName but got {item}")
            out.add(f"{kind}:{name}")
    return frozenset(out)


class Authorizer:
    """ACL decisions for one broker; `enabled` is False when authorizer.class.name is empty (everything allowed)."""

    def __init__(self, store: SecurityStore | None, super_users: frozenset[str] = frozenset(),
                 allow_if_no_acl: bool = False, enabled: bool = True) -> None:
        self.store = store
        self.enabled = enabled
        self.super_users = super_users
        self.allow_if_no_acl = allow_if_no_acl
        self._by_type: dict[ResourceType, set[AclBinding]] = defaultdict(set)
        if store is not None:
            for b in store.acls():
                self._by_type[b.resource_type].add(b)

    # -- decisions -------------------------------------------------------------------

    def _resource_acls(self, rtype: ResourceType, name: str) -> list[AclBinding]:
        out = []
        for b in self._by_type.get(rtype, ()):
            if b.pattern_type == PatternType.LITERAL:
                if b.name == name or b.name == WILDCARD:
                    out.append(b)
            elif b.pattern_type == PatternType.PREFIXED and name.startswith(b.name):
                out.append(b)
        return out

    @staticmethod
    def _entry_matches(b: AclBinding, principal: str, host: str, op: Operation, permission: Permission) -> bool:
        return (b.permission == permission and b.principal in (principal, WILDCARD_PRINCIPAL)
                and b.operation in (op, Operation.ALL) and b.host in (host, WILDCARD))

    def authorize(self, principal: str, host: str, op: Operation, rtype: ResourceType, name: str) -> bool:
        if not self.enabled or principal in self.super_users:
            return True
        acls = self._resource_acls(rtype, name)
        if not acls:
            allowed = self.allow_if_no_acl
        elif any(self._entry_matches(b, principal, host, op, Permission.DENY) for b in acls):
            allowed = False
        else:
            allowed = any(self._entry_matches(b, principal, host, implied, Permission.ALLOW)
                          for implied in IMPLIED_BY.get(op, (op,)) for b in acls)
        if not allowed:
            log.debug("Principal = %s is Denied Operation = %s from host = %s on resource = %s:LITERAL:%s",
                      principal, op.name, host, rtype.name, name)
        return allowed

    def authorized_operations(self, principal: str, host: str, rtype: ResourceType, name: str) -> list[Operation]:
        return [op for op in SUPPORTED_OPERATIONS[rtype] if self.authorize(principal, host, op, rtype, name)]

    def authorize_by_resource_type(self, principal: str, host: str, op: Operation, rtype: ResourceType) -> bool:
        """May the principal do `op` on at least one resource of the type (AclAuthorizer.authorizeByResourceType)."""
        if not self.enabled or principal in self.super_users:
            return True
        entries = [b for b in self._by_type.get(rtype, ())
                   if b.principal in (principal, WILDCARD_PRINCIPAL) and b.host in (host, WILDCARD)
                   and b.operation in (op, Operation.ALL)]
        deny_literal = {b.name for b in entries if b.permission == Permission.DENY
                        and b.pattern_type == PatternType.LITERAL}
        if WILDCARD in deny_literal:
            return False
        if self.allow_if_no_acl:
            return True
        deny_prefix = {b.name for b in entries if b.permission == Permission.DENY
                       and b.pattern_type == PatternType.PREFIXED}

        def dominated(name: str) -> bool:
            return any(name[:n] in deny_prefix for n in range(len(name) + 1))
        for b in entries:
            if b.permission != Permission.ALLOW:
                continue
            if b.pattern_type == PatternType.PREFIXED and not dominated(b.name):
                return True
            if b.pattern_type == PatternType.LITERAL and (b.name == WILDCARD or (
                    b.name not in deny_literal and not dominated(b.name))):
                return True
        return False

    # -- ACL administration ----------------------------------------------------------

    def acls(self, flt: AclFilter) -> list[AclBinding]:
        return sorted(b for bindings in self._by_type.values() for b in bindings if flt.matches(b))

    def create(self, bindings: list[AclBinding]) -> None:
        if self.store is not None:
            self.store.add_acls(bindings)
        for b in bindings:
            self._by_type[b.resource_type].add(b)
        log.info("created ACLs: %s", ", ".join(map(describe, bindings)))

    def delete(self, filters: list[AclFilter]) -> list[list[AclBinding]]:
        """For each filter, the bindings it deleted (a binding matched by several filters counts for the first)."""
        out: list[list[AclBinding]] = [[] for _ in filters]
        taken: set[AclBinding] = set()
        for i, flt in enumerate(filters):
            for b in self.acls(flt):
                if b not in taken:
                    taken.add(b)
                    out[i].append(b)
        if taken:
            if self.store is not None:
                self.store.remove_acls(sorted(taken))
            for b in taken:
                self._by_type[b.resource_type].discard(b)
            log.info("deleted ACLs: %s", ", ".join(map(describe, sorted(taken))))
        return out


def describe(b: AclBinding) -> str:
    return (f"({b.principal} {b.permission.name} {b.operation.name} from {b.host} on "
            f"{b.resource_type.name}:{b.pattern_type.name}:{b.name})")
