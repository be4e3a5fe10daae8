"""The hand-written Fetch encoder (for sendfile) produces exactly kio's bytes, file slices included."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from engine.protocol.codec import encode_response
from engine.protocol.fetch_response import encode_fetch_response
from engine.storage.file_slice import FileSlice

TOPIC_ID = uuid.UUID("6c0a4fd6-1b7e-4b8e-9c59-4f0e4f3b7a10")


def body(records: Any, version: int = 4) -> dict[str, Any]:
    def name(n: str) -> dict[str, Any]:
        return {"topic_id": TOPIC_ID if n == "tt" else uuid.UUID(int=7)} if version >= 13 else {"topic": n}

    return {"throttle_time": 3, "error_code": 0, "session_id": 0, "responses": [
        {**name("tt"), "partitions": [
            {"partition_index": 0, "error_code": 0, "high_watermark": 5, "last_stable_offset": 5,
             "log_start_offset": 1, "aborted_transactions": None, "preferred_read_replica": -1, "records": records},
            {"partition_index": 1, "error_code": 3, "high_watermark": -1, "last_stable_offset": -1,
             "log_start_offset": -1, "aborted_transactions": [{"producer_id": 7, "first_offset": 2}],
             "preferred_read_replica": -1, "records": b""}]},
        {**name("empty"), "partitions": []}]}


@pytest.mark.parametrize("version", range(18))
def test_same_bytes_as_kio(version: int, tmp_path: Path) -> None:
    payload = os.urandom(300)
    expected = encode_response(1, version, 9, body(payload, version))
    assert b"".join(encode_fetch_response(version, 9, body(payload, version))) == expected  # type: ignore[misc]
    f = tmp_path / "seg"
    f.write_bytes(b"x" * 50 + payload + b"y" * 10)
    fd = os.open(f, os.O_RDONLY)
    try:
        region = FileSlice(fd, 50, len(payload))
        chunks = encode_fetch_response(version, 9, body(region, version))
        flat = b"".join(c if isinstance(c, bytes) else c.read() for c in chunks)  # type: ignore[attr-defined]
        region.close()
    finally:
        os.close(fd)
    assert flat == expected
    assert any(c is region for c in chunks)
