"""Each real component is up and really used: ZooKeeper, Apache Kafka in both modes, Tansu, kcat, Kafka's CLI."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic
from kazoo.client import KazooClient

from tests.components.process import ManagedProcess, four_letter_word

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


def test_produce_and_consume_through(any_cluster: Any) -> None:
    round_trip(any_cluster.bootstrap)


def test_cluster_objects_describe_themselves(any_cluster: Any) -> None:
    names = {"engine": None, "kafka-3.9-zk": "3.9.1", "kafka-4.1-kraft": "4.1.1", "tansu": "0.6.0"}
    assert any_cluster.name in names
    expected = names[any_cluster.name]
    assert expected is None or any_cluster.version == expected
    assert re.fullmatch(r"127\.0\.0\.1:\d+", any_cluster.bootstrap)
    assert (any_cluster.zookeeper is not None) == (any_cluster.name == "kafka-3.9-zk")
    os.kill(any_cluster.pid, 0)  # alive, and ours to signal
    assert 0 < any_cluster.startup_seconds < 120


def test_kcat_lists_the_broker(any_cluster: Any) -> None:
    kcat = shutil.which("kcat")
    if kcat is None:
        pytest.skip("component missing: kcat (install Debian's kcat package)")
    out = subprocess.run([kcat, "-b", any_cluster.bootstrap, "-L", "-m", "10"], capture_output=True, text=True,
                         timeout=60)
    if any_cluster.name == "tansu":
        # Known: Tansu 0.6.0 writes every ApiVersions v3 tagged field, defaults included, and kcat's librdkafka
        # 2.0.2 cannot read that answer; newer librdkafka (confluent-kafka) can. Fails here once Tansu changes.
        assert out.returncode != 0 and "ApiVersionRequest failed: Local: Read underflow" in out.stderr, out
        return
    assert out.returncode == 0, out.stderr
    assert re.search(rf"broker \d+ at {re.escape(any_cluster.bootstrap)}", out.stdout), out.stdout


def test_engine_restarts_on_its_data_dir_after_stop_and_kill_9(engine_factory: Any) -> None:
    eng = engine_factory()
    data_dir, port = eng.data_dir, eng.port
    round_trip(eng.bootstrap)
    assert eng.stop() == 0
    eng.start()
    assert (eng.data_dir, eng.port) == (data_dir, port)
    eng.kill()
    with pytest.raises(OSError):
        os.kill(eng.pid, 0)
    eng.start()
    topics = AdminClient({"bootstrap.servers": eng.bootstrap}).list_topics(timeout=30).topics
    assert any(t.startswith("smoke-") for t in topics)


def test_kafka_zk_registers_in_zookeeper(kafka_zk: Any) -> None:
    zk = KazooClient(hosts=kafka_zk.zookeeper, timeout=10)
    zk.start(timeout=15)
    try:
        assert zk.get_children("/brokers/ids") == ["1"]
    finally:
        zk.stop()
        zk.close()


def test_kafka_topics_list_runs(kafka_cli: Any, kafka_kraft: Any) -> None:
    topic = f"listed-{uuid.uuid4().hex[:8]}"
    kafka_cli.run("kafka-topics", "--bootstrap-server", kafka_kraft.bootstrap, "--create", "--topic", topic)
    out = kafka_cli.run("kafka-topics", "--bootstrap-server", kafka_kraft.bootstrap, "--list").stdout
    assert topic in out.split()


def test_a_component_that_never_gets_ready_fails_with_its_log_and_is_stopped(tmp_path: Path) -> None:
    proc = ManagedProcess("never-ready", ["sh", "-c", "echo warming up; exec sleep 60"], tmp_path / "never.log")
    with pytest.raises(RuntimeError, match=r"(?s)never-ready was not ready within 1 s .*warming up"):
        proc.start(lambda: False, timeout=1)
    assert proc.proc is not None and proc.proc.poll() is not None
