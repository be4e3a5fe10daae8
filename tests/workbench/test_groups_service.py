"""The groups service without Qt: consumer-protocol groups on Kafka 4.1 (KIP-848) listed and described as the cluster
reports them; a reset of such an active group refused; refusals of deletes said in one sentence; lag history and
reset records in the store."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from confluent_kafka import Consumer

from tests.components.process import wait_until
from tests.engine.test_groups_clients import MemberProcess
from tests.workbench.groups_setup import commit, create_topics, produce
from workbench.errors import WorkbenchError
from workbench.services.admin import AdminService
from workbench.services.connection import ConnectionSpec
from workbench.services.group_model import GroupDetail, GroupSummary
from workbench.services.groups import GroupsService
from workbench.services.lag_history import LagHistory
from workbench.services.reset_plan import ResetPlan, Scope, Strategy
from workbench.store import Store

pytestmark = pytest.mark.slow


def service(cluster: Any) -> GroupsService:
    return GroupsService(AdminService(ConnectionSpec(cluster.name, cluster.bootstrap), 20))


def overview(cluster: Any, group: str) -> tuple[GroupSummary, GroupDetail, ResetPlan]:
    async def run() -> tuple[GroupSummary, GroupDetail, ResetPlan]:
        svc = service(cluster)
        listed = [g for g in await svc.list_groups() if g.group_id == group]
        assert listed, f"{group} is not listed"
        detail = await svc.describe_group(group)
        plan = await svc.plan(group, Strategy("to-earliest"), Scope.all())
        return listed[0], detail, plan
    return asyncio.run(run())


def test_consumer_protocol_group_on_kafka_4(kafka_kraft: Any) -> None:
    sfx = uuid.uuid4().hex[:8]
    topic, group = f"kip848-{sfx}", f"kip848-g-{sfx}"
    bs = kafka_kraft.bootstrap
    create_topics(bs, {topic: 2})
    for p in range(2):
        produce(bs, topic, p, 3)
    consumer = Consumer({"bootstrap.servers": bs, "group.id": group, "group.protocol": "consumer",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        consumer.subscribe([topic])
        seen = 0
        for _ in range(120):
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                seen += 1
                consumer.commit(message=msg, asynchronous=False)
            if seen == 6:
                break
        assert seen == 6
        summary, detail, plan = overview(kafka_kraft, group)
        assert (summary.type, summary.protocol_type, summary.state, summary.members, summary.lag) == \
            ("consumer", "consumer", "Stable", 1, 0)
        assert summary.assignor  # the broker's assignor (uniform or range)
        [member] = detail.members
        assert member.assignment == ((topic, 0), (topic, 1))
        assert [(p.committed, p.lag) for p in detail.partitions] == [(3, 0), (3, 0)]
        assert plan.refusal == (f"Assignments can only be reset if the group '{group}' is inactive, but the current "
                                "state is Stable.")
    finally:
        consumer.close()
    wait_until(lambda: overview(kafka_kraft, group)[0].state == "Empty", 60, "the group to be Empty after close")
    summary, detail, plan = overview(kafka_kraft, group)
    assert summary.type == "consumer" and not detail.members and not plan.refusal
    assert [(r.current, r.new) for r in plan.rows] == [(3, 0), (3, 0)]


def test_deletes_of_an_active_group_are_refused_in_one_sentence(engine_factory: Any) -> None:
    from tests.engine.test_groups_clients import GROUP_OVERRIDES

    eng = engine_factory(**GROUP_OVERRIDES)
    topic, group = "del-t", "del-g"
    create_topics(eng.bootstrap, {topic: 1})
    produce(eng.bootstrap, topic, 0, 2)
    member = MemberProcess("confluent", eng.bootstrap, topic, group)
    try:
        wait_until(lambda: len(member.committed) >= 2, 60, "the member to commit")

        async def attempt(what: str) -> str:
            svc = service(eng)
            try:
                if what == "group":
                    await svc.delete_group(group)
                else:
                    await svc.delete_offsets(group, topic)
            except WorkbenchError as exc:
                return exc.problem.sentence
            return "deleted"
        assert asyncio.run(attempt("group")) == \
            "Deleting group del-g: the group still has active members: stop them first (NON_EMPTY_GROUP)."
        assert asyncio.run(attempt("offsets")) == (
            "Deleting the offsets of group del-g for partition 0 of del-t: the group's members are subscribed to the "
            "topic: stop them first (GROUP_SUBSCRIBED_TO_TOPIC).")
        member.terminate()
    finally:
        member.close()
    commit(eng.bootstrap, "other", {(topic, 0): (1, "")})

    async def read_only() -> str:
        svc = GroupsService(AdminService(ConnectionSpec("ro", eng.bootstrap, read_only=True), 20))
        try:
            await svc.delete_group("other")
        except WorkbenchError as exc:
            return exc.problem.sentence
        return "deleted"
    assert asyncio.run(read_only()) == "The profile ro is read-only: deleting a consumer group is not allowed."


def test_lag_history_and_reset_records_in_the_store(store: Store) -> None:
    history = LagHistory(store.path)

    async def run() -> tuple[list[tuple[int, int]], list[tuple[int, int]], int, list[tuple[int, int]]]:
        for ts, lag in ((1000, 5), (2000, 7), (3000, None), (4000, 9)):
            await history.record("c", ts, {"g": lag, "h": 1})
        await history.record("other", 2500, {"g": 100})
        everything = await history.series("c", "g")
        recent = await history.series("c", "g", since=2000)
        gone = await history.prune(before=2500)
        return everything, recent, gone, await history.series("c", "g")
    try:
        everything, recent, gone, left = asyncio.run(run())
    finally:
        history.close()
    assert everything == [(1000, 5), (2000, 7), (4000, 9)]  # unknown lag is not a sample
    assert recent == [(2000, 7), (4000, 9)]
    assert gone == 4 and left == [(4000, 9)]  # g and h at 1000 and 2000 went; other's 2500 stays
    first = store.record_reset("c", "g", 10, "to the earliest offset, t", "cmd", [("t", 0, 5, "m", 3, 0)])
    undo = store.record_reset("c", "g", 20, "undo of reset #1", "cmd2", [("t", 0, 0, "", None, 5)], undo_of=first)
    newest, oldest = store.resets("c", "g")
    assert (newest.id, newest.undo_of, oldest.id, oldest.undone_by) == (undo, first, first, undo)
    assert oldest.rows == (("t", 0, 5, "m", 3, 0),) and store.resets("c", "h") == []
    store.set_pinned("c", "g", True)
    store.set_pinned("c", "h", True)
    store.set_pinned("c", "h", False)
    assert store.pinned_groups("c") == {"g"} and store.pinned_groups("other") == set()


def test_lag_of_many_groups_batched_and_per_group_agree(engine_factory: Any) -> None:
    """Two requests per coordinator (FindCoordinator v4+, OffsetFetch v8+) or, on clusters older than 3.0, one
    librdkafka request per group: the same lags."""
    eng = engine_factory()
    create_topics(eng.bootstrap, {"lagt": 2})
    for p in range(2):
        produce(eng.bootstrap, "lagt", p, 10)
    commit(eng.bootstrap, "a", {("lagt", 0): (4, ""), ("lagt", 1): (10, "")})
    commit(eng.bootstrap, "b", {("lagt", 1): (1, "")})
    groups = ["a", "b", "never-committed"]
    want = {"a": 6, "b": 9, "never-committed": None}

    async def both() -> tuple[dict[str, int | None], dict[str, int | None], Any]:
        svc = service(eng)
        batched = await svc.lags(groups)
        committed = await svc._committed_batched(groups)
        per_group = await svc._thread(svc._lags_blocking, groups)  # what an old cluster gets
        return batched, per_group, committed
    batched, per_group, committed = asyncio.run(both())
    assert committed is not None, "the engine answers the batched requests"
    assert committed["a"] == {("lagt", 0): 4, ("lagt", 1): 10}
    assert batched == per_group == want
