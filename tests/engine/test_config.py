"""Broker properties: Kafka names, defaults, aliases, and clear refusals."""

from __future__ import annotations

import pytest

from engine.__main__ import parse_args
from engine.config import ConfigError, load_broker_config, parse_properties_text, validate_topic_configs


def test_defaults_and_derived_values() -> None:
    cfg = load_broker_config({})
    assert cfg.listeners == [("PLAINTEXT", "127.0.0.1", 9092)]
    assert cfg.node_id == 1
    assert cfg["log.retention.ms"] == 168 * 3_600_000
    assert cfg.topic_default("retention.ms") == 168 * 3_600_000
    assert cfg.topic_default("max.message.bytes") == 1048588


def test_properties_file_and_overrides(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "server.properties"
    f.write_text("# comment\nnode.id=3\nlisteners=PLAINTEXT://127.0.0.1:19092\nnum.io.threads=8\n"
                 "log.retention.hours=1\n")
    settings, _ = parse_args([str(f), "--override", "node.id=4"])
    cfg = load_broker_config(settings)
    assert cfg.node_id == 4
    assert cfg["log.retention.ms"] == 3_600_000
    assert cfg.ignored == ("num.io.threads",)


@pytest.mark.parametrize(("settings", "message"), [
    ({"no.such.thing": "1"}, "unknown property 'no.such.thing'"),
    ({"num.partitions": "zero"}, "invalid value 'zero' for num.partitions"),
    ({"num.partitions": "0"}, "must be at least 1"),
    ({"listeners": "localhost:9092"}, "is not NAME://host:port"),
    ({"auto.create.topics.enable": "yes"}, "expected true or false"),
])
def test_bad_properties_are_refused_by_name(settings: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_broker_config(settings)


def test_properties_text_syntax() -> None:
    assert parse_properties_text("a=1\nb : 2\n! c\nd=x\\\n  y\n") == {"a": "1", "b": "2", "d": "xy"}
    with pytest.raises(ConfigError, match="expected key=value"):
        parse_properties_text("justaword")


def test_topic_config_validation() -> None:
    assert validate_topic_configs([("retention.ms", "1000")]) == ({"retention.ms": 1000}, None)
    assert validate_topic_configs([("bogus", "1")])[1] == "Unknown topic config name: bogus"
    assert "Invalid value" in str(validate_topic_configs([("retention.ms", "x")])[1])


def test_the_tutorial_cluster_properties_as_written() -> None:
    """Issue 10's broker file, verbatim: ZooKeeper mode, the broker listening where it advertises."""
    text = """broker.id=0
advertised.listeners=PLAINTEXT://kafka1.local:9092
log.dirs=/data/kafka
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
zookeeper.connect=kafka1.local:2181,kafka2.local:2181,kafka3.local:2181
"""
    cfg = load_broker_config(parse_properties_text(text))
    assert cfg.node_id == 0 and str(cfg.data_dir) == "/data/kafka" and cfg.ignored == ()
    assert cfg.listeners == cfg.advertised == [("PLAINTEXT", "kafka1.local", 9092)]
    assert cfg["zookeeper.connect"] == "kafka1.local:2181,kafka2.local:2181,kafka3.local:2181"
    assert cfg["offsets.topic.replication.factor"] == 3
    assert cfg["transaction.state.log.replication.factor"] == 3 and cfg["transaction.state.log.min.isr"] == 2
    assert cfg["inter.broker.protocol.version"] == "3.9-IV0"
