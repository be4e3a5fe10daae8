"""A leader's ISR changes go to the controller as AlterPartition (IBP 3.9-IV0: leaders never write the state
znode themselves; Kafka's DefaultAlterPartitionManager).

Proposals are queued per partition (a newer one replaces an unsent older one) and sent
together, one request in flight, to the controller the metadata cache names. The answer
per partition: success -> the ISR and partition epoch the controller wrote are adopted
(engine.cluster.replica.ReplicaSet.apply_isr); NOT_CONTROLLER or a lost connection -> sent
again after a pause; any other error (FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION,
INELIGIBLE_REPLICA, ...) -> dropped, the leader waits for the next LeaderAndIsr or tries a
new proposal later.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from kio.schema.errors import ErrorCode

from engine.aio import cancel_and_wait
from engine.cluster.client import BrokerClient, BrokerUnreachable
from engine.cluster.replica import ReplicaSet

if TYPE_CHECKING:
    from engine.cluster.replica_manager import ReplicaManager

log = logging.getLogger("engine.replication")
ALTER_PARTITION, VERSION = 56, 3
RETRY_S = 0.25


class AlterPartitionManager:
    def __init__(self, manager: ReplicaManager) -> None:
        self.m = manager
        self.pending: dict[tuple[str, int], tuple[ReplicaSet, tuple[int, ...]]] = {}
        self._client: BrokerClient | None = None
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="alter-partition")

    def submit(self, rs: ReplicaSet, isr: tuple[int, ...]) -> None:
        self.pending[(rs.p.topic, rs.p.index)] = (rs, isr)
        self._wake.set()

    async def close(self) -> None:
        await cancel_and_wait(self._task)
        if self._client is not None:
            self._client.close()

    def _controller_client(self) -> BrokerClient | None:
        cache = self.m.metadata
        broker = cache.brokers.get(cache.controller_id)
        if broker is None:
            return None
        ep = broker.endpoint(self.m.listener or "") or (broker.endpoints[0] if broker.endpoints else None)
        if ep is None:
            return None
        if self._client is None or (self._client.host, self._client.port) != (ep.host, ep.port):
            if self._client is not None:
                self._client.close()
            self._client = BrokerClient(ep.host, ep.port, f"alter-partition-{self.m.node_id}")
        return self._client

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self.pending:
                continue
            batch, self.pending = self.pending, {}
            try:
                retry = await self._send(batch)
            except Exception:
                log.exception("sending AlterPartition failed")
                retry = batch
            for key, item in retry.items():
                self.pending.setdefault(key, item)
            if self.pending:
                await asyncio.sleep(RETRY_S)
                self._wake.set()

    async def _send(self, batch: dict[tuple[str, int], tuple[ReplicaSet, tuple[int, ...]]]
                    ) -> dict[tuple[str, int], tuple[ReplicaSet, tuple[int, ...]]]:
        live = {k: v for k, v in batch.items() if v[0].leading}
        for k, (rs, _isr) in batch.items():
            if k not in live:
                rs.isr_change_failed()
        if not live:
            return {}
        client = self._controller_client()
        if client is None:
            return live
        by_topic: dict[Any, list[dict[str, Any]]] = {}
        for (_t, index), (rs, isr) in live.items():
            by_topic.setdefault(rs.topic_id, []).append({
                "partition_index": index, "leader_epoch": rs.p.leader_epoch,
                "new_isr_with_epochs": [{"broker_id": b, "broker_epoch": -1} for b in isr],
                "leader_recovery_state": 0, "partition_epoch": rs.partition_epoch})
        body = {"broker_id": self.m.node_id, "broker_epoch": self.m.broker_epoch,
                "topics": [{"topic_id": tid, "partitions": ps} for tid, ps in by_topic.items()]}
        try:
            resp = await client.send(ALTER_PARTITION, VERSION, body)
        except BrokerUnreachable as exc:
            log.debug("AlterPartition to the controller failed: %s", exc)
            return live
        top = ErrorCode(int(resp.error_code))
        if top is not ErrorCode.none:
            log.info("AlterPartition answered %s: trying again", top.name)
            return live
        retry = {}
        by_id = {rs.topic_id: key[0] for key, (rs, _isr) in live.items()}
        for t in resp.topics:
            topic = by_id.get(t.topic_id)
            for pd in t.partitions:
                key = (topic or "", int(pd.partition_index))
                item = live.get(key)
                if item is None:
                    continue
                rs, _isr = item
                error = ErrorCode(int(pd.error_code))
                if error is ErrorCode.none:
                    rs.apply_isr(int(pd.leader_epoch), tuple(int(b) for b in pd.isr), int(pd.partition_epoch),
                                 int(pd.leader_recovery_state))
                elif error is ErrorCode.not_controller:
                    retry[key] = item
                else:
                    log.info("%s-%d: AlterPartition refused with %s", *key, error.name)
                    rs.isr_change_failed()
        return retry
