"""Shared pieces of the client conformance matrix: the messages each client sends and the checks."""

from __future__ import annotations

import dataclasses
import uuid

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")


@dataclasses.dataclass(frozen=True)
class Msg:
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    timestamp: int


def messages(codec: str, count: int = 20, base_ts: int = 1_700_000_000_000) -> list[Msg]:
    return [
        Msg(
            key=f"key-{codec}-{i}".encode(),
            value=(f'{{"codec":"{codec}","n":{i},"pad":"' + "x" * (i * 7) + '"}').encode(),
            headers=(("h1", f"v{i}".encode()), ("trace", uuid.UUID(int=i).bytes)),
            timestamp=base_ts + i,
        )
        for i in range(count)
    ]


def assert_same(sent: list[Msg], got: list[Msg], *, check_headers: bool = True,
                check_timestamps: bool = True) -> None:
    assert len(got) == len(sent), f"sent {len(sent)} messages, consumed {len(got)}"
    for i, (s, g) in enumerate(zip(sent, got, strict=True)):
        assert g.key == s.key, f"message {i}: key {g.key!r} != {s.key!r}"
        assert g.value == s.value, f"message {i}: value differs"
        if check_headers:
            assert g.headers == s.headers, f"message {i}: headers {g.headers!r} != {s.headers!r}"
        if check_timestamps:
            assert g.timestamp == s.timestamp, f"message {i}: timestamp {g.timestamp} != {s.timestamp}"


def assert_contiguous(offsets: list[int]) -> None:
    assert offsets == list(range(len(offsets))), f"offsets not contiguous from 0: {offsets[:10]}..."
