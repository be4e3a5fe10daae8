"""Topic deletion, as Kafka's TopicDeletionManager: /admin/delete_topics/<t> markers, StopReplica(delete) to
every replica, and the topic's znodes removed once all replicas are gone.

1. A marker appears (DeleteTopics, or a tool). Unknown topic or delete.topic.enable=false:
   the marker is removed. Otherwise the topic is queued.
2. onTopicDeletion: UpdateMetadata with leader -2 to every broker (they stop serving it),
   partitions Offline -> NonExistent, replicas on live brokers Offline -> DeletionStarted
   (StopReplica delete=true, leader epoch -2); replicas on dead brokers are ineligible and
   the deletion waits for their broker to come back.
3. Each StopReplica answer marks its replicas DeletionSuccessful (or ineligible on an error);
   when all are successful, /brokers/topics/<t> (recursively), /config/topics/<t> and the
   marker are deleted, all fenced by the controller epoch.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from engine.cluster import znodes as Z
from engine.cluster.controller.states import PartitionState, ReplicaState

if TYPE_CHECKING:
    from engine.cluster.controller.controller import KafkaController

log = logging.getLogger("engine.controller")
P, R = PartitionState, ReplicaState


class TopicDeletion:
    def __init__(self, controller: KafkaController) -> None:
        self.c = controller
        self.ctx = controller.ctx

    @property
    def enabled(self) -> bool:
        return bool(self.c.config["delete.topic.enable"])

    def _watch(self, event: object) -> None:
        self.c._watch_deletions(event)

    async def _markers(self) -> list[str]:
        return sorted(await self.c.zk.get_children(Z.DELETE_TOPICS, watch=self._watch) or [])

    async def load(self) -> None:
        await self._queue(await self._markers())

    async def on_marker_change(self) -> None:
        if not self.c.is_active:
            return
        markers = await self._markers()
        new = [t for t in markers if t not in self.ctx.topics_to_delete]
        if new:
            await self._queue(new)
            await self.resume()

    async def _queue(self, topics: list[str]) -> None:
        for topic in topics:
            if topic not in self.ctx.assignments or not self.enabled:
                why = "deletion is disabled" if topic in self.ctx.assignments else "the topic does not exist"
                log.info("removing the deletion marker of %s: %s", topic, why)
                await self.c.store.delete_marker(topic)
                continue
            log.info("topic %s queued for deletion", topic)
            self.ctx.topics_to_delete.add(topic)
            if any(not self.ctx.replica_online(r, True) for _t, _p, r in self.ctx.replicas_of(
                    self.ctx.partitions_of(topic))):
                self.ctx.topics_ineligible.add(topic)

    def mark_ineligible(self, topics: set[str]) -> None:
        self.ctx.topics_ineligible.update(t for t in topics if t in self.ctx.topics_to_delete)

    async def resume_for_brokers(self, broker_ids: list[int]) -> None:
        for t, _p, _r in self.ctx.replicas_on(broker_ids):
            self.ctx.topics_ineligible.discard(t)
        await self.resume()

    async def resume(self) -> None:
        for topic in sorted(self.ctx.topics_to_delete):
            keys = self.ctx.replicas_of(self.ctx.partitions_of(topic))
            states = [self.ctx.replica_states.get(k) for k in keys]
            if keys and all(s is R.DELETION_SUCCESSFUL for s in states):
                await self._complete(topic)
                continue
            if any(s is R.DELETION_STARTED for s in states):
                continue
            if topic in self.ctx.topics_ineligible:
                if all(self.ctx.replica_online(r, True) for _t, _p, r in keys):
                    self.ctx.topics_ineligible.discard(topic)
                else:
                    continue
            retry = [k for k in keys if self.ctx.replica_states.get(k) is R.DELETION_INELIGIBLE]
            batch = self.c.batch()
            if retry:
                await self.c.machines.replicas_to(batch, retry, R.OFFLINE)
            await self._delete(topic, batch)
            batch.send()

    async def _delete(self, topic: str, batch: Any) -> None:
        partitions = self.ctx.partitions_of(topic)
        log.info("deleting topic %s (%d partitions)", topic, len(partitions))
        batch.add_update_metadata(sorted(self.ctx.live_or_shutting_ids), partitions)
        existing = [tp for tp in partitions if self.ctx.partition_states.get(tp) is not P.NON_EXISTENT]
        await self.c.machines.partitions_to(batch, existing, P.OFFLINE)
        await self.c.machines.partitions_to(batch, existing, P.NON_EXISTENT)
        keys = self.ctx.replicas_of(partitions)
        dead = [k for k in keys if not self.ctx.replica_online(k[2], True)]
        live = [k for k in keys if k not in dead]
        if dead:
            await self.c.machines.replicas_to(batch, dead, R.DELETION_INELIGIBLE)
            self.ctx.topics_ineligible.add(topic)
        await self.c.machines.replicas_to(batch, live, R.OFFLINE)
        await self.c.machines.replicas_to(batch, live, R.DELETION_STARTED, stop_callback=self._stopped)

    def _stopped(self, broker_id: int, response: Any) -> None:
        """A StopReplica(delete) answer (the channel's task): handled as a controller event."""
        self.c.put("TopicDeletionStopReplicaResponseReceived", lambda: self._on_stopped(broker_id, response))

    async def _on_stopped(self, broker_id: int, response: Any) -> None:
        if not self.c.is_active:
            return
        top_error = int(response.error_code)
        done: list[tuple[str, int, int]] = []
        failed: list[tuple[str, int, int]] = []
        for pe in response.partition_errors:
            key = (str(pe.topic_name), int(pe.partition_index), broker_id)
            if self.ctx.replica_states.get(key) is not R.DELETION_STARTED:
                continue
            (failed if top_error or int(pe.error_code) else done).append(key)
        batch = self.c.batch()
        await self.c.machines.replicas_to(batch, done, R.DELETION_SUCCESSFUL)
        if failed:
            log.warning("replica deletion failed on broker %d for %s", broker_id, failed)
            await self.c.machines.replicas_to(batch, failed, R.DELETION_INELIGIBLE)
            self.mark_ineligible({k[0] for k in failed})
        batch.send()
        await self.resume()

    async def _complete(self, topic: str) -> None:
        partitions = self.ctx.partitions_of(topic)
        batch = self.c.batch()
        await self.c.machines.replicas_to(batch, self.ctx.replicas_of(partitions), R.NON_EXISTENT)
        await self.c.store.delete_topic(topic, [p for _t, p in partitions])
        self.ctx.remove_topic(topic)
        log.info("deleted topic %s", topic)
