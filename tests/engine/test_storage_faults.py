"""Storage faults: a failing or short write leaves no bytes that later appends follow and loses nothing
acknowledged (a fault-injecting file layer here; a real file-size limit on a running broker in the last test);
recovery checks what a clean-shutdown marker cannot vouch for and logs every truncation; the flush policy
(flush.messages, roll flushes off the event loop, recovery points) as Kafka's."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import resource
import signal
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from engine.log_manager import LogManager
from engine.storage import Log, LogConfig, fileio
from engine.storage.checkpoint import RECOVERY_POINT, read_checkpoint
from engine.storage.fileio import StorageError
from tests.components.engine_proc import EngineProcess
from tests.components.process import die_with_parent
from tests.engine.test_client_confluent import consume_all
from tests.engine.test_storage import T0, batch, offsets_in, open_log


class FaultyWrites:
    """Writes that succeed, are cut short, or fail with ENOSPC, as the test arms them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.short_then_fail = False
        self.truncate_fails = False
        self.real_write, self.real_truncate = fileio.write, fileio.ftruncate
        monkeypatch.setattr(fileio, "write", self.write)
        monkeypatch.setattr(fileio, "ftruncate", self.ftruncate)

    def write(self, fd: int, data: Any) -> int:
        if self.short_then_fail:
            if len(data) > 1:
                return self.real_write(fd, bytes(data[: len(data) // 2]))  # a short write ...
            raise OSError(errno.ENOSPC, "No space left on device")  # ... then the disk is full
        return self.real_write(fd, data)

    def ftruncate(self, fd: int, length: int) -> None:
        if self.truncate_fails:
            raise OSError(errno.EIO, "Input/output error")
        self.real_truncate(fd, length)


def test_a_short_then_failed_write_is_truncated_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    faults = FaultyWrites(monkeypatch)
    log = open_log(tmp_path / "t-0")
    log.append(batch(5), leader_epoch=0, now_ms=T0)
    good = log.active.size
    faults.short_then_fail = True
    with pytest.raises(StorageError):
        log.append(batch(5), leader_epoch=0, now_ms=T0)
    assert os.path.getsize(log.active.log_path) == good, "no byte of the failed append left behind"
    assert log.log_end_offset == 5
    faults.short_then_fail = False
    assert log.append(batch(3), leader_epoch=0, now_ms=T0).first_offset == 5
    assert offsets_in(log.read(0, 1 << 20).records) == list(range(8))
    for seg in log.segments:  # a crash: no marker
        os.close(seg.fd)
        seg.fd = -1
    assert offsets_in(open_log(tmp_path / "t-0").read(0, 1 << 20).records) == list(range(8))


def test_when_even_the_truncation_fails_appends_wait_for_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    faults = FaultyWrites(monkeypatch)
    log = open_log(tmp_path / "t-0")
    log.append(batch(4), leader_epoch=0, now_ms=T0)
    faults.short_then_fail = faults.truncate_fails = True
    with pytest.raises(StorageError):
        log.append(batch(4), leader_epoch=0, now_ms=T0)
    faults.short_then_fail = False
    with pytest.raises(StorageError, match="cannot be truncated back"):
        log.append(batch(4), leader_epoch=0, now_ms=T0)  # torn bytes are still there: refused
    assert offsets_in(log.read(0, 1 << 20).records) == list(range(4)), "reads stop at the last whole append"
    faults.truncate_fails = False
    assert log.append(batch(2), leader_epoch=0, now_ms=T0).first_offset == 4
    assert offsets_in(log.read(0, 1 << 20).records) == list(range(6))
    # A crash while torn: the next start cuts the torn bytes and says so.
    faults.short_then_fail = faults.truncate_fails = True
    with pytest.raises(StorageError):
        log.append(batch(4), leader_epoch=0, now_ms=T0)
    for seg in log.segments:
        os.close(seg.fd)
        seg.fd = -1
    faults.short_then_fail = faults.truncate_fails = False
    with caplog.at_level(logging.WARNING, logger="engine.storage"):
        reopened = open_log(tmp_path / "t-0")
    assert reopened.log_end_offset == 6
    assert any("truncating" in r.message and "00000000000000000000.log" in r.message for r in caplog.records)


def test_a_clean_shutdown_marker_does_not_skip_the_crc_of_the_tail(tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    log = open_log(tmp_path / "t-0", index_interval_bytes=100_000)
    for _ in range(4):
        log.append(batch(5), leader_epoch=0, now_ms=T0)
    log.close()
    log.mark_clean()
    seg = tmp_path / "t-0" / f"{0:020d}.log"
    data = bytearray(seg.read_bytes())
    data[-5] ^= 0xFF  # a bit flip in the last batch, after the only index entry
    seg.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="engine.storage"):
        log = open_log(tmp_path / "t-0", index_interval_bytes=100_000)
    assert log.log_end_offset == 15
    assert any("truncating" in r.message for r in caplog.records)


def test_recovery_point_trusts_flushed_segments_and_drops_those_after_a_torn_one(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    log = open_log(tmp_path / "t-0", segment_bytes=2500)
    for _ in range(12):
        log.append(batch(5, size=100), leader_epoch=0, now_ms=T0)
    bases = [s.base_offset for s in log.segments]
    assert len(bases) >= 4
    log.flush()
    rp = bases[1]
    for seg in log.segments:
        os.close(seg.fd)
        seg.fd = -1
    middle = tmp_path / "t-0" / f"{bases[2]:020d}.log"
    data = bytearray(middle.read_bytes())
    data[100] ^= 0xFF
    middle.write_bytes(bytes(data))
    with caplog.at_level(logging.INFO, logger="engine.storage"):
        log = Log.open(tmp_path / "t-0", LogConfig(segment_bytes=2500), now_ms=T0, recovery_point=rp)
    assert [s.base_offset for s in log.segments] == bases[:3]
    assert log.log_end_offset == bases[2]
    messages = [r.message for r in caplog.records]
    assert not any(f"recovering segment {bases[0]:020d}" in m for m in messages), "below the recovery point"
    assert any(f"recovering segment {bases[2]:020d}" in m for m in messages)
    assert any(f"deleting segment {bases[3]:020d}" in m for m in messages)


def test_flush_messages_flushes_before_the_ack_and_rolls_flush_off_the_loop(tmp_path: Path) -> None:
    async def run() -> tuple[int, int, int, dict[tuple[str, int], int]]:
        logs: list[tuple[str, int, Log]] = []
        manager = LogManager(tmp_path, lambda: logs, flush_check_ms=1 << 40, checkpoint_interval_ms=1 << 40)
        log = Log.open(tmp_path / "t-0", LogConfig(segment_bytes=3000, flush_messages=3), now_ms=T0)
        manager.attach(log)
        logs.append(("t", 0, log))
        log.append(batch(2, size=50), leader_epoch=0, now_ms=T0)
        await manager.flush_if_due(log)
        after_two = log.recovery_point
        log.append(batch(2, size=50), leader_epoch=0, now_ms=T0)
        await manager.flush_if_due(log)
        after_four = log.recovery_point
        big = Log.open(tmp_path / "u-0", LogConfig(segment_bytes=2000), now_ms=T0)
        manager.attach(big)
        logs.append(("u", 0, big))
        loop_thread = asyncio.get_running_loop()
        fsync_threads: list[bool] = []
        real = fileio.fsync

        def watched(fd: int) -> None:
            fsync_threads.append(_on_loop_thread(loop_thread))
            real(fd)

        fileio.fsync = watched  # type: ignore[assignment]
        try:
            for _ in range(10):
                big.append(batch(5, size=100), leader_epoch=0, now_ms=T0)
            await manager.drain()
        finally:
            fileio.fsync = real  # type: ignore[assignment]
        await manager.checkpoint()
        assert fsync_threads and not any(fsync_threads), "no fsync on the event loop"
        return after_two, after_four, big.recovery_point, read_checkpoint(tmp_path / RECOVERY_POINT)

    after_two, after_four, big_rp, checkpoint = asyncio.run(run())
    assert after_two == 0, "two messages: below flush.messages=3"
    assert after_four == 4, "four: flushed before the append is acknowledged"
    assert big_rp > 0
    assert checkpoint == {("t", 0): 4, ("u", 0): big_rp}


def _on_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def test_a_running_broker_at_a_file_size_limit_refuses_the_write_and_keeps_serving(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the kernel cut a write short at the limit and fail the next one (EFBIG): as a full
    disk does to the segment file. The producer gets KAFKA_STORAGE_ERROR; everything acknowledged stays
    readable, later appends that fit succeed and follow it directly, a SIGKILL and restart change nothing."""
    limit = 256 * 1024

    def limited() -> None:
        die_with_parent()
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    eng = EngineProcess(tmp_path / "data", preexec=limited)
    eng.start()
    try:
        admin = AdminClient({"bootstrap.servers": eng.bootstrap})
        admin.create_topics([NewTopic("full", 1, 1)])["full"].result(timeout=30)
        results: list[tuple[str, int]] = []

        def done(err: Any, msg: Any) -> None:
            results.append((err.name() if err else "OK", msg.offset() if err is None else -1))

        p = Producer({"bootstrap.servers": eng.bootstrap, "acks": "all", "linger.ms": 0,
                      "max.in.flight.requests.per.connection": 1, "message.timeout.ms": 3000,
                      "message.max.bytes": 1 << 20})
        for i in range(10):  # ~200 KiB
            p.produce("full", key=b"k%d" % i, value=bytes([i]) * 20_000, partition=0, on_delivery=done)
            p.flush(10)
        p.produce("full", key=b"big", value=b"B" * 100_000, partition=0, on_delivery=done)  # crosses the limit
        p.flush(20)
        for i in range(10, 15):
            p.produce("full", key=b"k%d" % i, value=bytes([i]) * 2_000, partition=0, on_delivery=done)
        assert p.flush(20) == 0
        assert [r for r in results if r[0] == "OK"] == [("OK", i) for i in range(15)], results
        assert ("_MSG_TIMED_OUT", -1) in results or ("KAFKA_STORAGE_ERROR", -1) in results, results
        assert "failed at position" in Path(eng.log_path).read_text()
        assert eng.proc is not None and eng.proc.poll() is None, "the broker keeps running"
        got, offsets = consume_all(eng.bootstrap, "full", 15)
        assert offsets == list(range(15))
        assert [m.key for m in got] == [b"k%d" % i for i in range(15)]
        eng.kill()
        eng.start()
        got, offsets = consume_all(eng.bootstrap, "full", 15)
        assert offsets == list(range(15)) and [m.key for m in got] == [b"k%d" % i for i in range(15)]
    finally:
        eng.close()


def test_flush_ms_flushes_logs_that_waited_that_long(tmp_path: Path) -> None:
    async def run() -> tuple[int, int, int]:
        now = [T0]
        logs: list[tuple[str, int, Log]] = []
        manager = LogManager(tmp_path, lambda: logs, flush_check_ms=100, checkpoint_interval_ms=1 << 40,
                             wall_ms=lambda: now[0])
        lazy = Log.open(tmp_path / "lazy-0", LogConfig(flush_ms=1000), now_ms=T0)
        eager = Log.open(tmp_path / "eager-0", LogConfig(flush_ms=50), now_ms=T0)
        for name, lg in (("lazy", lazy), ("eager", eager)):
            manager.attach(lg)
            logs.append((name, 0, lg))
            lg.last_flush_ms = T0
            lg.append(batch(3), leader_epoch=0, now_ms=T0)
        now[0] = T0 + 100
        started = manager.flush_due_by_time()
        await manager.drain()
        return started, lazy.recovery_point, eager.recovery_point

    started, lazy_rp, eager_rp = asyncio.run(run())
    assert started == 1
    assert (lazy_rp, eager_rp) == (0, 3), "only the log whose data waited flush.ms is flushed"


def test_a_leader_epoch_checkpoint_older_than_its_log_gains_the_logs_epochs(tmp_path: Path) -> None:
    """An append's epoch change is written but fsynced only by the next flush: after a crash the checkpoint may
    be older than the log, and opening the partition adds the epochs the log has past it."""
    import uuid

    from engine.partition import open_partition

    log = Log.open(tmp_path / "t-0", LogConfig(), now_ms=T0)
    log.append(batch(2, size=50), leader_epoch=0, now_ms=T0)
    log.append(batch(3, size=50), leader_epoch=4, now_ms=T0)
    assert log.epochs.entries() == [(0, 0), (4, 2)]
    log.flush(T0)
    log.close()
    (tmp_path / "t-0" / "leader-epoch-checkpoint").write_text("0\n1\n0 0\n")  # as before the epoch-4 append
    p = open_partition(tmp_path, "t", 0, uuid.uuid4(), LogConfig(), 1, T0)
    try:
        assert p.log.epochs.entries() == [(0, 0), (4, 2)]
        assert (tmp_path / "t-0" / "leader-epoch-checkpoint").read_text() == "0\n2\n0 0\n4 2\n"
    finally:
        p.close()
