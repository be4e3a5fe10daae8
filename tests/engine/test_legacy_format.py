"""The pre-0.11 message format and the request versions kio lacks, checked against kafka-python's own
implementation of the old format (an independent encoder and decoder) and against byte layouts."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from kafka.record.legacy_records import LegacyRecordBatchBuilder
from kafka.record.memory_records import MemoryRecords

from engine.protocol.codec import decode_request, encode_response, request_class, response_class
from engine.storage import validate_produce_batches
from engine.storage.batch import CorruptRecordError
from engine.storage.compression import LZ4, SNAPPY, UnsupportedCodecError, compress, decompress, xxh32
from engine.storage.legacy_records import downconvert, is_legacy, iter_messages, upconvert
from engine.storage.records import build_batch, decode_records

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3}
T0 = 1_700_000_000_000


def legacy_set(magic: int, codec: str, n: int = 5) -> bytes:
    if magic == 0 and codec == "lz4":  # kafka-python needs the xxhash package for this one: wrap it here
        inner = legacy_set(0, "none", n)
        return wrap(0, LZ4, compress(LZ4, inner), n - 1)
    builder = LegacyRecordBatchBuilder(magic, CODECS[codec], 1 << 20)
    for i in range(n):
        builder.append(i, T0 + i if magic else None, f"k{i}".encode() if i != 2 else None, f"v{i}".encode())
    return bytes(builder.build())


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("magic", [0, 1])
def test_upconvert_keeps_keys_values_and_timestamps(magic: int, codec: str) -> None:
    data = legacy_set(magic, codec)
    assert is_legacy(data)
    batch = upconvert(data)
    (h,) = validate_produce_batches(batch)
    assert h.compression == CODECS[codec]
    records = decode_records(batch)
    assert [r.key for r in records] == [b"k0", b"k1", None, b"k3", b"k4"]
    assert [r.value for r in records] == [f"v{i}".encode() for i in range(5)]
    assert [r.timestamp for r in records] == ([T0 + i for i in range(5)] if magic else [-1] * 5)
    assert [r.offset for r in records] == list(range(5))


def test_upconvert_refuses_a_bad_crc_and_a_torn_set() -> None:
    data = bytearray(legacy_set(1, "none"))
    data[-1] ^= 0xFF
    with pytest.raises(CorruptRecordError):
        upconvert(bytes(data))
    with pytest.raises(CorruptRecordError):
        upconvert(legacy_set(1, "none")[:-3])


# kafka-python reads magic 0 LZ4 only with the xxhash package: that case is checked by the upconvert round trip.
@pytest.mark.parametrize(("magic", "codec"), [(m, c) for m in (0, 1) for c in CODECS if (m, c) != (0, "lz4")])
def test_downconvert_is_read_by_kafka_python(magic: int, codec: str) -> None:
    batches = build_batch([(f"k{i}".encode(), f"v{i}".encode(), [("h", b"x")], T0 + i) for i in range(4)],
                          base_offset=10, compression=CODECS[codec])
    control = build_batch([(b"\x00\x00\x00\x01", b"\x00\x00\x00\x00\x00\x00", (), T0)], base_offset=14,
                          attributes=0x30)
    more = build_batch([(b"k", b"last", (), T0 + 9)], base_offset=15)
    data = downconvert(batches + control + more + more[:20], magic, 10, 1 << 20)
    got = []
    records = MemoryRecords(data)
    while records.has_next():
        batch = records.next_batch()
        for r in batch:
            got.append((r.offset, r.key, r.value, r.timestamp))
    want = [(10 + i, f"k{i}".encode(), f"v{i}".encode(), T0 + i if magic else None) for i in range(4)]
    assert got == [*want, (15, b"k", b"last", T0 + 9 if magic else None)]
    assert all(m.magic == magic for m in iter_messages(data))


def test_magic_0_lz4_round_trip() -> None:
    batch = build_batch([(b"k", str(i).encode(), (), T0) for i in range(3)], compression=LZ4)
    back = decode_records(upconvert(downconvert(batch, 0, 0, 1 << 20)))
    assert [(r.offset, r.value) for r in back] == [(i, str(i).encode()) for i in range(3)]


def test_downconvert_from_the_middle_of_an_uncompressed_batch_drops_the_records_before() -> None:
    batch = build_batch([(b"k", str(i).encode(), (), T0) for i in range(5)], base_offset=0)
    assert [m.offset for m in iter_messages(downconvert(batch, 1, 3, 1 << 20))] == [3, 4]


def test_downconvert_keeps_to_max_bytes_but_returns_one_message() -> None:
    batch = build_batch([(b"k", b"x" * 100, (), T0 + i) for i in range(10)])
    assert len(list(iter_messages(downconvert(batch, 1, 0, 1)))) == 1
    assert len(list(iter_messages(downconvert(batch, 1, 0, 400)))) == 2


def test_zstd_cannot_be_downconverted() -> None:
    with pytest.raises(UnsupportedCodecError):
        downconvert(build_batch([(b"k", b"v", (), T0)], compression=4), 1, 0, 1 << 20)


def test_lz4_frames_as_kafka_writes_them() -> None:
    payload = bytes(range(256)) * 600
    frame = compress(LZ4, payload)
    assert frame[4] & 0x20, "independent blocks (Kafka's consumer refuses linked ones)"
    assert frame[6] == (xxh32(frame[4:6]) >> 8) & 0xFF
    assert decompress(LZ4, frame) == payload
    import lz4.frame

    assert lz4.frame.decompress(frame) == payload
    assert decompress(SNAPPY, compress(SNAPPY, payload)) == payload


def wrap(magic: int, codec: int, value: bytes, offset: int) -> bytes:
    body = struct.pack(">bb", magic, codec) + (struct.pack(">q", T0) if magic else b"")
    body += struct.pack(">i", -1) + struct.pack(">i", len(value)) + value
    message = struct.pack(">I", zlib.crc32(body)) + body
    return struct.pack(">qi", offset, len(message)) + message


def test_magic_0_lz4_with_kafka_0_9s_wrong_header_checksum_is_accepted() -> None:
    frame = bytearray(compress(LZ4, legacy_set(0, "none")))
    frame[6] = (frame[6] + 1) & 0xFF  # as Kafka before 0.10 computed it: any other byte
    data = wrap(0, LZ4, bytes(frame), 4)
    assert [r.value for r in decode_records(upconvert(data))] == [f"v{i}".encode() for i in range(5)]


def _frame(api_key: int, version: int, body: Any) -> bytes:
    from kio.serial import entity_writer

    cls = request_class(api_key, version)
    buf = io.BytesIO()
    buf.write(struct.pack(">hhih", api_key, version, 42, 4) + b"test")
    entity_writer(cls)(buf, body)
    return buf.getvalue()


def test_list_offsets_v0_layout() -> None:
    cls = request_class(2, 0)
    topic_cls = cls.__dataclass_fields__["topics"].type.__args__[0]  # type: ignore[attr-defined]
    part_cls = topic_cls.__dataclass_fields__["partitions"].type.__args__[0]
    body = cls(replica_id=-1, topics=(topic_cls(name="t", partitions=(part_cls(partition_index=0, timestamp=-1,
                                                                                max_num_offsets=3),)),))
    frame = _frame(2, 0, body)
    # header (2+2+4+2+4) | replica -1 | 1 topic | "t" | 1 partition | 0 | -1 (int64) | 3
    assert frame[14:] == struct.pack(">ii", -1, 1) + b"\x00\x01t" + struct.pack(">iiqi", 1, 0, -1, 3)
    _header, req = decode_request(frame)
    assert req.topics[0].partitions[0].max_num_offsets == 3
    resp = encode_response(2, 0, 42, {"topics": [{"name": "t", "partitions": [
        {"partition_index": 0, "error_code": 0, "old_style_offsets": [7, 0]}]}]})
    assert resp == struct.pack(">ii", 42, 1) + b"\x00\x01t" + struct.pack(">iihiqq", 1, 0, 0, 2, 7, 0)


def test_produce_v2_request_and_v0_response_layout() -> None:
    records = legacy_set(1, "none", 1)
    cls = request_class(0, 2)
    assert [f for f in cls.__dataclass_fields__] == ["acks", "timeout", "topic_data"]
    resp = encode_response(0, 0, 42, {"responses": [{"name": "t", "partition_responses": [
        {"index": 0, "error_code": 0, "base_offset": 5, "log_append_time": -1}]}], "throttle_time": 0})
    assert resp == struct.pack(">ii", 42, 1) + b"\x00\x01t" + struct.pack(">iihq", 1, 0, 0, 5)
    assert response_class(0, 1).__version__ == 1  # type: ignore[attr-defined]
    assert records
