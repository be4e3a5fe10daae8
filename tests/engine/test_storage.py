"""The partition log on disk: Kafka's layout, read semantics, roll, retention, recovery from torn writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.storage import CorruptRecordError, Log, LogConfig, OffsetOutOfRangeError, validate_produce_batches
from engine.storage.batch import parse_header
from engine.storage.records import build_batch, decode_records

T0 = 1_700_000_000_000


def batch(n: int, ts: int = T0, size: int = 50, compression: int = 0, tag: str = "") -> bytes:
    return build_batch([(f"k{tag}{i}".encode(), os.urandom(size), [("h", b"v")], ts + i) for i in range(n)],
                       compression=compression)


def offsets_in(data: bytes) -> list[int]:
    out, pos = [], 0
    while pos + 61 <= len(data):
        h = parse_header(data, pos)
        if pos + h.size > len(data):
            break
        out += [r.offset for r in decode_records(data[pos : pos + h.size])]
        pos += h.size
    return out


def open_log(path: Path, **cfg: int | str) -> Log:
    return Log.open(path, LogConfig(**cfg), now_ms=T0)  # type: ignore[arg-type]


def test_layout_and_offsets(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0")
    infos = [log.append(batch(3), leader_epoch=0, now_ms=T0) for _ in range(4)]
    assert [(i.first_offset, i.last_offset) for i in infos] == [(0, 2), (3, 5), (6, 8), (9, 11)]
    assert log.log_end_offset == 12
    log.close()
    names = sorted(p.name for p in (tmp_path / "t-0").iterdir())
    assert "00000000000000000000.log" in names and "00000000000000000000.index" in names
    assert "00000000000000000000.timeindex" in names


def test_read_returns_the_batch_containing_the_offset(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0")
    for _ in range(5):
        log.append(batch(10), leader_epoch=0, now_ms=T0)
    data = log.read(25, 1 << 20).records
    assert offsets_in(data)[0] == 20, "starts with the batch holding offset 25"
    assert offsets_in(log.read(0, 1 << 20, max_offset=30).records) == list(range(30))
    assert log.read(50, 100).records == b""
    with pytest.raises(OffsetOutOfRangeError):
        log.read(51, 100)


def test_first_batch_whole_even_above_max_bytes(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0")
    log.append(batch(20, size=500), leader_epoch=0, now_ms=T0)
    log.append(batch(20, size=500), leader_epoch=0, now_ms=T0)
    data = log.read(0, 100).records
    assert offsets_in(data) == list(range(20))
    h = parse_header(data)
    assert len(data) == h.size


def test_segment_roll_and_reads_across_segments(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", segment_bytes=4000)
    for _ in range(20):
        log.append(batch(5, size=100), leader_epoch=0, now_ms=T0)
    assert len(log.segments) > 3
    got: list[int] = []
    offset = 0
    while offset < log.log_end_offset:
        chunk = offsets_in(log.read(offset, 3000).records)
        got += [o for o in chunk if o >= offset]
        offset = got[-1] + 1
    assert got == list(range(100))
    log.close()
    log = open_log(tmp_path / "t-0", segment_bytes=4000)
    assert log.log_end_offset == 100
    assert offsets_in(log.read(57, 1 << 20).records)[0] == 55


def test_retention_by_time_and_size(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", segment_bytes=2000, retention_ms=60_000)
    for i in range(10):
        log.append(batch(5, ts=T0 + i * 10_000, size=100), leader_epoch=0, now_ms=T0)
    before = len(log.segments)
    assert log.apply_retention(T0 + 100_000) > 0
    assert len(log.segments) < before
    assert log.log_start_offset > 0
    with pytest.raises(OffsetOutOfRangeError):
        log.read(0, 100)
    kept_from = log.log_start_offset
    assert offsets_in(log.read(kept_from, 1 << 20).records)[0] == kept_from
    log2 = open_log(tmp_path / "t-1", segment_bytes=2000, retention_bytes=3000)
    for _ in range(10):
        log2.append(batch(5, size=100), leader_epoch=0, now_ms=T0)
    log2.apply_retention(T0)
    assert log2.size_in_bytes - log2.segments[0].size < 3000


def test_delete_records_moves_the_start_and_survives_restart(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", segment_bytes=2000)
    for _ in range(10):
        log.append(batch(5, size=100), leader_epoch=0, now_ms=T0)
    log.delete_records_before(23)
    assert log.log_start_offset == 23
    log.close()
    log = open_log(tmp_path / "t-0", segment_bytes=2000)
    assert log.log_start_offset == 23
    with pytest.raises(OffsetOutOfRangeError):
        log.read(22, 100)


def test_offset_for_timestamp_and_max_timestamp(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", index_interval_bytes=100)
    for i in range(10):
        log.append(batch(10, ts=T0 + i * 100), leader_epoch=0, now_ms=T0)
    assert log.offset_for_timestamp(T0 + 505) == (55, T0 + 505)
    assert log.offset_for_timestamp(T0 + 510) == (60, T0 + 600)
    assert log.offset_for_timestamp(T0 + 10_000) is None
    assert log.max_timestamp_and_offset() == (T0 + 909, 99)


def test_log_append_time_stamps_the_batch(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", message_timestamp_type="LogAppendTime")
    info = log.append(batch(3), leader_epoch=0, now_ms=T0 + 5)
    assert info.log_append_time == T0 + 5
    data = log.read(0, 1 << 20).records
    validate_produce_batches(data)  # CRC recomputed
    assert [r.timestamp for r in decode_records(data)] == [T0 + 5] * 3


def test_every_codec_passes_validation_and_decodes() -> None:
    for codec in range(5):
        b = batch(4, compression=codec, tag=str(codec))
        assert validate_produce_batches(b)[0].records_count == 4
        assert [r.key for r in decode_records(b)] == [f"k{codec}{i}".encode() for i in range(4)]
    bad = bytearray(batch(2))
    bad[-1] ^= 0xFF
    with pytest.raises(CorruptRecordError, match="CRC"):
        validate_produce_batches(bytes(bad))


def test_xerial_snappy_is_decoded() -> None:
    import struct

    import cramjam

    from engine.storage.compression import SNAPPY, XERIAL_MAGIC, decompress

    raw = b"hello xerial " * 100
    block = bytes(cramjam.snappy.compress_raw(raw))
    framed = XERIAL_MAGIC + struct.pack(">ii", 1, 1) + struct.pack(">i", len(block)) + block
    assert decompress(SNAPPY, framed) == raw


@settings(max_examples=25, deadline=None)
@given(cut=st.integers(min_value=1, max_value=4000), garbage=st.binary(max_size=300))
def test_torn_tail_is_truncated_and_earlier_data_kept(tmp_path_factory: pytest.TempPathFactory, cut: int,
                                                     garbage: bytes) -> None:
    path = tmp_path_factory.mktemp("torn") / "t-0"
    log = open_log(path)
    for _ in range(3):
        log.append(batch(5, size=200), leader_epoch=0, now_ms=T0)
    good_end = log.active.size
    last = batch(5, size=200)
    log.append(last, leader_epoch=0, now_ms=T0)
    for seg in log.segments:
        os.close(seg.fd)
        seg.fd = -1  # simulate a crash: no clean-shutdown marker, no index rewrite
    seg_file = path / f"{0:020d}.log"
    stored_last = seg_file.read_bytes()[good_end:]
    kept = min(cut, len(last) - 1)
    # garbage that happens to rebuild the cut batch byte for byte is no tear
    assume((stored_last[:kept] + garbage)[: len(stored_last)] != stored_last)
    with open(seg_file, "r+b") as f:
        f.truncate(good_end + min(cut, len(last) - 1))
        f.seek(0, os.SEEK_END)
        f.write(garbage)
    log = open_log(path)
    assert log.log_end_offset == 15
    assert seg_file.stat().st_size == good_end
    assert offsets_in(log.read(0, 1 << 20).records) == list(range(15))
    assert log.append(batch(2), leader_epoch=0, now_ms=T0).first_offset == 15


def test_corrupt_index_is_rebuilt(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", segment_bytes=3000, index_interval_bytes=200)
    for _ in range(20):
        log.append(batch(5, size=100), leader_epoch=0, now_ms=T0)
    log.close()
    log.mark_clean()
    first_index = tmp_path / "t-0" / f"{0:020d}.index"
    first_index.write_bytes(b"\x07" * 13)
    log = open_log(tmp_path / "t-0", segment_bytes=3000, index_interval_bytes=200)
    assert offsets_in(log.read(3, 1 << 20, max_offset=10).records) == list(range(10))
    assert log.log_end_offset == 100
