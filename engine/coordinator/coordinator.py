"""The group coordinator: JoinGroup/SyncGroup/Heartbeat/LeaveGroup, session expiry, offsets, admin.

Handlers call these methods; `tick(now)` expires sessions, ends the initial
rebalance delay and rebalance timeouts. Time comes from the injected clock, so
tests drive it without sleeping. Persistence goes through a `Journal`: every
commit and every stable generation is appended to __consumer_offsets in Kafka's
formats, and `replay` rebuilds the state from it at start-up.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from kio.schema.errors import ErrorCode

from engine.coordinator import formats
from engine.coordinator.formats import GroupValue, MemberValue, OffsetValue
from engine.coordinator.group import Group, GroupState, Member
from engine.coordinator.offset_store import Journal, OffsetCommits, OffsetsRecord

log = logging.getLogger("engine.coordinator")
S = GroupState


class CoordinatorError(Exception):
    def __init__(self, code: ErrorCode) -> None:
        super().__init__(code.name)
        self.code = code


class GroupCoordinator(OffsetCommits):
    def __init__(self, *, journal: Journal, clock: Callable[[], float] = time.monotonic,
                 wall_ms: Callable[[], int] = lambda: int(time.time() * 1000),
                 initial_rebalance_delay_ms: int = 3000, min_session_timeout_ms: int = 6000,
                 max_session_timeout_ms: int = 1_800_000, offsets_retention_ms: int = 7 * 24 * 3600 * 1000,
                 offsets_retention_check_interval_ms: int = 600_000,
                 topic_exists: Callable[[str, int], bool] = lambda t, p: True) -> None:
        self.journal = journal
        self.clock = clock
        self.wall_ms = wall_ms
        self.initial_delay = initial_rebalance_delay_ms / 1000
        self.min_session = min_session_timeout_ms
        self.max_session = max_session_timeout_ms
        self.topic_exists = topic_exists
        self.offsets_retention_ms = offsets_retention_ms
        self.retention_check_interval = offsets_retention_check_interval_ms / 1000
        self.next_retention_check = clock() + self.retention_check_interval
        self.groups: dict[str, Group] = {}
        self.offsets: dict[str, dict[tuple[str, int], OffsetValue]] = {}
        self.group_records: dict[str, bytes] = {}  # each group's last GroupMetadataValue, as journaled
        self._init_offsets()

    # -- helpers ------------------------------------------------------------------------
    def _group(self, group_id: str, create: bool = False) -> Group | None:
        g = self.groups.get(group_id)
        if g is None and create:
            g = Group(group_id)
            self.groups[group_id] = g
        return g

    def _to(self, group: Group, state: GroupState) -> None:
        log.debug("group %s: %s -> %s (generation %d, %d members)", group.group_id, group.state.value, state.value,
                  group.generation, len(group.members))
        group.transition(state, self.wall_ms())

    def _future(self) -> asyncio.Future[dict[str, Any]]:
        return asyncio.get_running_loop().create_future()

    @staticmethod
    def _new_member_id(client_id: str, instance: str | None) -> str:
        return f"{instance or client_id or 'member'}-{uuid.uuid4()}"

    # -- JoinGroup ------------------------------------------------------------------------
    async def join(self, *, group_id: str, member_id: str, group_instance_id: str | None, client_id: str,
                   client_host: str, session_timeout_ms: int, rebalance_timeout_ms: int, protocol_type: str,
                   protocols: list[tuple[str, bytes]], require_known_member: bool) -> dict[str, Any]:
        if not group_id:
            return _join_error(ErrorCode.invalid_group_id, member_id)
        if not self.min_session <= session_timeout_ms <= self.max_session:
            return _join_error(ErrorCode.invalid_session_timeout, member_id)
        group = self._group(group_id, create=not member_id)
        if group is None:
            return _join_error(ErrorCode.unknown_member_id, member_id)
        if group.is_(S.DEAD):
            return _join_error(ErrorCode.coordinator_not_available, member_id)
        if not group.supports(protocol_type, protocols):
            return _join_error(ErrorCode.inconsistent_group_protocol, member_id)
        now = self.clock()
        replaced_static = False
        if not member_id:
            if group_instance_id is not None:
                old = group.static_members.get(group_instance_id)
                new_id = self._new_member_id(client_id, group_instance_id)
                if old is not None and old in group.members:
                    replaced = group.members.pop(old)
                    replaced.member_id = new_id
                    _fail(replaced, ErrorCode.fenced_instance_id)
                    group.members[new_id] = replaced
                    if group.leader == old:
                        group.leader = new_id
                    replaced_static = True
                group.static_members[group_instance_id] = new_id
                member_id = new_id
            else:
                member_id = self._new_member_id(client_id, None)
                if require_known_member:
                    group.pending[member_id] = now + session_timeout_ms / 1000
                    return _join_error(ErrorCode.member_id_required, member_id)
        else:
            known = member_id in group.members or member_id in group.pending
            if group.fenced(group_instance_id, member_id):
                return _join_error(ErrorCode.fenced_instance_id, member_id)
            if not known:
                return _join_error(ErrorCode.unknown_member_id, member_id)
        group.pending.pop(member_id, None)
        existing = group.members.get(member_id)
        changed = existing is None or existing.protocols != protocols
        if existing is None:
            member = Member(member_id, group_instance_id, client_id, client_host, session_timeout_ms,
                            rebalance_timeout_ms, protocol_type, protocols)
            group.members[member_id] = member
            if group_instance_id is not None:
                group.static_members[group_instance_id] = member_id
        else:
            member = existing
            member.protocols = protocols
            member.session_timeout_ms = session_timeout_ms
            member.rebalance_timeout_ms = rebalance_timeout_ms
        member.session_deadline = now + session_timeout_ms / 1000
        if len(group.members) == 1:
            group.protocol_type = protocol_type
        future = self._future()
        member.join_future = future
        if group.is_(S.STABLE) and not changed and member_id != group.leader:
            # A follower rejoining with nothing new: answer with the current generation.
            member.join_future = None
            if replaced_static:
                self._store_group(group)  # the new member id of the static member
            return self._join_response(group, member)
        if group.is_(S.EMPTY) or group.is_(S.STABLE) or group.is_(S.COMPLETING_REBALANCE):
            self._prepare_rebalance(group, new_group=group.is_(S.EMPTY))
        elif group.is_(S.PREPARING_REBALANCE) and group.initial_delay_deadline:
            # Each new member extends the initial delay, capped by the rebalance timeout.
            group.initial_delay_deadline = min(now + self.initial_delay, group.rebalance_deadline)
        self._maybe_complete_join(group)
        return await future

    def _prepare_rebalance(self, group: Group, new_group: bool) -> None:
        now = self.clock()
        if group.is_(S.COMPLETING_REBALANCE):
            for m in group.members.values():
                if m.is_awaiting_sync:
                    m.keep_alive(now)  # it learns only now that it must rejoin: a full session to do so
                _fail_sync(m, ErrorCode.rebalance_in_progress)
        self._to(group, S.PREPARING_REBALANCE)
        timeout = max((m.rebalance_timeout_ms for m in group.members.values()), default=0) / 1000
        group.rebalance_deadline = now + timeout
        group.initial_delay_deadline = min(now + self.initial_delay, group.rebalance_deadline) \
            if new_group and self.initial_delay > 0 else 0.0

    def _maybe_complete_join(self, group: Group, force: bool = False) -> None:
        if not group.is_(S.PREPARING_REBALANCE):
            return
        if group.initial_delay_deadline and self.clock() < group.initial_delay_deadline and not force:
            return
        if not force and not group.all_rejoined():
            return
        for mid in [mid for mid, m in group.members.items() if not m.is_awaiting_join]:
            self._remove_member(group, mid)
        group.initial_delay_deadline = 0.0
        if not group.members:
            self._to(group, S.EMPTY)
            group.generation += 1
            group.protocol = None
            group.leader = None
            self._store_group(group)
            return
        group.generation += 1
        group.protocol = group.select_protocol()
        if group.leader not in group.members:
            group.leader = next(iter(group.members))
        self._to(group, S.COMPLETING_REBALANCE)
        now = self.clock()
        group.sync_deadline = now + max(m.rebalance_timeout_ms for m in group.members.values()) / 1000
        for m in group.members.values():
            m.keep_alive(now)  # sessions start afresh: a member may have waited longer than one in JoinGroup
            m.assignment = b""
            fut, m.join_future = m.join_future, None
            if fut is not None and not fut.done():
                fut.set_result(self._join_response(group, m))

    def _join_response(self, group: Group, member: Member) -> dict[str, Any]:
        members = []
        if member.member_id == group.leader:
            members = [{"member_id": m.member_id, "group_instance_id": m.group_instance_id,
                        "metadata": m.metadata_for(group.protocol)} for m in group.members.values()]
        return {"error_code": 0, "generation_id": group.generation, "protocol_type": group.protocol_type,
                "protocol_name": group.protocol, "leader": group.leader or "", "skip_assignment": False,
                "member_id": member.member_id, "members": members}

    # -- SyncGroup ------------------------------------------------------------------------
    async def sync(self, *, group_id: str, generation: int, member_id: str, group_instance_id: str | None,
                   assignments: list[tuple[str, bytes]], protocol_type: str | None = None,
                   protocol_name: str | None = None) -> dict[str, Any]:
        group = self._group(group_id)
        if group is not None and group.fenced(group_instance_id, member_id):
            return _sync_error(ErrorCode.fenced_instance_id)
        if group is None or member_id not in group.members:
            return _sync_error(ErrorCode.unknown_member_id)
        if generation != group.generation:
            return _sync_error(ErrorCode.illegal_generation)
        if (protocol_type is not None and protocol_type != group.protocol_type) or (
                protocol_name is not None and protocol_name != group.protocol):
            return _sync_error(ErrorCode.inconsistent_group_protocol)
        member = group.members[member_id]
        if group.is_(S.PREPARING_REBALANCE):
            return _sync_error(ErrorCode.rebalance_in_progress)
        if group.is_(S.STABLE):
            return self._sync_response(group, member)
        if group.is_(S.DEAD) or group.is_(S.EMPTY):
            return _sync_error(ErrorCode.unknown_member_id)
        member.session_deadline = self.clock() + member.session_timeout_ms / 1000
        future = self._future()
        member.sync_future = future
        if member_id == group.leader:
            given = dict(assignments)
            for m in group.members.values():
                m.assignment = given.get(m.member_id, b"")
            self._to(group, S.STABLE)
            self._store_group(group)
            now = self.clock()
            for m in group.members.values():
                fut, m.sync_future = m.sync_future, None
                if fut is not None and not fut.done():
                    m.keep_alive(now)
                    fut.set_result(self._sync_response(group, m))
        return await future

    def _sync_response(self, group: Group, member: Member) -> dict[str, Any]:
        return {"error_code": 0, "protocol_type": group.protocol_type, "protocol_name": group.protocol,
                "assignment": member.assignment}

    # -- Heartbeat and LeaveGroup --------------------------------------------------------
    def heartbeat(self, group_id: str, generation: int, member_id: str, group_instance_id: str | None) -> ErrorCode:
        group = self._group(group_id)
        if group is not None and member_id in group.pending:
            return ErrorCode.none  # a member told MEMBER_ID_REQUIRED that heartbeats before it joins
        if group is not None and group.fenced(group_instance_id, member_id):
            return ErrorCode.fenced_instance_id
        if group is None or group.is_(S.DEAD) or member_id not in group.members:
            return ErrorCode.unknown_member_id
        if generation != group.generation:
            return ErrorCode.illegal_generation
        member = group.members[member_id]
        member.session_deadline = self.clock() + member.session_timeout_ms / 1000
        if group.is_(S.PREPARING_REBALANCE):
            return ErrorCode.rebalance_in_progress
        return ErrorCode.none

    def leave(self, group_id: str, members: list[tuple[str, str | None]]) -> tuple[ErrorCode, list[ErrorCode]]:
        group = self._group(group_id)
        if group is None or group.is_(S.DEAD):
            return ErrorCode.unknown_member_id, [ErrorCode.unknown_member_id for _ in members]
        results = []
        for member_id, instance in members:
            if not member_id and instance is not None:
                member_id = group.static_members.get(instance, "")
            if group.fenced(instance, member_id):
                results.append(ErrorCode.fenced_instance_id)
                continue
            if member_id in group.pending:
                del group.pending[member_id]
                results.append(ErrorCode.none)
                continue
            if member_id not in group.members:
                results.append(ErrorCode.unknown_member_id)
                continue
            self._remove_member(group, member_id, leaving=True)
            results.append(ErrorCode.none)
        if any(r is ErrorCode.none for r in results):
            self._after_departure(group)
        return ErrorCode.none, results

    def _remove_member(self, group: Group, member_id: str, leaving: bool = False) -> None:
        member = group.members.pop(member_id, None)
        if member is None:
            return
        log.debug("group %s: member %s %s", group.group_id, member_id, "leaves" if leaving else "removed")
        if member.group_instance_id is not None and group.static_members.get(member.group_instance_id) == member_id:
            del group.static_members[member.group_instance_id]
        _fail(member, ErrorCode.unknown_member_id)
        if group.leader == member_id:
            group.leader = next(iter(group.members), None)

    def _after_departure(self, group: Group) -> None:
        if group.is_(S.STABLE) or group.is_(S.COMPLETING_REBALANCE):
            self._prepare_rebalance(group, new_group=False)
        if group.is_(S.PREPARING_REBALANCE):
            self._maybe_complete_join(group, force=not group.members)
            self._maybe_complete_join(group)

    # -- timers ----------------------------------------------------------------------------
    def tick(self) -> None:
        now = self.clock()
        for group in list(self.groups.values()):
            for mid, deadline in list(group.pending.items()):
                if now >= deadline:
                    del group.pending[mid]
            # A member parked in JoinGroup or SyncGroup is alive (it cannot heartbeat meanwhile), as in Kafka.
            expired = [mid for mid, m in group.members.items()
                       if now >= m.session_deadline and not m.is_awaiting_join and not m.is_awaiting_sync]
            if group.is_(S.COMPLETING_REBALANCE) and now >= group.sync_deadline:
                # Kafka's pending-sync timeout: members (the leader among them) that never sent SyncGroup.
                expired += [mid for mid, m in group.members.items() if not m.is_awaiting_sync and mid not in expired]
            if group.is_(S.PREPARING_REBALANCE) and now >= group.rebalance_deadline:
                self._maybe_complete_join(group, force=True)
                continue
            if expired:
                for mid in expired:
                    log.info("group %s: member %s session expired", group.group_id, mid)
                    self._remove_member(group, mid)
                self._after_departure(group)
            if group.is_(S.PREPARING_REBALANCE):
                self._maybe_complete_join(group)
        if now >= self.next_retention_check:
            self.next_retention_check = now + self.retention_check_interval
            self.expire_offsets()

    def has_pending_rebalance(self, group_id: str) -> bool:
        g = self._group(group_id)
        return g is not None and (g.is_(S.PREPARING_REBALANCE) or g.is_(S.COMPLETING_REBALANCE))

    # -- admin ------------------------------------------------------------------------------
    def list_groups(self) -> list[Group]:
        known = set(self.groups) | set(self.offsets)
        out = []
        for gid in sorted(known):
            g = self.groups.get(gid) or Group(gid)
            if not g.is_(S.DEAD):
                out.append(g)
        return out

    def describe(self, group_id: str) -> Group:
        g = self.groups.get(group_id)
        if g is None:
            return Group(group_id, state=S.EMPTY if group_id in self.offsets else S.DEAD)
        return g

    def delete_group(self, group_id: str) -> ErrorCode:
        g = self.groups.get(group_id)
        if g is None and group_id not in self.offsets:
            return ErrorCode.group_id_not_found
        if g is not None and not g.is_(S.EMPTY):
            return ErrorCode.non_empty_group
        self.offset_seq.pop(group_id, None)
        records: list[tuple[bytes, bytes | None]] = [
            (formats.offset_key(group_id, t, p), None) for (t, p) in self.offsets.pop(group_id, {})]
        records.append((formats.group_key(group_id), None))
        self.group_records.pop(group_id, None)
        self.journal.append(group_id, records)
        if g is not None:
            self._to(g, S.DEAD)
            del self.groups[group_id]
        return ErrorCode.none

    # -- persistence ------------------------------------------------------------------------
    def _store_group(self, group: Group) -> None:
        members = tuple(MemberValue(m.member_id, m.group_instance_id, m.client_id, m.client_host,
                                    m.rebalance_timeout_ms, m.session_timeout_ms, m.metadata_for(group.protocol),
                                    m.assignment) for m in group.members.values())
        value = GroupValue(group.protocol_type or "", group.generation, group.protocol, group.leader,
                           group.state_timestamp, members)
        encoded = formats.group_value(value)
        self.group_records[group.group_id] = encoded
        self.journal.append(group.group_id, [(formats.group_key(group.group_id), encoded)])

    def replay(self, records: Iterable[tuple[bytes | None, bytes | None] | OffsetsRecord]) -> None:
        """Rebuild offsets and groups from __consumer_offsets records, oldest first: plain (key, value) pairs,
        or OffsetsRecord with the batch's producer, transactional flag and marker."""
        for rec in records:
            if isinstance(rec, OffsetsRecord):
                key_bytes, value_bytes = rec.key, rec.value
                producer_id, transactional, partition = rec.producer_id, rec.transactional, rec.partition
                if rec.marker is not None:
                    self.complete_txn(producer_id, partition, rec.marker)
                    continue
            else:
                key_bytes, value_bytes = rec
                producer_id, transactional, partition = -1, False, 0
            if key_bytes is None:
                continue
            try:
                key = formats.parse_key(key_bytes)
                if isinstance(key, formats.OffsetKey):
                    self._replay_offset(key, value_bytes, producer_id, transactional, partition)
                elif isinstance(key, formats.GroupKey):
                    if value_bytes is None:
                        self.groups.pop(key.group, None)
                        self.group_records.pop(key.group, None)
                    else:
                        self.groups[key.group] = self._loaded_group(key.group,
                                                                    formats.parse_group_value(value_bytes))
                        self.group_records[key.group] = value_bytes
            except Exception:  # a record we cannot read must not stop the broker
                log.warning("skipping an unreadable __consumer_offsets record", exc_info=True)


    def _loaded_group(self, group_id: str, value: GroupValue) -> Group:
        """A group as its last record left it, as Kafka loads it: Stable with its members, whose
        sessions start now (members whose clients are gone expire and start a rebalance), or Empty."""
        group = Group(group_id, state=S.STABLE if value.members else S.EMPTY, generation=value.generation,
                      protocol_type=value.protocol_type or None, protocol=value.protocol if value.members else None,
                      leader=value.leader if value.members else None, state_timestamp=value.state_timestamp)
        now = self.clock()
        for mv in value.members:
            member = Member(mv.member_id, mv.group_instance_id, mv.client_id, mv.client_host, mv.session_timeout,
                            mv.rebalance_timeout if mv.rebalance_timeout >= 0 else mv.session_timeout,
                            value.protocol_type, [(value.protocol or "", mv.subscription)], mv.assignment,
                            session_deadline=now + mv.session_timeout / 1000)
            group.members[mv.member_id] = member
            if mv.group_instance_id is not None:
                group.static_members[mv.group_instance_id] = mv.member_id
        if group.leader not in group.members:
            group.leader = next(iter(group.members), None)
        return group


def _join_error(code: ErrorCode, member_id: str) -> dict[str, Any]:
    return {"error_code": code, "generation_id": -1, "protocol_type": None, "protocol_name": None, "leader": "",
            "skip_assignment": False, "member_id": member_id, "members": []}


def _sync_error(code: ErrorCode) -> dict[str, Any]:
    return {"error_code": code, "protocol_type": None, "protocol_name": None, "assignment": b""}


def _fail(member: Member, code: ErrorCode) -> None:
    fut, member.join_future = member.join_future, None
    if fut is not None and not fut.done():
        fut.set_result(_join_error(code, member.member_id))
    _fail_sync(member, code)


def _fail_sync(member: Member, code: ErrorCode) -> None:
    fut, member.sync_future = member.sync_future, None
    if fut is not None and not fut.done():
        fut.set_result(_sync_error(code))
