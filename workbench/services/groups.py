"""Consumer groups: list, describe, lag, offset reset plans (make, apply, undo), delete a group or its offsets.

Theory of operation: groups are listed with ListGroups sent to every broker (group_wire.py),
because only that request says each group's protocol type and, on Kafka 3.7+, its type
(classic or consumer); DescribeGroups / ConsumerGroupDescribe (librdkafka's
describe_consumer_groups, waited on in a worker thread) add assignor, members and
coordinator. Offsets and lag come from group_offsets.py, the reading half. Resets follow
reset_plan.py: `plan` gathers what the cluster knows and lets the pure planner decide;
`apply` checks the group is still inactive, reads the offsets it is about to replace and
returns them so the caller can keep them for undo. OffsetDelete, which AdminClient
lacks, goes to the group's coordinator through group_wire.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterable
from typing import Any

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import OffsetSpec  # type: ignore[attr-defined]

from workbench.errors import WorkbenchError, describe, kafka_error
from workbench.services import group_wire
from workbench.services.group_model import (
    Committed,
    GroupDetail,
    GroupSummary,
    MemberInfo,
    PartitionLag,
)
from workbench.services.group_offsets import GroupOffsets
from workbench.services.reset_formats import PlanError
from workbench.services.reset_plan import (
    TP,
    ResetPlan,
    Scope,
    Strategy,
    build_plan,
    refusal,
    targets,
    undo_plan,
)

# librdkafka's names for the group states -> Kafka's (ConsumerGroupState.toString)
STATE_NAMES = {"UNKNOWN": "Unknown", "PREPARING_REBALANCING": "PreparingRebalance",
               "COMPLETING_REBALANCING": "CompletingRebalance", "STABLE": "Stable", "DEAD": "Dead", "EMPTY": "Empty"}
DESCRIBABLE_TYPES = ("", "classic", "consumer")
# the list computes the lag of this many groups at most; the sampler fills in the lag of others as they come on screen
LAG_AT_LIST = 1000


@dataclasses.dataclass(frozen=True)
class AppliedReset:
    """What `apply` changed: rows (topic, partition, offset, metadata and leader epoch before; offset after, -1 for a
    removed commit) for the store, and one sentence per partition that failed."""

    rows: list[tuple[str, int, int | None, str, int | None, int]]
    failures: list[str]


class GroupsService(GroupOffsets):
    """Groups, their members and offsets, reset plans and deletes over one connection's AdminService."""

    async def list_groups(self) -> list[GroupSummary]:
        """Every group the brokers list, described where it is a consumer group, with its total lag."""
        async def work() -> list[GroupSummary]:
            md = await self.admin._cluster_metadata()
            brokers = sorted(md.brokers.values(), key=lambda b: b.id)
            answers = await asyncio.gather(*(group_wire.list_groups(self.spec, b.host, b.port, self.timeout)
                                             for b in brokers))
            listed: dict[str, Any] = {}
            for answer in answers:
                for g in answer:
                    listed.setdefault(str(g.group_id), g)
            consumer = [n for n in sorted(listed) if str(getattr(listed[n], "group_type", "")).lower()
                        in DESCRIBABLE_TYPES and listed[n].protocol_type in ("consumer", "")]
            lags = await self._lags(consumer[:LAG_AT_LIST]) if consumer else {}
            return await self._thread(self._compose_blocking, listed, consumer, lags)
        return await self.admin._guard("listing consumer groups", work())

    def _compose_blocking(self, listed: dict[str, Any], consumer: list[str],
                          lags: dict[str, int | None]) -> list[GroupSummary]:
        """In a worker thread: the groups the brokers listed, described where they are consumer groups."""
        names = sorted(listed)
        described = self._describe_blocking(consumer)
        out = []
        for n in names:
            g = listed[n]
            summary = GroupSummary(n, str(getattr(g, "group_state", "") or ""),
                                   str(getattr(g, "group_type", "") or "").lower(), str(g.protocol_type),
                                   lag=lags.get(n))
            d = described.get(n)
            if isinstance(d, WorkbenchError):
                summary = dataclasses.replace(summary, note=f"Could not be described: {d.problem.sentence}")
            elif d is not None:
                summary = dataclasses.replace(
                    d, protocol_type=summary.protocol_type, type=summary.type or d.type, lag=summary.lag,
                    state=summary.state if d.state == "Unknown" and summary.state else d.state)
            elif n not in consumer:
                kind = summary.type or summary.protocol_type or "unknown"
                summary = dataclasses.replace(summary, note=f"Not a consumer group ({kind}): shown as listed.")
            out.append(summary)
        return out

    def _describe_blocking(self, groups: list[str]) -> dict[str, GroupSummary | WorkbenchError]:
        out: dict[str, GroupSummary | WorkbenchError] = {}
        if not groups:
            return out
        for g, fut in self.admin.client.describe_consumer_groups(groups, **self._kw).items():
            try:
                out[g] = _summary(self._result(fut))
            except Exception as exc:
                p = describe(exc)
                out[g] = WorkbenchError(p.kind, p.sentence, p.detail)
        return out

    # -- one group -----------------------------------------------------------------------------

    async def _description(self, group: str) -> Any:
        fut = self.admin.client.describe_consumer_groups([group], **self._kw)[group]
        return await self.admin._wait(fut)

    async def state(self, group: str) -> str:
        """The group's state in Kafka's words (asking its coordinator's ListGroups when librdkafka does not know the
        name, e.g. Assigning or Reconciling of consumer-protocol groups)."""
        d = await self._description(group)
        state = _state(d)
        if state == "Unknown" and d.coordinator is not None:
            for g in await group_wire.list_groups(self.spec, d.coordinator.host, d.coordinator.port, self.timeout):
                listed_state = str(getattr(g, "group_state", "") or "")
                if str(g.group_id) == group and listed_state:
                    return listed_state
        return state

    async def describe_group(self, group: str) -> GroupDetail:
        async def work() -> GroupDetail:
            d = await self._description(group)
            summary = _summary(d)
            if summary.state == "Unknown":
                summary = dataclasses.replace(summary, state=await self.state(group))
            members = tuple(sorted((_member(m) for m in d.members), key=lambda m: (m.client_id, m.member_id)))
            committed = await self._thread(self._committed_blocking, group)
            owner = {tp: m for m in members for tp in m.assignment}
            parts = sorted(set(committed) | set(owner))
            starts, ends = await asyncio.gather(
                self._thread(self._offsets_blocking, parts, OffsetSpec.earliest()),  # type: ignore[no-untyped-call]
                self._thread(self._offsets_blocking, parts, OffsetSpec.latest()))  # type: ignore[no-untyped-call]
            rows = []
            for tp in parts:
                c = committed.get(tp)
                m = owner.get(tp)
                rows.append(PartitionLag(tp[0], tp[1], c.offset if c else None, c.metadata if c else "",
                                         starts.get(tp), ends.get(tp), m.member_id if m else "",
                                         m.client_id if m else "", m.host if m else ""))
            known = [r.lag for r in rows if r.lag is not None]
            summary = dataclasses.replace(summary, lag=sum(known) if known else None)
            return GroupDetail(summary, members, tuple(rows))
        return await self.admin._guard(f"describing group {group}", work())

    async def committed(self, group: str) -> dict[TP, Committed]:
        return await self.admin._guard(f"reading the offsets of group {group}",
                                       self._thread(self._committed_blocking, group))

    # -- reset plans -----------------------------------------------------------------------------

    async def plan(self, group: str, strategy: Strategy, scope: Scope, now_ms: int | None = None) -> ResetPlan:
        """The offsets a reset would commit, per partition, computed as kafka-consumer-groups does; nothing changes.
        PlanError (an input problem) when Kafka's tool would refuse the arguments."""
        now = int(time.time() * 1000) if now_ms is None else now_ms
        try:  # a time or duration Kafka would not read fails before any request
            ts = strategy.timestamp_ms(now) if strategy.uses_timestamp else None
        except PlanError as exc:
            raise WorkbenchError("input", str(exc)) from exc

        async def work() -> ResetPlan:
            state = await self.state(group)
            committed = await self._thread(self._committed_blocking, group)
            md = await self.admin._cluster_metadata()
            topic_partitions = {name: sorted(t.partitions) for name, t in md.topics.items() if t.error is None
                                or t.partitions}
            try:
                parts = targets(scope, strategy, committed, topic_partitions)
            except PlanError as exc:
                raise WorkbenchError("input", str(exc)) from exc
            starts, ends = await asyncio.gather(
                self._thread(self._offsets_blocking, parts, OffsetSpec.earliest()),  # type: ignore[no-untyped-call]
                self._thread(self._offsets_blocking, parts, OffsetSpec.latest()))  # type: ignore[no-untyped-call]
            by_time = None
            if ts is not None:
                by_time = await self._thread(self._offsets_blocking, parts, OffsetSpec.for_timestamp(ts))  # type: ignore[no-untyped-call]
            try:
                return build_plan(group, state, strategy, scope, parts, committed, starts, ends, by_time, now, ts)
            except PlanError as exc:
                raise WorkbenchError("input", str(exc)) from exc
        return await self.admin._guard(f"planning a reset of group {group}", work())

    async def plan_undo(self, group: str, reset_id: int,
                        before: Iterable[tuple[str, int, int | None, str, int | None]]) -> ResetPlan:
        rows = list(before)

        async def work() -> ResetPlan:
            state = await self.state(group)
            committed = await self._thread(self._committed_blocking, group)
            parts = [(t, p) for t, p, *_rest in rows]
            starts, ends = await asyncio.gather(
                self._thread(self._offsets_blocking, parts, OffsetSpec.earliest()),  # type: ignore[no-untyped-call]
                self._thread(self._offsets_blocking, parts, OffsetSpec.latest()))  # type: ignore[no-untyped-call]
            return undo_plan(group, state, reset_id, rows, committed, starts, ends, int(time.time() * 1000))
        return await self.admin._guard(f"planning the undo of reset #{reset_id}", work())

    async def apply(self, plan: ResetPlan) -> AppliedReset:
        """Commit the plan's offsets (and remove the commits an undo removes), if the group is still inactive."""
        self.admin._refuse_if_read_only("resetting offsets")
        group = plan.group

        async def work() -> AppliedReset:
            reason = refusal(group, await self.state(group))
            if reason:
                raise WorkbenchError("input", reason)
            before = await self._thread(self._committed_blocking, group)
            failures: list[str] = []
            done: list[tuple[str, int, int | None, str, int | None, int]] = []
            rows = [r for r in plan.rows if r.new is not None]
            if rows:
                tps = [_offset(r.topic, r.partition, int(r.new or 0), r.metadata, r.leader_epoch) for r in rows]
                fut = self.admin.client.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, tps)],
                                                                      **self._kw)[group]
                result = await self.admin._wait(fut)
                errors = {(tp.topic, tp.partition): tp.error for tp in result.topic_partitions
                          if tp.error is not None}
                for r in rows:
                    err = errors.get((r.topic, r.partition))
                    if err is not None:
                        failures.append(f"{r.topic}-{r.partition}: {describe(KafkaException(err)).sentence}")
                        continue
                    old = before.get((r.topic, r.partition))
                    done.append((r.topic, r.partition, old.offset if old else None, old.metadata if old else "",
                                 old.leader_epoch if old else None, int(r.new or 0)))
            if plan.removals:
                removed = await self._delete_offsets(group, plan.removals)
                for t, p in removed:
                    old = before.get((t, p))
                    done.append((t, p, old.offset if old else None, old.metadata if old else "",
                                 old.leader_epoch if old else None, -1))
            return AppliedReset(done, failures)
        return await self.admin._guard(f"resetting the offsets of group {group}", work())

    # -- deleting --------------------------------------------------------------------------------

    async def delete_group(self, group: str) -> None:
        self.admin._refuse_if_read_only("deleting a consumer group")

        async def work() -> None:
            futs = self.admin.client.delete_consumer_groups([group], **self._kw)
            await self.admin._wait(futs[group])
        await self.admin._guard(f"deleting group {group}", work())

    async def delete_offsets(self, group: str, topic: str) -> list[int]:
        """Remove the group's committed offsets of every partition of a topic (OffsetDelete); returns them."""
        self.admin._refuse_if_read_only("deleting committed offsets")

        async def work() -> list[int]:
            committed = await self._thread(self._committed_blocking, group)
            parts = sorted(tp for tp in committed if tp[0] == topic)
            if not parts:
                raise WorkbenchError("input", f"Group {group} has no committed offsets for topic {topic}.")
            return [p for _t, p in await self._delete_offsets(group, parts)]
        return await self.admin._guard(f"deleting the offsets of group {group} for {topic}", work())

    async def _delete_offsets(self, group: str, parts: list[TP]) -> list[TP]:
        d = await self._description(group)
        if d.coordinator is None:
            raise kafka_error("COORDINATOR_NOT_AVAILABLE", f"deleting the offsets of group {group}")
        await group_wire.offset_delete(self.spec, d.coordinator.host, d.coordinator.port, self.timeout, group, parts)
        return sorted(parts)


