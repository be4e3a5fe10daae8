"""Log compaction in one broker process: the latest value per key, tombstones gone after delete.retention.ms,
transactions' aborted records and markers, producers' last batches, the dirty ratio, and the `.cleaned`/`.swap`
files of an interrupted clean made consistent at the next start."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.broker import Broker
from engine.config import load_broker_config
from engine.partition import Partition
from engine.storage import validate_produce_batches
from engine.storage.batch import parse_header
from engine.storage.records import build_batch, decode_records

T0 = 1_700_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = T0 / 1000

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[tuple[Broker, Clock]]:
    clock = Clock()
    cfg = load_broker_config({"log.dirs": str(tmp_path / "data"), "listeners": "PLAINTEXT://127.0.0.1:9",
                              "offsets.topic.num.partitions": "2", "transaction.state.log.num.partitions": "2"})
    b = Broker(cfg, clock=clock)
    b.open()
    yield b, clock
    b.close()


def compacted(b: Broker, name: str, **configs: str) -> Partition:
    settings = {"cleanup.policy": "compact", "segment.bytes": "2000", "min.cleanable.dirty.ratio": "0.01",
                "delete.retention.ms": "1000", **configs}
    b.create_topic(name, 1, 1, list(settings.items()))
    p = b.partition(name, 0)
    assert p is not None
    return p


def put(p: Partition, clock: Clock, records: list[tuple[bytes | None, bytes | None]], **batch_args: Any) -> int:
    now = int(clock() * 1000)
    data = build_batch([(k, v, (), now) for k, v in records], **batch_args)
    result = p.append(data, validate_produce_batches(data), now)
    assert result.error == 0, result.message
    return result.base_offset


def contents(p: Partition) -> list[tuple[int, bytes | None, bytes | None]]:
    """Every record from the log start, read as a consumer does (one segment per read, from the next offset)."""
    out: list[tuple[int, bytes | None, bytes | None]] = []
    offset = p.log_start_offset
    for _ in range(10_000):
        data = p.log.read(offset, 1 << 30, max_offset=p.high_watermark).records
        if not data:
            break
        pos = 0
        while pos + 61 <= len(data):
            h = parse_header(data, pos)
            if not h.is_control:
                out += [(r.offset, r.key, r.value) for r in decode_records(data[pos : pos + h.size])]
            offset = h.last_offset + 1
            pos += h.size
    return out


def clean(b: Broker) -> bool:
    assert b.cleaner is not None
    return asyncio.run(b.cleaner.clean_once())


def test_latest_value_per_key_and_tombstones_after_the_horizon(broker: tuple[Broker, Clock]) -> None:
    b, clock = broker
    p = compacted(b, "kv")
    for round_ in range(30):
        for k in range(5):
            put(p, clock, [(b"k%d" % k, b"v%d-%d" % (k, round_))])
    put(p, clock, [(b"k0", None)])  # a tombstone
    put(p, clock, [(b"k9", b"r" * 1900)])  # rolls: the tombstone is in a segment the cleaner may clean
    put(p, clock, [(b"k9", b"roll")])
    assert len(p.log.segments) > 3
    hw = p.high_watermark
    assert clean(b)
    got = contents(p)
    latest = {k: v for _o, k, v in got}
    assert latest == {b"k0": None, b"k1": b"v1-29", b"k2": b"v2-29", b"k3": b"v3-29", b"k4": b"v4-29",
                      b"k9": b"roll"}, "the latest value per key; the tombstone kept until its horizon"
    assert [o for o, _k, _v in got] == sorted(o for o, _k, _v in got)
    assert p.high_watermark == hw, "offsets never change"
    assert not clean(b), "nothing dirty, no horizon passed yet"
    clock.now += 2  # past delete.retention.ms: a clean is due without any new data
    assert clean(b)
    assert b"k0" not in {k for _o, k, _v in contents(p)}, "the tombstone is gone after delete.retention.ms"


def test_a_reader_gets_the_offset_it_asks_for_or_the_next_one(broker: tuple[Broker, Clock]) -> None:
    b, clock = broker
    p = compacted(b, "holes")
    for i in range(60):
        put(p, clock, [(b"same", b"%d" % i)])
    put(p, clock, [(b"other", b"x")])
    assert clean(b)
    for asked in (0, 10, 57):
        data = p.log.read(asked, 100, max_offset=p.high_watermark).records
        first = decode_records(data[: parse_header(data).size])[0].offset
        assert first >= asked
        assert all(o >= first for o, _k, _v in contents(p) if o >= asked)


def test_aborted_transactions_and_their_markers_go(broker: tuple[Broker, Clock]) -> None:
    b, clock = broker
    p = compacted(b, "txn")
    pid = 4242
    put(p, clock, [(b"a", b"committed")], producer_id=pid, producer_epoch=0, base_sequence=0, attributes=0x10)
    p.append_marker(pid, 0, True, 0, int(clock() * 1000))
    put(p, clock, [(b"b", b"aborted")], producer_id=pid, producer_epoch=0, base_sequence=1, attributes=0x10)
    p.append_marker(pid, 0, False, 0, int(clock() * 1000))
    for i in range(40):
        put(p, clock, [(b"filler%d" % (i % 3), b"x" * 60)])
    assert clean(b)
    keys = [k for _o, k, _v in contents(p)]
    assert b"a" in keys and b"b" not in keys, "aborted records are removed"
    assert p.last_stable_offset == p.high_watermark


def test_a_producers_last_batch_is_kept_empty(broker: tuple[Broker, Clock]) -> None:
    b, clock = broker
    p = compacted(b, "seq")
    put(p, clock, [(b"k", b"old")], producer_id=7, producer_epoch=0, base_sequence=0)
    for i in range(40):
        put(p, clock, [(b"k", b"%d" % i)])
    assert clean(b)
    headers = list(p.log.iter_batch_headers(0))
    kept = [h for h in headers if h.producer_id == 7]
    assert len(kept) == 1 and kept[0].records_count == 0 and kept[0].base_sequence == 0
    b2 = b  # the producer's next sequence is still checked after a restart of its state
    p.producers.producers.clear()
    p._rebuild_producer_state()
    assert p.producers.producers[7].last_seq == 0
    assert b2 is b


def test_an_interrupted_clean_leaves_a_consistent_log(broker: tuple[Broker, Clock], tmp_path: Path) -> None:
    b, clock = broker
    p = compacted(b, "crash")
    for i in range(80):
        put(p, clock, [(b"k%d" % (i % 4), b"v%d" % i)])
    before = {k: v for _o, k, v in contents(p)}
    d = p.log.dir
    bases = [s.base_offset for s in p.log.segments]
    assert b.cleaner is not None
    c = b.cleaner.filthiest(b.now_ms())
    assert c is not None
    from engine.storage.cleaner import Stop
    from engine.storage.cleaner import clean as run_clean

    plan = b.cleaner.plan(c, b.now_ms())
    result = run_clean(plan, Stop())
    assert result.groups and any(d.glob("*.cleaned"))
    g = result.groups[0]
    name = f"{g.base_offset:020d}"
    # The crash comes in the middle of the swap: the cleaned files renamed .swap, one old segment deleted.
    for suffix in (".log", ".index", ".timeindex"):
        os.replace(d / f"{name}{suffix}.cleaned", d / f"{name}{suffix}.swap")
    victim = g.replaces[-1]
    for suffix in (".log", ".index", ".timeindex"):
        (d / f"{victim:020d}{suffix}").unlink()
    for seg in p.log.segments:  # a SIGKILL: no close, no marker
        seg.discard()
    b.partitions.clear()
    from engine.partition import open_partition
    from engine.storage import LogConfig

    reopened = open_partition(b.data_dir, "crash", 0, p.topic_id, LogConfig(segment_bytes=2000), 1, b.now_ms())
    assert not list(d.glob("*.swap")) and not list(d.glob("*.cleaned")) and not list(d.glob("*.end"))
    after = {k: v for _o, k, v in contents(reopened)}
    assert after == before, "the same latest value of every key"
    offsets = [o for o, _k, _v in contents(reopened)]
    assert offsets == sorted(set(offsets))
    assert reopened.high_watermark == 80
    assert [s.base_offset for s in reopened.log.segments][-1] == bases[-1]
    reopened.close()
