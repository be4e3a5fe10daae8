"""One broker in ZooKeeper mode: start-up, registration, session loss and shutdown (KafkaServer's ZooKeeper path).

Start-up, in Kafka's order:

1. connect to zookeeper.connect (waiting at most zookeeper.connection.timeout.ms), create the
   persistent top-level paths Kafka creates, read /cluster/id or create it;
2. (the caller) open the logs (the cluster id must match meta.properties) and listen;
3. the replica manager starts (ISR expiration, high watermark checkpoints);
4. register /brokers/ids/<id>: an ephemeral node created with null data and set in the same
   multi-op (so it ends at dataVersion 1, as Kafka's); its czxid is the broker epoch. A node
   left by this broker's previous process (SIGKILL) is waited out until its session
   expires, where Kafka would refuse to start (NODEEXISTS);
5. the controller takes part in the election; the config change listener starts.

A session expiry makes the controller resign; once a new session exists the broker
registers again (a new czxid, so a new broker epoch) and the election runs again.
Shutdown: ControlledShutdown to the controller (controlled.shutdown.max.retries tries,
controlled.shutdown.retry.backoff.ms apart) until it leads no replicated partition, then
fetchers, controller and the ZooKeeper session stop (the ephemeral node goes at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING, Any

from kazoo.exceptions import NodeExistsError
from kio.schema.errors import ErrorCode

from engine.cluster import schemas
from engine.cluster import znodes as Z
from engine.cluster.admin import ClusterAdmin
from engine.cluster.client import BrokerClient, BrokerUnreachable
from engine.cluster.controller.controller import KafkaController
from engine.cluster.producer_ids import ProducerIdManager
from engine.cluster.replica_manager import ReplicaManager
from engine.cluster.topic_configs import TopicConfigs
from engine.cluster.zk import Create, SetData, ZkClient, ZkError, failed
from engine.coordinator.offsets_topic import OFFSETS_TOPIC
from engine.coordinator.ownership import Ownership

if TYPE_CHECKING:
    from engine.broker import Broker

log = logging.getLogger("engine.cluster")
REGISTRATION_POLL_S = 0.25


class ZkNode:
    def __init__(self, broker: Broker) -> None:
        cfg = broker.config
        self.broker = broker
        self.config = cfg
        self.zk = ZkClient(str(cfg["zookeeper.connect"]), int(cfg["zookeeper.session.timeout.ms"]),
                           int(cfg["zookeeper.connection.timeout.ms"]), on_session=self._on_session)
        names = [name for name, _h, _p in cfg.advertised]
        self.listener: str = cfg["inter.broker.listener.name"] or (names[0] if names else "PLAINTEXT")
        self.epoch = -1
        self.replicas: ReplicaManager
        self.controller: KafkaController
        self.configs = TopicConfigs(broker, self.zk)
        self.admin = ClusterAdmin(self)
        self.producer_ids: ProducerIdManager
        self.groups: Ownership | None = None
        self._expired = False
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- start-up -----------------------------------------------------------------------------------
    async def connect(self) -> str:
        """Connect, create Kafka's top-level paths, and return the cluster id (creating /cluster/id if absent)."""
        await self.zk.start()
        for path in Z.PERSISTENT_PATHS:
            await self._ensure_path(path)
        got = await self.zk.get(Z.CLUSTER_ID)
        if got is None:
            from engine.broker import new_cluster_id

            await self._ensure_path("/cluster")
            with contextlib.suppress(NodeExistsError):
                await self.zk.create(Z.CLUSTER_ID, Z.cluster_id_data(new_cluster_id()))
            got = await self.zk.get(Z.CLUSTER_ID)
            assert got is not None
        return Z.parse_cluster_id(got[0])

    async def _ensure_path(self, path: str) -> None:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            sub = "/" + "/".join(parts[:i])
            if await self.zk.exists(sub) is None:
                with contextlib.suppress(NodeExistsError):
                    await self.zk.create(sub, None)

    async def start(self) -> None:
        """After the logs are open and the listeners bound: replication, registration, the controller."""
        broker = self.broker
        self.replicas = ReplicaManager(broker, self.listener, lambda: self.epoch, on_leadership=self._on_leadership)
        self.replicas.on_metadata = self._on_metadata
        self.replicas.read_topic_configs = self.configs.read
        self.producer_ids = ProducerIdManager(self.replicas)
        if broker.groups is not None and broker.journal is not None:
            journal = broker.journal
            self.groups = Ownership(broker.groups, journal.partition_of)
            broker.groups.topic_exists = lambda t, p: self.replicas.metadata.contains(t, p)
        for topic in list(broker.local_topics):
            await self.configs.reload(topic)
        await self.configs.start()
        await self.register()
        self.controller = KafkaController(broker.node_id, self.zk, broker.config, self.listener)
        self.controller.start()

    def registration(self) -> Z.BrokerRegistration:
        cfg = self.config
        return Z.BrokerRegistration(self.broker.node_id, tuple(
            Z.EndPoint(name, host, port) for name, host, port in cfg.advertised), cfg["broker.rack"])

    async def register(self) -> None:
        path = Z.broker_path(self.broker.node_id)
        data = Z.broker_data(self.registration())
        waited = False
        limit = 4 * int(self.config["zookeeper.session.timeout.ms"]) / 1000 + 10
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while True:
            results = await self.zk.multi([Create(path, None, ephemeral=True), SetData(path, data, 0)])
            error = failed(results)
            if error is None:
                break
            if not isinstance(error, NodeExistsError):
                raise ZkError(f"cannot register {path}: {error!r}")
            stat = await self.zk.exists(path)
            if stat is not None and stat.ephemeralOwner == self.zk.session_id:
                await self.zk.delete(path)  # ours, from before a session renewal (ZOOKEEPER-2985)
                continue
            if loop.time() > deadline:
                raise ZkError(f"{path} is still registered by another ZooKeeper session after {limit:.0f} s: "
                              f"is a broker with broker.id={self.broker.node_id} running?")
            if not waited:
                log.warning("%s is held by another session (this broker's previous process?): waiting for it to "
                            "expire", path)
                waited = True
            await asyncio.sleep(REGISTRATION_POLL_S)
        stat = await self.zk.exists(path)
        assert stat is not None
        self.epoch = int(stat.czxid)
        log.info("registered broker %d at %s (broker epoch %d)", self.broker.node_id, path, self.epoch)

    # -- session ------------------------------------------------------------------------------------
    def _on_session(self, state: str) -> None:
        if state == "expired":
            self._expired = True
            if hasattr(self, "controller"):
                self.controller.session_expired()
        elif state == "connected" and self._expired:
            self._expired = False
            self._spawn(self._reregister())

    async def _reregister(self) -> None:
        try:
            await self.register()
        except ZkError as exc:
            log.error("registering again after the session expired failed: %s", exc)
            return
        if hasattr(self, "controller"):
            self.controller.session_renewed()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- what the replica manager tells us ----------------------------------------------------------
    def _on_leadership(self, topic: str, index: int, leader: bool, epoch: int) -> None:
        if topic == OFFSETS_TOPIC and self.groups is not None and self.broker.journal is not None:
            if leader:
                self.groups.elected(index, epoch, self.broker.journal.read_partition(index, to_log_end=True))
            else:
                self.groups.resigned(index)

    def _on_metadata(self, appeared: set[str]) -> None:
        from engine.catalog import TopicRecord

        broker = self.broker
        cache = self.replicas.metadata
        for name in list(broker.topics):
            if not cache.contains(name):
                del broker.topics[name]
        for name, parts in cache.partitions.items():
            rec = broker.topics.get(name)
            count = cache.partition_count(name)
            rf = len(next(iter(parts.values())).replicas) if parts else 0
            topic_id = cache.topic_ids.get(name)
            if rec is None or (topic_id is not None and rec.topic_id != topic_id):
                local = broker.local_topics.get(name)
                configs = dict(local.configs) if local is not None and local.topic_id == topic_id else {}
                broker.topics[name] = TopicRecord(name, topic_id or hosted_id(broker, name), count, rf, configs,
                                                  broker.now_ms())
                self.configs.load_later(name)
            else:
                rec.partitions = count
                rec.replication_factor = rf

    def group_error(self, group_id: str) -> ErrorCode | None:
        return None if self.groups is None else self.groups.error_for(group_id)

    # -- shutdown -----------------------------------------------------------------------------------
    async def controlled_shutdown(self) -> bool:
        retries = int(self.config["controlled.shutdown.max.retries"])
        backoff = int(self.config["controlled.shutdown.retry.backoff.ms"]) / 1000
        for attempt in range(max(retries, 1)):
            cache = self.replicas.metadata
            target = cache.brokers.get(cache.controller_id)
            ep = target.endpoint(self.listener) if target is not None else None
            if ep is not None:
                client = BrokerClient(ep.host, ep.port, f"controlled-shutdown-{self.broker.node_id}", 30.0)
                try:
                    resp = await client.send(schemas.CONTROLLED_SHUTDOWN, schemas.CONTROLLED_SHUTDOWN_VERSION,
                                             {"broker_id": self.broker.node_id, "broker_epoch": self.epoch})
                    remaining = [(str(r.topic_name), int(r.partition_index)) for r in resp.remaining_partitions]
                    if int(resp.error_code) == 0 and not remaining:
                        log.info("controlled shutdown succeeded")
                        return True
                    log.info("controlled shutdown attempt %d: %s, still leading %s", attempt + 1,
                             ErrorCode(int(resp.error_code)).name, remaining[:10])
                except BrokerUnreachable as exc:
                    log.info("controlled shutdown attempt %d failed: %s", attempt + 1, exc)
                finally:
                    client.close()
            if attempt + 1 < retries:
                await asyncio.sleep(backoff)
        log.warning("controlled shutdown did not complete; shutting down anyway")
        return False

    async def shutdown(self) -> None:
        if not hasattr(self, "replicas"):
            await self.zk.close()
            return
        if self.config["controlled.shutdown.enable"] and self.epoch >= 0:
            with contextlib.suppress(Exception):
                await self.controlled_shutdown()
        await self.replicas.close()
        if hasattr(self, "controller"):
            await self.controller.close()
        await self.configs.close()
        for task in list(self._tasks):
            task.cancel()
        await self.zk.close()


def hosted_id(broker: Broker, topic: str) -> uuid.UUID:
    rec = broker.local_topics.get(topic)
    return rec.topic_id if rec is not None else uuid.UUID(int=0)
