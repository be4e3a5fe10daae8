"""The controller's reads and writes of ZooKeeper; every write fenced on the controller epoch.

Each write is one ZooKeeper transaction `check(/controller_epoch, epochZkVersion) + op`
(KafkaZkClient's zkVersionCheck): a controller that was deposed while it still holds a
session fails the check and learns it lost its job (ControllerMovedError), so it can never
overwrite the new controller's decisions. Partition state writes are also conditional on
the state znode's zkVersion (the partition epoch); a stale one comes back as None so the
caller re-reads and decides again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from kazoo.exceptions import BadVersionError, NodeExistsError, NoNodeError

from engine.cluster import znodes as Z
from engine.cluster.controller.context import TP, ControllerContext
from engine.cluster.zk import Check, Create, Delete, Op, SetData, ZkClient, failed

log = logging.getLogger("engine.controller")


class ControllerMovedError(Exception):
    """A fenced write found /controller_epoch changed: another broker is controller now."""


class ControllerStore:
    def __init__(self, zk: ZkClient, ctx: ControllerContext) -> None:
        self.zk = zk
        self.ctx = ctx

    async def fenced(self, ops: list[Op]) -> list[object]:
        """Run ops with the controller-epoch check; raise ControllerMovedError if it fails, else return the op
        results (an exception instance for a failed op)."""
        results = await self.zk.multi([Check(Z.CONTROLLER_EPOCH, self.ctx.epoch_zk_version), *ops])
        if isinstance(results[0], BadVersionError | NoNodeError):
            raise ControllerMovedError(f"/controller_epoch is no longer at version {self.ctx.epoch_zk_version}")
        return results[1:]

    # -- reads ---------------------------------------------------------------------------------
    async def brokers(self, watch: object = None) -> dict[int, Z.BrokerRegistration]:
        ids = await self.zk.get_children(Z.BROKER_IDS, watch=watch)  # type: ignore[arg-type]
        regs = await asyncio.gather(*(self.zk.get(Z.broker_path(int(i))) for i in ids or () if i.isdigit()))
        out = {}
        for i, got in zip([i for i in ids or () if i.isdigit()], regs, strict=True):
            if got is not None:
                out[int(i)] = Z.parse_broker(int(i), got[0], got[1].czxid)
        return out

    async def topics(self, watch: object = None) -> list[str]:
        return sorted(await self.zk.get_children(Z.BROKER_TOPICS, watch=watch) or [])  # type: ignore[arg-type]

    async def assignment(self, topic: str, watch: object = None) -> Z.TopicAssignment | None:
        got = await self.zk.get(Z.topic_path(topic), watch=watch)  # type: ignore[arg-type]
        return None if got is None else Z.parse_topic(topic, got[0])

    async def states(self, partitions: list[TP]) -> dict[TP, Z.LeaderAndIsr]:
        got = await asyncio.gather(*(self.zk.get(Z.state_path(t, p)) for t, p in partitions))
        return {tp: Z.parse_state(g[0], g[1].version) for tp, g in zip(partitions, got, strict=True) if g is not None}

    async def topic_config(self, topic: str) -> dict[str, str]:
        got = await self.zk.get(Z.topic_config_path(topic))
        return {} if got is None else Z.parse_config(got[0])

    # -- writes --------------------------------------------------------------------------------
    async def set_topic_id(self, topic: str, partitions: dict[int, list[int]], topic_id: uuid.UUID) -> None:
        await self.fenced([SetData(Z.topic_path(topic), Z.topic_data(partitions, topic_id), -1)])

    async def create_states(self, states: dict[TP, Z.LeaderAndIsr]) -> dict[TP, Z.LeaderAndIsr]:
        """Create the partitions' state znodes (and their parents); the created ones with their zkVersion (0)."""
        for topic in sorted({t for t, _ in states}):
            await self.fenced([Create(Z.partitions_path(topic), None)])
        for t, p in states:
            await self.fenced([Create(Z.partition_path(t, p), None)])
        created: dict[TP, Z.LeaderAndIsr] = {}
        for tp, s in states.items():
            result = (await self.fenced([Create(Z.state_path(*tp), Z.state_data(s))]))[0]
            if isinstance(result, NodeExistsError):
                log.warning("state znode of %s-%d exists already", *tp)
                continue
            if isinstance(result, Exception):
                raise result
            created[tp] = s
        return created

    async def update_state(self, tp: TP, s: Z.LeaderAndIsr, expected_version: int) -> int | None:
        """Conditional write of a partition state: its new zkVersion, or None when the version was stale."""
        result = (await self.fenced([SetData(Z.state_path(*tp), Z.state_data(s), expected_version)]))[0]
        if isinstance(result, BadVersionError | NoNodeError):
            return None
        if isinstance(result, Exception):
            raise result
        return int(result.version)  # type: ignore[attr-defined]

    async def delete_topic(self, topic: str, partitions: list[int]) -> None:
        """Remove /brokers/topics/<t> (children first), /config/topics/<t> and /admin/delete_topics/<t>."""
        for p in partitions:
            for path in (Z.state_path(topic, p), Z.partition_path(topic, p)):
                await self._fenced_delete(path)
        for path in (Z.partitions_path(topic), Z.topic_path(topic), Z.topic_config_path(topic),
                     Z.delete_topic_path(topic)):
            await self._fenced_delete(path)

    async def delete_marker(self, topic: str) -> None:
        await self._fenced_delete(Z.delete_topic_path(topic))

    async def _fenced_delete(self, path: str) -> None:
        children = await self.zk.get_children(path)
        if children is None:
            return
        for child in children:  # anything left under it (written by someone else): deleted with it
            await self._fenced_delete(f"{path}/{child}")
        result = (await self.fenced([Delete(path)]))[0]
        if isinstance(result, Exception) and not isinstance(result, NoNodeError):
            raise result

    async def allocate_producer_ids(self, broker_id: int) -> tuple[int, int]:
        """The next block of producer ids for broker_id: (first id, count), by a conditional write."""
        for _ in range(100):
            got = await self.zk.get(Z.PRODUCER_ID_BLOCK)
            if got is None:
                await self.zk.create_if_absent(Z.PRODUCER_ID_BLOCK)
                continue
            block = Z.parse_producer_id_block(got[0])
            start = 0 if block is None else block[1] + 1
            end = start + Z.PRODUCER_ID_BLOCK_SIZE - 1
            result = (await self.fenced([SetData(Z.PRODUCER_ID_BLOCK, Z.producer_id_block_data(broker_id, start, end),
                                                 got[1].version)]))[0]
            if not isinstance(result, Exception):
                return start, Z.PRODUCER_ID_BLOCK_SIZE
        raise RuntimeError("could not allocate a producer id block after 100 attempts")


__all__ = ["ControllerMovedError", "ControllerStore", "failed"]
