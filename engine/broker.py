"""The broker's state: topics and partitions with their logs, the catalog, and topic operations.

Handlers in engine/api call into this; it knows nothing of the wire protocol. With
zookeeper.connect set, `cluster` is the broker's ZooKeeper-mode node (engine.cluster.node):
`topics` then mirror the cluster's metadata, `partitions` are the replicas hosted here
(`local_topics` their topics), and topic changes go through ZooKeeper.
"""

from __future__ import annotations

import base64
import dataclasses
import fcntl
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kio.schema.errors import ErrorCode

from engine.catalog import Catalog, TopicRecord
from engine.config import (
    BROKER_PROPS,
    TOPIC_CONFIGS,
    BrokerConfig,
    ConfigError,
    load_broker_config,
    validate_topic_configs,
)
from engine.coordinator.coordinator import GroupCoordinator
from engine.coordinator.offsets_topic import OffsetsTopicJournal
from engine.coordinator.startup import open_coordinators
from engine.coordinator.txn_coordinator import TransactionCoordinator
from engine.coordinator.txn_log import TxnLog
from engine.fetch_session import FetchSessionCache
from engine.log_cleaner import LogCleaner
from engine.log_manager import LogManager
from engine.partition import Partition, open_partition
from engine.storage import Log, LogConfig

if TYPE_CHECKING:
    from engine.cluster.node import ZkNode

log = logging.getLogger("engine.broker")

LEGAL_TOPIC = re.compile(r"^[a-zA-Z0-9._-]+$")
MAX_TOPIC_LENGTH = 249
INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state"})


BROKER_PROP_BY_NAME = {p.name: p for p in BROKER_PROPS}


