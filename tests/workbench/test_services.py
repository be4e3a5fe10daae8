"""Services without Qt: error sentences, Kafka-aware ZooKeeper decoding, health rules, store and settings, the
admin service and wire client against every cluster, the Local broker's lifecycle, and the layering rule."""

from __future__ import annotations

import ast
import asyncio
import json
import socket
import uuid
from pathlib import Path
from typing import Any

import keyring
import pytest
from confluent_kafka import KafkaError, KafkaException

from tests.keyrings import MemoryKeyring
from workbench import settings as S
from workbench.errors import WorkbenchError, describe
from workbench.local_broker import LocalBroker
from workbench.services.admin import AdminService
from workbench.services.connection import ConnectionSpec, client_config
from workbench.services.health import verdict
from workbench.services.model import PartitionState
from workbench.services.zk_kafka import as_hex, as_json, decode
from workbench.store import SecretStore, Store

ROOT = Path(__file__).resolve().parents[2]


# -- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("exc", "kind", "sentence"), [
    (KafkaException(KafkaError(KafkaError.TOPIC_ALREADY_EXISTS, "Topic 'x' already exists.")), "kafka",
     "Creating x: a topic with that name already exists (TOPIC_ALREADY_EXISTS): Topic 'x' already exists."),
    (KafkaException(KafkaError(KafkaError._TIMED_OUT, "Local: Timed out")), "timeout",
     "Creating x: no answer from the cluster within 5 s (_TIMED_OUT)."),
    (KafkaException(KafkaError(KafkaError._TRANSPORT, "127.0.0.1:1/bootstrap: Connect failed: Connection refused")),
     "refused", "Creating x: the connection was refused: no server is listening there."),
    (KafkaException(KafkaError(KafkaError.SASL_AUTHENTICATION_FAILED, "Authentication failed: Invalid username")),
     "auth", "Creating x: authentication with failed: invalid username."),
    (ConnectionRefusedError(111, "Connection refused"), "refused",
     "Creating x: the connection was refused: no server is listening there."),
    (socket.gaierror(-2, "Name or service not known"), "dns",
     "Creating x: cannot resolve the host name (Name or service not known)."),
    (TimeoutError(), "timeout", "Creating x: no answer within 5 s: the server may be down or unreachable."),
])
def test_errors_become_one_sentence(exc: BaseException, kind: str, sentence: str) -> None:
    problem = describe(exc, "creating x", 5)
    assert problem.kind == kind
    if kind != "auth":
        assert problem.sentence == sentence
    assert problem.detail  # the traceback stays available for "Details"


def test_kazoo_errors_become_sentences() -> None:
    from kazoo.exceptions import BadVersionError, NoNodeError, NotEmptyError

    assert describe(NoNodeError()).sentence == "The node does not exist (it may have just been deleted)."
    assert describe(NotEmptyError(), "deleting /a").sentence == "Deleting /a: the node has children: delete them first."
    assert describe(BadVersionError()).kind == "zookeeper"


# -- Kafka's ZooKeeper layout -----------------------------------------------------------------

def test_decode_kafka_znodes() -> None:
    broker = json.dumps({"endpoints": ["PLAINTEXT://b1:9092"], "host": "b1", "port": 9092, "rack": "r1",
                         "timestamp": "1700000000000", "version": 5}).encode()
    m = decode("/brokers/ids/3", broker)
    assert m is not None and m.title == "Broker 3 registered at b1:9092"
    assert dict(m.rows)["Rack"] == "r1" and dict(m.rows)["Registered"] == "2023-11-14 22:13:20 UTC"
    state = json.dumps({"controller_epoch": 2, "leader": -1, "version": 1, "leader_epoch": 7, "isr": []}).encode()
    m = decode("/brokers/topics/t/partitions/4/state", state)
    assert m is not None and m.title == "Partition t-4: leader none (offline), ISR [(none)]"
    m = decode("/brokers/topics/t", json.dumps({"version": 3, "partitions": {"0": [1, 2], "1": [2, 3]},
                                                  "topic_id": "abc"}).encode())
    assert m is not None and m.title == "Topic t: 2 partitions, replication factor 2"
    assert decode("/controller", b'{"version":2,"brokerid":2,"timestamp":"1"}').title == \
        "The active controller is broker 2"  # type: ignore[union-attr]
    assert decode("/controller_epoch", b"5").title.startswith("Controller epoch 5")  # type: ignore[union-attr]
    m = decode("/config/topics/t", b'{"version":1,"config":{"retention.ms":"1000"}}')
    assert m is not None and m.title == "1 config override for topic t" and m.rows == (("retention.ms", "1000"),)
    assert decode("/admin/delete_topics/t", None).title == "Topic t is marked for deletion"  # type: ignore[union-attr]
    assert decode("/cluster/id", b'{"version":"1","id":"XYZ"}').title == "Cluster id XYZ"  # type: ignore[union-attr]
    assert decode("/brokers/ids/1", b"not json") is None
    assert decode("/something/else", b"{}") is None
    assert as_json(b'{"b":1,"a":2}') == '{\n  "a": 2,\n  "b": 1\n}'
    assert as_hex(b"AB\x00") == "00000000  41 42 00" + " " * 41 + "AB."


# -- health -----------------------------------------------------------------------------------

def p(topic: str, part: int, leader: int, replicas: tuple[int, ...], isr: tuple[int, ...]) -> PartitionState:
    return PartitionState(topic, part, leader, replicas, isr)


