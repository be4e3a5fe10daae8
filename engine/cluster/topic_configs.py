"""Topics' configs in ZooKeeper mode: /config/topics/<t>, with /config/changes notifications (Kafka's
ZkConfigManager and ZkNodeChangeNotificationListener).

Whoever changes a topic's config writes /config/topics/<t> and then a sequential
/config/changes/config_change_NNNNNNNNNN node {"version":2,"entity_path":"topics/<t>"};
every broker watches /config/changes, re-reads the named topics and applies them to its
view and its logs. Notifications older than 15 minutes are deleted by the brokers that
see them. A broker also reads a topic's config when the topic first appears in its metadata.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from kazoo.exceptions import NoNodeError

from engine.aio import cancel_and_wait
from engine.cluster import znodes as Z
from engine.cluster.zk import ZkClient, ZkError

if TYPE_CHECKING:
    from engine.broker import Broker

log = logging.getLogger("engine.configs")
PURGE_AFTER_MS = 15 * 60 * 1000


class TopicConfigs:
    def __init__(self, broker: Broker, zk: ZkClient) -> None:
        self.broker = broker
        self.zk = zk
        self.last_seen = -1
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        children = await self.zk.get_children(Z.CONFIG_CHANGES, watch=self._watch) or []
        self.last_seen = max((_seq(c) for c in children), default=-1)

    def _watch(self, _event: object) -> None:
        self._spawn(self._process())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        await cancel_and_wait(*self._tasks)

    async def _process(self) -> None:
        try:
            children = await self.zk.get_children(Z.CONFIG_CHANGES, watch=self._watch) or []
            now = int(time.time() * 1000)
            for child in sorted(children, key=_seq):
                seq = _seq(child)
                path = f"{Z.CONFIG_CHANGES}/{child}"
                got = await self.zk.get(path)
                if got is None:
                    continue
                if seq > self.last_seen:
                    self.last_seen = seq
                    entity = Z.parse_config_change(got[0])
                    if entity is not None and entity[0] == "topics":
                        await self.reload(entity[1])
                if now - int(got[1].ctime) > PURGE_AFTER_MS:
                    with contextlib.suppress(NoNodeError, ZkError):
                        await self.zk.delete(path)
        except ZkError as exc:
            log.warning("reading config changes failed: %s", exc)

    async def read(self, topic: str) -> dict[str, str]:
        got = await self.zk.get(Z.topic_config_path(topic))
        return {} if got is None else Z.parse_config(got[0])

    async def reload(self, topic: str) -> None:
        try:
            configs = await self.read(topic)
        except ZkError as exc:
            log.warning("reading the configs of %s failed: %s", topic, exc)
            return
        self.apply(topic, configs)

    def apply(self, topic: str, configs: dict[str, str]) -> None:
        broker = self.broker
        for view in (broker.topics.get(topic), broker.local_topics.get(topic)):
            if view is not None:
                view.configs = dict(configs)
        if topic in broker.local_topics and broker.catalog is not None:
            broker.catalog.set_topic_configs(topic, configs)
        broker._reconfigure_logs(topic)

    def load_later(self, topic: str) -> None:
        self._spawn(self.reload(topic))

    async def write(self, topic: str, configs: dict[str, str]) -> None:
        """Set a topic's configs (AlterConfigs on any broker) and notify every broker."""
        path = Z.topic_config_path(topic)
        if await self.zk.get(path) is None:
            await self.zk.create_if_absent(path, Z.config_data(configs))
        await self.zk.set(path, Z.config_data(configs))
        await self.zk.create(f"{Z.CONFIG_CHANGES}/{Z.CONFIG_CHANGE_PREFIX}", Z.config_change_data("topics", topic),
                             sequential=True)
        self.apply(topic, configs)


def _seq(name: str) -> int:
    digits = name[len(Z.CONFIG_CHANGE_PREFIX):] if name.startswith(Z.CONFIG_CHANGE_PREFIX) else ""
    return int(digits) if digits.isdigit() else -1
