"""The plain values the consumer-groups service returns: groups, members, committed offsets with lag, resets done."""

from __future__ import annotations

import dataclasses

#: the group states in which Kafka lets offsets be reset (ConsumerGroupCommand: "inactive" groups)
INACTIVE_STATES = ("Empty", "Dead")


@dataclasses.dataclass(frozen=True, slots=True)
class GroupSummary:
    """One group as ListGroups reports it, with what DescribeGroups (or ConsumerGroupDescribe) adds."""

    group_id: str
    state: str  # Kafka's spelling: Stable, Empty, PreparingRebalance, Assigning, Reconciling, Dead, ...
    type: str = ""  # classic, consumer, share, streams (ListGroups v5); "" when the broker does not say
    protocol_type: str = ""  # "consumer", "" for groups that only commit offsets, "connect", ...
    assignor: str = ""
    members: int | None = None
    coordinator: str = ""  # host:port (id)
    lag: int | None = None  # total over the partitions with a committed offset
    note: str = ""  # why a part is missing ("not a consumer group", "could not be described: ...")

    @property
    def inactive(self) -> bool:
        return self.state in INACTIVE_STATES


@dataclasses.dataclass(frozen=True, slots=True)
class MemberInfo:
    member_id: str
    instance_id: str  # group.instance.id of a static member, "" otherwise
    client_id: str
    host: str
    assignment: tuple[tuple[str, int], ...]
    target: tuple[tuple[str, int], ...] = ()  # consumer-protocol groups: the assignment being reconciled to

    @property
    def assignment_text(self) -> str:
        return assignment_text(self.assignment)


def assignment_text(parts: tuple[tuple[str, int], ...]) -> str:
    """Kafka's way of printing an assignment: topic:0,1,2;other:3 (topics sorted, partitions sorted)."""
    by_topic: dict[str, list[int]] = {}
    for topic, partition in parts:
        by_topic.setdefault(topic, []).append(partition)
    return ";".join(f"{t}:{','.join(map(str, sorted(ps)))}" for t, ps in sorted(by_topic.items()))


@dataclasses.dataclass(frozen=True, slots=True)
class Committed:
    """A committed offset as the group coordinator keeps it."""

    offset: int
    metadata: str = ""
    leader_epoch: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class PartitionLag:
    """One partition a group has committed to or is assigned: committed offset, log bounds, lag, owner."""

    topic: str
    partition: int
    committed: int | None
    metadata: str
    log_start: int | None
    log_end: int | None
    member_id: str = ""
    client_id: str = ""
    host: str = ""

    @property
    def lag(self) -> int | None:
        """log end - committed, as kafka-consumer-groups --describe prints it (unknown without a commit)."""
        if self.committed is None or self.committed < 0 or self.log_end is None:
            return None
        return self.log_end - self.committed


@dataclasses.dataclass(frozen=True, slots=True)
class GroupDetail:
    summary: GroupSummary
    members: tuple[MemberInfo, ...]
    partitions: tuple[PartitionLag, ...]

    @property
    def topics(self) -> list[str]:
        return sorted({p.topic for p in self.partitions})


@dataclasses.dataclass(frozen=True, slots=True)
class ResetRecord:
    """A reset that was applied, as the store keeps it: enough to show it and to undo it."""

    id: int
    cluster: str
    group_id: str
    applied_ms: int
    description: str
    command: str
    # (topic, partition, offset before or None when there was no commit, metadata before, leader epoch before,
    #  offset after)
    rows: tuple[tuple[str, int, int | None, str, int | None, int], ...]
    undo_of: int | None = None
    undone_by: int | None = None
