"""Compaction with real clients: many updates per key and tombstones compact to the latest value per key (read from
the beginning), tombstones go after delete.retention.ms; a consumer reading while the cleaner runs gets every
offset it asks for or the next one; a SIGKILL in the middle of a clean leaves a consistent log."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from tests.components.process import wait_until

QUIET = {"log_level": 3}
FAST_CLEANER = {"log_cleaner_backoff_ms": "100"}


def create(bootstrap: str, topic: str, **configs: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap, **QUIET})
    settings = {"cleanup.policy": "compact", "segment.bytes": "50000", "min.cleanable.dirty.ratio": "0.01",
                "delete.retention.ms": "2000", **configs}
    admin.create_topics([NewTopic(topic, 1, 1, config=settings)])[topic].result(timeout=30)


def produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes | None]]) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "batch.num.messages": 50, **QUIET})
    for i, (k, v) in enumerate(records):
        p.produce(topic, key=k, value=v, partition=0)
        if i % 1000 == 999:
            p.poll(0)
    assert p.flush(60) == 0


def read_all(bootstrap: str, topic: str) -> list[tuple[int, bytes, bytes | None]]:
    """(offset, key, value) from the log start to the high watermark at the start of the read."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader", "enable.auto.commit": False, **QUIET})
    try:
        _low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10, cached=False)
        c.assign([TopicPartition(topic, 0, 0)])
        out: list[tuple[int, bytes, bytes | None]] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not out or out[-1][0] < high - 1):
            for m in c.consume(1000, 0.5):
                assert m.error() is None, m.error()
                out.append((m.offset(), m.key(), m.value()))
        return out
    finally:
        c.close()


def updates(keys: int, versions: int, size: int) -> list[tuple[bytes, bytes | None]]:
    return [(b"key-%03d" % k, b"%03d:%05d:" % (k, v) + b"x" * size) for v in range(versions) for k in range(keys)]


def roll(bootstrap: str, topic: str) -> None:
    """Records of other keys, enough to roll the segment, so the updates above are no longer in the active one."""
    produce(bootstrap, topic, [(b"zz-roll-%d" % i, b"r" * 1000) for i in range(60)])


def latest(records: list[tuple[bytes, bytes | None]]) -> dict[bytes, bytes | None]:
    return dict(records)


def test_updates_and_tombstones_compact_to_the_latest_value_per_key(engine_factory: Any) -> None:
    eng = engine_factory(**FAST_CLEANER)
    create(eng.bootstrap, "compact-kv")
    written = updates(40, 50, 100) + [(b"key-%03d" % k, None) for k in range(0, 40, 4)]
    produce(eng.bootstrap, "compact-kv", written)
    roll(eng.bootstrap, "compact-kv")
    want = latest(written)

    def compacted() -> bool:
        got = read_all(eng.bootstrap, "compact-kv")
        mine = [(k, v) for _o, k, v in got if k.startswith(b"key-")]
        return len(mine) == len(want) and dict(mine) == want

    wait_until(compacted, 60, "one record per key, the latest (tombstones still there)")
    got = read_all(eng.bootstrap, "compact-kv")
    offsets = [o for o, _k, _v in got]
    assert offsets == sorted(offsets) and offsets[-1] == len(written) + 59, "offsets are kept, with holes"
    assert sum(1 for _o, k, v in got if k.startswith(b"key-") and v is None) == 10

    def tombstones_gone() -> bool:
        mine = {k: v for _o, k, v in read_all(eng.bootstrap, "compact-kv") if k.startswith(b"key-")}
        return mine == {k: v for k, v in want.items() if v is not None}

    wait_until(tombstones_gone, 60, "the tombstones to go after delete.retention.ms")


def test_a_consumer_reading_during_a_clean_gets_each_offset_or_the_next(engine_factory: Any) -> None:
    eng = engine_factory(**FAST_CLEANER, log_cleaner_io_max_bytes_per_second="600000")
    create(eng.bootstrap, "compact-live")
    written = updates(20, 150, 500)
    produce(eng.bootstrap, "compact-live", written)
    roll(eng.bootstrap, "compact-live")
    want = latest(written)
    directory = Path(eng.data_dir) / "compact-live-0"
    wait_until(lambda: any(directory.glob("*.cleaned")) or "cleaning compact-live-0" in eng.tail(50), 30,
               "the cleaner to start on the topic")
    passes = during = 0
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        cleaning = "cleaned compact-live-0" not in eng.tail(200)
        got = read_all(eng.bootstrap, "compact-live")
        passes += 1
        during += cleaning
        offsets = [o for o, _k, _v in got]
        assert offsets == sorted(set(offsets)), "offsets only go up: the offset asked for, or the next one"
        for _o, k, v in got:
            if k.startswith(b"key-"):
                assert v is not None and v.startswith(k[4:] + b":"), "every value is one the key had"
        mine = {k: v for _o, k, v in got if k.startswith(b"key-")}
        assert mine == want, "the latest value of every key is never missed"
        if not cleaning:
            break
    assert during >= 1 and passes > during, f"{during} of {passes} reads overlapped the clean"


def test_sigkill_during_a_clean_leaves_a_consistent_log(engine_factory: Any) -> None:
    eng = engine_factory(**FAST_CLEANER, log_cleaner_io_max_bytes_per_second="300000")
    create(eng.bootstrap, "compact-kill")
    written = updates(20, 150, 500)
    produce(eng.bootstrap, "compact-kill", written)
    roll(eng.bootstrap, "compact-kill")
    want = latest(written)
    directory = Path(eng.data_dir) / "compact-kill-0"
    wait_until(lambda: any(directory.glob("*.cleaned")), 60, "a clean writing its .cleaned segment")
    eng.kill()
    eng.stop()
    eng.start()
    assert not any(directory.glob("*.cleaned")) and not any(directory.glob("*.swap")), "leftovers removed"
    got = read_all(eng.bootstrap, "compact-kill")
    offsets = [o for o, _k, _v in got]
    assert offsets == sorted(set(offsets))
    assert {k: v for _o, k, v in got if k.startswith(b"key-")} == want
    assert offsets[-1] == len(written) + 59

    def finished() -> bool:
        mine = [k for _o, k, _v in read_all(eng.bootstrap, "compact-kill") if k.startswith(b"key-")]
        return len(mine) == len(want)

    wait_until(finished, 90, "the cleaner to finish after the restart")
