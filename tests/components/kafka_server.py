"""Apache Kafka from the Maven jars: 3.9 in ZooKeeper mode and 4.1 in KRaft combined mode, one broker each."""

from __future__ import annotations

import base64
import dataclasses
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.components.kafka_tools import kafka_libs, log_config_flags
from tests.components.process import ManagedProcess, ProcessBacked, api_versions_answers, free_port
from tests.components.report import record
from tests.components.zk_server import ZooKeeper, start_zookeeper

ZK_MODE_VERSION = "3.9.1"
KRAFT_VERSION = "4.1.1"
TEST_JVM = ["-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"]
BENCH_JVM = ["-Xms512m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true"]
COMMON = {
    "num.partitions": "1", "offsets.topic.replication.factor": "1", "offsets.topic.num.partitions": "10",
    "transaction.state.log.replication.factor": "1", "transaction.state.log.min.isr": "1",
    "group.initial.rebalance.delay.ms": "0", "auto.create.topics.enable": "true",
    "log.retention.check.interval.ms": "300000",
}


@dataclasses.dataclass
class KafkaBroker(ProcessBacked):
    name: str
    version: str
    bootstrap: str
    zookeeper: str | None
    process: ManagedProcess
    zk_server: ZooKeeper | None = None
    format_seconds: float = 0.0  # KRaft: time spent in kafka-storage format before the broker started

    def close(self) -> None:
        self.process.stop()
        if self.zk_server is not None:
            self.zk_server.process.stop()


def _props(values: dict[str, str]) -> str:
    return "".join(f"{k}={v}\n" for k, v in values.items())


def broker_ready(bootstrap: str) -> bool:
    """The port answers a raw ApiVersions, then a Metadata request names a broker and a controller."""
    from confluent_kafka.admin import AdminClient

    host, _, port = bootstrap.rpartition(":")
    if not api_versions_answers(host, int(port)):  # cheap gate: no client (and no connect-refused noise) until up
        return False
    md = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 2000}).list_topics(timeout=3)
    return bool(md.brokers) and md.controller_id >= 0


def _java(libs: Path, workdir: Path, jvm: list[str]) -> list[str]:
    return ["java", *jvm, *log_config_flags(workdir, "INFO"), f"-Dkafka.logs.dir={workdir}", "-cp", f"{libs}/*"]


def start_kafka_zk(workdir: Path, zk: ZooKeeper, jvm: list[str] = TEST_JVM,
                   extra: dict[str, str] | None = None) -> KafkaBroker:
    libs = kafka_libs(ZK_MODE_VERSION)
    port = free_port()
    bootstrap = f"127.0.0.1:{port}"
    cfg = workdir / "server.properties"
    cfg.write_text(_props({"broker.id": "1", "listeners": f"PLAINTEXT://{bootstrap}",
                           "advertised.listeners": f"PLAINTEXT://{bootstrap}", "log.dirs": str(workdir / "logs"),
                           "zookeeper.connect": zk.connect, **COMMON, **(extra or {})}))
    proc = ManagedProcess("kafka-3.9-zk", [*_java(libs, workdir, jvm), "kafka.Kafka", str(cfg)],
                          workdir / "kafka.out")
    proc.start(lambda: broker_ready(bootstrap), timeout=120)
    return KafkaBroker("kafka-3.9-zk", ZK_MODE_VERSION, bootstrap, zk.connect, proc)


def start_kafka_kraft(workdir: Path, jvm: list[str] = TEST_JVM) -> KafkaBroker:
    libs = kafka_libs(KRAFT_VERSION)
    port, cport = free_port(), free_port()
    bootstrap = f"127.0.0.1:{port}"
    cfg = workdir / "server.properties"
    cfg.write_text(_props({
        "process.roles": "broker,controller", "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{cport}",
        "listeners": f"PLAINTEXT://{bootstrap},CONTROLLER://127.0.0.1:{cport}",
        "advertised.listeners": f"PLAINTEXT://{bootstrap}", "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT", "log.dirs": str(workdir / "logs"), **COMMON}))
    cluster_id = "-"
    while cluster_id.startswith("-"):  # a leading dash would be read as an option by kafka-storage
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    format_started = time.monotonic()
    fmt = subprocess.run([*_java(libs, workdir, TEST_JVM), "kafka.tools.StorageTool", "format",
                          "-t", cluster_id, "-c", str(cfg)], capture_output=True, text=True, timeout=120)
    if fmt.returncode != 0:
        raise RuntimeError(f"kafka-storage format failed:\n{fmt.stdout}\n{fmt.stderr}")
    format_seconds = time.monotonic() - format_started
    proc = ManagedProcess("kafka-4.1-kraft", [*_java(libs, workdir, jvm), "kafka.Kafka", str(cfg)],
                          workdir / "kafka.out")
    proc.start(lambda: broker_ready(bootstrap), timeout=120)
    return KafkaBroker("kafka-4.1-kraft", KRAFT_VERSION, bootstrap, None, proc, format_seconds=format_seconds)


@pytest.fixture(scope="session")
def kafka_zk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    kafka_libs(ZK_MODE_VERSION)
    zk = start_zookeeper(tmp_path_factory.mktemp("kafka-zk-zookeeper"))
    try:
        broker = start_kafka_zk(tmp_path_factory.mktemp("kafka-zk"), zk)
    except BaseException:
        zk.process.stop()
        raise
    broker.zk_server = zk
    record("zookeeper (for kafka-3.9-zk)", zk.version, zk.startup_seconds)
    record(broker.name, broker.version, broker.startup_seconds)
    yield broker
    broker.close()


@pytest.fixture(scope="session")
def kafka_kraft(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    broker = start_kafka_kraft(tmp_path_factory.mktemp("kafka-kraft"))
    record("kafka-storage format", KRAFT_VERSION, broker.format_seconds)
    record(broker.name, broker.version, broker.startup_seconds)
    yield broker
    broker.close()
