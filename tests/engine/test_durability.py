"""Durability: restarts keep data, topics and ids; kill -9 during an acks=all produce loses nothing
acknowledged and duplicates nothing; garbage at the tail of the active segment is cut at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from confluent_kafka import TopicCollection
from confluent_kafka.admin import AdminClient

from tests.components.process import wait_until
from tests.engine.conformance import assert_contiguous, assert_same, messages
from tests.engine.test_client_confluent import consume_all, create_topic, produce

PRODUCER = textwrap.dedent("""
    import sys
    from confluent_kafka import Producer
    bootstrap, topic, count, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    acked = open(out, "w", buffering=1)
    def done(err, msg):
        if err is None:
            acked.write(f"{msg.offset()} {msg.value().decode()}\\n")
        else:
            acked.write(f"ERR {err}\\n")
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                  "linger.ms": 2, "message.timeout.ms": 120000, "batch.num.messages": 500,
                  "reconnect.backoff.max.ms": 200, "retry.backoff.max.ms": 200})
    for i in range(count):
        while True:
            try:
                p.produce(topic, value=str(i).encode(), partition=0, on_delivery=done)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    left = p.flush(150)
    acked.write(f"DONE {left}\\n")
""")


def describe(bootstrap: str, topic: str) -> Any:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    return admin.describe_topics(TopicCollection([topic]))[topic].result(timeout=30)


def test_restart_keeps_data_topics_and_ids(engine_factory: Any) -> None:
    eng = engine_factory()
    create_topic(eng.bootstrap, "kept", partitions=3)
    sent = messages("none", 50)
    produce(eng.bootstrap, "kept", sent, "none")
    before = describe(eng.bootstrap, "kept")
    eng.stop()
    eng.start()
    after = describe(eng.bootstrap, "kept")
    assert len(after.partitions) == 3
    assert str(after.topic_id) == str(before.topic_id)
    assert str(before.topic_id) != "AAAAAAAAAAAAAAAAAAAAAA"
    got, offsets = consume_all(eng.bootstrap, "kept", len(sent))
    assert_same(sent, got)
    assert_contiguous(offsets)


def test_kill_9_during_acks_all_produce_loses_nothing_acknowledged(engine_factory: Any, tmp_path: Path) -> None:
    eng = engine_factory()
    create_topic(eng.bootstrap, "durable")
    count = 100_000
    acked_file = tmp_path / "acked.txt"
    script = tmp_path / "producer.py"
    script.write_text(PRODUCER)
    proc = subprocess.Popen([sys.executable, str(script), eng.bootstrap, "durable", str(count), str(acked_file)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: acked_file.exists() and acked_file.stat().st_size > 100_000, 120,
                   "the producer to have some messages acknowledged")
        eng.kill()
        eng.start()
        proc.wait(timeout=200)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        assert proc.stderr is not None
        proc.stderr.close()
    lines = acked_file.read_text().splitlines()
    assert lines[-1] == "DONE 0", lines[-3:]
    acked = {int(v): int(o) for o, v in (ln.split() for ln in lines if not ln.startswith(("ERR", "DONE")))}
    assert len(acked) == count, f"{count - len(acked)} messages never acknowledged"
    got, offsets = consume_all(eng.bootstrap, "durable", count)
    values = [int(m.value) for m in got]
    assert values == list(range(count)), "every message once, in order"
    assert_contiguous(offsets)
    assert all(acked[v] == offsets[v] for v in range(count)), "acknowledged offsets match the log"


def test_garbage_at_the_tail_is_truncated(engine_factory: Any) -> None:
    eng = engine_factory()
    create_topic(eng.bootstrap, "torn")
    sent = messages("none", 30)
    produce(eng.bootstrap, "torn", sent, "none")
    eng.stop()
    segment = Path(eng.data_dir) / "torn-0" / f"{0:020d}.log"
    size = segment.stat().st_size
    with open(segment, "ab") as f:
        f.write(os.urandom(777))
    eng.start()
    assert segment.stat().st_size == size
    more = messages("gzip", 10, base_ts=1_800_000_000_000)
    delivered = produce(eng.bootstrap, "torn", more, "gzip")
    assert delivered == list(range(30, 40))
    got, offsets = consume_all(eng.bootstrap, "torn", 40)
    assert_same(sent + more, got)
    assert_contiguous(offsets)
