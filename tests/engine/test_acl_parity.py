"""ACLs: kafka-acls sets them; a user with READ on one topic and one group consumes it and commits, and cannot see,
read or write anything else, nor create topics; the same outcomes from the engine and Apache Kafka 3.9; the ACLs
survive a restart of the engine."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicCollection, TopicPartition
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ConfigResource,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)

from tests.components.pki import Pki
from tests.components.secured import SecuredCluster, create_scram_users, start_secured_engine

pytestmark = pytest.mark.slow

RECORDS = 5


def _err(exc: BaseException) -> str:
    return exc.args[0].name() if exc.args and hasattr(exc.args[0], "name") else type(exc).__name__


def acl_commands(cluster: SecuredCluster, kafka_cli: Any, workdir: Path, *commands: list[str]) -> list[str]:
    """kafka-acls runs as the admin (by certificate on the SSL listener), in one JVM; their stdout, normalized."""
    props = workdir / f"{cluster.name}-admin.properties"
    props.write_text(cluster.java_properties("SSL", cert="admin"))
    base = ["--bootstrap-server", cluster.bootstrap("SSL"), "--command-config", str(props)]
    results = kafka_cli.run_tools([("kafka-acls", [*base, *c]) for c in commands])
    out = []
    for r in results:
        text = re.sub(r"\s+", " ", r.stdout).strip()
        assert "Error" not in text and "Exception" not in r.stderr, (r.stdout, r.stderr[-2000:])
        out.append(text)
    return out


def setup_acls(cluster: SecuredCluster, kafka_cli: Any, workdir: Path) -> list[str]:
    admin = AdminClient(cluster.confluent("SSL", cert="admin"))
    for name, fut in admin.create_topics([NewTopic(t, 2, 1) for t in ("acl-orders", "acl-payments")]).items():
        try:
            fut.result(30)
        except KafkaException as exc:
            assert _err(exc) == "TOPIC_ALREADY_EXISTS", (name, exc)
    producer = Producer(cluster.confluent("SSL", cert="admin"))
    for i in range(RECORDS):
        producer.produce("acl-orders", f"order {i}".encode(), partition=i % 2)
        producer.produce("acl-payments", f"payment {i}".encode(), partition=i % 2)
    assert producer.flush(30) == 0
    return acl_commands(cluster, kafka_cli, workdir,
                        ["--add", "--allow-principal", "User:bob", "--operation", "Read", "--topic", "acl-orders"],
                        ["--add", "--allow-principal", "User:bob", "--operation", "Read", "--group", "acl-app"],
                        ["--list", "--topic", "acl-orders"], ["--list", "--group", "acl-app"])


def bob_outcomes(cluster: SecuredCluster, consume: bool = True) -> dict[str, Any]:
    conf = cluster.confluent("SASL_SSL", "bob", "SCRAM-SHA-256")
    out: dict[str, Any] = {}
    admin = AdminClient(conf)
    out["visible topics"] = sorted(t for t in admin.list_topics(timeout=15).topics if t.startswith("acl-"))
    for topic in ("acl-orders", "acl-payments"):
        try:
            desc = admin.describe_topics(TopicCollection([topic]))[topic].result(15)
            out[f"describe {topic}"] = len(desc.partitions)
        except KafkaException as exc:
            out[f"describe {topic}"] = _err(exc)
    res = ConfigResource(ResourceType.TOPIC, "acl-orders")
    try:
        admin.describe_configs([res])[res].result(15)
        out["configs acl-orders"] = "ok"
    except KafkaException as exc:
        out["configs acl-orders"] = _err(exc)
    consumer = Consumer({**conf, "group.id": "acl-app", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    if consume:
        consumer.subscribe(["acl-orders"])
        values, deadline = [], time.monotonic() + 30
        while len(values) < RECORDS and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None:
                assert msg.error() is None, msg.error()
                values.append(msg.value().decode())
        out["consumed acl-orders"] = sorted(values)
        consumer.commit(asynchronous=False)
    out["committed"] = sorted((tp.partition, tp.offset) for tp in consumer.committed(
        [TopicPartition("acl-orders", p) for p in range(2)], timeout=15))
    consumer.close()
    reader = Consumer({**conf, "group.id": "acl-app", "enable.auto.commit": False})
    reader.assign([TopicPartition("acl-payments", 0, OFFSET_BEGINNING)])
    msg, deadline = None, time.monotonic() + 5
    while msg is None and time.monotonic() < deadline:
        msg = reader.poll(0.5)
    # librdkafka retries the offset lookup of a topic it may not describe, and hands nothing over meanwhile
    out["read acl-payments"] = "nothing" if msg is None else msg.error().name() if msg.error() else "read"
    reader.close()
    other = Consumer({**conf, "group.id": "acl-other"})
    other.subscribe(["acl-orders"])
    msg, deadline = None, time.monotonic() + 15
    while msg is None and time.monotonic() < deadline:
        msg = other.poll(0.5)
    out["group acl-other"] = msg.error().name() if msg is not None and msg.error() else "joined"
    other.close()
    delivered: list[Any] = []
    producer = Producer({**conf, "message.timeout.ms": 10000})
    try:
        producer.produce("acl-orders", b"no", on_delivery=lambda err, _m: delivered.append(err))
    except KafkaException as exc:
        delivered.append(exc.args[0])
    producer.flush(15)
    out["write acl-orders"] = delivered[0].name() if delivered and delivered[0] is not None else "written"
    try:
        admin.create_topics([NewTopic("acl-new", 1, 1)])["acl-new"].result(15)
        out["create topic"] = "created"
    except KafkaException as exc:
        out["create topic"] = _err(exc)
    out["visible groups"] = sorted(g.group_id for g in admin.list_consumer_groups().result(15).valid
                                   if g.group_id.startswith("acl-"))
    # both brokers answer CLUSTER_AUTHORIZATION_FAILED; confluent-kafka 2.16 turns that into an empty list
    everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY,
                                  AclPermissionType.ANY)
    out["acls bob sees"] = len(admin.describe_acls(everything).result(15))
    return out


def test_read_acls_on_one_topic_and_group_as_in_apache_kafka(kafka_cli: Any, tmp_path: Path,
                                                            secured_engine: SecuredCluster,
                                                            secured_kafka: SecuredCluster) -> None:
    listed = {c.name: setup_acls(c, kafka_cli, tmp_path) for c in (secured_kafka, secured_engine)}
    assert listed["engine"] == listed["kafka-3.9"]
    assert "principal=User:bob, host=*, operation=READ, permissionType=ALLOW" in listed["engine"][2]
    theirs = bob_outcomes(secured_kafka)
    ours = bob_outcomes(secured_engine)
    assert theirs == {
        "visible topics": ["acl-orders"], "describe acl-orders": 2,
        "describe acl-payments": "TOPIC_AUTHORIZATION_FAILED", "configs acl-orders": "TOPIC_AUTHORIZATION_FAILED",
        "consumed acl-orders": [f"order {i}" for i in range(RECORDS)],
        "committed": [(0, 3), (1, 2)], "read acl-payments": "nothing",
        "group acl-other": "GROUP_AUTHORIZATION_FAILED", "write acl-orders": "TOPIC_AUTHORIZATION_FAILED",
        "create topic": "TOPIC_AUTHORIZATION_FAILED", "visible groups": ["acl-app"],
        "acls bob sees": 0}, "Apache Kafka answered unexpectedly"
    assert ours == theirs


def test_acls_and_scram_users_survive_a_restart(kafka_cli: Any, tmp_path: Path, pki: Pki) -> None:
    cluster = start_secured_engine(tmp_path / "engine", pki)
    try:
        create_scram_users(cluster)
        setup_acls(cluster, kafka_cli, tmp_path)
        before = bob_outcomes(cluster)
        assert before["consumed acl-orders"] and before["write acl-orders"] == "TOPIC_AUTHORIZATION_FAILED"
        assert cluster.engine is not None
        cluster.engine.stop()
        cluster.engine.start()
        again = bob_outcomes(cluster, consume=False)  # bob logs in with SCRAM again: his credential survived too
        del before["consumed acl-orders"]
        assert again == before
        after = acl_commands(cluster, kafka_cli, tmp_path, ["--list", "--topic", "acl-orders"],
                             ["--remove", "--force", "--allow-principal", "User:bob", "--operation", "Read", "--group",
                              "acl-app"], ["--list", "--group", "acl-app"])
        assert "principal=User:bob, host=*, operation=READ" in after[0]
        assert "User:bob" not in after[2]
    finally:
        cluster.close()


def transactional_outcomes(cluster: SecuredCluster, tag: str) -> dict[str, Any]:
    """bob produces in a transaction: refused without WRITE on his transactional id, committed with it."""
    admin = AdminClient(cluster.confluent("SSL", cert="admin"))
    topic = f"acl-txn-{tag}"
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    for fut in admin.create_acls([AclBinding(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, "User:bob", "*",
                                             AclOperation.WRITE, AclPermissionType.ALLOW)]).values():
        fut.result(30)
    out: dict[str, Any] = {}

    def attempt(key: str) -> None:
        producer = Producer(cluster.confluent("SASL_SSL", "bob", "SCRAM-SHA-256", transactional_id=f"bob-{tag}-{key}",
                                              transaction_timeout_ms=10000))
        try:
            producer.init_transactions(15)
            producer.begin_transaction()
            producer.produce(topic, b"in a transaction")
            producer.commit_transaction(15)
            out[key] = "committed"
        except KafkaException as exc:
            out[key] = _err(exc)
    attempt("without txn ACL")
    for fut in admin.create_acls([AclBinding(ResourceType.TRANSACTIONAL_ID, f"bob-{tag}-", ResourcePatternType.PREFIXED,
                                             "User:bob", "*", AclOperation.WRITE,
                                             AclPermissionType.ALLOW)]).values():
        fut.result(30)
    attempt("with txn ACL")
    return out


def test_transactions_need_the_transactional_id_acl_as_in_apache_kafka(secured_engine: SecuredCluster,
                                                                     secured_kafka: SecuredCluster) -> None:
    theirs = transactional_outcomes(secured_kafka, "k")
    ours = transactional_outcomes(secured_engine, "e")
    assert theirs == {"without txn ACL": "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", "with txn ACL": "committed"}, theirs
    assert ours == theirs
