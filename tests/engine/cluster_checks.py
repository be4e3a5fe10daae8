"""Helpers of the ZooKeeper-mode cluster tests: topics through the admin API, conditions read from the znodes, an
idempotent acks=all producer running in the background, and the replicas' logs read back with the engine's own
log reader once the brokers are stopped."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from engine.storage.batch import iter_valid_batches
from engine.storage.log import Log, LogConfig
from engine.storage.records import decode_records
from tests.components.engine_cluster import EngineCluster
from tests.components.process import wait_until


def create_topic(cluster: EngineCluster, topic: str, partitions: int = 3, rf: int = 3,
                 config: dict[str, str] | None = None) -> None:
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    futures = admin.create_topics([NewTopic(topic, partitions, rf, config=config or {})], operation_timeout=30)
    futures[topic].result(60)
    wait_until(lambda: all(len(cluster.isr(topic, p)) == rf for p in range(partitions)), 60,
               f"every partition of {topic} to have {rf} replicas in its ISR")


def isr_full(cluster: EngineCluster, topic: str, partitions: int, size: int = 3) -> bool:
    return all(len(cluster.isr(topic, p)) == size and cluster.leader(topic, p) >= 0 for p in range(partitions))


@dataclasses.dataclass
class Acked:
    """A delivery report without error. Its offset is None when librdkafka acknowledged the message implicitly:
    a request that failed with an uncertain outcome (a timeout, NOT_ENOUGH_REPLICAS_AFTER_APPEND) was followed by
    a later request of the same producer that succeeded, which proves the earlier messages persisted
    (rd_kafka_dr_implicit_ack); their offsets are then unknown to the client."""
    partition: int
    offset: int | None
    value: bytes


class BackgroundProducer:
    """An idempotent acks=all producer (librdkafka) sending values 0, 1, 2, ... round-robin over the partitions
    from a thread until stopped, remembering every acknowledgement and every failed delivery."""

    def __init__(self, bootstrap: str, topic: str, partitions: int, **config: Any) -> None:
        self.topic = topic
        self.partitions = partitions
        self.acked: list[Acked] = []
        self.failed: list[tuple[bytes, str]] = []
        self.fatal: list[str] = []
        self.sent = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.producer = Producer({
            "bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5,
            "message.timeout.ms": 300000, "retry.backoff.ms": 50, "retry.backoff.max.ms": 500,
            "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 500, "error_cb": self._on_error, **config})
        self._thread = threading.Thread(target=self._run, name="background-producer", daemon=True)

    def _on_error(self, err: KafkaError) -> None:
        if err.fatal():
            self.fatal.append(str(err))

    def _on_delivery(self, err: KafkaError | None, msg: Any) -> None:
        with self._lock:
            if err is None:
                self.acked.append(Acked(msg.partition(), msg.offset(), msg.value()))
            else:
                self.failed.append((msg.value(), str(err)))

    def _run(self) -> None:
        while not self._stop.is_set() and not self.fatal:
            try:
                self.producer.produce(self.topic, value=str(self.sent).encode(), partition=self.sent % self.partitions,
                                      on_delivery=self._on_delivery)
                self.sent += 1
            except BufferError:
                pass
            self.producer.poll(0.004)  # about 250 messages a second, and the delivery reports

    def start(self) -> BackgroundProducer:
        self._thread.start()
        return self

    def acked_count(self) -> int:
        with self._lock:
            return len(self.acked)

    def wait_acked(self, more: int, timeout: float, what: str) -> None:
        target = self.acked_count() + more
        wait_until(lambda: self.acked_count() >= target or self.fatal, timeout, f"{more} more acks {what}")
        assert not self.fatal, self.fatal

    def stop(self, timeout: float = 120) -> None:
        self._stop.set()
        self._thread.join(30)
        remaining = self.producer.flush(timeout)
        assert remaining == 0, f"{remaining} messages still undelivered after {timeout} s"


def consume_partitions(bootstrap: str, topic: str, partitions: int,
                       timeout: float = 60) -> dict[int, list[tuple[int, bytes]]]:
    """Every record of every partition, from the log start to the high watermark, as (offset, value)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "replication-check", "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "enable.partition.eof": True})
    try:
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in range(partitions)}
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        got: dict[int, list[tuple[int, bytes]]] = {p: [] for p in range(partitions)}
        deadline = time.monotonic() + timeout
        while any((got[p][-1][0] + 1 if got[p] else 0) < ends[p] for p in got):
            assert time.monotonic() < deadline, f"consumed only {[len(v) for v in got.values()]} of {ends}"
            msg = consumer.poll(0.5)
            if msg is None or (msg.error() and msg.error().code() == KafkaError._PARTITION_EOF):
                continue
            assert msg.error() is None, msg.error()
            got[msg.partition()].append((msg.offset(), msg.value()))
        return got
    finally:
        consumer.close()


@dataclasses.dataclass(frozen=True)
class StoredRecord:
    """One record as a replica stores it, with its batch's leader epoch and producer fields."""
    offset: int
    leader_epoch: int
    producer_id: int
    producer_epoch: int
    sequence: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...]


def replica_records(data_dir: Path, topic: str, partition: int) -> list[StoredRecord]:
    """Every record of a stopped broker's replica, read from its log directory by the engine's log reader."""
    log = Log.open(data_dir / f"{topic}-{partition}", LogConfig(), now_ms=int(time.time() * 1000))
    try:
        out: list[StoredRecord] = []
        offset = log.log_start_offset
        while offset < log.log_end_offset:  # bounded: every read returns at least one batch past offset
            data = log.read(offset, 1 << 20).records
            assert data, f"no batch at offset {offset} of {data_dir.name}/{topic}-{partition}"
            for pos, h in iter_valid_batches(data, verify_crc=True):
                batch = bytes(data[pos: pos + h.size])
                for r in decode_records(batch):
                    out.append(StoredRecord(r.offset, h.partition_leader_epoch, h.producer_id, h.producer_epoch,
                                            h.base_sequence + (r.offset - h.base_offset), r.timestamp, r.key,
                                            r.value, r.headers))
                offset = h.last_offset + 1
        return out
    finally:
        log.close()
