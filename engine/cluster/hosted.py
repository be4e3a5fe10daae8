"""The replicas this broker hosts in ZooKeeper mode, and the topics it knows of.

In ZooKeeper mode ZooKeeper is the source of truth for topics: the broker's `topics` mirror
the cluster's metadata (from UpdateMetadata, with configs read from /config/topics), and a
replica's log is created when a LeaderAndIsr names this broker, and deleted by
StopReplica(delete). The catalog (SQLite) still records each hosted topic's id, so that the
logs found in log.dirs reopen at start-up with it, before the controller has spoken.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from typing import TYPE_CHECKING

from engine.catalog import TopicRecord

if TYPE_CHECKING:
    from engine.broker import Broker
    from engine.partition import Partition

log = logging.getLogger("engine.broker")


def open_hosted(broker: Broker) -> None:
    """Start-up: reopen every replica log found on disk for a topic in the catalog."""
    assert broker.catalog is not None and broker.log_manager is not None
    recovery_points = broker.log_manager.recovery_points()
    for rec in broker.catalog.topics():
        broker.local_topics[rec.name] = rec
        for i in range(rec.partitions):
            if (broker.data_dir / f"{rec.name}-{i}").is_dir():
                broker._open_partition(rec, i, recovery_points.get((rec.name, i)))


def ensure_replica(broker: Broker, topic: str, index: int, topic_id: uuid.UUID,
                   configs: dict[str, str] | None = None) -> Partition:
    """The local replica of topic-index, its log created (and the topic recorded) when new; configs, when given,
    are the topic's overrides just read from /config/topics/<topic>."""
    if configs is not None:
        for known in (broker.topics.get(topic), broker.local_topics.get(topic)):
            if known is not None and known.topic_id == topic_id:
                known.configs = dict(configs)
    p = broker.partition(topic, index)
    if p is not None:
        return p
    assert broker.catalog is not None
    rec = broker.local_topics.get(topic)
    if rec is not None and rec.topic_id != topic_id:
        # the topic was deleted and created again while this broker was away: the old logs are stale
        for i in range(rec.partitions):
            delete_replica(broker, topic, i)
        broker.catalog.delete_topic(topic)
        rec = None
    if rec is None:
        if configs is None:
            configs = broker.topics[topic].configs if topic in broker.topics else {}
        rec = TopicRecord(topic, topic_id, index + 1, 1, dict(configs), broker.now_ms())
        broker.catalog.add_topic(rec)
        broker.local_topics[topic] = rec
    elif index >= rec.partitions:
        rec.partitions = index + 1
        broker.catalog.set_partitions(topic, rec.partitions)
    view = broker.topics.get(topic)
    if view is None:
        broker.topics[topic] = TopicRecord(topic, topic_id, index + 1, 1, dict(rec.configs), rec.created_ms)
    log.info("creating the replica %s-%d (topic id %s)", topic, index, topic_id)
    return broker._open_partition(rec, index)


def delete_replica(broker: Broker, topic: str, index: int) -> None:
    p = broker.partitions.pop((topic, index), None)
    rec = broker.local_topics.get(topic)
    if p is not None:
        p.close()
        p.notify()
    src = broker.data_dir / f"{topic}-{index}"
    if src.exists():
        tag = rec.topic_id.hex if rec is not None else uuid.uuid4().hex
        dst = broker.data_dir / f"{topic}-{index}.{tag}-delete"
        os.replace(src, dst)
        if broker.log_manager is not None:
            broker.log_manager.remove_later(dst)
        else:
            shutil.rmtree(dst, ignore_errors=True)
    if rec is not None and not any(t == topic for t, _i in broker.partitions):
        assert broker.catalog is not None
        broker.catalog.delete_topic(topic)
        del broker.local_topics[topic]
