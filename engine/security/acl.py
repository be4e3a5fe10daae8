"""Kafka's ACL model: resource patterns, access control entries, bindings and the filters that select them.

Codes are Kafka's (ResourceType, PatternType, AclOperation, AclPermissionType), so
bindings travel in CreateAcls/DescribeAcls/DeleteAcls as they are. A binding is a
resource pattern (type, name, LITERAL or PREFIXED; the literal name `*` matches
every resource of its type) and an entry (principal `User:<name>` or `User:*`, host
IP or `*`, operation, ALLOW or DENY). Filters match bindings the way Kafka's
ResourcePatternFilter and AccessControlEntryFilter do: ANY matches everything, and
the MATCH pattern type selects the patterns that would apply to one resource name.
"""

from __future__ import annotations

import dataclasses
import enum


class ResourceType(enum.IntEnum):
    UNKNOWN = 0
    ANY = 1
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5
    DELEGATION_TOKEN = 6
    USER = 7


class PatternType(enum.IntEnum):
    UNKNOWN = 0
    ANY = 1
    MATCH = 2
    LITERAL = 3
    PREFIXED = 4


class Operation(enum.IntEnum):
    UNKNOWN = 0
    ANY = 1
    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    CLUSTER_ACTION = 9
    DESCRIBE_CONFIGS = 10
    ALTER_CONFIGS = 11
    IDEMPOTENT_WRITE = 12
    CREATE_TOKENS = 13
    DESCRIBE_TOKENS = 14


class Permission(enum.IntEnum):
    UNKNOWN = 0
    ANY = 1
    DENY = 2
    ALLOW = 3


CLUSTER_NAME = "kafka-cluster"
WILDCARD = "*"
WILDCARD_PRINCIPAL = "User:*"

# AclEntry.supportedOperations: the operations that exist for each resource type.
SUPPORTED_OPERATIONS: dict[ResourceType, tuple[Operation, ...]] = {
    ResourceType.TOPIC: (Operation.READ, Operation.WRITE, Operation.CREATE, Operation.DESCRIBE, Operation.DELETE,
                         Operation.ALTER, Operation.DESCRIBE_CONFIGS, Operation.ALTER_CONFIGS),
    ResourceType.GROUP: (Operation.READ, Operation.DESCRIBE, Operation.DELETE, Operation.DESCRIBE_CONFIGS,
                         Operation.ALTER_CONFIGS),
    ResourceType.CLUSTER: (Operation.CREATE, Operation.CLUSTER_ACTION, Operation.DESCRIBE_CONFIGS,
                           Operation.ALTER_CONFIGS, Operation.IDEMPOTENT_WRITE, Operation.ALTER, Operation.DESCRIBE),
    ResourceType.TRANSACTIONAL_ID: (Operation.DESCRIBE, Operation.WRITE),
    ResourceType.DELEGATION_TOKEN: (Operation.DESCRIBE,),
    ResourceType.USER: (Operation.CREATE_TOKENS, Operation.DESCRIBE_TOKENS),
}

# Allowing one of these also allows the key operation (AclOperation's documented inheritance).
IMPLIED_BY: dict[Operation, tuple[Operation, ...]] = {
    Operation.DESCRIBE: (Operation.DESCRIBE, Operation.READ, Operation.WRITE, Operation.DELETE, Operation.ALTER),
    Operation.DESCRIBE_CONFIGS: (Operation.DESCRIBE_CONFIGS, Operation.ALTER_CONFIGS),
}


def _enum(cls: type[enum.IntEnum], code: int) -> enum.IntEnum:
    try:
        return cls(code)
    except ValueError:
        return cls(0)  # UNKNOWN, as Kafka maps codes it does not know


@dataclasses.dataclass(frozen=True, order=True)
class AclBinding:
    resource_type: ResourceType
    name: str
    pattern_type: PatternType
    principal: str
    host: str
    operation: Operation
    permission: Permission

    @classmethod
    def of(cls, resource_type: int, name: str, pattern_type: int, principal: str, host: str, operation: int,
           permission: int) -> AclBinding:
        return cls(ResourceType(_enum(ResourceType, resource_type)), name,
                   PatternType(_enum(PatternType, pattern_type)), principal, host,
                   Operation(_enum(Operation, operation)), Permission(_enum(Permission, permission)))

    def problem(self) -> str | None:
        """Why this binding cannot be created, in Kafka's words (None when it can)."""
        if self.resource_type == ResourceType.UNKNOWN or self.pattern_type == PatternType.UNKNOWN or \
                self.operation == Operation.UNKNOWN or self.permission == Permission.UNKNOWN:
            return "ACL binding contains unknown elements"
        if self.resource_type == ResourceType.ANY or self.pattern_type in (PatternType.ANY, PatternType.MATCH) or \
                self.operation == Operation.ANY or self.permission == Permission.ANY:
            return "ACL binding contains unknown elements"
        if self.resource_type == ResourceType.CLUSTER and self.name != CLUSTER_NAME:
            return f"The only valid name for the CLUSTER resource is {CLUSTER_NAME}"
        if not self.name:
            return "Invalid empty resource name"
        if "/" in self.name:
            return f"ACL binding contains invalid resource name: {self.name}"
        principal_type, sep, _name = self.principal.partition(":")
        if not sep or not principal_type:
            return f"expected a string in format principalType:principalName but got {self.principal}"
        return None


@dataclasses.dataclass(frozen=True)
class AclFilter:
    resource_type: ResourceType
    name: str | None
    pattern_type: PatternType
    principal: str | None
    host: str | None
    operation: Operation
    permission: Permission

    @classmethod
    def of(cls, resource_type: int, name: str | None, pattern_type: int, principal: str | None, host: str | None,
           operation: int, permission: int) -> AclFilter:
        return cls(ResourceType(_enum(ResourceType, resource_type)), name,
                   PatternType(_enum(PatternType, pattern_type)), principal, host,
                   Operation(_enum(Operation, operation)), Permission(_enum(Permission, permission)))

    @property
    def unknown(self) -> bool:
        return self.resource_type == ResourceType.UNKNOWN or self.pattern_type == PatternType.UNKNOWN or \
            self.operation == Operation.UNKNOWN or self.permission == Permission.UNKNOWN

    def matches(self, b: AclBinding) -> bool:
        return self.matches_pattern(b) and self.matches_entry(b)

    def matches_pattern(self, b: AclBinding) -> bool:
        if self.resource_type != ResourceType.ANY and self.resource_type != b.resource_type:
            return False
        if self.pattern_type not in (PatternType.ANY, PatternType.MATCH) and self.pattern_type != b.pattern_type:
            return False
        if self.name is None:
            return True
        if self.pattern_type in (PatternType.ANY, b.pattern_type):
            return self.name == b.name
        if b.pattern_type == PatternType.LITERAL:
            return self.name == b.name or b.name == WILDCARD
        return self.name.startswith(b.name)

    def matches_entry(self, b: AclBinding) -> bool:
        return ((self.principal is None or self.principal == b.principal)
                and (self.host is None or self.host == b.host)
                and (self.operation == Operation.ANY or self.operation == b.operation)
                and (self.permission == Permission.ANY or self.permission == b.permission))


def bitfield(operations: list[Operation]) -> int:
    """Authorized operations as Kafka sends them: bit n set when operation code n is allowed (Utils.to32BitField)."""
    out = 0
    for op in operations:
        out |= 1 << int(op)
    return out