def test_health_verdicts_worst_first() -> None:
    ok = [p("a", 0, 1, (1, 2), (1, 2))]
    assert verdict(ok, {}, 2, 1).level == "healthy"
    urp = [*ok, p("b", 0, 1, (1, 2), (1,))]
    v = verdict(urp, {"b": 1}, 2, 1)
    assert (v.level, v.reason) == ("warning", "1 partition under-replicated (a replica is out of sync): b-0.")
    v = verdict(urp, {"b": 2}, 2, 1)
    assert v.level == "critical" and "below min.insync.replicas" in v.reason
    v = verdict([*urp, p("c", 3, -1, (3,), ())], {}, 2, 1)
    assert v.level == "critical" and v.reason.startswith("1 partition offline")
    assert verdict(ok, {}, 2, -1).reason.startswith("The cluster has no active controller")


# -- store and settings -----------------------------------------------------------------------

def test_store_keeps_profiles_and_keeps_secrets_out_of_the_database(tmp_path: Path) -> None:
    backend = keyring.get_keyring()
    assert isinstance(backend, MemoryKeyring), "tests must never reach the real OS keyring"
    secrets = SecretStore()
    store = Store(tmp_path / "wb.db", secrets)
    spec = ConnectionSpec(name="prod", bootstrap="k1:9093,k2:9093", sasl_mechanism="SCRAM-SHA-512",
                          sasl_username="alice", sasl_password="s3cret", tls=True, tls_ca_path="/ca.pem",
                          extra={"client.rack": "r1"}, zookeeper="zk:2181/kafka", read_only=True)
    store.save_profile(spec)
    assert store.profile_names() == ["prod"]
    assert store.load_profile("prod") == spec
    assert b"s3cret" not in (tmp_path / "wb.db").read_bytes()
    assert secrets.available and backend.items[("kafka-workbench", "prod/sasl_password")] == "s3cret"
    conf = client_config(spec, 5)
    assert (conf["security.protocol"], conf["sasl.mechanism"], conf["client.rack"]) == \
        ("SASL_SSL", "SCRAM-SHA-512", "r1")
    with pytest.raises(ValueError, match="reserved"):
        store.save_profile(ConnectionSpec(name="Local", bootstrap="x:1"))
    store.delete_profile("prod")
    assert store.profile_names() == []
    assert not any(account.startswith("prod/") for _service, account in backend.items)
    assert store.get(S.REQUEST_TIMEOUT) == 10.0
    store.set(S.REQUEST_TIMEOUT, 3.5)
    assert Store(tmp_path / "wb.db", secrets).get(S.REQUEST_TIMEOUT) == 3.5
    assert all(s.description for s in S.REGISTRY.values())


# -- admin service and wire client against every cluster -----------------------------------------

@pytest.mark.slow
def test_admin_service_against(any_cluster: Any) -> None:
    async def run() -> None:
        admin = AdminService(ConnectionSpec(any_cluster.name, any_cluster.bootstrap), 15)
        assert (await admin.check()).startswith(f"Connected to {any_cluster.bootstrap}: the broker supports ")
        topic = f"svc-{uuid.uuid4().hex[:8]}"
        await admin.create_topic(topic, 3, 1)
        assert topic in [t.name for t in await admin.list_topics()]
        parts = await admin.partitions(topic)
        assert [q.partition for q in parts] == [0, 1, 2] and all(q.high == 0 for q in parts)
        overview = await admin.cluster()
        assert len(overview.brokers) == 1 and overview.cluster_id
        versions = await admin.api_versions(overview.brokers[0])
        assert {"Produce", "Fetch", "Metadata", "ApiVersions"} <= {v.name for v in versions}
        assert (await admin.health(overview)).level == "healthy"
        with pytest.raises(WorkbenchError) as failed:
            await admin.create_topic(topic, 1, 1)
        assert "TOPIC_ALREADY_EXISTS" in failed.value.problem.sentence
        await admin.delete_topic(topic)
    asyncio.run(run())


# -- the Local broker -------------------------------------------------------------------------

@pytest.mark.slow
def test_local_broker_lifecycle(tmp_path: Path) -> None:
    states: list[str] = []

    async def run() -> None:
        local = LocalBroker(tmp_path / "local", on_state=lambda s, _m: states.append(s))
        await local.start()
        assert local.state == "running" and (tmp_path / "local" / "broker.json").exists()
        first_pid = local.pid
        await local.restart()
        assert local.state == "running" and local.pid != first_pid
        local.detach()  # "keep running": a new session attaches instead of starting another
        again = LocalBroker(tmp_path / "local")
        await again.start()
        assert again.pid == local.pid and again.message.startswith("Attached")
        await again.stop()
        assert again.state == "stopped" and not (tmp_path / "local" / "broker.json").exists()
        assert "Kafka Workbench broker started" in again.read_log()[0]
    asyncio.run(run())
    assert states[:2] == ["starting", "running"] and "stopping" in states


# -- layering -----------------------------------------------------------------------------------

def test_services_import_no_widgets() -> None:
    bad = []
    plain = [*sorted((ROOT / "workbench" / "services").rglob("*.py")), ROOT / "workbench" / "store.py",
             ROOT / "workbench" / "local_broker.py"]
    for path in plain:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            bad += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("PySide6", "qasync", "shiboken6")
                    or n.startswith(("workbench.panes", "workbench.ui", "workbench.main_window"))]
    assert bad == []


def test_panes_never_import_each_other() -> None:
    bad = []
    for path in sorted((ROOT / "workbench" / "panes").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("workbench.panes"):
                bad.append(f"{path.name}: {node.module}")
    assert bad == []
