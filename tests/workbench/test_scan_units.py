"""Pure parts of message scanning: partitioners, plans, filters, the JSON Lines format, the result spill file."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.services import decoders
from workbench.services.partitioner import murmur2, partition_for
from workbench.services.record import Record
from workbench.services.record_file import RecordFileError, RecordWriter, read_jsonl, to_line
from workbench.services.result_store import ResultSet, decode, encode
from workbench.services.scan_request import RecordFilter, ScanInputError, ScanRequest, plan


def test_murmur2_matches_kafkas_own_vectors() -> None:
    # the values Kafka's UtilsTest asserts for Utils.murmur2
    assert murmur2(b"21") == -973932308
    assert murmur2(b"foobar") == -790332482
    assert murmur2(b"a-little-bit-long-string") == -985981536
    assert murmur2(b"a-little-bit-longer-string") == -1486304829
    assert murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971
    assert murmur2(bytes([ord("a"), ord("b"), ord("c")])) == 479470107


def test_partitioners_for_null_and_empty_keys() -> None:
    assert partition_for(None, 12, "murmur2") is None
    assert partition_for(b"", 12, "murmur2") == (murmur2(b"") & 0x7FFFFFFF) % 12
    assert partition_for(b"", 12, "consistent_random") is None
    assert partition_for(None, 12, "consistent") == 0
    with pytest.raises(ValueError, match="unknown partitioner"):
        partition_for(b"k", 3, "round_robin")


def test_plan_positions_and_pruning() -> None:
    low, high = {0: 5, 1: 0, 2: 0}, {0: 50, 1: 10, 2: 0}
    p = plan(ScanRequest("t", start="newest", start_value=20), 3, low, high)
    assert [(r.start, r.end) for r in p.ranges] == [(30, 50), (0, 10), (0, 0)]
    assert p.ranges[2].empty
    p = plan(ScanRequest("t", start="offset", start_value=2, stop="offset", stop_value=7), 3, low, high)
    assert [(r.start, r.end) for r in p.ranges] == [(5, 8), (2, 8), (0, 0)]
    p = plan(ScanRequest("t", start="timestamp", start_value=1, stop="live"), 3, low, high, start_times={0: -1, 1: 4,
                                                                                                         2: -1})
    assert [(r.start, r.end) for r in p.ranges] == [(50, None), (4, None), (0, None)]
    key = "order-17"
    p = plan(ScanRequest("t", filter=RecordFilter(key=key)), 3, low, high)
    assert p.pruned_to_key and p.partitions == [partition_for(key.encode(), 3)]
    p = plan(ScanRequest("t", filter=RecordFilter(key=key), scan_all=True), 3, low, high)
    assert not p.pruned_to_key and p.partitions == [0, 1, 2]
    p = plan(ScanRequest("t", filter=RecordFilter(key="order", key_mode="prefix")), 3, low, high)
    assert p.partitions == [0, 1, 2]
    other = next(x for x in range(3) if x != partition_for(key.encode(), 3))
    p = plan(ScanRequest("t", partitions=(other,), filter=RecordFilter(key=key)), 3, low, high)
    assert p.partitions == [] and "not among the chosen partitions" in p.note
    with pytest.raises(ScanInputError, match="no partition 9"):
        plan(ScanRequest("t", partitions=(9,)), 3, low, high)
    with pytest.raises(ScanInputError, match="regex is not valid"):
        ScanRequest("t", filter=RecordFilter(value="[", value_mode="regex")).check()


def test_filters_match_bytes() -> None:
    f = RecordFilter(key="ab", key_mode="prefix", header_name="h", header_value="x").compile()
    assert f.key is not None and f.key(b"abc") and not f.key(None) and not f.key(b"xab")
    assert f.header_match([("h", b"yxy")]) and not f.header_match([("h", None), ("g", b"x")])


records = st.builds(
    Record, topic=st.just("t"), partition=st.integers(0, 100), offset=st.integers(0, 2**40),
    timestamp=st.integers(0, 2**42), timestamp_type=st.sampled_from([1, 2]),
    key=st.none() | st.binary(max_size=40), value=st.none() | st.binary(max_size=200),
    headers=st.lists(st.tuples(st.text(max_size=10), st.none() | st.binary(max_size=20)), max_size=4).map(tuple))


@settings(max_examples=300, deadline=None)
@given(records, st.booleans())
def test_jsonl_round_trip_is_lossless(r: Record, always_base64: bool) -> None:
    back = list(read_jsonl([to_line(r, always_base64)]))
    assert back == [r]


@settings(max_examples=300, deadline=None)
@given(records)
def test_spill_encoding_round_trip(r: Record) -> None:
    assert decode(encode(r), "t") == (r, -1 if r.value is None else len(r.value))


def test_jsonl_hand_written_lines_and_bad_lines() -> None:
    (r,) = read_jsonl(['{"key": "k", "value": {"a": 1}, "headers": {"h": "v"}}'], topic="x")
    assert (r.topic, r.key, r.value, r.headers, r.partition) == ("x", b"k", b'{"a":1}', (("h", b"v"),), -1)
    with pytest.raises(RecordFileError, match="line 2 is not JSON"):
        list(read_jsonl(['{"value": null}', "{nope"]))
    with pytest.raises(RecordFileError, match='line 1: a line needs a "value"'):
        list(read_jsonl(['{"key": "k"}']))
    with pytest.raises(RecordFileError, match="line 1: value is not valid base64"):
        list(read_jsonl(['{"value": "%%%", "value_encoding": "base64"}']))


def test_writer_states_each_encoding() -> None:
    out = io.StringIO()
    w = RecordWriter(out)
    w.write([Record("t", 0, 1, 5, 1, b"\xff", b"text", (("h", None),))])
    line = json.loads(out.getvalue())
    assert line["key_encoding"] == "base64" and line["value_encoding"] == "utf-8"
    assert line["headers"] == [{"name": "h", "value": None}]


def test_result_set_previews_large_values_without_reading_them_whole() -> None:
    rs = ResultSet("t")
    try:
        big = b"x" * 5_000_000
        rs.publish(rs.append([Record("t", 0, 0, 1, 1, b"k", big, (("h", b"v"),)),
                              Record("t", 0, 1, 1, 1, None, None, ())]))
        preview, size = rs.preview(0)
        assert size == len(big) and preview.value == big[:4096] and preview.headers == (("h", b"v"),)
        assert rs.record(0).value == big and rs.preview(1) == (Record("t", 0, 1, 1, 1, None, None, ()), -1)
        assert rs.index.nbytes < 200
    finally:
        rs.close()
    assert not rs.path.exists()


def test_cell_text_never_drops_bytes() -> None:
    assert decoders.show(b"a\xffb", "string") == "a\\xffb"
    assert decoders.show(b"\x00\x01", "int") == "1"
    assert decoders.show(b"\xff\xff", "int") == "-1 (unsigned 65535)"
    assert decoders.show(b"{bad", "json").startswith("⚠ not JSON")
    assert decoders.show(b"x" * 1000, "string").endswith("…")
