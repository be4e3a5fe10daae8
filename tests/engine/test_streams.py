"""Kafka Streams with exactly_once_v2: a word count of our own (tests/engine/streams/WordCountApp.java, compiled
here with javac against kafka-streams 3.9.1) runs against the engine while an idempotent producer writes its
input; the broker is killed with SIGKILL mid-run and restarted. Afterwards every word's committed counts on the
output topic are exactly 1, 2, ..., n (nothing lost, nothing counted twice), and the same run against Apache
Kafka 3.9 gives the same result."""

from __future__ import annotations

import random
import signal
import struct
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from tests.components.engine_proc import EngineProcess
from tests.components.kafka_server import start_kafka_zk
from tests.components.kafka_tools import kafka_libs, kafka_streams_libs, log_config_flags
from tests.components.process import wait_until
from tests.components.zk_server import start_zookeeper

APP = Path(__file__).with_name("streams") / "WordCountApp.java"
QUIET = {"log_level": 3}
LINES = 4000
VOCABULARY = [f"word{i:02d}" for i in range(40)]


@pytest.fixture(scope="module")
def word_count(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    libs = kafka_streams_libs()
    classes = tmp_path_factory.mktemp("wordcount-classes")
    subprocess.run(["javac", "-d", str(classes), "-cp", f"{libs}/*", str(APP)], check=True, capture_output=True,
                   timeout=120)
    return libs, classes


@dataclass
class Broker:
    bootstrap: str
    sigkill_and_restart: Callable[[], None]


def run_word_count(broker: Broker, word_count: tuple[Path, Path], workdir: Path) -> dict[str, list[int]]:
    """Run the app while LINES lines are produced, SIGKILL and restart the broker a third of the way in;
    return each word's committed counts, in order, once every word reached its expected count."""
    libs, classes = word_count
    admin = AdminClient({"bootstrap.servers": broker.bootstrap, **QUIET})
    for topic in ("wc-input", "wc-output"):
        admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(timeout=30)
    rng = random.Random(7)
    lines = [" ".join(rng.choice(VOCABULARY) for _ in range(6)) for _ in range(LINES)]
    expected: dict[str, int] = {}
    for line in lines:
        for w in line.split():
            expected[w] = expected.get(w, 0) + 1
    log = open(workdir / "wordcount.log", "w")  # noqa: SIM115 - closed below
    app = subprocess.Popen(["java", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                            *log_config_flags(workdir, "WARN"), "-cp", f"{libs}/*:{classes}", "WordCountApp",
                            broker.bootstrap, "wordcount", "wc-input", "wc-output", str(workdir / "state")],
                           stdout=log, stderr=subprocess.STDOUT)
    errors: list[str] = []
    producer = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True, "acks": "all",
                         "linger.ms": 5, "message.timeout.ms": 120_000, **QUIET})

    def feed(first: int, last: int) -> None:
        for i in range(first, last):
            producer.produce("wc-input", key=str(i), value=lines[i],
                             on_delivery=lambda err, _m: errors.append(str(err)) if err else None)
            if i % 50 == 49:
                producer.poll(0)
                time.sleep(0.05)  # about 1,000 lines a second: this part spans the broker's restart
        left = producer.flush(150)
        if left:
            errors.append(f"{left} lines never delivered")

    third = LINES // 3
    feeder = threading.Thread(target=feed, args=(third, LINES))
    seqs: dict[str, list[int]] = {}
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "wc-check", "isolation.level": "read_committed",
                  "enable.auto.commit": False, **QUIET})

    def drain() -> int:
        got = 0
        for m in c.consume(2000, 0.3):
            if m.error() is None:
                seqs.setdefault(m.key().decode(), []).append(struct.unpack(">q", m.value())[0])
                got += 1
        return got

    try:
        c.assign([TopicPartition("wc-output", p, 0) for p in range(2)])
        feed(0, third)
        wait_until(lambda: drain() >= 0 and sum(map(len, seqs.values())) >= third * 6, 120,
                   "the app to have counted the first third of the input")
        feeder.start()
        wait_until(lambda: drain() > 0, 30, "the app to count while more input comes")
        broker.sigkill_and_restart()  # while the app is in a transaction and input keeps coming
        done = lambda: all(seqs.get(w, [0])[-1] == n for w, n in expected.items())  # noqa: E731
        wait_until(lambda: drain() >= 0 and done(), 180, "every word's count to reach its total")
        feeder.join(150)
        assert errors == []
    finally:
        c.close()
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(60)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait(10)
        log.close()
    assert app.returncode in (0, 143), (workdir / "wordcount.log").read_text()[-3000:]
    bad = {w: seqs.get(w, [])[:5] for w, n in expected.items() if seqs.get(w) != list(range(1, n + 1))}
    assert not bad, f"counts that are not exactly 1..n: {bad}\n" + (workdir / "wordcount.log").read_text()[-3000:]
    return seqs


def test_word_count_exactly_once_through_a_sigkill_of_the_engine(word_count: Any, tmp_path: Path) -> None:
    eng = EngineProcess(tmp_path / "data", {"group.initial.rebalance.delay.ms": "0"})
    eng.start()
    try:
        def restart() -> None:
            eng.kill()
            eng.start()

        seqs = run_word_count(Broker(eng.bootstrap, restart), word_count, tmp_path)
        assert sum(map(len, seqs.values())) == LINES * 6
    finally:
        eng.close()


def test_the_same_run_against_kafka_3_9(word_count: Any, tmp_path: Path) -> None:
    from kazoo.client import KazooClient

    kafka_libs("3.9.1")
    for d in ("zk", "kafka"):
        (tmp_path / d).mkdir()
    zk = start_zookeeper(tmp_path / "zk")
    try:
        kafka = start_kafka_zk(tmp_path / "kafka", zk, extra={"zookeeper.session.timeout.ms": "4000"})
    except BaseException:
        zk.process.stop()
        raise
    zk_client = KazooClient(hosts=zk.connect)
    zk_client.start(timeout=30)
    try:
        def restart() -> None:
            proc = kafka.process.proc
            assert proc is not None
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            # Kafka 3.9 starts only once ZooKeeper has expired the killed broker's registration.
            wait_until(lambda: not zk_client.exists("/brokers/ids/1"), 60, "the killed broker's session to end")
            from tests.components.kafka_server import broker_ready

            kafka.process.start(lambda: broker_ready(kafka.bootstrap), timeout=120)

        seqs = run_word_count(Broker(kafka.bootstrap, restart), word_count, tmp_path)
        assert sum(map(len, seqs.values())) == LINES * 6
    finally:
        zk_client.stop()
        zk_client.close()
        kafka.close()
        zk.process.stop()
