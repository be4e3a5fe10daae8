"""Kafka's own 3.9.1 tools against a 3-broker engine cluster over a 3-node ZooKeeper ensemble, the brokers started
from the tutorial's server.properties as written; then the znodes read back with kazoo, field by field against the
formats Kafka 3.9 writes (replication-facts.md §1)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from kazoo.client import KazooClient

from tests.components.process import wait_until

pytestmark = pytest.mark.slow

TOPIC = "tutorial"
B64_UUID = re.compile(r"[A-Za-z0-9_-]{22}")
DESCRIBE_ROW = re.compile(r"Partition: (\d+)\s+Leader: (-?\d+)\s+Replicas: ([\d,]+)\s+Isr: ([\d,]+)")


def tool(cli: Any, name: str, bootstrap: str, *args: str, input: str | None = None) -> str:
    return str(cli.run(name, "--bootstrap-server", bootstrap, *args, input=input).stdout)


def describe(cli: Any, bootstrap: str, topic: str) -> dict[int, tuple[int, list[int], list[int]]]:
    out = tool(cli, "kafka-topics", bootstrap, "--describe", "--topic", topic)
    rows = {int(p): (int(leader), [int(x) for x in replicas.split(",")], [int(x) for x in isr.split(",")])
            for p, leader, replicas, isr in DESCRIBE_ROW.findall(out)}
    assert rows, out
    return rows


def znode(zk: KazooClient, path: str) -> tuple[bytes, Any]:
    data, stat = zk.get(path)
    return data, stat


def test_kafka_tools_on_the_tutorial_cluster(engine_cluster_factory: Any, kafka39_cli: Any) -> None:
    cluster = engine_cluster_factory(tutorial=True)
    assert set(cluster.brokers) == {0, 1, 2}
    bootstrap = cluster.brokers[0].bootstrap  # one broker is enough for the tools to find the other two

    out = tool(kafka39_cli, "kafka-topics", bootstrap, "--create", "--topic", TOPIC, "--partitions", "3",
               "--replication-factor", "3", "--config", "min.insync.replicas=2")
    assert f"Created topic {TOPIC}." in out
    wait_until(lambda: all(len(isr) == 3 for _l, _r, isr in describe(kafka39_cli, bootstrap, TOPIC).values()), 30,
               "every partition's ISR to hold the three brokers")
    rows = describe(kafka39_cli, bootstrap, TOPIC)
    assert sorted(rows) == [0, 1, 2]
    for leader, replicas, isr in rows.values():
        assert sorted(replicas) == [0, 1, 2] and sorted(isr) == [0, 1, 2]
        assert leader == replicas[0]  # the preferred (first) replica leads a new partition
    assert {leader for leader, _r, _i in rows.values()} == {0, 1, 2}, rows  # leaders spread over the brokers

    lines = [f"k{i}:tutorial message {i}" for i in range(30)]
    tool(kafka39_cli, "kafka-console-producer", bootstrap, "--topic", TOPIC, "--producer-property", "acks=all",
         "--property", "parse.key=true", "--property", "key.separator=:", input="\n".join(lines) + "\n")
    out = tool(kafka39_cli, "kafka-console-consumer", bootstrap, "--topic", TOPIC, "--group", "tutorial-readers",
               "--from-beginning", "--max-messages", "30", "--property", "print.key=true", "--property",
               "key.separator=:", "--timeout-ms", "30000")
    assert sorted(out.splitlines()[:30]) == sorted(lines)

    out = tool(kafka39_cli, "kafka-consumer-groups", bootstrap, "--describe", "--group", "tutorial-readers")
    offsets = re.findall(rf"tutorial-readers\s+{TOPIC}\s+(\d)\s+(\d+)\s+(\d+)\s+(\d+)", out)
    assert len(offsets) == 3, out
    assert all(current == end and lag == "0" for _p, current, end, lag in offsets), out
    assert sum(int(end) for _p, _c, end, _l in offsets) == 30
    out = tool(kafka39_cli, "kafka-consumer-groups", bootstrap, "--describe", "--group", "tutorial-readers",
               "--state")
    coordinator = re.search(r"tutorial-readers\s+127\.0\.0\.1:(\d+)\s+\((\d)\)\s+Empty\s+0", out)
    assert coordinator, out
    assert cluster.brokers[int(coordinator.group(2))].port == int(coordinator.group(1))

    out = tool(kafka39_cli, "kafka-broker-api-versions", bootstrap)
    for broker_id, broker in cluster.brokers.items():
        assert f"{broker.bootstrap} (id: {broker_id} rack: null) -> (" in out, out
    assert out.count(" -> (") == 3, out

    check_znodes(cluster, rows)


def check_znodes(cluster: Any, rows: dict[int, tuple[int, list[int], list[int]]]) -> None:
    """Every znode of the cluster read back with kazoo, each field against Kafka 3.9's format."""
    zk: KazooClient = cluster.zk
    for path in ("/consumers", "/brokers/ids", "/brokers/topics", "/brokers/seqid", "/config/changes",
                 "/admin/delete_topics", "/isr_change_notification", "/latest_producer_id_block",
                 "/log_dir_event_notification", "/config/topics", "/config/clients", "/config/users",
                 "/config/brokers", "/config/ips"):
        assert zk.exists(path), path

    data, stat = znode(zk, "/cluster/id")
    doc = json.loads(data)
    assert set(doc) == {"version", "id"} and doc["version"] == "1" and B64_UUID.fullmatch(doc["id"]), doc
    assert stat.ephemeralOwner == 0

    data, stat = znode(zk, "/controller_epoch")
    assert data == b"1" and stat.version == 1  # the first election: created as 0, set to 1 with /controller
    data, stat = znode(zk, "/controller")
    doc = json.loads(data)
    assert set(doc) == {"version", "brokerid", "timestamp", "kraftControllerEpoch"}, doc
    assert doc["version"] == 2 and doc["brokerid"] in cluster.brokers and doc["kraftControllerEpoch"] == -1
    assert isinstance(doc["timestamp"], str) and doc["timestamp"].isdigit()
    assert stat.ephemeralOwner != 0

    assert sorted(zk.get_children("/brokers/ids")) == ["0", "1", "2"]
    for broker_id, broker in cluster.brokers.items():
        data, stat = znode(zk, f"/brokers/ids/{broker_id}")
        doc = json.loads(data)
        assert set(doc) == {"features", "listener_security_protocol_map", "endpoints", "jmx_port", "port", "host",
                            "version", "timestamp"}, doc
        assert doc["version"] == 5 and doc["host"] == "127.0.0.1" and doc["port"] == broker.port
        assert doc["endpoints"] == [f"PLAINTEXT://127.0.0.1:{broker.port}"] and doc["jmx_port"] == -1
        assert doc["listener_security_protocol_map"] == {"PLAINTEXT": "PLAINTEXT"}
        assert doc["features"] == {}  # a ZooKeeper-mode 3.9 broker registers BrokerFeatures.createEmpty()
        assert isinstance(doc["timestamp"], str) and doc["timestamp"].isdigit()
        assert stat.ephemeralOwner != 0 and stat.version == 1  # create + setData(version 0) in one multi

    data, _stat = znode(zk, f"/brokers/topics/{TOPIC}")
    doc = json.loads(data)
    assert set(doc) == {"version", "partitions", "adding_replicas", "removing_replicas", "topic_id"}, doc
    assert doc["version"] == 3 and doc["adding_replicas"] == {} and doc["removing_replicas"] == {}
    assert B64_UUID.fullmatch(doc["topic_id"])
    assert doc["partitions"] == {str(p): replicas for p, (_l, replicas, _i) in rows.items()}
    assert sorted(zk.get_children(f"/brokers/topics/{TOPIC}/partitions")) == ["0", "1", "2"]
    for p, (leader, _replicas, isr) in rows.items():
        assert zk.get(f"/brokers/topics/{TOPIC}/partitions/{p}")[0] in (b"", None)
        data, stat = znode(zk, f"/brokers/topics/{TOPIC}/partitions/{p}/state")
        doc = json.loads(data)
        assert set(doc) == {"version", "leader", "leader_epoch", "isr", "controller_epoch"}, doc
        assert doc["version"] == 1 and doc["leader"] == leader and doc["isr"] == isr
        assert doc["leader_epoch"] == 0 and doc["controller_epoch"] == 1
    data, _stat = znode(zk, f"/config/topics/{TOPIC}")
    assert json.loads(data) == {"version": 1, "config": {"min.insync.replicas": "2"}}

    # __consumer_offsets, created on the group's first FindCoordinator with the file's replication factor 3
    doc = json.loads(zk.get("/brokers/topics/__consumer_offsets")[0])
    assert len(doc["partitions"]) == 50 and all(len(r) == 3 for r in doc["partitions"].values())
    data, _stat = znode(zk, "/config/topics/__consumer_offsets")
    config = json.loads(data)["config"]
    assert config["cleanup.policy"] == "compact"

    data, _stat = znode(zk, "/feature")
    doc = json.loads(data)
    assert doc == {"version": 2, "status": 1, "features": {}}  # FeatureZNode V2 (IBP >= 3.3), Enabled
