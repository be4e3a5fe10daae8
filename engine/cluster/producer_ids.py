"""Producer ids in ZooKeeper mode: blocks of 1000 from the controller (AllocateProducerIds, IBP >= 3.0-IV0;
Kafka's RPCProducerIdManager), so that no two brokers hand out the same id.

The next block is asked for when 90% of the current one is used; while a broker has no
id left, InitProducerId answers COORDINATOR_LOAD_IN_PROGRESS (retriable), as Kafka does.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from kio.schema.errors import ErrorCode

from engine.cluster.client import BrokerClient, BrokerUnreachable

if TYPE_CHECKING:
    from engine.cluster.replica_manager import ReplicaManager

log = logging.getLogger("engine.transactions")
ALLOCATE_PRODUCER_IDS, VERSION = 67, 0
PREFETCH_AT = 0.9
RETRY_S = 0.5


class ProducerIdManager:
    def __init__(self, replicas: ReplicaManager) -> None:
        self.m = replicas
        self.blocks: list[tuple[int, int]] = []  # (next id, end exclusive)
        self._fetching: asyncio.Task[None] | None = None
        self._block_size = 0

    def next_id(self) -> int | None:
        while self.blocks and self.blocks[0][0] >= self.blocks[0][1]:
            self.blocks.pop(0)
        if not self.blocks:
            self._fetch()
            return None
        nxt, end = self.blocks[0]
        self.blocks[0] = (nxt + 1, end)
        remaining = sum(e - n for n, e in self.blocks)
        if len(self.blocks) == 1 and remaining <= self._block_size * (1 - PREFETCH_AT):
            self._fetch()
        return nxt

    def _fetch(self) -> None:
        if self._fetching is None or self._fetching.done():
            self._fetching = asyncio.ensure_future(self._allocate())

    async def _allocate(self) -> None:
        for _attempt in range(20):
            cache = self.m.metadata
            broker = cache.brokers.get(cache.controller_id)
            ep = broker.endpoint(self.m.listener or "") if broker is not None else None
            if ep is None and broker is not None and broker.endpoints:
                ep = broker.endpoints[0]
            if ep is not None:
                client = BrokerClient(ep.host, ep.port, f"producer-ids-{self.m.node_id}")
                try:
                    resp = await client.send(ALLOCATE_PRODUCER_IDS, VERSION,
                                             {"broker_id": self.m.node_id, "broker_epoch": self.m.broker_epoch})
                    if int(resp.error_code) == 0 and int(resp.producer_id_len) > 0:
                        start, count = int(resp.producer_id_start), int(resp.producer_id_len)
                        self.blocks.append((start, start + count))
                        self._block_size = count
                        return
                    log.info("AllocateProducerIds answered %s", ErrorCode(int(resp.error_code)).name)
                except BrokerUnreachable as exc:
                    log.debug("AllocateProducerIds failed: %s", exc)
                finally:
                    client.close()
            await asyncio.sleep(RETRY_S)
