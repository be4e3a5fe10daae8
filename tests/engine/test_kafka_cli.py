"""Kafka's own CLI tools, run from the Maven jars against the engine, each checked by what it prints."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def cli(kafka_cli: Any, tool: str, engine: Any, *args: str, input: str | None = None) -> str:
    result = kafka_cli.run(tool, "--bootstrap-server", engine.bootstrap, *args, input=input)
    return str(result.stdout)


def test_kafka_topics_lifecycle(kafka_cli: Any, engine: Any) -> None:
    out = cli(kafka_cli, "kafka-topics", engine, "--create", "--topic", "cli-t", "--partitions", "2",
              "--replication-factor", "1", "--config", "retention.ms=60000")
    assert "Created topic cli-t." in out
    assert "cli-t" in cli(kafka_cli, "kafka-topics", engine, "--list").split()
    out = cli(kafka_cli, "kafka-topics", engine, "--describe", "--topic", "cli-t")
    assert re.search(r"Topic: cli-t\s+TopicId: \S+\s+PartitionCount: 2\s+ReplicationFactor: 1", out), out
    assert "retention.ms=60000" in out
    assert re.search(r"Partition: 1\s+Leader: 1\s+Replicas: 1\s+Isr: 1", out), out
    cli(kafka_cli, "kafka-topics", engine, "--alter", "--topic", "cli-t", "--partitions", "4")
    out = cli(kafka_cli, "kafka-topics", engine, "--describe", "--topic", "cli-t")
    assert "PartitionCount: 4" in out
    cli(kafka_cli, "kafka-topics", engine, "--delete", "--topic", "cli-t")
    assert "cli-t" not in cli(kafka_cli, "kafka-topics", engine, "--list").split()


def test_console_producer_and_consumer_with_keys(kafka_cli: Any, engine: Any) -> None:
    cli(kafka_cli, "kafka-topics", engine, "--create", "--topic", "cli-console", "--partitions", "1")
    lines = [f"k{i}:value {i}" for i in range(10)]
    cli(kafka_cli, "kafka-console-producer", engine, "--topic", "cli-console", "--property", "parse.key=true",
        "--property", "key.separator=:", input="\n".join(lines) + "\n")
    out = cli(kafka_cli, "kafka-console-consumer", engine, "--topic", "cli-console", "--from-beginning",
              "--max-messages", "10", "--property", "print.key=true", "--property", "key.separator=:",
              "--timeout-ms", "20000")
    assert out.splitlines()[:10] == lines


def test_get_offsets_and_delete_records(kafka_cli: Any, engine: Any, tmp_path: Any) -> None:
    cli(kafka_cli, "kafka-topics", engine, "--create", "--topic", "cli-off", "--partitions", "1")
    cli(kafka_cli, "kafka-console-producer", engine, "--topic", "cli-off",
        input="".join(f"m{i}\n" for i in range(12)))
    assert cli(kafka_cli, "kafka-get-offsets", engine, "--topic", "cli-off", "--time", "-1").strip() == "cli-off:0:12"
    assert cli(kafka_cli, "kafka-get-offsets", engine, "--topic", "cli-off", "--time", "-2").strip() == "cli-off:0:0"
    max_ts = cli(kafka_cli, "kafka-get-offsets", engine, "--topic", "cli-off", "--time", "-3").strip()
    assert re.fullmatch(r"cli-off:0:\d+", max_ts), max_ts
    spec = tmp_path / "delete.json"
    spec.write_text('{"partitions": [{"topic": "cli-off", "partition": 0, "offset": 5}], "version": 1}')
    out = cli(kafka_cli, "kafka-delete-records", engine, "--offset-json-file", str(spec))
    assert "low_watermark: 5" in out
    assert cli(kafka_cli, "kafka-get-offsets", engine, "--topic", "cli-off", "--time", "-2").strip() == "cli-off:0:5"


def test_configs_describe_and_alter(kafka_cli: Any, engine: Any) -> None:
    cli(kafka_cli, "kafka-topics", engine, "--create", "--topic", "cli-cfg", "--partitions", "1")
    cli(kafka_cli, "kafka-configs", engine, "--alter", "--entity-type", "topics", "--entity-name", "cli-cfg",
        "--add-config", "retention.ms=123456,max.message.bytes=2048")
    out = cli(kafka_cli, "kafka-configs", engine, "--describe", "--entity-type", "topics", "--entity-name", "cli-cfg")
    assert "retention.ms=123456" in out and "max.message.bytes=2048" in out
    cli(kafka_cli, "kafka-configs", engine, "--alter", "--entity-type", "topics", "--entity-name", "cli-cfg",
        "--delete-config", "retention.ms")
    out = cli(kafka_cli, "kafka-configs", engine, "--describe", "--entity-type", "topics", "--entity-name", "cli-cfg")
    assert "retention.ms" not in out and "max.message.bytes=2048" in out
    out = cli(kafka_cli, "kafka-configs", engine, "--describe", "--entity-type", "brokers", "--entity-name", "1",
              "--all")
    assert "log.retention.hours=168" in out or "log.retention.ms=" in out


def test_broker_api_versions_and_log_dirs(kafka_cli: Any, engine: Any) -> None:
    out = cli(kafka_cli, "kafka-broker-api-versions", engine)
    assert f"{engine.bootstrap} (id: 1 rack: null" in out
    assert re.search(r"Produce\(0\): 0 to 11 \[usable: \d+\]", out), out
    assert re.search(r"Fetch\(1\): 0 to 17 \[usable: 17\]", out), out
    cli(kafka_cli, "kafka-topics", engine, "--create", "--topic", "cli-dirs", "--partitions", "2")
    out = cli(kafka_cli, "kafka-log-dirs", engine, "--describe", "--topic-list", "cli-dirs")
    assert '"partition":"cli-dirs-0"' in out and '"partition":"cli-dirs-1"' in out
