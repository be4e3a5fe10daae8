"""Replicated-cluster benchmark: a 3-broker engine cluster and a 3-broker Apache Kafka 3.9 cluster, both in
ZooKeeper mode over their own 3-node ZooKeeper ensemble, measured in one run with the same client settings.

Run on demand (not in CI):  .venv/bin/python -m tests.bench.bench_cluster [--messages N]

Rows, per cluster:
- start-up: from launching the three brokers to all three registered in /brokers/ids, a controller elected
  and a Metadata answer naming all three;
- produce acks=all to a topic with 3 partitions, replication factor 3, min.insync.replicas=2 (100-byte
  messages, librdkafka, linger.ms=5, idempotent);
- failover: an idempotent acks=all producer sends one message every 5 ms to partition 0; the partition's
  leader is killed with SIGKILL; the time from the kill to the first acknowledgement of a message sent after it;
- memory: resident set of the three broker processes (ZooKeeper not counted), idle after start and after
  the load.

Both clusters notice failures alike: zookeeper.session.timeout.ms=4000, replica.lag.time.max.ms=4000.
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from tests.bench.bench_brokers import tree_rss_mib
from tests.components.engine_cluster import FAST, EngineCluster
from tests.components.kafka_server import ZK_MODE_VERSION, _java, _props, broker_ready
from tests.components.kafka_tools import kafka_libs
from tests.components.process import ManagedProcess, free_port, wait_until
from tests.components.zk_ensemble import ZkEnsemble

PAYLOAD = b"x" * 100
TOPIC = "bench-rf3"
FAILURE = {"zookeeper.session.timeout.ms": "4000", "replica.lag.time.max.ms": "4000",
           "offsets.topic.replication.factor": "3", "offsets.topic.num.partitions": "6",
           "group.initial.rebalance.delay.ms": "0", "leader.imbalance.check.interval.seconds": "3600"}
KAFKA_JVM = ["-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true"]


@dataclass
class Cluster:
    """Three brokers over a ZooKeeper ensemble, whatever runs them."""
    name: str
    bootstrap: str
    pids: Callable[[], dict[int, int]]  # broker id -> pid of the running brokers
    leader: Callable[[str, int], int]
    kill: Callable[[int], None]
    close: Callable[[], None]
    startup_s: float = 0.0
    figures: dict[str, str] = field(default_factory=dict)


def brokers_listed(bootstrap: str) -> int:
    try:
        return len(AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=5).brokers)
    except KafkaException:
        return 0


def engine_cluster(workdir: Path, ensemble: ZkEnsemble) -> Cluster:
    cluster = EngineCluster(workdir, ensemble, 3, {**FAST, **FAILURE})
    started = time.monotonic()
    cluster.start()
    wait_until(lambda: brokers_listed(cluster.bootstrap) == 3, 60, "Metadata to name three brokers")
    startup = time.monotonic() - started
    return Cluster("engine", cluster.bootstrap,
                   lambda: {i: b.proc.pid for i, b in cluster.brokers.items() if b.proc and b.proc.poll() is None},
                   cluster.leader, cluster.kill, cluster.close, startup)


def kafka_cluster(workdir: Path, ensemble: ZkEnsemble) -> Cluster:
    libs = kafka_libs(ZK_MODE_VERSION)
    procs: dict[int, ManagedProcess] = {}
    addrs: dict[int, str] = {i: f"127.0.0.1:{free_port()}" for i in (1, 2, 3)}
    started = time.monotonic()
    for broker_id, addr in addrs.items():
        home = workdir / f"kafka{broker_id}"
        home.mkdir(parents=True)
        cfg = home / "server.properties"
        cfg.write_text(_props({"broker.id": str(broker_id), "listeners": f"PLAINTEXT://{addr}",
                               "advertised.listeners": f"PLAINTEXT://{addr}", "log.dirs": str(home / "logs"),
                               "zookeeper.connect": ensemble.connect, "transaction.state.log.replication.factor": "3",
                               "transaction.state.log.min.isr": "2", **FAILURE}))
        procs[broker_id] = ManagedProcess(f"kafka-3.9-zk-{broker_id}",
                                          [*_java(libs, home, KAFKA_JVM), "kafka.Kafka", str(cfg)], home / "kafka.out")
    for proc in procs.values():  # launched from this thread: a child dies with the thread that started it
        proc.start(lambda: True, 10)
    for addr, proc in zip(addrs.values(), procs.values(), strict=True):
        wait_until(lambda a=addr, p=proc: p.proc is not None and p.proc.poll() is None and broker_ready(a), 180,
                   f"{proc.name} to answer")
    bootstrap = ",".join(addrs.values())
    try:
        wait_until(lambda: brokers_listed(bootstrap) == 3, 60, "Metadata to name three brokers")
    except Exception:
        for p in procs.values():
            print(p.tail(30))
        raise
    startup = time.monotonic() - started

    def leader(topic: str, partition: int) -> int:
        md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10)
        return int(md.topics[topic].partitions[partition].leader)

    def kill(broker_id: int) -> None:
        proc = procs[broker_id].proc
        assert proc is not None
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def close() -> None:
        for p in procs.values():
            p.stop()
    return Cluster(f"kafka {ZK_MODE_VERSION}", bootstrap,
                   lambda: {i: p.proc.pid for i, p in procs.items() if p.proc and p.proc.poll() is None},
                   leader, kill, close, startup)


def brokers_rss(cluster: Cluster) -> float:
    return sum(tree_rss_mib(pid) for pid in cluster.pids().values())


def produce_acks_all(bootstrap: str, count: int) -> float:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                         "linger.ms": 5, "queue.buffering.max.messages": 1_000_000})
    failed: list[KafkaError] = []

    def report(err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            failed.append(err)
    started = time.monotonic()
    for n in range(count):
        while True:
            try:
                producer.produce(TOPIC, PAYLOAD, partition=n % 3, on_delivery=report)
                break
            except BufferError:
                producer.poll(0.01)
    left = producer.flush(120)
    elapsed = time.monotonic() - started
    if left or failed:
        raise RuntimeError(f"{left} undelivered, {len(failed)} failed: {failed[:3]}")
    return count / elapsed


def failover_seconds(cluster: Cluster) -> float:
    """SIGKILL the leader of partition 0 while a producer sends to it every 5 ms; seconds from the kill to the
    first acknowledgement of a message sent after the kill."""
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all", "enable.idempotence": True,
                         "linger.ms": 0, "message.timeout.ms": 120_000})
    acked_after: list[float] = []
    killed_at = [0.0]

    def report(err: KafkaError | None, msg: Message) -> None:
        sent = float(msg.key() or b"0")
        if err is None and killed_at[0] and sent > killed_at[0]:
            acked_after.append(time.monotonic())
    for _ in range(200):  # warm: the producer knows the leader and has its producer id
        producer.produce(TOPIC, PAYLOAD, key=b"0", partition=0, on_delivery=report)
        producer.poll(0.005)
    producer.flush(30)
    victim = cluster.leader(TOPIC, 0)
    killed_at[0] = time.monotonic()
    cluster.kill(victim)
    deadline = killed_at[0] + 120
    while not acked_after and time.monotonic() < deadline:
        producer.produce(TOPIC, PAYLOAD, key=repr(time.monotonic()).encode(), partition=0, on_delivery=report)
        producer.poll(0.005)
    producer.flush(120)
    if not acked_after:
        raise RuntimeError(f"{cluster.name}: no acknowledgement within 120 s of killing broker {victim}")
    return acked_after[0] - killed_at[0]


def measure(name: str, start: Callable[[Path, ZkEnsemble], Cluster], messages: int) -> Cluster:
    with tempfile.TemporaryDirectory(prefix=f"bench-cluster-{name}-") as tmp:
        ensemble = ZkEnsemble(Path(tmp) / "zk")
        ensemble.start()
        try:
            cluster = start(Path(tmp), ensemble)
            try:
                cluster.figures["idle"] = f"{brokers_rss(cluster):.0f} MiB"
                admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
                admin.create_topics([NewTopic(TOPIC, 3, 3, config={"min.insync.replicas": "2"})])[TOPIC].result(60)
                wait_until(lambda: all(cluster.leader(TOPIC, p) >= 0 for p in range(3)), 60, "leaders")
                rate = produce_acks_all(cluster.bootstrap, messages)
                cluster.figures["produce"] = f"{rate:,.0f} msg/s"
                cluster.figures["loaded"] = f"{brokers_rss(cluster):.0f} MiB"
                cluster.figures["failover"] = f"{failover_seconds(cluster):.2f} s"
            finally:
                cluster.close()
        finally:
            ensemble.stop()
    return cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    results = [measure("engine", engine_cluster, args.messages), measure("kafka", kafka_cluster, args.messages)]
    engine, kafka = results
    print(f"\n3 brokers, RF 3, min.insync.replicas=2, {args.messages:,} x 100 B, acks=all (os.cpu_count()="
          f"{os.cpu_count()})")
    print(f"{'':<24}" + "".join(f"{c.name:>18}" for c in results))
    print(f"{'start-up':<24}" + "".join(f"{c.startup_s:>16.2f} s" for c in results)
          + f"   ratio {engine.startup_s / kafka.startup_s:.2f}")
    for row, label in (("produce", "produce acks=all"), ("failover", "SIGKILL leader -> ack"),
                       ("idle", "RSS brokers idle"), ("loaded", "RSS brokers after load")):
        print(f"{label:<24}" + "".join(f"{c.figures.get(row, '-'):>18}" for c in results))


if __name__ == "__main__":
    main()
