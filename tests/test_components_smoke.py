"""Each real component is up and really used: ZooKeeper, Apache Kafka in both modes, Tansu, kcat, Kafka's CLI."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kazoo.client import KazooClient

from tests.components.process import four_letter_word

pytestmark = pytest.mark.slow


def test_zookeeper_znode_round_trip(zookeeper: Any) -> None:
    zk = KazooClient(hosts=zookeeper.connect, timeout=10)
    zk.start(timeout=15)
    try:
        path = f"/smoke-{uuid.uuid4().hex}"
        zk.create(path, b"hello", makepath=True)
        data, stat = zk.get(path)
        assert data == b"hello"
        assert stat.version == 0
        zk.delete(path)
    finally:
        zk.stop()
        zk.close()
    assert "Mode: standalone" in four_letter_word(zookeeper.host, zookeeper.port, "srvr")


def round_trip(bootstrap: str) -> None:
    topic = f"smoke-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})  # keep a reference: a freed client cancels its requests
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(timeout=60)
    p = Producer({"bootstrap.servers": bootstrap})
    delivered: list[Any] = []
    p.produce(topic, key=b"k", value=b"smoke", on_delivery=lambda err, m: delivered.append((err, m.offset())))
    assert p.flush(60) == 0
    assert delivered == [(None, 0)]
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "smoke", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    try:
        got = None
        for _ in range(60):
            m = c.poll(1.0)
            if m is not None and m.error() is None:
                got = m
                break
        assert got is not None, "nothing consumed within 60 s"
        assert (got.key(), got.value(), got.offset()) == (b"k", b"smoke", 0)
    finally:
        c.close()


@pytest.mark.parametrize("cluster", ["kafka_zk", "kafka_kraft", "tansu", "engine"])
def test_produce_and_consume_through(cluster: str, request: pytest.FixtureRequest) -> None:
    broker = request.getfixturevalue(cluster)
    round_trip(broker.bootstrap)


def test_kafka_zk_registers_in_zookeeper(kafka_zk: Any) -> None:
    zk = KazooClient(hosts=kafka_zk.zookeeper, timeout=10)
    zk.start(timeout=15)
    try:
        assert zk.get_children("/brokers/ids") == ["1"]
    finally:
        zk.stop()
        zk.close()


def test_kcat_lists_the_broker(kafka_kraft: Any) -> None:
    kcat = shutil.which("kcat")
    if kcat is None:
        pytest.skip("component missing: kcat (install Debian's kcat package)")
    out = subprocess.run([kcat, "-b", kafka_kraft.bootstrap, "-L"], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    assert f"broker 1 at {kafka_kraft.bootstrap}" in out


def test_kafka_topics_list_runs(kafka_cli: Any, kafka_kraft: Any) -> None:
    topic = f"listed-{uuid.uuid4().hex[:8]}"
    kafka_cli.run("kafka-topics", "--bootstrap-server", kafka_kraft.bootstrap, "--create", "--topic", topic)
    out = kafka_cli.run("kafka-topics", "--bootstrap-server", kafka_kraft.bootstrap, "--list").stdout
    assert topic in out.split()
