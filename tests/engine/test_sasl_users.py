"""SCRAM users managed with kafka-configs as on Apache Kafka 3.9, and clients re-authenticating within
connections.max.reauth.ms without losing a message."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from tests.components.pki import Pki
from tests.components.secured import SecuredCluster, create_scram_users, start_secured_engine

pytestmark = pytest.mark.slow


def kafka_configs(cluster: SecuredCluster, kafka_cli: Any, workdir: Path) -> list[str]:
    props = workdir / f"{cluster.name}-admin.properties"
    props.write_text(cluster.java_properties("SSL", cert="admin"))
    base = ["--bootstrap-server", cluster.bootstrap("SSL"), "--command-config", str(props), "--entity-type", "users"]
    runs = [
        ["--alter", "--entity-name", "carol", "--add-config",
         "SCRAM-SHA-256=[iterations=8192,password=carol-secret],SCRAM-SHA-512=[password=carol-secret]"],
        ["--describe", "--entity-name", "carol"],
        ["--alter", "--entity-name", "carol", "--delete-config", "SCRAM-SHA-512"],
        ["--describe", "--entity-name", "carol"],
        ["--alter", "--entity-name", "dave", "--add-config", "SCRAM-SHA-256=[iterations=1000,password=x]"],
        ["--alter", "--entity-name", "nobody", "--delete-config", "SCRAM-SHA-512"],
    ]
    results = kafka_cli.run_tools([("kafka-configs", [*base, *r]) for r in runs])
    # what a person reads: the lines printed, without stack traces
    said = [" ".join(line.strip() for line in (r.stdout + r.stderr).splitlines()
                     if line.strip() and not line.startswith(("\tat ", "ToolBatch", "Caused by", "null")))
            for r in results]
    return [re.sub(r"with args '[^']*'", "with args ...", text) for text in said]  # they name the port


def logs_in(cluster: SecuredCluster, user: str, mechanism: str, password: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:  # Kafka 3.9 applies a credential change through a ZooKeeper notification, a moment later
        try:
            AdminClient(cluster.confluent("SASL_PLAINTEXT", user, mechanism, password=password,
                                          socket_timeout_ms=3000)).list_topics(timeout=3)
            return True
        except Exception:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)


def test_kafka_configs_manages_scram_users_as_on_apache_kafka(kafka_cli: Any, tmp_path: Path,
                                                               secured_engine: SecuredCluster,
                                                               secured_kafka: SecuredCluster) -> None:
    theirs = kafka_configs(secured_kafka, kafka_cli, tmp_path)
    ours = kafka_configs(secured_engine, kafka_cli, tmp_path)
    assert re.search(r"SCRAM-SHA-256=iterations=8192, ?SCRAM-SHA-512=iterations=4096", theirs[1]), theirs
    assert "less than the minimum 4096" in theirs[4] and "does not exist" in theirs[5], theirs
    assert ours == theirs
    for cluster in (secured_kafka, secured_engine):
        assert logs_in(cluster, "carol", "SCRAM-SHA-256", "carol-secret", 30)
        assert not logs_in(cluster, "carol", "SCRAM-SHA-512", "carol-secret", 0)
        assert not logs_in(cluster, "carol", "SCRAM-SHA-256", "wrong", 0)


def test_clients_reauthenticate_and_keep_working(tmp_path: Path, pki: Pki) -> None:
    cluster = start_secured_engine(tmp_path / "engine", pki, **{"connections.max.reauth.ms": "1500"})
    try:
        create_scram_users(cluster)
        admin = AdminClient(cluster.confluent("SSL", cert="admin"))
        admin.create_topics([NewTopic("reauth", 1, 1)])["reauth"].result(30)
        assert cluster.engine is not None
        for mech in ("SCRAM-SHA-256", "PLAIN"):
            producer = Producer(cluster.confluent("SASL_SSL", "admin", mech, acks="all"))
            delivered: list[Any] = []
            end = time.monotonic() + 4.0  # more than two session lifetimes of 1.5 s
            while time.monotonic() < end:  # a steady trickle, so requests straddle the re-authentications
                producer.produce("reauth", b"x", on_delivery=lambda err, _m, d=delivered: d.append(err))
                producer.flush(10)
                time.sleep(0.1)
            assert delivered and all(err is None for err in delivered), delivered
            del producer
        log = cluster.engine.tail(400)
        assert "re-authenticated as User:admin with SCRAM-SHA-256" in log, log
        assert "re-authenticated as User:admin with PLAIN" in log, log
    finally:
        cluster.close()
