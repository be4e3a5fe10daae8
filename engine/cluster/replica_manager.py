"""The broker's side of replication (Kafka's ReplicaManager in ZooKeeper mode): the controller's LeaderAndIsr,
StopReplica and UpdateMetadata requests, the replica fetchers, the ISR expiration task and the high watermark
checkpoint.

LeaderAndIsr is checked as Kafka does: a broker epoch older than this registration's czxid
-> STALE_BROKER_EPOCH; a controller epoch older than the newest seen -> STALE_CONTROLLER_EPOCH
for the whole request; per partition, this broker must be a replica
(UNKNOWN_TOPIC_OR_PARTITION) and the leader epoch must be newer than the one it has
(STALE_CONTROLLER_EPOCH otherwise). Partitions it leads stop being fetched and take their
followers' state afresh; partitions it follows restart their fetcher on every new leader
epoch, even with the same leader (KAFKA-7164). Leadership changes of __consumer_offsets and
__transaction_state partitions are passed on to the coordinators (`on_leadership`).

High watermarks are written every replica.high.watermark.checkpoint.interval.ms (and at
shutdown) to `replication-offset-checkpoint` in Kafka's format, and read back at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from kio.schema.errors import ErrorCode

from engine.aio import cancel_and_wait
from engine.cluster import hosted
from engine.cluster.alter_partition import AlterPartitionManager
from engine.cluster.fetcher import ReplicaFetcher
from engine.cluster.metadata_cache import MetadataCache
from engine.cluster.replica import PartitionStateUpdate, ReplicaSet
from engine.storage.checkpoint import read_checkpoint, write_checkpoint

if TYPE_CHECKING:
    from engine.broker import Broker
    from engine.partition import Partition

log = logging.getLogger("engine.replication")
HW_CHECKPOINT = "replication-offset-checkpoint"
EPOCH_DURING_DELETE = -2
NO_EPOCH = -1

LeadershipCallback = Callable[[str, int, bool, int], None]  # topic, partition, now leader, leader epoch


class ReplicaManager:
    def __init__(self, broker: Broker, listener: str | None, broker_epoch: Callable[[], int],
                 on_leadership: LeadershipCallback | None = None) -> None:
        self.broker = broker
        self.config = broker.config
        self.node_id = broker.node_id
        self.listener = listener
        self._broker_epoch = broker_epoch
        self.on_leadership = on_leadership
        self.on_metadata: Callable[[set[str]], None] | None = None
        # /config/topics/<t>, read before a new replica's log is created (as Kafka's fetchLogConfig does), so that
        # its first produce already sees the topic's min.insync.replicas and log settings
        self.read_topic_configs: Callable[[str], Awaitable[dict[str, str]]] | None = None
        self.metadata = MetadataCache()
        self.metadata_changed = asyncio.Event()
        self.controller_epoch = 0
        self.fetchers: dict[int, ReplicaFetcher] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self.alter_partition = AlterPartitionManager(self)
        self.lag_ms = int(self.config["replica.lag.time.max.ms"])
        self._hw_checkpoint = read_checkpoint(broker.data_dir / HW_CHECKPOINT)
        self._tasks = [asyncio.create_task(self._isr_expiration(), name="isr-expiration"),
                       asyncio.create_task(self._checkpoint_loop(), name="highwatermark-checkpoint")]
        for (topic, _index), p in list(broker.partitions.items()):
            self.attach(p, broker.local_topics[topic].topic_id)

    @property
    def broker_epoch(self) -> int:
        return self._broker_epoch()

    # -- partitions ------------------------------------------------------------------------------
    def attach(self, p: Partition, topic_id: uuid.UUID) -> ReplicaSet:
        """Give a local log its replication state (before any LeaderAndIsr: no role, epoch unknown)."""
        if p.replication is not None:
            return p.replication
        topic = p.topic
        rs = ReplicaSet(p, topic_id, lag_ms=self.lag_ms,
                        min_isr=lambda: int(self.broker.topic_config_value(topic, "min.insync.replicas")),
                        alive=self.metadata.alive, propose_isr=self.alter_partition.submit,
                        clock=self.broker.clock)
        rs.online = False
        p.replication = rs
        p.leader = -1
        p.leader_epoch = -1
        p.isr = []
        checkpointed = self._hw_checkpoint.get((p.topic, p.index), p.log_start_offset)
        p.hw = max(p.log_start_offset, min(checkpointed, p.log.log_end_offset))
        return rs

    # -- LeaderAndIsr ------------------------------------------------------------------------------
    async def leader_and_isr(self, req: Any) -> dict[str, Any]:
        topics_out: list[dict[str, Any]] = []
        if 0 <= int(req.broker_epoch) < self.broker_epoch:
            return {"error_code": ErrorCode.stale_broker_epoch, "topics": topics_out}
        if int(req.controller_epoch) < self.controller_epoch:
            log.warning("ignoring LeaderAndIsr of controller %d: epoch %d is older than %d", req.controller_id,
                        req.controller_epoch, self.controller_epoch)
            return {"error_code": ErrorCode.stale_controller_epoch, "topics": topics_out}
        self.controller_epoch = int(req.controller_epoch)
        leaders = {int(ll.broker_id): (str(ll.host_name), int(ll.port)) for ll in req.live_leaders}
        for t in req.topic_states:
            errors: list[dict[str, Any]] = []
            topics_out.append({"topic_id": t.topic_id, "partition_errors": errors})
            configs = await self._configs_of_new_topic(str(t.topic_name), t.topic_id)
            for ps in t.partition_states:
                error = self._apply(str(t.topic_name), t.topic_id, ps, leaders, configs)
                errors.append({"partition_index": int(ps.partition_index), "error_code": error})
        self._close_idle_fetchers()
        return {"error_code": ErrorCode.none, "topics": topics_out}

    async def _configs_of_new_topic(self, topic: str, topic_id: uuid.UUID) -> dict[str, str] | None:
        local = self.broker.local_topics.get(topic)
        if self.read_topic_configs is None or (local is not None and local.topic_id == topic_id):
            return None
        try:
            return await self.read_topic_configs(topic)
        except Exception as exc:  # ZooKeeper unreachable: the configs arrive with the next change notification
            log.warning("reading the configs of %s failed: %s", topic, exc)
            return None

    def _apply(self, topic: str, topic_id: uuid.UUID, ps: Any, leaders: dict[int, tuple[str, int]],
               configs: dict[str, str] | None = None) -> ErrorCode:
        index = int(ps.partition_index)
        replicas = tuple(int(r) for r in ps.replicas)
        if self.node_id not in replicas:
            return ErrorCode.unknown_topic_or_partition
        existing = self.broker.partition(topic, index)
        if existing is not None and existing.replication is not None and existing.replication.online \
                and int(ps.leader_epoch) <= existing.leader_epoch:
            return ErrorCode.stale_controller_epoch
        try:
            p = hosted.ensure_replica(self.broker, topic, index, topic_id, configs)
        except Exception as exc:  # a log that cannot be opened or created
            log.error("%s-%d: cannot open the replica: %s", topic, index, exc)
            return ErrorCode.kafka_storage_error
        rs = self.attach(p, topic_id)
        rs.topic_id = topic_id
        s = PartitionStateUpdate(int(ps.leader), int(ps.leader_epoch), tuple(int(b) for b in ps.isr),
                                 int(ps.partition_epoch), replicas, int(ps.controller_epoch),
                                 int(ps.leader_recovery_state))
        if s.leader == self.node_id:
            self._stop_fetching((topic, index))
            if rs.make_leader(s) and self.on_leadership is not None:
                self.on_leadership(topic, index, True, s.leader_epoch)
            return ErrorCode.none
        was_leader = p.is_leader and rs.online
        restart = rs.make_follower(s)
        if was_leader and self.on_leadership is not None:
            self.on_leadership(topic, index, False, s.leader_epoch)
        if restart:
            self._stop_fetching((topic, index))
            endpoint = leaders.get(s.leader)
            if endpoint is None and self.metadata.alive(s.leader):
                ep = self.metadata.brokers[s.leader].endpoint(self.listener or "")
                endpoint = (ep.host, ep.port) if ep is not None else None
            if endpoint is None:
                log.info("%s-%d: leader %d is not alive: not fetching yet", topic, index, s.leader)
            else:
                self._fetcher(s.leader, *endpoint).add((topic, index), p, topic_id)
                log.info("%s-%d: following %d at leader epoch %d from offset %d", topic, index, s.leader,
                         s.leader_epoch, p.log.log_end_offset)
        return ErrorCode.none

    def _fetcher(self, leader: int, host: str, port: int) -> ReplicaFetcher:
        fetcher = self.fetchers.get(leader)
        if fetcher is not None and fetcher.address != (host, port):
            for tp in list(fetcher.partitions):
                fetcher.remove(tp)
            fetcher = None
        if fetcher is None:
            fetcher = ReplicaFetcher(self, leader, host, port)
            old = self.fetchers.get(leader)
            if old is not None:
                self._background(old.close())
            self.fetchers[leader] = fetcher
        return fetcher

    def _stop_fetching(self, tp: tuple[str, int]) -> None:
        for fetcher in self.fetchers.values():
            fetcher.remove(tp)

    def _close_idle_fetchers(self) -> None:
        for leader, fetcher in list(self.fetchers.items()):
            if not fetcher.partitions:
                del self.fetchers[leader]
                self._background(fetcher.close())

    def _background(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    # -- StopReplica ---------------------------------------------------------------------------------
    async def stop_replica(self, req: Any) -> dict[str, Any]:
        errors: list[dict[str, Any]] = []
        if 0 <= int(req.broker_epoch) < self.broker_epoch:
            return {"error_code": ErrorCode.stale_broker_epoch, "partition_errors": errors}
        if int(req.controller_epoch) < self.controller_epoch:
            return {"error_code": ErrorCode.stale_controller_epoch, "partition_errors": errors}
        self.controller_epoch = int(req.controller_epoch)
        for t in req.topic_states:
            topic = str(t.topic_name)
            for ps in t.partition_states:
                index, epoch, delete = int(ps.partition_index), int(ps.leader_epoch), bool(ps.delete_partition)
                errors.append({"topic_name": topic, "partition_index": index,
                               "error_code": self._stop(topic, index, epoch, delete)})
        self._close_idle_fetchers()
        return {"error_code": ErrorCode.none, "partition_errors": errors}

    def _stop(self, topic: str, index: int, epoch: int, delete: bool) -> ErrorCode:
        p = self.broker.partition(topic, index)
        if p is None:
            return ErrorCode.none
        if epoch not in (EPOCH_DURING_DELETE, NO_EPOCH) and epoch < p.leader_epoch:
            return ErrorCode.fenced_leader_epoch
        self._stop_fetching((topic, index))
        was_leader = p.is_leader
        if p.replication is not None:
            p.replication.go_offline()
        if was_leader and self.on_leadership is not None:
            self.on_leadership(topic, index, False, epoch)
        if delete:
            hosted.delete_replica(self.broker, topic, index)
            log.info("%s-%d: deleted (StopReplica)", topic, index)
        return ErrorCode.none

    # -- UpdateMetadata --------------------------------------------------------------------------------
    async def update_metadata(self, req: Any) -> dict[str, Any]:
        if 0 <= int(req.broker_epoch) < self.broker_epoch:
            return {"error_code": ErrorCode.stale_broker_epoch}
        error, _deleted, appeared = self.metadata.update(req)
        if error is not ErrorCode.none:
            return {"error_code": error}
        self.controller_epoch = max(self.controller_epoch, int(req.controller_epoch))
        if self.on_metadata is not None:
            self.on_metadata(appeared)
        event, self.metadata_changed = self.metadata_changed, asyncio.Event()
        event.set()
        return {"error_code": ErrorCode.none}

    async def wait_for_metadata(self, done: Callable[[], bool], timeout_s: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not done():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.metadata_changed.wait(), remaining)
        return True

    # -- periodic tasks --------------------------------------------------------------------------------
    async def _isr_expiration(self) -> None:
        while True:
            await asyncio.sleep(self.lag_ms / 2000)
            for p in list(self.broker.partitions.values()):
                if p.replication is not None:
                    try:
                        p.replication.maybe_shrink_isr()
                    except Exception:
                        log.exception("%s: ISR expiration check failed", p.name)

    async def _checkpoint_loop(self) -> None:
        interval = int(self.config["replica.high.watermark.checkpoint.interval.ms"]) / 1000
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.get_running_loop().run_in_executor(None, write_checkpoint,
                                                                 self.broker.data_dir / HW_CHECKPOINT,
                                                                 self.high_watermarks())
            except Exception:
                log.exception("writing %s failed", HW_CHECKPOINT)

    def high_watermarks(self) -> dict[tuple[str, int], int]:
        return {tp: p.high_watermark for tp, p in self.broker.partitions.items() if p.replication is not None}

    async def close(self) -> None:
        await cancel_and_wait(*self._tasks)
        await self.alter_partition.close()
        for fetcher in list(self.fetchers.values()):
            await fetcher.close()
        self.fetchers.clear()
        for p in self.broker.partitions.values():
            if p.replication is not None:
                p.replication.go_offline()
        write_checkpoint(self.broker.data_dir / HW_CHECKPOINT, self.high_watermarks())