def _fmt_setting(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


class BrokerError(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def topic_name_problem(name: str) -> str | None:
    if not name:
        return "Topic name is illegal, it can't be empty"
    if name in (".", ".."):
        return "Topic name cannot be \".\" or \"..\""
    if len(name) > MAX_TOPIC_LENGTH:
        return f"Topic name is illegal, it can't be longer than {MAX_TOPIC_LENGTH} characters, topic name: {name}"
    if not LEGAL_TOPIC.match(name):
        return (f"Topic name {name} is illegal, it contains a character other than "
                "ASCII alphanumerics, '.', '_' and '-'")
    return None


def new_cluster_id() -> str:
    """A Kafka-style id: URL-safe base64 of a random UUID, never starting with '-' (as Kafka's Uuid)."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid


class Broker:
    def __init__(self, config: BrokerConfig, clock: Callable[[], float] = time.time) -> None:
        self.static_config = config
        self.config = config
        self.dynamic_configs: dict[str, str] = {}
        self.clock = clock
        self.node_id = config.node_id
        self.data_dir = config.data_dir
        self.topics: dict[str, TopicRecord] = {}
        self.partitions: dict[tuple[str, int], Partition] = {}
        self.catalog: Catalog | None = None
        self.journal: OffsetsTopicJournal | None = None
        self.groups: GroupCoordinator | None = None
        self.txn_log: TxnLog | None = None
        self.txn: TransactionCoordinator | None = None
        self.cleaner: LogCleaner | None = None
        self.log_manager: LogManager | None = None
        self.fetch_sessions = FetchSessionCache(int(config["max.incremental.fetch.session.cache.slots"]))
        self._topics_by_id: dict[uuid.UUID, TopicRecord] = {}
        self._lock_fd: int | None = None
        self.cluster_id = ""
        self.cluster: ZkNode | None = None  # ZooKeeper mode
        self.zk_cluster_id: str | None = None  # /cluster/id, read before open() in ZooKeeper mode
        self.local_topics: dict[str, TopicRecord] = {}  # ZooKeeper mode: topics with replicas here

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # -- lifecycle ------------------------------------------------------------------
    def open(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.data_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise BrokerError(ErrorCode.kafka_storage_error,
                              f"log.dirs {self.data_dir} is in use by another broker process") from None
        self._lock_fd = fd
        self.catalog = Catalog(self.data_dir / "engine-metadata.sqlite")
        stored = self.catalog.get_meta("cluster.id")
        wanted = self.zk_cluster_id or self.config["cluster.id"]
        if stored and wanted and stored != wanted:
            raise BrokerError(ErrorCode.inconsistent_cluster_id,
                              f"cluster.id {wanted} does not match {stored} stored in {self.data_dir}")
        self.cluster_id = stored or wanted or new_cluster_id()
        if not stored:
            self.catalog.set_meta("cluster.id", self.cluster_id)
        self._write_meta_properties()
        self.dynamic_configs = self.catalog.broker_configs()
        self.config = self._effective_config(self.dynamic_configs)
        self.log_manager = LogManager(
            self.data_dir, self._logs, flush_check_ms=int(self.config["log.flush.scheduler.interval.ms"]),
            checkpoint_interval_ms=int(self.config["log.flush.offset.checkpoint.interval.ms"]), wall_ms=self.now_ms)
        if self.cluster is not None:
            from engine.cluster.hosted import open_hosted

            open_hosted(self)
        else:
            recovery_points = self.log_manager.recovery_points()
            for rec in self.catalog.topics():
                self.topics[rec.name] = rec
                for i in range(rec.partitions):
                    self._open_partition(rec, i, recovery_points.get((rec.name, i)))
        self._remove_leftover_deletions()
        open_coordinators(self, replay=self.cluster is None)

    def _open_partition(self, rec: TopicRecord, index: int, recovery_point: int | None = None) -> Partition:
        p = open_partition(self.data_dir, rec.name, index, rec.topic_id, self.log_config(rec.name), self.node_id,
                           self.now_ms(), recovery_point)
        if self.log_manager is not None:
            self.log_manager.attach(p.log)
        self.partitions[(rec.name, index)] = p
        return p

    def _logs(self) -> list[tuple[str, int, Log]]:
        return [(t, i, p.log) for (t, i), p in self.partitions.items()]

    async def flush_if_due(self, p: Partition) -> None:
        """flush.messages: an append is acknowledged only once flushed when that many messages are unflushed."""
        if self.log_manager is not None:
            await self.log_manager.flush_if_due(p.log)

    def _write_meta_properties(self) -> None:
        text = (f"version=1\ncluster.id={self.cluster_id}\nnode.id={self.node_id}\n"
                "# written by the Kafka Workbench broker\n")
        path = self.data_dir / "meta.properties"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)

    def _remove_leftover_deletions(self) -> None:
        for child in self.data_dir.iterdir():
            if child.is_dir() and child.name.endswith("-delete"):
                shutil.rmtree(child, ignore_errors=True)

    def close(self) -> None:
        """Blocking: the shutdown sync of every log (run it off the event loop, after log_manager.drain())."""
        logs = self._logs()
        self.partitions.clear()
        if self.cleaner is not None:
            self.cleaner.close()
        if self.log_manager is not None:
            self.log_manager.shutdown(logs)
        else:
            for _t, _i, log_obj in logs:
                log_obj.close()
        if self.catalog is not None:
            self.catalog.close()
            self.catalog = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- configs --------------------------------------------------------------------
    def _effective_config(self, dynamic: dict[str, str]) -> BrokerConfig:
        settings = {k: _fmt_setting(v) for k, v in self.static_config.values.items()
                    if k in self.static_config.explicit}
        settings.update(dynamic)
        try:
            merged = load_broker_config(settings)
        except ConfigError as exc:
            raise BrokerError(ErrorCode.invalid_config, str(exc)) from None
        return dataclasses.replace(merged, explicit=self.static_config.explicit,
                                   ignored=self.static_config.ignored)

    def set_dynamic_configs(self, dynamic: dict[str, str], validate_only: bool) -> None:
        for name in dynamic:
            prop = BROKER_PROP_BY_NAME.get(name)
            if prop is None:
                raise BrokerError(ErrorCode.invalid_config, f"Unknown broker config name: {name}")
            if prop.read_only:
                raise BrokerError(ErrorCode.invalid_config,
                                  f"Cannot update these configs dynamically: [{name}]")
        config = self._effective_config(dynamic)
        if validate_only:
            return
        assert self.catalog is not None
        self.catalog.set_broker_configs(dynamic)
        self.dynamic_configs = dict(dynamic)
        self.config = config
        self._reconfigure_logs(None)

    def set_topic_configs(self, topic: str, configs: dict[str, str], validate_only: bool) -> None:
        _parsed, err = validate_topic_configs(list(configs.items()))
        if err:
            raise BrokerError(ErrorCode.invalid_config, err)
        if validate_only:
            return
        assert self.catalog is not None
        self.catalog.set_topic_configs(topic, configs)
        self.topics[topic].configs = dict(configs)
        self._reconfigure_logs(topic)

    def _reconfigure_logs(self, topic: str | None) -> None:
        for (name, _i), p in self.partitions.items():
            if topic is None or name == topic:
                p.log.update_config(self.log_config(name))

    def topic_config_value(self, topic: str, name: str) -> Any:
        rec = self.topics.get(topic)
        if rec is not None and name in rec.configs:
            return TOPIC_CONFIGS[name].parse(rec.configs[name])
        return self.config.topic_default(name)

    def log_config(self, topic: str) -> LogConfig:
        v = self.topic_config_value
        deletes = "delete" in str(v(topic, "cleanup.policy"))  # compacted-only topics are never trimmed by age
        return LogConfig(
            segment_bytes=v(topic, "segment.bytes"),
            segment_ms=v(topic, "segment.ms"),
            retention_ms=v(topic, "retention.ms") if deletes else -1,
            retention_bytes=v(topic, "retention.bytes") if deletes else -1,
            index_interval_bytes=v(topic, "index.interval.bytes"),
            segment_index_bytes=v(topic, "segment.index.bytes"),
            max_message_bytes=v(topic, "max.message.bytes"),
            message_timestamp_type=v(topic, "message.timestamp.type"),
            flush_messages=v(topic, "flush.messages"),
            flush_ms=v(topic, "flush.ms"),
            compact="compact" in str(v(topic, "cleanup.policy")),
        )

    # -- topics ---------------------------------------------------------------------
    def partition(self, topic: str, index: int) -> Partition | None:
        return self.partitions.get((topic, index))

    def leader_partition(self, topic: str, index: int) -> tuple[Partition | None, ErrorCode]:
        """The partition when this broker leads it, else why not (Kafka's getPartitionOrError): a replica
        here that follows, or a partition the cluster has elsewhere, is NOT_LEADER_OR_FOLLOWER."""
        p = self.partitions.get((topic, index))
        if self.cluster is None:
            return (p, ErrorCode.none) if p is not None else (None, ErrorCode.unknown_topic_or_partition)
        if p is not None and p.replication is not None and p.replication.leading:
            return p, ErrorCode.none
        if p is not None or self.cluster.replicas.metadata.contains(topic, index):
            return None, ErrorCode.not_leader_or_follower
        return None, ErrorCode.unknown_topic_or_partition

    def next_producer_id(self) -> int | None:
        """A producer id no other broker hands out (ZooKeeper mode: from the controller's blocks; None until the
        first block arrives)."""
        if self.cluster is not None:
            return self.cluster.producer_ids.next_id()
        assert self.catalog is not None
        return self.catalog.next_producer_id()

    def topic_by_id(self, topic_id: uuid.UUID) -> TopicRecord | None:
        rec = self._topics_by_id.get(topic_id)
        if rec is None or self.topics.get(rec.name) is not rec:
            self._topics_by_id = {r.topic_id: r for r in self.topics.values()}
            rec = self._topics_by_id.get(topic_id)
        return rec

    def validate_new_topic(self, name: str, partitions: int, replication_factor: int,
                           configs: list[tuple[str, str | None]]) -> tuple[int, int, dict[str, Any]]:
        problem = topic_name_problem(name)
        if problem:
            raise BrokerError(ErrorCode.invalid_topic_exception, problem)
        if name in self.topics:
            raise BrokerError(ErrorCode.topic_already_exists, f"Topic '{name}' already exists.")
        collision = name.replace(".", "_")
        for other in self.topics:
            if other.replace(".", "_") == collision:
                raise BrokerError(ErrorCode.invalid_topic_exception,
                                  f"Topic '{name}' collides with existing topic: {other}")
        if partitions == -1:
            partitions = int(self.config["num.partitions"])
        if replication_factor == -1:
            replication_factor = int(self.config["default.replication.factor"])
        if partitions <= 0:
            raise BrokerError(ErrorCode.invalid_partitions, "Number of partitions must be larger than 0.")
        if replication_factor <= 0:
            raise BrokerError(ErrorCode.invalid_replication_factor, "Replication factor must be larger than 0.")
        if replication_factor > 1:
            raise BrokerError(ErrorCode.invalid_replication_factor,
                              f"Unable to replicate the partition {replication_factor} time(s): "
                              "The target replication factor of "
                              f"{replication_factor} cannot be reached because only 1 broker(s) are registered.")
        parsed, err = validate_topic_configs(configs)
        if err:
            raise BrokerError(ErrorCode.invalid_config, err)
        return partitions, replication_factor, parsed

    def create_topic(self, name: str, partitions: int, replication_factor: int,
                     configs: list[tuple[str, str | None]]) -> TopicRecord:
        partitions, rf, _parsed = self.validate_new_topic(name, partitions, replication_factor, configs)
        assert self.catalog is not None
        rec = TopicRecord(name, uuid.uuid4(), partitions, rf,
                          {k: str(v) for k, v in configs if v is not None}, self.now_ms())
        self.catalog.add_topic(rec)
        self.topics[name] = rec
        for i in range(partitions):
            self._open_partition(rec, i)
        log.info("created topic %s with %d partition(s), id %s", name, partitions, rec.topic_id)
        return rec

    def create_internal_topic(self, name: str, partitions: int, configs: dict[str, str]) -> TopicRecord:
        """An internal topic (__consumer_offsets): its configs are the broker's own, not validated as a user's."""
        assert self.catalog is not None
        rec = TopicRecord(name, uuid.uuid4(), partitions, 1, dict(configs), self.now_ms())
        self.catalog.add_topic(rec)
        self.topics[name] = rec
        for i in range(partitions):
            self._open_partition(rec, i)
        log.info("created internal topic %s with %d partition(s)", name, partitions)
        return rec

    def delete_topic(self, name: str) -> None:
        if name in INTERNAL_TOPICS:
            raise BrokerError(ErrorCode.invalid_topic_exception, f"Topic {name} is internal and cannot be deleted")
        if not self.config["delete.topic.enable"]:
            raise BrokerError(ErrorCode.topic_deletion_disabled, "Topic deletion is disabled.")
        rec = self.topics.get(name)
        if rec is None:
            raise BrokerError(ErrorCode.unknown_topic_or_partition,
                              "This server does not host this topic-partition.")
        assert self.catalog is not None
        self.catalog.delete_topic(name)
        del self.topics[name]
        for i in range(rec.partitions):
            p = self.partitions.pop((name, i), None)
            if p is None:
                continue
            p.close()
            p.notify()
            src = self.data_dir / f"{name}-{i}"
            if src.exists():
                dst = self.data_dir / f"{name}-{i}.{rec.topic_id.hex}-delete"
                os.replace(src, dst)
                if self.log_manager is not None:
                    self.log_manager.remove_later(dst)
                else:
                    shutil.rmtree(dst, ignore_errors=True)
        log.info("deleted topic %s", name)

    def create_partitions(self, name: str, count: int, validate_only: bool) -> None:
        rec = self.topics.get(name)
        if rec is None:
            raise BrokerError(ErrorCode.unknown_topic_or_partition, f"The topic '{name}' does not exist.")
        if count < rec.partitions:
            raise BrokerError(ErrorCode.invalid_partitions,
                              f"Topic currently has {rec.partitions} partitions, which is higher than "
                              f"the requested {count}.")
        if count == rec.partitions:
            raise BrokerError(ErrorCode.invalid_partitions,
                              f"Topic already has {rec.partitions} partitions.")
        if validate_only:
            return
        assert self.catalog is not None
        for i in range(rec.partitions, count):
            self._open_partition(rec, i)
        self.catalog.set_partitions(name, count)
        rec.partitions = count

    def apply_retention(self) -> int:
        now = self.now_ms()
        deleted = 0
        expiration = int(self.config["producer.id.expiration.ms"])
        for p in list(self.partitions.values()):
            deleted += int(p.log.apply_retention(now))
            p.producers.expire(now, expiration)
        return deleted
