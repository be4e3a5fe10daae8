"""Committed offsets, log offsets and lag of consumer groups: the reading half of the groups service.

Theory of operation: librdkafka's admin futures are waited on in worker threads
(`_thread`), so the GUI thread only hands work over and takes results back. Lag of many
groups at once (the group list, the lag sampler) asks each coordinator once for all its
groups' committed offsets (group_wire.py: batched FindCoordinator, multi-group
OffsetFetch; one librdkafka request per group on clusters older than Kafka 3.0) and
folds them with the log end offsets (one ListOffsets per partition leader) in a worker
thread. Lag is Kafka's: log end offset - committed offset, summed over the partitions
with a commit; a group with none has no lag (None), as kafka-consumer-groups prints "-".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import OffsetSpec  # type: ignore[attr-defined]

from workbench.errors import WorkbenchError
from workbench.services import group_wire
from workbench.services.admin import TRANSIENT, AdminService
from workbench.services.group_model import Committed
from workbench.services.threads import EXECUTOR

R = TypeVar("R")
TP = tuple[str, int]


class GroupOffsets:
    """Reads committed offsets, log offsets and lag through one connection's AdminService."""

    def __init__(self, admin: AdminService) -> None:
        self.admin = admin
        self.spec = admin.spec
        self.timeout = admin.timeout

    # -- plumbing --------------------------------------------------------------------------

    @property
    def _kw(self) -> dict[str, Any]:
        return {"request_timeout": self.timeout}

    async def _thread(self, fn: Callable[..., R], *args: Any) -> R:
        """Blocking work (waiting on librdkafka futures, folding results) in the worker threads, bounded."""
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(loop.run_in_executor(EXECUTOR, fn, *args), 3 * self.timeout + 1.0)

    def _result(self, fut: Any) -> Any:
        return fut.result(timeout=self.timeout + 1.0)

    def _committed_blocking(self, group: str) -> dict[TP, Committed]:
        fut = self.admin.client.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)], **self._kw)[group]
        res = self._result(fut)
        return {(tp.topic, tp.partition): Committed(tp.offset, tp.metadata or "", tp.leader_epoch)
                for tp in res.topic_partitions if tp.error is None and tp.offset >= 0}

    def _offsets_blocking(self, parts: Iterable[TP], spec: Any) -> dict[TP, int]:
        """ListOffsets for many partitions at once; partitions the broker cannot answer for are left out. Errors
        that pass (no leader yet) are retried for up to the request timeout."""
        wanted = list(dict.fromkeys(parts))
        out: dict[TP, int] = {}
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while wanted:
            attempt += 1
            futs = self.admin.client.list_offsets({TopicPartition(t, p): spec for t, p in wanted}, **self._kw)
            retry = []
            for tp, fut in futs.items():
                try:
                    out[(tp.topic, tp.partition)] = int(self._result(fut).offset)
                except KafkaException as exc:
                    err = exc.args[0] if exc.args else None
                    if getattr(err, "name", lambda: "")() in TRANSIENT:
                        retry.append((tp.topic, tp.partition))
            if not retry or time.monotonic() + 0.1 * attempt > deadline:
                break
            time.sleep(0.1 * attempt)  # a topic created a moment ago: its leader is being elected
            wanted = retry
        return out

    # -- listing and lag ---------------------------------------------------------------------

    def _lags_blocking(self, groups: list[str],
                       committed: dict[str, dict[TP, int] | None] | None = None) -> dict[str, int | None]:
        """In a worker thread: each group's total lag from its committed offsets (asked here, one request per group,
        unless given) and the log end offsets of all their partitions (one ListOffsets per leader)."""
        if committed is None:
            committed = {}
            futs = {g: self.admin.client.list_consumer_group_offsets([ConsumerGroupTopicPartitions(g)],
                                                                     **self._kw)[g] for g in groups}
            for g, fut in futs.items():
                try:
                    res = self._result(fut)
                except KafkaException:  # not allowed to read this group's offsets, or it went away: lag unknown
                    continue
                committed[g] = {(tp.topic, tp.partition): tp.offset for tp in res.topic_partitions
                                if tp.error is None and tp.offset >= 0}
        parts = {tp for c in committed.values() if c for tp in c}
        ends = self._offsets_blocking(parts, OffsetSpec.latest())  # type: ignore[no-untyped-call]
        out: dict[str, int | None] = dict.fromkeys(groups)
        for g, offsets in committed.items():
            known = [ends[tp] - o for tp, o in (offsets or {}).items() if tp in ends]
            out[g] = sum(known) if known else None
        return out

    async def _committed_batched(self, groups: list[str]) -> dict[str, dict[TP, int] | None] | None:
        """Committed offsets of many groups in two requests per coordinator (group_wire.py); None when the cluster
        is older than Kafka 3.0 or its first bootstrap server cannot be reached (the per-group path then serves)."""
        host, port = self.spec.first_address()
        try:
            where = await group_wire.find_coordinators(self.spec, host, port, self.timeout, groups)
            by_coordinator: dict[tuple[str, int], list[str]] = {}
            for g in groups:
                if g in where:
                    by_coordinator.setdefault(where[g], []).append(g)
            answers = await asyncio.gather(*(group_wire.committed_offsets(self.spec, h, p, self.timeout, gs)
                                             for (h, p), gs in by_coordinator.items()))
        except WorkbenchError as exc:
            if exc.problem.kind in ("unsupported", "refused", "dns"):
                return None
            raise
        except (OSError, TimeoutError):
            return None
        out: dict[str, dict[TP, int] | None] = {}
        for answer in answers:
            out.update(answer)
        return out

    async def _lags(self, groups: list[str]) -> dict[str, int | None]:
        committed = await self._committed_batched(groups)
        return await self._thread(self._lags_blocking, groups, committed)

    async def lags(self, groups: list[str]) -> dict[str, int | None]:
        """Total lag of each group (None when unknown); the GUI thread only sends the batched requests."""
        if not groups:
            return {}
        return await self.admin._guard("reading the lag of consumer groups", self._lags(list(groups)))

