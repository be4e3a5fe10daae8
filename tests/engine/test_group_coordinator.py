"""The group coordinator's state machine with an injected clock: no sockets, no sleeps."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest
from kio.schema.errors import ErrorCode

from engine.coordinator import formats
from engine.coordinator.coordinator import GroupCoordinator
from engine.coordinator.group import Group, GroupState, IllegalTransition

E = ErrorCode
pytestmark = pytest.mark.timeout(30)  # a future that never resolves must fail the test, not hang the suite


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class ListJournal:
    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes | None]] = []

    def append(self, group: str, records: list[tuple[bytes, bytes | None]]) -> None:
        self.records += [(group, k, v) for k, v in records]

    def compact(self, state: GroupCoordinator) -> int:
        return 0


def make(delay_ms: int = 500) -> tuple[GroupCoordinator, Clock, ListJournal]:
    clock, journal = Clock(), ListJournal()
    return GroupCoordinator(journal=journal, clock=clock, wall_ms=lambda: 42, initial_rebalance_delay_ms=delay_ms,
                            min_session_timeout_ms=1000), clock, journal


def join(c: GroupCoordinator, member_id: str = "", instance: str | None = None, proto: bytes = b"m",
         v4: bool = True, session: int = 10_000, rebalance: int = 20_000) -> Awaitable[dict[str, Any]]:
    return c.join(group_id="g", member_id=member_id, group_instance_id=instance, client_id="cli", client_host="/h",
                  session_timeout_ms=session, rebalance_timeout_ms=rebalance, protocol_type="consumer",
                  protocols=[("range", proto)], require_known_member=v4)


async def first_member(c: GroupCoordinator) -> str:
    r = await join(c)
    assert r["error_code"] == E.member_id_required
    return str(r["member_id"])


async def stable_pair(c: GroupCoordinator) -> tuple[str, str, int]:
    """Two members in one generation: both join within the initial rebalance delay."""
    a, b = await first_member(c), await first_member(c)
    ja, jb = asyncio.ensure_future(join(c, a)), asyncio.ensure_future(join(c, b))
    await asyncio.sleep(0)
    assert not ja.done(), "held by the initial rebalance delay"
    clock = c.clock
    assert isinstance(clock, Clock)
    clock.now += 1
    c.tick()
    ra, rb = await asyncio.gather(ja, jb)
    assert ra["leader"] == rb["leader"] == a
    assert [m["member_id"] for m in ra["members"]] == [a, b] and rb["members"] == []
    gen = ra["generation_id"]
    sa, sb = await asyncio.gather(c.sync(group_id="g", generation=gen, member_id=a, group_instance_id=None,
                                         assignments=[(a, b"A"), (b, b"B")]),
                                  c.sync(group_id="g", generation=gen, member_id=b, group_instance_id=None,
                                         assignments=[]))
    assert (sa["assignment"], sb["assignment"]) == (b"A", b"B")
    assert c.groups["g"].state is GroupState.STABLE
    return a, b, gen


def test_member_id_required_then_join_and_sync() -> None:
    async def go() -> None:
        c, _clock, journal = make()
        a, b, gen = await stable_pair(c)
        assert gen == 1
        assert any(k == formats.group_key("g") for _g, k, _v in journal.records), "generation persisted"
        value = formats.parse_group_value(next(v for _g, k, v in journal.records if k == formats.group_key("g") and v))
        assert [m.member_id for m in value.members] == [a, b] and value.members[1].assignment == b"B"
    asyncio.run(go())


def test_heartbeat_errors() -> None:
    async def go() -> None:
        c, _clock, _j = make()
        a, b, gen = await stable_pair(c)
        assert c.heartbeat("g", gen, a, None) is E.none
        assert c.heartbeat("g", gen, "nobody", None) is E.unknown_member_id
        assert c.heartbeat("g", gen + 1, a, None) is E.illegal_generation
        assert c.heartbeat("other", gen, a, None) is E.unknown_member_id
        pending = asyncio.ensure_future(join(c, a))  # the leader rejoins: a rebalance starts
        await asyncio.sleep(0)
        assert c.groups["g"].state is GroupState.PREPARING_REBALANCE
        assert c.heartbeat("g", gen, b, None) is E.rebalance_in_progress
        r = await asyncio.gather(pending, join(c, b))
        assert r[0]["generation_id"] == gen + 1
    asyncio.run(go())


def test_session_expiry_hands_partitions_over() -> None:
    async def go() -> None:
        c, clock, _j = make()
        a, b, gen = await stable_pair(c)
        clock.now += 5
        assert c.heartbeat("g", gen, a, None) is E.none
        clock.now += 6  # b has not heartbeaten for 11 s > 10 s
        c.tick()
        g = c.groups["g"]
        assert b not in g.members and g.state is GroupState.PREPARING_REBALANCE
        r = await join(c, a)
        assert r["generation_id"] == gen + 1 and [m["member_id"] for m in r["members"]] == [a]
    asyncio.run(go())


def test_rebalance_timeout_removes_members_that_do_not_rejoin() -> None:
    async def go() -> None:
        c, clock, _j = make()
        a, b, gen = await stable_pair(c)
        pending = asyncio.ensure_future(join(c, a))
        await asyncio.sleep(0)
        for _ in range(3):
            clock.now += 5
            assert c.heartbeat("g", gen, b, None) is E.rebalance_in_progress  # alive, but never rejoins
            c.tick()
        assert not pending.done()
        clock.now += 10  # past the 20 s rebalance timeout
        c.tick()
        r = await pending
        assert r["error_code"] == E.none and [m["member_id"] for m in r["members"]] == [a]
        assert b not in c.groups["g"].members
    asyncio.run(go())


def test_leave_group_and_last_member_leaves_empty() -> None:
    async def go() -> None:
        c, _clock, _j = make()
        a, b, _gen = await stable_pair(c)
        _top, results = c.leave("g", [(b, None), ("ghost", None)])
        assert results == [E.none, E.unknown_member_id]
        assert c.groups["g"].state is GroupState.PREPARING_REBALANCE
        r = await join(c, a)
        assert r["members"][0]["member_id"] == a
        c.leave("g", [(a, None)])
        assert c.groups["g"].state is GroupState.EMPTY
    asyncio.run(go())


def test_initial_rebalance_delay_waits_for_more_members() -> None:
    async def go() -> None:
        c, clock, _j = make(delay_ms=3000)
        first = asyncio.ensure_future(join(c, v4=False))
        await asyncio.sleep(0)
        clock.now += 2
        second = asyncio.ensure_future(join(c, v4=False))
        await asyncio.sleep(0)
        c.tick()
        assert not first.done() and not second.done()
        clock.now += 3.1
        c.tick()
        r1, r2 = await asyncio.gather(first, second)
        assert r1["generation_id"] == r2["generation_id"] == 1
        assert len(r1["members"]) + len(r2["members"]) == 2
    asyncio.run(go())


def test_static_member_rejoining_fences_the_old_id() -> None:
    async def go() -> None:
        c, _clock, _j = make(delay_ms=0)
        r = await join(c, instance="i-1")
        old = r["member_id"]
        assert r["error_code"] == E.none
        await c.sync(group_id="g", generation=r["generation_id"], member_id=old, group_instance_id="i-1",
                     assignments=[(old, b"X")])
        r2 = await join(c, instance="i-1")
        assert r2["member_id"] != old
        assert c.heartbeat("g", r["generation_id"], old, "i-1") is E.fenced_instance_id, "not a rejoin loop"
        assert c.commit("g", r["generation_id"], old, "i-1", [("t", 0, 1, -1, None)]) == [E.fenced_instance_id]
        assert (await c.sync(group_id="g", generation=r2["generation_id"], member_id=old, group_instance_id="i-1",
                             assignments=[]))["error_code"] == E.fenced_instance_id
        assert c.leave("g", [(old, "i-1")]) == (E.none, [E.fenced_instance_id])
        assert c.heartbeat("g", r2["generation_id"], r2["member_id"], "i-1") is E.none
    asyncio.run(go())


def test_commit_rules() -> None:
    async def go() -> None:
        c, _clock, journal = make()
        assert c.commit("g", -1, "", None, [("t", 0, 5, -1, "meta")]) == [E.none]
        assert c.fetch_offsets("g", None)[0][1][0][1].metadata == "meta"  # type: ignore[union-attr]
        a, _b, gen = await stable_pair(c)
        assert c.commit("g", -1, "", None, [("t", 0, 1, -1, None)]) == [E.unknown_member_id]
        assert c.commit("g", gen + 1, a, None, [("t", 0, 1, -1, None)]) == [E.illegal_generation]
        assert c.commit("g", gen, a, None, [("t", 0, 7, 3, "x" * 5000)]) == [E.offset_metadata_too_large]
        assert c.commit("g", gen, a, None, [("t", 1, 9, 3, None)]) == [E.none]
        pending = asyncio.ensure_future(join(c, a))
        await asyncio.sleep(0)
        assert c.commit("g", gen, a, None, [("t", 1, 10, 3, None)]) == [E.none], "allowed while preparing"
        pending.cancel()
        assert c.delete_group("g") is E.non_empty_group
        assert c.delete_group("nope") is E.group_id_not_found
        fresh = GroupCoordinator(journal=ListJournal(), clock=Clock())
        fresh.replay((k, v) for _g, k, v in journal.records)
        got = dict(fresh.fetch_offsets("g", None))["t"]
        assert {p: v.offset for p, v in got if v} == {0: 5, 1: 10}
    asyncio.run(go())


def test_delete_group_writes_tombstones_that_replay_honours() -> None:
    c, _clock, journal = make()
    c.commit("g", -1, "", None, [("t", 0, 5, -1, None)])
    assert c.delete_group("g") is E.none
    fresh = GroupCoordinator(journal=ListJournal(), clock=Clock())
    fresh.replay((k, v) for _g, k, v in journal.records)
    assert fresh.fetch_offsets("g", None) == [] and "g" not in fresh.groups


def test_transitions_are_checked() -> None:
    g = Group("g")
    with pytest.raises(IllegalTransition):
        g.transition(GroupState.STABLE)
    g.transition(GroupState.PREPARING_REBALANCE)
    g.transition(GroupState.COMPLETING_REBALANCE)
    g.transition(GroupState.STABLE)


@pytest.mark.parametrize(("text", "java"), [("", 0), ("a", 97), ("test", 3556498), ("hello", 99162322),
                                            ("console-consumer-12345", 158455506),
                                            ("\u00e9\U0001F600x", 61901292)])  # values printed by Java 17
def test_java_string_hash(text: str, java: int) -> None:
    assert formats.java_hash(text) == java


def test_offset_formats_round_trip() -> None:
    key = formats.offset_key("g", "t", 3)
    assert formats.parse_key(key) == formats.OffsetKey("g", "t", 3)
    value = formats.OffsetValue(17, 2, "m", 99)
    assert formats.parse_offset_value(formats.offset_value(value)) == value
    assert key[:2] == b"\x00\x01" and formats.group_key("g")[:2] == b"\x00\x02"


class Wall:
    """Wall-clock milliseconds for commit timestamps and state timestamps."""

    def __init__(self) -> None:
        self.ms = 1_700_000_000_000

    def __call__(self) -> int:
        return self.ms


def subscription(*topics: str) -> bytes:
    """A ConsumerProtocolSubscription v0, as the consumer clients send it."""
    out = struct.pack(">hi", 0, len(topics))
    for t in topics:
        out += struct.pack(">h", len(t)) + t.encode()
    return out + struct.pack(">i", -1)


def test_every_state_answers_as_the_table_says() -> None:
    """Heartbeat, SyncGroup and OffsetCommit from a known member of the current generation, state by state."""
    async def go() -> None:
        c, _clock, _j = make()
        a, b, gen = await stable_pair(c)
        g = c.groups["g"]
        ok = [("t", 0, 1, -1, None)]
        # Stable
        assert c.heartbeat("g", gen, b, None) is E.none
        assert (await c.sync(group_id="g", generation=gen, member_id=b, group_instance_id=None,
                             assignments=[]))["assignment"] == b"B"
        assert c.commit("g", gen, b, None, ok) == [E.none]
        # PreparingRebalance: a rejoins
        ja = asyncio.ensure_future(join(c, a))
        await asyncio.sleep(0)
        assert g.state is GroupState.PREPARING_REBALANCE
        assert c.heartbeat("g", gen, b, None) is E.rebalance_in_progress
        assert (await c.sync(group_id="g", generation=gen, member_id=b, group_instance_id=None,
                             assignments=[]))["error_code"] == E.rebalance_in_progress
        assert c.commit("g", gen, b, None, ok) == [E.none]
        # CompletingRebalance: b rejoins too, nobody has synced yet
        rb = await join(c, b)
        await ja
        gen2 = rb["generation_id"]
        assert g.state is GroupState.COMPLETING_REBALANCE and gen2 == gen + 1
        assert c.heartbeat("g", gen2, b, None) is E.none
        assert c.heartbeat("g", gen, b, None) is E.illegal_generation
        assert c.commit("g", gen2, b, None, ok) == [E.rebalance_in_progress]
        parked = asyncio.ensure_future(c.sync(group_id="g", generation=gen2, member_id=b, group_instance_id=None,
                                              assignments=[]))
        await asyncio.sleep(0)
        assert not parked.done(), "a follower's SyncGroup waits for the leader's"
        await c.sync(group_id="g", generation=gen2, member_id=a, group_instance_id=None, assignments=[(b, b"BB")])
        assert (await parked)["assignment"] == b"BB" and g.state is GroupState.STABLE
        # Empty: everyone leaves
        assert c.leave("g", [(a, None), (b, None)]) == (E.none, [E.none, E.none])
        assert g.state is GroupState.EMPTY
        assert c.heartbeat("g", gen2, b, None) is E.unknown_member_id
        assert (await c.sync(group_id="g", generation=gen2, member_id=b, group_instance_id=None,
                             assignments=[]))["error_code"] == E.unknown_member_id
        assert c.commit("g", gen2, b, None, ok) == [E.unknown_member_id]
        assert c.commit("g", -1, "", None, ok) == [E.none], "simple commits once the group is Empty"
        assert c.leave("g", [(b, None)]) == (E.none, [E.unknown_member_id])
        # Dead
        assert c.delete_group("g") is E.none and "g" not in c.groups
        assert c.heartbeat("g", gen2, b, None) is E.unknown_member_id
    asyncio.run(go())


def test_empty_group_keeps_its_protocol_type_and_stamps_the_time_it_became_empty() -> None:
    async def go() -> None:
        wall = Wall()
        c = GroupCoordinator(journal=ListJournal(), clock=Clock(), wall_ms=wall, initial_rebalance_delay_ms=0,
                             min_session_timeout_ms=1000)
        r = await join(c, v4=False)
        await c.sync(group_id="g", generation=r["generation_id"], member_id=r["member_id"], group_instance_id=None,
                     assignments=[])
        wall.ms += 5000
        c.leave("g", [(r["member_id"], None)])
        g = c.groups["g"]
        assert (g.state, g.protocol_type, g.state_timestamp) == (GroupState.EMPTY, "consumer", wall.ms)
    asyncio.run(go())


def test_join_with_a_member_id_does_not_create_the_group() -> None:
    async def go() -> None:
        c, _clock, _j = make()
        r = await join(c, "stale-member-id")
        assert r["error_code"] == E.unknown_member_id and "g" not in c.groups
        assert c.list_groups() == []
    asyncio.run(go())


def test_sync_group_v5_checks_protocol_type_and_name() -> None:
    async def go() -> None:
        c, _clock, _j = make(delay_ms=0)
        r = await join(c, v4=False)
        args: dict[str, Any] = {"group_id": "g", "generation": r["generation_id"], "member_id": r["member_id"],
                                "group_instance_id": None, "assignments": []}
        assert (await c.sync(**args, protocol_type="connect"))["error_code"] == E.inconsistent_group_protocol
        assert (await c.sync(**args, protocol_name="roundrobin"))["error_code"] == E.inconsistent_group_protocol
        ok = await c.sync(**args, protocol_type="consumer", protocol_name="range")
        assert ok["error_code"] == E.none and ok["protocol_name"] == "range"
    asyncio.run(go())


def test_a_restart_restores_a_stable_group_with_its_members() -> None:
    """As Kafka loads a group: members keep their ids, generation and assignment; those whose
    clients are gone expire after their session timeout and start a rebalance."""
    async def go() -> None:
        c, _clock, journal = make()
        a, b, gen = await stable_pair(c)
        clock = Clock()
        fresh = GroupCoordinator(journal=ListJournal(), clock=clock, initial_rebalance_delay_ms=0,
                                 min_session_timeout_ms=1000)
        fresh.replay((k, v) for _g, k, v in journal.records)
        g = fresh.groups["g"]
        assert (g.state, g.generation, g.leader, g.protocol, g.protocol_type) == (
            GroupState.STABLE, gen, a, "range", "consumer")
        assert fresh.heartbeat("g", gen, a, None) is E.none
        got = await fresh.sync(group_id="g", generation=gen, member_id=b, group_instance_id=None, assignments=[])
        assert got["assignment"] == b"B"
        assert fresh.commit("g", gen, a, None, [("t", 0, 3, -1, None)]) == [E.none]
        clock.now += 6
        assert fresh.heartbeat("g", gen, a, None) is E.none
        clock.now += 5  # b's client is gone: 11 s without a heartbeat
        fresh.tick()
        assert b not in g.members and g.state is GroupState.PREPARING_REBALANCE
        r = await join(fresh, a)
        assert r["generation_id"] == gen + 1 and [m["member_id"] for m in r["members"]] == [a]
    asyncio.run(go())


def test_a_replaced_static_member_is_persisted() -> None:
    async def go() -> None:
        c, _clock, journal = make(delay_ms=0)
        a = await first_member(c)
        ra = await join(c, a)
        await c.sync(group_id="g", generation=ra["generation_id"], member_id=a, group_instance_id=None,
                     assignments=[])
        js = asyncio.ensure_future(join(c, instance="i-1"))  # a static follower joins: a rebalance
        await asyncio.sleep(0)
        ra, rs = await asyncio.gather(join(c, a), js)
        gen, old = ra["generation_id"], rs["member_id"]
        await asyncio.gather(
            c.sync(group_id="g", generation=gen, member_id=a, group_instance_id=None, assignments=[(old, b"S")]),
            c.sync(group_id="g", generation=gen, member_id=old, group_instance_id="i-1", assignments=[]))
        g = c.groups["g"]
        assert g.state is GroupState.STABLE
        before = len(journal.records)
        r2 = await join(c, instance="i-1")  # the same instance restarts: a new member id, no rebalance
        assert r2["error_code"] == E.none and r2["generation_id"] == gen and g.state is GroupState.STABLE
        assert r2["member_id"] != old and g.members[r2["member_id"]].assignment == b"S"
        stored = [formats.parse_group_value(v) for _g, k, v in journal.records[before:] if v and k[:2] == b"\0\2"]
        assert stored and r2["member_id"] in [m.member_id for m in stored[-1].members]
        assert c.heartbeat("g", gen, old, "i-1") is E.fenced_instance_id
        assert c.heartbeat("g", gen, r2["member_id"], "i-1") is E.none
    asyncio.run(go())


def test_offsets_expire_as_in_kafka() -> None:
    async def go() -> None:
        wall, clock, journal = Wall(), Clock(), ListJournal()
        day = 24 * 3600 * 1000
        c = GroupCoordinator(journal=journal, clock=clock, wall_ms=wall, initial_rebalance_delay_ms=0,
                             min_session_timeout_ms=1000, offsets_retention_ms=day,
                             offsets_retention_check_interval_ms=60_000)
        # A group that only commits: each offset expires a retention period after its commit.
        c.commit("simple", -1, "", None, [("t", 0, 1, -1, None)])
        wall.ms += day // 2
        c.commit("simple", -1, "", None, [("t", 1, 1, -1, None)])
        # A consumer group that went Empty: everything expires a retention period after that.
        r = await c.join(group_id="cg", member_id="", group_instance_id=None, client_id="c", client_host="/h",
                         session_timeout_ms=10_000, rebalance_timeout_ms=10_000, protocol_type="consumer",
                         protocols=[("range", subscription("t", "u"))], require_known_member=False)
        m, gen = r["member_id"], r["generation_id"]
        await c.sync(group_id="cg", generation=gen, member_id=m, group_instance_id=None, assignments=[])
        c.commit("cg", gen, m, None, [("t", 0, 5, -1, None), ("old", 0, 5, -1, None)])
        c.commit("stable", -1, "", None, [("t", 0, 5, -1, None)])
        wall.ms += day // 2  # "simple" t-0 is a day old
        clock.now += 61
        assert c.heartbeat("cg", gen, m, None) is E.none
        c.tick()
        assert {p for p, v in dict(c.fetch_offsets("simple", None))["t"]} == {1}
        assert dict(c.fetch_offsets("cg", None)).keys() == {"t", "old"}, "a Stable group keeps its offsets"
        wall.ms += day // 2
        clock.now += 5
        assert c.heartbeat("cg", gen, m, None) is E.none
        assert c.expire_offsets() == 3  # simple t-1, stable t-0, and cg's unsubscribed topic "old"
        assert dict(c.fetch_offsets("cg", None)).keys() == {"t"}
        assert "simple" not in c.offsets and "simple" not in c.groups
        c.leave("cg", [(m, None)])
        wall.ms += day - 1
        assert c.expire_offsets() == 0 and "cg" in c.groups
        wall.ms += 1
        assert c.expire_offsets() == 1
        assert "cg" not in c.groups and [g.group_id for g in c.list_groups()] == [], "Empty without offsets: Dead"
        fresh = GroupCoordinator(journal=ListJournal(), clock=Clock())
        fresh.replay((k, v) for _g, k, v in journal.records)
        assert fresh.offsets == {} and fresh.groups == {}
    asyncio.run(go())


def test_sessions_restart_when_the_join_completes_and_parked_members_stay_alive() -> None:
    """A member may wait in JoinGroup or SyncGroup longer than its session timeout without heartbeating
    (the clients do not heartbeat meanwhile); Kafka keeps it, and its session starts afresh after."""
    async def go() -> None:
        c, clock, _j = make(delay_ms=0)
        a, _b, gen = await stable_pair_no_delay(c)
        pending = asyncio.ensure_future(join(c, a))  # a rejoins; b is slow to notice
        await asyncio.sleep(0)
        clock.now += 8
        assert c.heartbeat("g", gen, _b, None) is E.rebalance_in_progress
        clock.now += 8  # a has waited 16 s > its 10 s session
        c.tick()
        rb = await join(c, _b)
        ra = await pending
        gen2 = rb["generation_id"]
        c.tick()
        assert set(c.groups["g"].members) == {a, _b}, "nobody expires at the end of a long join"
        follower = asyncio.ensure_future(c.sync(group_id="g", generation=gen2, member_id=_b, group_instance_id=None,
                                                assignments=[]))
        await asyncio.sleep(0)
        clock.now += 9
        assert c.heartbeat("g", gen2, a, None) is E.none  # the leader computes the assignment for a while
        clock.now += 9  # b has been parked in SyncGroup for 18 s
        c.tick()
        assert _b in c.groups["g"].members and not follower.done()
        await c.sync(group_id="g", generation=gen2, member_id=a, group_instance_id=None, assignments=[(_b, b"x")])
        assert (await follower)["assignment"] == b"x" and ra["leader"] == a
        clock.now += 9
        c.tick()
        assert _b in c.groups["g"].members, "b's session restarted when its SyncGroup was answered"
    asyncio.run(go())


def test_members_that_never_sync_are_removed_after_the_rebalance_timeout() -> None:
    async def go() -> None:
        c, clock, _j = make(delay_ms=0)
        a, b, _gen = await stable_pair_no_delay(c)
        ja, jb = asyncio.ensure_future(join(c, a)), asyncio.ensure_future(join(c, b))
        ra, rb = await asyncio.gather(ja, jb)
        gen2 = ra["generation_id"]
        follower = asyncio.ensure_future(c.sync(group_id="g", generation=gen2, member_id=b, group_instance_id=None,
                                                assignments=[]))
        await asyncio.sleep(0)
        for _ in range(3):  # the leader heartbeats but never sends SyncGroup
            clock.now += 5
            assert c.heartbeat("g", gen2, a, None) is E.none
            c.tick()
        assert not follower.done()
        clock.now += 6  # 21 s > the 20 s rebalance timeout
        c.tick()
        assert (await follower)["error_code"] == E.rebalance_in_progress
        assert a not in c.groups["g"].members and c.groups["g"].state is GroupState.PREPARING_REBALANCE
        assert rb["generation_id"] == gen2
    asyncio.run(go())


async def stable_pair_no_delay(c: GroupCoordinator) -> tuple[str, str, int]:
    """Two members in one generation when there is no initial delay: b's arrival starts a second rebalance."""
    a = await first_member(c)
    ra = await join(c, a)
    await c.sync(group_id="g", generation=ra["generation_id"], member_id=a, group_instance_id=None, assignments=[])
    b = await first_member(c)
    jb = asyncio.ensure_future(join(c, b))
    await asyncio.sleep(0)
    ra, _rb = await asyncio.gather(join(c, a), jb)
    gen = ra["generation_id"]
    await asyncio.gather(
        c.sync(group_id="g", generation=gen, member_id=a, group_instance_id=None, assignments=[(a, b"A"), (b, b"B")]),
        c.sync(group_id="g", generation=gen, member_id=b, group_instance_id=None, assignments=[]))
    assert c.groups["g"].state is GroupState.STABLE
    return a, b, gen


