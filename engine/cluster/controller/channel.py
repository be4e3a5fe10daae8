"""The controller's requests to brokers (Kafka's ControllerChannelManager and ControllerBrokerRequestBatch).

Every live broker (the controller itself included) has a queue and a sender task with
one request in flight; a request that cannot be delivered is retried every 100 ms until
it is answered or the broker is removed (it died: its queue goes with it). A state change
collects its requests in a `RequestBatch`, sent at the end of the change: per broker
LeaderAndIsr first, then UpdateMetadata, then StopReplica, so a broker knows the live
leaders before it follows one. Every UpdateMetadata carries the full list of live brokers;
partitions of topics being deleted go out with leader -2.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from engine.aio import cancel_and_wait
from engine.cluster import schemas
from engine.cluster.client import BrokerClient, BrokerUnreachable
from engine.cluster.controller.context import TP, ControllerContext
from engine.cluster.metadata_cache import PROTOCOL_IDS
from engine.cluster.znodes import LEADER_DURING_DELETE, BrokerRegistration, LeaderAndIsr

log = logging.getLogger("engine.controller")
RETRY_S = 0.1
EPOCH_DURING_DELETE = -2
NO_EPOCH = -1

Callback = Callable[[int, Any], None]


@dataclasses.dataclass
class _Queued:
    api_key: int
    version: int
    body: dict[str, Any]
    callback: Callback | None


class _BrokerSender:
    def __init__(self, reg: BrokerRegistration, listener: str | None, client_id: str, timeout_s: float) -> None:
        self.broker_id = reg.broker_id
        ep = reg.endpoint(listener)
        self.client = BrokerClient(ep.host, ep.port, client_id, timeout_s)
        self.queue: asyncio.Queue[_Queued] = asyncio.Queue()
        self.task = asyncio.create_task(self._run(), name=f"controller-to-broker-{reg.broker_id}")

    async def _run(self) -> None:
        while True:
            item = await self.queue.get()
            while True:  # until answered; the task is cancelled when the broker is removed
                try:
                    response = await self.client.send(item.api_key, item.version, item.body)
                    break
                except BrokerUnreachable as exc:
                    log.debug("controller request %d to broker %d: %s; retrying", item.api_key, self.broker_id, exc)
                    await asyncio.sleep(RETRY_S)
            if item.callback is not None:
                try:
                    item.callback(self.broker_id, response)
                except Exception:
                    log.exception("handling broker %d's answer to request %d", self.broker_id, item.api_key)

    async def close(self) -> None:
        await cancel_and_wait(self.task)
        self.client.close()


class ControllerChannel:
    def __init__(self, client_id: str, listener: str | None, timeout_s: float) -> None:
        self.client_id = client_id
        self.listener = listener
        self.timeout_s = timeout_s
        self.senders: dict[int, _BrokerSender] = {}

    def add_broker(self, reg: BrokerRegistration) -> None:
        if reg.broker_id not in self.senders:
            self.senders[reg.broker_id] = _BrokerSender(reg, self.listener, self.client_id, self.timeout_s)

    async def remove_broker(self, broker_id: int) -> None:
        sender = self.senders.pop(broker_id, None)
        if sender is not None:
            await sender.close()

    async def close(self) -> None:
        for broker_id in list(self.senders):
            await self.remove_broker(broker_id)

    def send(self, broker_id: int, api_key: int, version: int, body: dict[str, Any],
             callback: Callback | None = None) -> None:
        sender = self.senders.get(broker_id)
        if sender is None:
            log.debug("not sending request %d to broker %d: it is not live", api_key, broker_id)
            return
        sender.queue.put_nowait(_Queued(api_key, version, body, callback))


class RequestBatch:
    """The requests of one state change, per broker, sent together by send()."""

    def __init__(self, ctx: ControllerContext, channel: ControllerChannel, controller_id: int) -> None:
        self.ctx = ctx
        self.channel = channel
        self.controller_id = controller_id
        self.leader_and_isr: dict[int, dict[TP, tuple[LeaderAndIsr, list[int], bool]]] = {}
        self.update_brokers: set[int] = set()
        self.update_partitions: set[TP] = set()
        self.stop_replica: dict[int, dict[TP, tuple[bool, int]]] = {}
        self.stop_callbacks: dict[int, Callback] = {}

    def add_leader_and_isr(self, broker_ids: list[int], tp: TP, state: LeaderAndIsr, replicas: list[int],
                           is_new: bool = False) -> None:
        for b in broker_ids:
            if b >= 0:
                self.leader_and_isr.setdefault(b, {})[tp] = (state, replicas, is_new)
        self.add_update_metadata(list(self.ctx.live_or_shutting_ids), [tp])

    def add_update_metadata(self, broker_ids: list[int], partitions: list[TP]) -> None:
        self.update_brokers.update(b for b in broker_ids if b >= 0)
        self.update_partitions.update(partitions)

    def add_stop_replica(self, broker_ids: list[int], tp: TP, delete: bool, callback: Callback | None = None) -> None:
        for b in broker_ids:
            if b < 0:
                continue
            lead = self.ctx.leadership.get(tp)
            epoch = EPOCH_DURING_DELETE if delete else (lead.leader_epoch if lead is not None else NO_EPOCH)
            self.stop_replica.setdefault(b, {})[tp] = (delete, epoch)
            if callback is not None:
                self.stop_callbacks[b] = callback

    @property
    def empty(self) -> bool:
        return not (self.leader_and_isr or self.update_brokers or self.stop_replica)

    def send(self) -> None:
        live = self.ctx.live_or_shutting_ids
        for b, parts in self.leader_and_isr.items():
            if b in live:
                self.channel.send(b, schemas.LEADER_AND_ISR, schemas.LEADER_AND_ISR_VERSION,
                                  self._leader_and_isr_body(b, parts))
        if self.update_brokers:
            body = self.update_metadata_body(self.update_partitions)
            for b in sorted(self.update_brokers & live):
                self.channel.send(b, schemas.UPDATE_METADATA, schemas.UPDATE_METADATA_VERSION,
                                  {**body, "broker_epoch": self.ctx.broker_epoch(b)})
        for b, stops in self.stop_replica.items():
            if b in live:
                self.channel.send(b, schemas.STOP_REPLICA, schemas.STOP_REPLICA_VERSION,
                                  self._stop_replica_body(b, stops), self.stop_callbacks.get(b))
        self.leader_and_isr, self.update_brokers, self.update_partitions = {}, set(), set()
        self.stop_replica, self.stop_callbacks = {}, {}

    # -- bodies ----------------------------------------------------------------------------------
    def _leader_and_isr_body(self, broker_id: int, parts: dict[TP, tuple[LeaderAndIsr, list[int], bool]]
                             ) -> dict[str, Any]:
        by_topic: dict[str, list[dict[str, Any]]] = {}
        leaders: set[int] = set()
        for (topic, index), (s, replicas, is_new) in sorted(parts.items()):
            leaders.add(s.leader)
            by_topic.setdefault(topic, []).append({
                "partition_index": index, "controller_epoch": s.controller_epoch, "leader": s.leader,
                "leader_epoch": s.leader_epoch, "isr": list(s.isr), "partition_epoch": s.partition_epoch,
                "replicas": replicas, "is_new": is_new, "leader_recovery_state": s.recovery_state})
        live_leaders = []
        for b in sorted(leaders):
            reg = self.ctx.live.get(b)
            if reg is not None:
                ep = reg.endpoint(self.channel.listener)
                live_leaders.append({"broker_id": b, "host_name": ep.host, "port": ep.port})
        return {"controller_id": self.controller_id, "controller_epoch": self.ctx.epoch,
                "broker_epoch": self.ctx.broker_epoch(broker_id), "type": 0,
                "topic_states": [{"topic_name": t, "topic_id": self.ctx.topic_ids.get(t), "partition_states": ps}
                                 for t, ps in by_topic.items()],
                "live_leaders": live_leaders}

    def update_metadata_body(self, partitions: set[TP]) -> dict[str, Any]:
        by_topic: dict[str, list[dict[str, Any]]] = {}
        for tp in sorted(partitions):
            s = self.ctx.leadership.get(tp)
            if s is None:
                continue
            replicas = self.ctx.replicas(tp)
            leader = LEADER_DURING_DELETE if tp[0] in self.ctx.topics_to_delete else s.leader
            by_topic.setdefault(tp[0], []).append({
                "partition_index": tp[1], "controller_epoch": s.controller_epoch, "leader": leader,
                "leader_epoch": s.leader_epoch, "isr": list(s.isr), "zk_version": s.partition_epoch,
                "replicas": replicas,
                "offline_replicas": [r for r in replicas if r not in self.ctx.live_or_shutting_ids]})
        brokers = []
        for b, reg in sorted(self.ctx.live.items()):
            brokers.append({"id": b, "rack": reg.rack, "endpoints": [
                {"port": e.port, "host": e.host, "listener": e.listener,
                 "security_protocol": PROTOCOL_IDS.get(e.security_protocol, 0)} for e in reg.endpoints]})
        return {"controller_id": self.controller_id, "controller_epoch": self.ctx.epoch, "type": 0,
                "topic_states": [{"topic_name": t, "topic_id": self.ctx.topic_ids.get(t), "partition_states": ps}
                                 for t, ps in by_topic.items()],
                "live_brokers": brokers}

    def _stop_replica_body(self, broker_id: int, stops: dict[TP, tuple[bool, int]]) -> dict[str, Any]:
        by_topic: dict[str, list[dict[str, Any]]] = {}
        for (topic, index), (delete, epoch) in sorted(stops.items()):
            by_topic.setdefault(topic, []).append({"partition_index": index, "leader_epoch": epoch,
                                                   "delete_partition": delete})
        return {"controller_id": self.controller_id, "controller_epoch": self.ctx.epoch,
                "broker_epoch": self.ctx.broker_epoch(broker_id),
                "topic_states": [{"topic_name": t, "partition_states": ps} for t, ps in by_topic.items()]}
