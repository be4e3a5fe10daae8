"""The ISR and min.insync.replicas on a 3-broker engine cluster over a 3-node ZooKeeper ensemble: a follower
stopped with SIGSTOP leaves the ISR after replica.lag.time.max.ms (while still registered, so the leader removed it,
not the controller) and rejoins after SIGCONT; with two brokers down an acks=all produce gets NOT_ENOUGH_REPLICAS
and nothing is appended; with one ZooKeeper node of three down the cluster keeps working."""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest
from confluent_kafka import KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from tests.components.engine_cluster import EngineCluster
from tests.components.process import wait_until
from tests.engine.cluster_checks import consume_partitions, create_topic

pytestmark = pytest.mark.slow

LAG_MS = 2500  # low, yet well above a busy machine's pauses: a healthy follower fetches every 500 ms at most


def produce_one(bootstrap: str, topic: str, value: bytes, timeout: float = 30,
                **config: Any) -> tuple[KafkaError | None, int]:
    """Send one record to partition 0 and wait for its delivery report: (error or None, offset)."""
    report: list[tuple[KafkaError | None, int]] = []
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": False,
                         "linger.ms": 0, **config})
    producer.produce(topic, value=value, partition=0,
                     on_delivery=lambda err, msg: report.append((err, msg.offset())))
    assert producer.flush(timeout) == 0, f"no delivery report for {value!r} within {timeout} s"
    return report[0]


def end_offset(bootstrap: str, topic: str) -> int:
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "isr-probe"})
    try:
        return int(consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=30)[1])
    finally:
        consumer.close()


def test_a_stopped_follower_leaves_the_isr_and_rejoins(engine_cluster_factory: Any) -> None:
    # the ZooKeeper session outlives the lag time by far: the follower stays registered while it is stopped
    cluster: EngineCluster = engine_cluster_factory(replica_lag_time_max_ms=str(LAG_MS),
                                                    zookeeper_session_timeout_ms="20000")
    create_topic(cluster, "lagging", 1, 3, {"min.insync.replicas": "2"})
    leader, controller = cluster.leader("lagging", 0), cluster.controller()
    follower = next(b for b in sorted(cluster.brokers) if b not in (leader, controller))
    assert produce_one(cluster.bootstrap, "lagging", b"before")[0] is None

    cluster.signal(follower, signal.SIGSTOP)
    stopped = time.monotonic()
    try:
        # acks=all waits for the ISR: it completes once the leader has dropped the stopped follower
        err, _offset = produce_one(cluster.bootstrap, "lagging", b"while stopped")
        assert err is None, err
        wait_until(lambda: follower not in cluster.isr("lagging", 0), 30, f"broker {follower} to leave the ISR")
        shrunk_after = time.monotonic() - stopped
        # the follower last counted as caught up when its last fetch reached the leader, which parks an idle fetch
        # for up to replica.fetch.wait.max.ms (500) before the SIGSTOP
        assert shrunk_after >= (LAG_MS - 500) / 1000, f"the ISR shrank {shrunk_after:.2f} s after SIGSTOP"
        assert follower in cluster.registered(), "the controller, not the leader, removed the follower"
        assert sorted(cluster.isr("lagging", 0)) == sorted({leader, controller} | ({1, 2, 3} - {follower}))
        assert cluster.leader("lagging", 0) == leader
        for n in range(5):  # the ISR of 2 still meets min.insync.replicas=2
            assert produce_one(cluster.bootstrap, "lagging", f"shrunk {n}".encode())[0] is None
    finally:
        cluster.signal(follower, signal.SIGCONT)
    wait_until(lambda: follower in cluster.isr("lagging", 0), 30, f"broker {follower} to rejoin the ISR")
    assert len(cluster.isr("lagging", 0)) == 3
    print(f"ISR shrank {shrunk_after:.2f} s after SIGSTOP (replica.lag.time.max.ms={LAG_MS})")


def test_two_brokers_down_means_not_enough_replicas(engine_cluster_factory: Any) -> None:
    cluster: EngineCluster = engine_cluster_factory()
    create_topic(cluster, "guarded", 1, 3, {"min.insync.replicas": "2"})
    assert produce_one(cluster.bootstrap, "guarded", b"first")[0] is None
    leader = cluster.leader("guarded", 0)
    for victim in sorted(set(cluster.brokers) - {leader}):
        cluster.kill(victim)
    for victim in sorted(set(cluster.brokers) - {leader}):
        cluster.wait_deregistered(victim)
    wait_until(lambda: cluster.isr("guarded", 0) == [leader], 30, f"the ISR to shrink to the leader {leader}")
    survivor = cluster.brokers[leader].bootstrap
    before = end_offset(survivor, "guarded")
    assert before == 1

    err, _offset = produce_one(survivor, "guarded", b"refused", retries=0)
    assert err is not None and err.code() == KafkaError.NOT_ENOUGH_REPLICAS, err
    assert end_offset(survivor, "guarded") == before  # HW = LEO with the leader alone in the ISR
    err, offset = produce_one(survivor, "guarded", b"acks=1", acks="1")
    assert err is None and offset == before, (err, offset)  # nothing was appended by the refused produce
    # Under min.insync.replicas the high watermark stays put (Kafka 3.9's maybeIncrementLeaderHW); a follower
    # back in the ISR lets it move on
    assert end_offset(survivor, "guarded") == before
    back = min(set(cluster.brokers) - {leader})
    cluster.start_broker(back)
    wait_until(lambda: sorted(cluster.isr("guarded", 0)) == sorted([leader, back]), 30, f"broker {back} in the ISR")
    records = consume_partitions(survivor, "guarded", 1)[0]
    assert [v for _o, v in records] == [b"first", b"acks=1"]


def test_the_cluster_keeps_working_with_one_zookeeper_node_down(engine_cluster_factory: Any,
                                                                 zk_ensemble: Any) -> None:
    cluster: EngineCluster = engine_cluster_factory()
    create_topic(cluster, "before-zk-loss", 3, 3, {"min.insync.replicas": "2"})
    zk_leader = next(n for n in zk_ensemble.nodes if n.mode() == "leader")
    zk_ensemble.kill_node(zk_leader)
    rest = [n for n in zk_ensemble.nodes if n is not zk_leader]
    zk_ensemble.wait_serving(60, rest)  # the two others elect a new ZooKeeper leader: a quorum of 2 of 3

    for n in range(30):
        assert produce_one(cluster.bootstrap, "before-zk-loss", f"m{n}".encode())[0] is None
    # the controller still works through ZooKeeper: a new topic and a broker failure are handled
    create_topic(cluster, "after-zk-loss", 3, 3, {"min.insync.replicas": "2"})
    assert sorted(cluster.registered()) == [1, 2, 3]
    leader = cluster.leader("after-zk-loss", 0)
    cluster.kill(leader)
    cluster.wait_deregistered(leader)
    wait_until(lambda: cluster.leader("after-zk-loss", 0) not in (leader, -1), 30, "a new leader of after-zk-loss-0")
    assert leader not in cluster.isr("after-zk-loss", 0)
    for n in range(10):
        assert produce_one(cluster.bootstrap, "after-zk-loss", f"a{n}".encode())[0] is None
    cluster.start_broker(leader)
    wait_until(lambda: len(cluster.isr("after-zk-loss", 0)) == 3, 60, f"broker {leader} to rejoin the ISR")
    assert [v for _o, v in consume_partitions(cluster.bootstrap, "after-zk-loss", 3)[0]] == \
        [f"a{n}".encode() for n in range(10)]
    AdminClient({"bootstrap.servers": cluster.bootstrap}).list_topics(timeout=10)