def test_consumer_offsets_is_compacted_and_replays_only_the_live_state(tmp_path: Path) -> None:
    """Thousands of commits to one group: the log cleaner compacts __consumer_offsets as any compacted topic,
    readers from the log start see every live offset and the group, and a restart replays the same state."""
    import asyncio

    from engine.broker import Broker
    from engine.config import load_broker_config
    from engine.coordinator.offsets_topic import OFFSETS_TOPIC

    cfg = load_broker_config({"log.dirs": str(tmp_path), "listeners": "PLAINTEXT://127.0.0.1:9", "node.id": "1",
                              "offsets.topic.num.partitions": "4", "offsets.topic.segment.bytes": "20000"})
    broker = Broker(cfg)
    broker.open()
    try:
        broker.create_topic("t", 3, 1, [])
        c = broker.groups
        assert c is not None and broker.journal is not None and broker.cleaner is not None
        c.commit("other", -1, "", None, [("t", 0, 1, -1, "o")])
        for i in range(4000):
            assert c.commit("busy", -1, "", None, [("t", p, i, -1, "m") for p in range(3)]) == [E.none] * 3
        c.groups["busy"].protocol_type = "consumer"
        c._store_group(c.groups["busy"])
        home = broker.partition(OFFSETS_TOPIC, formats.partition_for("busy", 4))
        assert home is not None and home.high_watermark >= 12_001
        assert asyncio.run(broker.cleaner.clean_once())
        kept = [(r.key, r.value) for r in broker.journal.read_all() if r.key is not None]
        assert len(kept) < 600, "superseded commits are gone (what is left is the active segment's)"
        assert (formats.offset_key("busy", "t", 2), formats.offset_value(c.offsets["busy"][("t", 2)])) in kept
        assert any(k == formats.group_key("busy") for k, _v in kept)
        assert any(formats.parse_key(k) == formats.OffsetKey("other", "t", 0) for k, _v in kept if k)
        before = {g: dict(v) for g, v in c.offsets.items()}
    finally:
        broker.close()
    again = Broker(cfg)
    again.open()
    try:
        assert again.groups is not None
        assert {g: dict(v) for g, v in again.groups.offsets.items()} == before
        assert again.groups.offsets["busy"][("t", 1)].offset == 3999
        assert again.groups.groups["busy"].protocol_type == "consumer"
    finally:
        again.close()