def _offset(topic: str, partition: int, offset: int, metadata: str, leader_epoch: int | None) -> TopicPartition:
    """An offset to commit (librdkafka takes no None for the metadata or the leader epoch)."""
    if leader_epoch is None:
        return TopicPartition(topic, partition, offset, metadata)
    return TopicPartition(topic, partition, offset, metadata, leader_epoch)


def _state(d: Any) -> str:
    name = getattr(d.state, "name", str(d.state))
    return STATE_NAMES.get(name, name.title())


def _summary(d: Any) -> GroupSummary:
    node = d.coordinator
    coordinator = f"{node.host}:{node.port} ({node.id})" if node is not None else ""
    gtype = getattr(getattr(d, "type", None), "name", "").lower()
    return GroupSummary(d.group_id, _state(d), "" if gtype == "unknown" else gtype,
                        "" if d.is_simple_consumer_group else "consumer", d.partition_assignor or "",
                        len(d.members), coordinator)


def _member(m: Any) -> MemberInfo:
    def parts(a: Any) -> tuple[tuple[str, int], ...]:
        if a is None:
            return ()
        return tuple(sorted((tp.topic, tp.partition) for tp in a.topic_partitions))
    return MemberInfo(m.member_id, m.group_instance_id or "", m.client_id, m.host, parts(m.assignment),
                      parts(getattr(m, "target_assignment", None)))
