"""The controller (Kafka's KafkaController in ZooKeeper mode): elected through /controller, fenced by
/controller_epoch, it owns partition leadership and tells brokers with LeaderAndIsr, UpdateMetadata and
StopReplica.

Theory of operation. Every broker runs this object; one of them wins the election and is
active. Everything happens as events on one queue processed by one task, in order (Kafka's
ControllerEventManager): ZooKeeper watches (broker, topic, deletion and controller changes,
session expiry) and broker requests (AlterPartition, ControlledShutdown, AllocateProducerIds)
become events, so the context is never changed by two things at once.

    event                 what happens
    Startup / Reelect     elect(): create the ephemeral /controller and bump /controller_epoch in one
                          multi-op; the winner runs on_failover()
    ControllerChange      /controller changed: resign if it is no longer us
    BrokerChange          /brokers/ids children: new, dead and bounced (same id, larger czxid) brokers
    TopicChange           /brokers/topics children: new topics get partitions and leaders
    PartitionChange       a topic's znode changed: new partitions get leaders
    TopicDeletion         /admin/delete_topics children: engine.cluster.controller.deletion
    AlterPartition        a leader's ISR change, written to the state znode and broadcast
    ControlledShutdown    leadership moved off a broker that is shutting down
    AutoRebalance         preferred replicas that are in the ISR become leaders again
    Expire                the ZooKeeper session expired: resign; then RegisterBrokerAndReelect

Every write is fenced (engine.cluster.controller.zk_store); a ControllerMovedError while
processing an event makes the controller resign, as Kafka's does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from kazoo.exceptions import NodeExistsError

from engine.aio import cancel_and_wait
from engine.cluster import znodes as Z
from engine.cluster.controller import requests as controller_requests
from engine.cluster.controller.channel import ControllerChannel, RequestBatch
from engine.cluster.controller.context import TP, ControllerContext
from engine.cluster.controller.deletion import TopicDeletion
from engine.cluster.controller.machines import OFFLINE, PREFERRED, StateMachines
from engine.cluster.controller.states import PartitionState, ReplicaState
from engine.cluster.controller.zk_store import ControllerMovedError, ControllerStore
from engine.cluster.zk import Create, SetData, ZkClient, ZkError, failed

log = logging.getLogger("engine.controller")
P, R = PartitionState, ReplicaState
FIRST_REBALANCE_S = 5.0

Event = tuple[str, Callable[[], Awaitable[Any]], "asyncio.Future[Any] | None"]


class KafkaController:
    def __init__(self, broker_id: int, zk: ZkClient, config: Any, listener: str | None,
                 on_controller_change: Callable[[int], None] | None = None) -> None:
        self.broker_id = broker_id
        self.zk = zk
        self.config = config
        self.listener = listener
        self.on_controller_change = on_controller_change
        self.ctx = ControllerContext()
        self.store = ControllerStore(zk, self.ctx)
        self.machines = StateMachines(self.ctx, self.store, self._unclean_allowed)
        self.channel = ControllerChannel(f"controller-{broker_id}", listener,
                                         int(config["controller.socket.timeout.ms"]) / 1000)
        self.deletion = TopicDeletion(self)
        self.active_controller_id = -1
        self.is_active = False
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._rebalance: asyncio.Task[None] | None = None

    # -- the event queue ---------------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.create_task(self._process(), name="controller-events")
        self.put("Startup", self._elect)

    async def close(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
        await self._resign_quietly()

    def put(self, name: str, fn: Callable[[], Awaitable[Any]], future: asyncio.Future[Any] | None = None) -> None:
        self._queue.put_nowait((name, fn, future))

    async def call(self, name: str, fn: Callable[[], Awaitable[Any]]) -> Any:
        """Run fn as an event and wait for its result (broker requests to the controller)."""
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.put(name, fn, fut)
        return await fut

    async def _process(self) -> None:
        while True:
            name, fn, fut = await self._queue.get()
            try:
                result = await fn()
                if fut is not None and not fut.done():
                    fut.set_result(result)
            except ControllerMovedError as exc:
                log.info("controller moved while processing %s (%s): resigning", name, exc)
                await self._maybe_resign()
                if fut is not None and not fut.done():
                    fut.set_exception(exc)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("controller event %s failed", name)
                if fut is not None and not fut.done():
                    fut.set_exception(exc)

    # -- watches: ZooKeeper's thread hands them to the loop, here they become events ---------------
    def _watch_controller(self, _event: object) -> None:
        self.put("ControllerChange", self._controller_change)

    def _watch_brokers(self, _event: object) -> None:
        if self.is_active:
            self.put("BrokerChange", self._broker_change)

    def _watch_topics(self, _event: object) -> None:
        if self.is_active:
            self.put("TopicChange", self._topic_change)

    def _watch_topic(self, event: Any) -> None:
        topic = str(getattr(event, "path", "")).rsplit("/", 1)[-1]
        if self.is_active and topic:
            self.put("PartitionChange", lambda: self._partition_change(topic))

    def _watch_deletions(self, _event: object) -> None:
        if self.is_active:
            self.put("TopicDeletion", self.deletion.on_marker_change)

    def session_expired(self) -> None:
        self.put("Expire", self._maybe_resign)

    def session_renewed(self) -> None:
        self.put("Reelect", self._reelect)

    # -- election ----------------------------------------------------------------------------------
    async def _read_controller(self) -> int:
        got = await self.zk.get(Z.CONTROLLER, watch=self._watch_controller)
        if got is None:
            await self.zk.exists(Z.CONTROLLER, watch=self._watch_controller)
            return -1
        return Z.parse_controller(got[0]) or -1

    def _set_active_id(self, broker_id: int) -> None:
        if broker_id != self.active_controller_id:
            self.active_controller_id = broker_id
            if self.on_controller_change is not None:
                self.on_controller_change(broker_id)

    async def _elect(self) -> None:
        current = await self._read_controller()
        if current != -1:
            self._set_active_id(current)
            return
        got = await self.zk.get(Z.CONTROLLER_EPOCH)
        if got is None:
            with contextlib.suppress(NodeExistsError):
                await self.zk.create(Z.CONTROLLER_EPOCH, Z.controller_epoch_data(0))
            got = await self.zk.get(Z.CONTROLLER_EPOCH)
            assert got is not None
        epoch, version = Z.parse_controller_epoch(got[0]), got[1].version
        results = await self.zk.multi([Create(Z.CONTROLLER, Z.controller_data(self.broker_id), ephemeral=True),
                                       SetData(Z.CONTROLLER_EPOCH, Z.controller_epoch_data(epoch + 1), version)])
        if failed(results) is not None:
            winner = await self._read_controller()
            got = await self.zk.get(Z.CONTROLLER_EPOCH)
            if winner == self.broker_id and got is not None and Z.parse_controller_epoch(got[0]) == epoch + 1:
                new_version = got[1].version
            else:
                self._set_active_id(winner)
                log.info("broker %d is the controller", winner)
                return
        else:
            new_version = results[1].version
        self.ctx.epoch, self.ctx.epoch_zk_version = epoch + 1, new_version
        self._set_active_id(self.broker_id)
        self.is_active = True
        log.info("broker %d is the controller, epoch %d (/controller_epoch version %d)", self.broker_id,
                 self.ctx.epoch, new_version)
        try:
            await self._on_failover()
        except ControllerMovedError:
            raise
        except (ZkError, Exception):
            log.exception("controller fail-over failed: resigning")
            await self._resign_quietly()
            with contextlib.suppress(ZkError):
                await self.zk.delete(Z.CONTROLLER)

    async def _controller_change(self) -> None:
        await self._maybe_resign()
        if self.active_controller_id == -1:
            await self._elect()

    async def _reelect(self) -> None:
        await self._maybe_resign()
        await self._elect()

    async def _maybe_resign(self) -> None:
        was_active = self.is_active
        try:
            current = await self._read_controller()
        except ZkError:
            current = -1
        self._set_active_id(current)
        if was_active and current != self.broker_id:
            log.info("broker %d resigns as controller (now %d)", self.broker_id, current)
            await self._resign_quietly()

    async def _resign_quietly(self) -> None:
        self.is_active = False
        if self._rebalance is not None:
            self._rebalance.cancel()
            self._rebalance = None
        await self.channel.close()
        fresh = ControllerContext()
        for name in ("epoch", "epoch_zk_version", "live", "shutting_down", "topic_ids", "assignments",
                     "leadership", "partition_states", "replica_states", "topics_to_delete", "topics_ineligible"):
            setattr(self.ctx, name, getattr(fresh, name))

    # -- fail-over ----------------------------------------------------------------------------------
    def batch(self) -> RequestBatch:
        return RequestBatch(self.ctx, self.channel, self.broker_id)

    async def _on_failover(self) -> None:
        if await self.zk.get(Z.FEATURE) is None:
            with contextlib.suppress(NodeExistsError):
                await self.zk.create(Z.FEATURE, Z.feature_data())
        self.ctx.live = await self.store.brokers(watch=self._watch_brokers)
        for reg in self.ctx.live.values():
            self.channel.add_broker(reg)
        for topic in await self.store.topics(watch=self._watch_topics):
            await self._load_topic(topic)
        states = await self.store.states(self.ctx.all_partitions())
        self.ctx.leadership.update(states)
        await self.deletion.load()
        batch = self.batch()
        batch.add_update_metadata(sorted(self.ctx.live_or_shutting_ids), list(self.ctx.leadership))
        batch.send()
        await self.machines.startup(batch)
        batch.send()
        await self.deletion.resume()
        if self.config["auto.leader.rebalance.enable"]:
            self._rebalance = asyncio.create_task(self._rebalance_timer(), name="auto-leader-rebalance")
        log.info("controller fail-over done: %d live brokers, %d topics, %d partitions", len(self.ctx.live),
                 len(self.ctx.assignments), len(self.ctx.all_partitions()))

    async def _load_topic(self, topic: str) -> list[TP]:
        """Read a topic's assignment (with a data watch); give it a topic id if it has none. Returns new partitions."""
        assignment = await self.store.assignment(topic, watch=self._watch_topic)
        if assignment is None:
            return []
        topic_id = assignment.topic_id
        if topic_id is None:
            topic_id = self.ctx.topic_ids.get(topic) or uuid.uuid4()
            await self.store.set_topic_id(topic, assignment.partitions, topic_id)
        self.ctx.topic_ids[topic] = topic_id
        known = self.ctx.assignments.get(topic, {})
        new = [(topic, p) for p in sorted(assignment.partitions) if p not in known]
        self.ctx.assignments[topic] = {p: list(r) for p, r in assignment.partitions.items()}
        return new

    # -- brokers ------------------------------------------------------------------------------------
    async def _broker_change(self) -> None:
        if not self.is_active:
            return
        current = await self.store.brokers(watch=self._watch_brokers)
        old = dict(self.ctx.live)
        new_ids = sorted(set(current) - set(old))
        dead_ids = sorted(set(old) - set(current))
        bounced = sorted(b for b in set(current) & set(old) if current[b].epoch > old[b].epoch)
        if not (new_ids or dead_ids or bounced):
            return
        log.info("brokers: new %s, dead %s, bounced %s; live now %s", new_ids, dead_ids, bounced, sorted(current))
        for b in new_ids:
            self.ctx.live[b] = current[b]
            self.channel.add_broker(current[b])
        if new_ids:
            await self.on_broker_startup(new_ids)
        if bounced:
            for b in bounced:
                self.ctx.live.pop(b, None)
                await self.channel.remove_broker(b)
            await self.on_broker_failure(bounced)
            for b in bounced:
                self.ctx.live[b] = current[b]
                self.channel.add_broker(current[b])
            await self.on_broker_startup(bounced)
        if dead_ids:
            for b in dead_ids:
                self.ctx.live.pop(b, None)
                await self.channel.remove_broker(b)
            await self.on_broker_failure(dead_ids)

    async def on_broker_startup(self, new_ids: list[int]) -> None:
        batch = self.batch()
        existing = sorted(self.ctx.live_or_shutting_ids - set(new_ids))
        batch.add_update_metadata(existing, [])
        batch.send()
        batch.add_update_metadata(new_ids, [tp for tp, s in self.ctx.leadership.items()])
        batch.send()
        replicas = self.ctx.replicas_on(new_ids)
        await self.machines.replicas_to(batch, [k for k in replicas if k[0] not in self.ctx.topics_to_delete],
                                        R.ONLINE)
        await self.machines.trigger_online_partitions(batch)
        batch.send()
        if any(t in self.ctx.topics_to_delete for t, _p, _r in replicas):
            await self.deletion.resume_for_brokers(new_ids)

    async def on_broker_failure(self, dead_ids: list[int]) -> None:
        for b in dead_ids:
            self.ctx.shutting_down.discard(b)
        batch = self.batch()
        dead_replicas = self.ctx.replicas_on(dead_ids)
        for_deletion = [k for k in dead_replicas if k[0] in self.ctx.topics_to_delete]
        not_for_deletion = [k for k in dead_replicas if k[0] not in self.ctx.topics_to_delete]
        offline_leaders = self.ctx.partitions_with_offline_leader()
        await self.machines.partitions_to(batch, offline_leaders, P.OFFLINE)
        elected = await self.machines.trigger_online_partitions(batch)
        await self.machines.replicas_to(batch, not_for_deletion, R.OFFLINE)
        if for_deletion:
            await self.machines.replicas_to(batch, for_deletion, R.DELETION_INELIGIBLE)
            self.deletion.mark_ineligible({t for t, _p, _r in for_deletion})
        if not not_for_deletion and not elected:
            batch.add_update_metadata(sorted(self.ctx.live_or_shutting_ids), [])
        batch.send()

    # -- topics -------------------------------------------------------------------------------------
    async def _topic_change(self) -> None:
        if not self.is_active:
            return
        topics = await self.store.topics(watch=self._watch_topics)
        added = [t for t in topics if t not in self.ctx.assignments]
        gone = [t for t in self.ctx.assignments if t not in topics]
        for t in gone:
            self.ctx.remove_topic(t)
        new_partitions: list[TP] = []
        for t in added:
            new_partitions += await self._load_topic(t)
        if new_partitions:
            log.info("new topics %s: %d partition(s)", added, len(new_partitions))
            await self.on_new_partitions(new_partitions)

    async def _partition_change(self, topic: str) -> None:
        if not self.is_active or topic not in self.ctx.assignments:
            return
        if topic in self.ctx.topics_to_delete:
            await self.store.assignment(topic, watch=self._watch_topic)
            return
        new = await self._load_topic(topic)
        if new:
            log.info("topic %s: new partitions %s", topic, [p for _t, p in new])
            await self.on_new_partitions(new)

    async def on_new_partitions(self, partitions: list[TP]) -> None:
        batch = self.batch()
        await self.machines.partitions_to(batch, partitions, P.NEW)
        replicas = self.ctx.replicas_of(partitions)
        await self.machines.replicas_to(batch, replicas, R.NEW)
        await self.machines.partitions_to(batch, partitions, P.ONLINE, OFFLINE)
        await self.machines.replicas_to(batch, replicas, R.ONLINE)
        batch.send()

    async def _unclean_allowed(self, topic: str) -> bool:
        configs = await self.store.topic_config(topic)
        value = configs.get("unclean.leader.election.enable")
        if value is None:
            return bool(self.config["unclean.leader.election.enable"])
        return value.strip().lower() == "true"

    # -- requests from brokers ----------------------------------------------------------------------
    async def alter_partition(self, req: Any) -> dict[str, Any]:
        return await self._as_event("AlterPartition", lambda: controller_requests.alter_partition(self, req),
                                    controller_requests.alter_partition_not_controller)

    async def controlled_shutdown(self, broker_id: int, broker_epoch: int) -> dict[str, Any]:
        return await self._as_event(
            "ControlledShutdown", lambda: controller_requests.controlled_shutdown(self, broker_id, broker_epoch),
            controller_requests.controlled_shutdown_not_controller)

    async def allocate_producer_ids(self, broker_id: int, broker_epoch: int) -> dict[str, Any]:
        return await self._as_event(
            "AllocateProducerIds", lambda: controller_requests.allocate_producer_ids(self, broker_id, broker_epoch),
            controller_requests.allocate_not_controller)

    async def _as_event(self, name: str, fn: Callable[[], Awaitable[dict[str, Any]]],
                        not_controller: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if not self.is_active:
            return not_controller()

        async def guarded() -> dict[str, Any]:
            return await fn() if self.is_active else not_controller()
        try:
            result: dict[str, Any] = await self.call(name, guarded)
        except ControllerMovedError:
            return not_controller()
        return result

    # -- preferred leaders ---------------------------------------------------------------------------
    async def _rebalance_timer(self) -> None:
        delay = FIRST_REBALANCE_S
        while True:
            await asyncio.sleep(delay)
            delay = float(self.config["leader.imbalance.check.interval.seconds"])
            self.put("AutoPreferredReplicaLeaderElection", self._auto_rebalance)

    async def _auto_rebalance(self) -> None:
        if not self.is_active or self.ctx.shutting_down:
            return
        threshold = int(self.config["leader.imbalance.per.broker.percentage"]) / 100
        wanted: list[TP] = []
        for broker in sorted(self.ctx.live_ids):
            preferred_here = [tp for tp in self.ctx.all_partitions()
                              if self.ctx.replicas(tp)[:1] == [broker] and tp[0] not in self.ctx.topics_to_delete]
            if not preferred_here:
                continue
            not_led = [tp for tp in preferred_here
                       if (lead := self.ctx.leadership.get(tp)) is not None and lead.leader != broker]
            if len(not_led) / len(preferred_here) > threshold:
                wanted += [tp for tp in not_led if broker in self.ctx.leadership[tp].isr]
        if wanted:
            log.info("preferred replica election for %d partition(s)", len(wanted))
            batch = self.batch()
            await self.machines.partitions_to(batch, wanted, P.ONLINE, PREFERRED)
            batch.send()
