"""Key search pruned to the key's partition, on a 12-partition topic written by the Java client (Kafka's console
producer: murmur2) and by confluent-kafka (librdkafka's consistent_random): the matching partitioner finds every
message with the key while reading only that partition; "scan all partitions" finds the same messages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from pytestqt.qtbot import QtBot

from tests.workbench.conftest import spec_for
from tests.workbench.messages_support import WAIT, Form, make_topic, read, rows
from workbench.main_window import MainWindow
from workbench.services.partitioner import partition_for

pytestmark = pytest.mark.slow
PARTITIONS = 12
KEYS = 40


def everything(bootstrap: str, topic: str, total: int) -> dict[bytes, list[tuple[int, int]]]:
    """Every record's (partition, offset) by key, read with a plain consumer: the ground truth."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"truth-{uuid.uuid4().hex[:6]}", "log_level": 2,
                  "enable.auto.commit": False})
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    out: dict[bytes, list[tuple[int, int]]] = {}
    seen = 0
    try:
        for _ in range(2000):
            if seen >= total:
                break
            m = c.poll(0.2)
            if m is None or m.error() is not None:
                continue
            out.setdefault(m.key() or b"", []).append((m.partition() or 0, m.offset() or 0))
            seen += 1
    finally:
        c.close()
    assert seen == total
    return {k: sorted(v) for k, v in out.items()}


@pytest.fixture(scope="module", params=["engine", "kafka-3.9-zk"])
def keyed(request: pytest.FixtureRequest, kafka_cli: Any) -> tuple[Any, str, dict[bytes, list[tuple[int, int]]]]:
    cluster = request.getfixturevalue("shared_engine" if request.param == "engine" else "kafka_zk")
    topic = f"keyed-{uuid.uuid4().hex[:8]}"
    make_topic(cluster.bootstrap, topic, PARTITIONS)
    lines = "".join(f"java-{i % KEYS}:java value {i}\n" for i in range(400))
    kafka_cli.run("kafka-console-producer", "--bootstrap-server", cluster.bootstrap, "--topic", topic,
                  "--property", "parse.key=true", "--property", "key.separator=:", input=lines)
    p = Producer({"bootstrap.servers": cluster.bootstrap, "linger.ms": 5})  # librdkafka's default partitioner
    for i in range(400):
        p.produce(topic, key=f"rd-{i % KEYS}".encode(), value=f"librdkafka value {i}".encode())
    assert p.flush(30) == 0
    return cluster, topic, everything(cluster.bootstrap, topic, 800)


@pytest.mark.parametrize(("key", "partitioner"), [("java-7", "murmur2"), ("java-31", "murmur2"),
                                                   ("rd-7", "consistent_random"), ("rd-22", "consistent_random")])
def test_key_search_reads_only_the_keys_partition(qtbot: QtBot, window: MainWindow, keyed: Any, key: str,
                                                  partitioner: str) -> None:
    cluster, topic, truth = keyed
    expected = truth[key.encode()]
    placed = partition_for(key.encode(), PARTITIONS, partitioner)
    assert {p for p, _o in expected} == {placed}, "the producer put the key where the partitioner says"

    with qtbot.waitSignal(window.topics_pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "topics"):
        window.open_spec(spec_for(cluster))
    pane = window.messages_pane
    said = read(qtbot, pane, Form(topic, key=key, partitioner=partitioner))
    assert "range is done" in said
    assert sorted(rows(pane)) == expected
    # only the key's partition was assigned and read: the per-partition progress comes from consumed messages
    progress = pane.progress.model.rows
    assert [p.partition for p in progress] == [placed]
    in_partition = sum(1 for v in truth.values() for p, _o in v if p == placed)
    assert progress[0].read == in_partition < 800
    assert f"partition {placed} by the {partitioner} partitioner" in pane.progress.note.text()

    said = read(qtbot, pane, Form(topic, key=key, partitioner=partitioner, scan_all=True))
    assert sorted(rows(pane)) == expected
    assert [p.partition for p in pane.progress.model.rows] == list(range(PARTITIONS))
    assert sum(p.read for p in pane.progress.model.rows) == 800
