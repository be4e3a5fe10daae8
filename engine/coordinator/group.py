"""A consumer group's state: members, generation, protocol, leader; Kafka's group states as a table.

What a request from a known member with the current generation meets in each state
(an unknown member gets UNKNOWN_MEMBER_ID, a wrong generation ILLEGAL_GENERATION, a
replaced static member FENCED_INSTANCE_ID, in every state but Dead):

    state        JoinGroup                 SyncGroup             Heartbeat      OffsetCommit    LeaveGroup
    Empty        add -> Preparing          UNKNOWN_MEMBER_ID     UNKNOWN_MEMBER simple (gen -1) UNKNOWN_MEMBER
    Preparing    park until all rejoin     REBALANCE_IN_PROGRESS REBALANCE_IN_P allowed         remove; may end
                 (or the rebalance timeout)                                                     the join phase
                 -> Completing / Empty
    Completing   rejoin -> Preparing       park until the leader NONE           REBALANCE_IN_P  remove -> Preparing
                                           syncs -> Stable
    Stable       leader or new protocols   the assignment        NONE           allowed         remove -> Preparing
                 -> Preparing; else answer
    Dead         COORDINATOR_NOT_AVAILABLE UNKNOWN_MEMBER_ID     UNKNOWN_MEMBER COORD_NOT_AVAIL UNKNOWN_MEMBER

Timers: the initial rebalance delay (an Empty group's first rebalance waits
group.initial.rebalance.delay.ms, extended by each new member, capped by the
rebalance timeout); the rebalance timeout (members that have not rejoined are
removed); session expiry (a member that stops heartbeating is removed, which
starts a rebalance). Every transition the coordinator makes is checked against
TRANSITIONS and stamps the group's state timestamp (offset expiry of Empty groups
counts from it, as in Kafka).
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
from typing import Any


class GroupState(enum.Enum):
    EMPTY = "Empty"
    PREPARING_REBALANCE = "PreparingRebalance"
    COMPLETING_REBALANCE = "CompletingRebalance"
    STABLE = "Stable"
    DEAD = "Dead"


S = GroupState
TRANSITIONS: dict[GroupState, frozenset[GroupState]] = {
    S.EMPTY: frozenset({S.PREPARING_REBALANCE, S.DEAD}),
    S.PREPARING_REBALANCE: frozenset({S.COMPLETING_REBALANCE, S.EMPTY, S.DEAD}),
    S.COMPLETING_REBALANCE: frozenset({S.STABLE, S.PREPARING_REBALANCE, S.DEAD}),
    S.STABLE: frozenset({S.PREPARING_REBALANCE, S.DEAD}),
    S.DEAD: frozenset(),
}


class IllegalTransition(Exception):
    pass


@dataclasses.dataclass
class Member:
    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    session_timeout_ms: int
    rebalance_timeout_ms: int
    protocol_type: str
    protocols: list[tuple[str, bytes]]
    assignment: bytes = b""
    session_deadline: float = 0.0
    join_future: asyncio.Future[dict[str, Any]] | None = None
    sync_future: asyncio.Future[dict[str, Any]] | None = None

    def metadata_for(self, protocol: str | None) -> bytes:
        for name, meta in self.protocols:
            if name == protocol:
                return meta
        return b""

    @property
    def is_awaiting_join(self) -> bool:
        return self.join_future is not None and not self.join_future.done()

    @property
    def is_awaiting_sync(self) -> bool:
        return self.sync_future is not None and not self.sync_future.done()

    def keep_alive(self, now: float) -> None:
        self.session_deadline = now + self.session_timeout_ms / 1000


@dataclasses.dataclass
class Group:
    group_id: str
    state: GroupState = GroupState.EMPTY
    generation: int = 0
    protocol_type: str | None = None
    protocol: str | None = None
    leader: str | None = None
    members: dict[str, Member] = dataclasses.field(default_factory=dict)
    pending: dict[str, float] = dataclasses.field(default_factory=dict)  # member id -> deadline
    static_members: dict[str, str] = dataclasses.field(default_factory=dict)  # instance id -> member id
    rebalance_deadline: float = 0.0
    sync_deadline: float = 0.0  # CompletingRebalance: members that have not sent SyncGroup by then are removed
    initial_delay_deadline: float = 0.0
    state_timestamp: int = -1

    def transition(self, to: GroupState, at_ms: int | None = None) -> None:
        if to not in TRANSITIONS[self.state]:
            raise IllegalTransition(f"group {self.group_id}: {self.state.value} -> {to.value}")
        self.state = to
        if at_ms is not None:
            self.state_timestamp = at_ms

    def is_(self, state: GroupState) -> bool:
        return self.state is state

    def fenced(self, group_instance_id: str | None, member_id: str) -> bool:
        """A static member's old member id, after its instance id has joined again under a new one."""
        if group_instance_id is None:
            return False
        return self.static_members.get(group_instance_id) not in (None, member_id)

    def all_rejoined(self) -> bool:
        return all(m.is_awaiting_join for m in self.members.values())

    def select_protocol(self) -> str | None:
        """The protocol every member supports that most members prefer (Kafka's vote)."""
        if not self.members:
            return None
        common = None
        for m in self.members.values():
            names = {n for n, _ in m.protocols}
            common = names if common is None else common & names
        if not common:
            return None
        votes: dict[str, int] = {}
        for m in self.members.values():
            for name, _ in m.protocols:
                if name in common:
                    votes[name] = votes.get(name, 0) + 1
                    break
        return max(sorted(votes), key=lambda n: votes[n])

    def supports(self, protocol_type: str, protocols: list[tuple[str, bytes]]) -> bool:
        if not self.members:
            return bool(protocols)
        if protocol_type != self.protocol_type:
            return False
        names = {n for n, _ in protocols}
        return all(names & {n for n, _ in m.protocols} for m in self.members.values())
