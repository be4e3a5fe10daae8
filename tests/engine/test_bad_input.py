"""Bad input: junk, torn frames, absurd lengths, unknown APIs and versions close only that connection."""

from __future__ import annotations

import random
import socket
import struct
from pathlib import Path
from typing import Any

from confluent_kafka import Producer

from tests.engine.test_client_confluent import create_topic


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def request(api_key: int, version: int, cid: int, body: bytes = b"", client: bytes = b"junk") -> bytes:
    payload = struct.pack(">hhih", api_key, version, cid, len(client)) + client + body
    return struct.pack(">i", len(payload)) + payload


def send_and_read(bootstrap: str, data: bytes, timeout: float = 5.0) -> bytes:
    host, port = bootstrap.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            return b""
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (TimeoutError, ConnectionResetError):
                return out
            if not chunk:
                return out
            out += chunk


def healthy(bootstrap: str, producer: Producer, topic: str) -> None:
    results: list[Any] = []
    producer.produce(topic, value=b"still here", on_delivery=lambda err, m: results.append(err))
    assert producer.flush(15) == 0
    assert results == [None]


def test_bad_input_closes_only_that_connection(engine: Any) -> None:
    create_topic(engine.bootstrap, "survivor")
    producer = Producer({"bootstrap.servers": engine.bootstrap, "acks": "all"})
    healthy(engine.bootstrap, producer, "survivor")
    rss_before = rss_kib(engine.pid)
    rng = random.Random(42)
    cases: list[bytes] = [
        struct.pack(">i", 2**31 - 1) + b"xx",            # absurd length
        struct.pack(">i", -7),                            # negative length
        struct.pack(">i", 100) + b"short",                # truncated frame, then EOF
        request(9999, 0, 1),                              # unknown API key
        request(3, 99, 2),                                # unsupported Metadata version
        request(0, 1, 3),                                 # Produce v1: old message format
        request(3, 12, 4, b"\xff" * 3),                   # malformed Metadata body
        struct.pack(">i", 3) + b"abc",                    # shorter than a header
        request(3, 12, 5, b"\x00" + b"\xff\xff\xff\xff\x07" + b"\x00" * 4),  # Metadata claiming 4 billion topics
        request(0, 7, 6, b"\xff\xff\x00\x01\x00\x00\x75\x30\x7f\xff\xff\xff"),  # Produce: 2**31-1 topics
    ]
    cases += [rng.randbytes(rng.randint(1, 4000)) for _ in range(40)]
    cases += [struct.pack(">i", n) + rng.randbytes(n) for n in (8, 64, 1024, 65536)]
    for data in cases:
        send_and_read(engine.bootstrap, data)
        healthy(engine.bootstrap, producer, "survivor")
    growth = rss_kib(engine.pid) - rss_before
    assert growth < 64 * 1024, f"RSS grew by {growth} KiB while serving bad input"


def test_unsupported_api_versions_version_gets_v0_error_35(engine: Any) -> None:
    reply = send_and_read(engine.bootstrap, request(18, 99, 77))
    size, cid, error = struct.unpack_from(">iih", reply, 0)
    assert size == len(reply) - 4
    assert cid == 77
    assert error == 35
    (count,) = struct.unpack_from(">i", reply, 10)
    keys = {struct.unpack_from(">hhh", reply, 14 + 6 * i) for i in range(count)}
    assert (18, 0, 4) in keys
    assert any(k == 0 and lo == 0 for k, lo, _ in keys), "Produce advertised from version 0"


def test_pipelined_requests_answered_in_order(engine: Any) -> None:
    frames = b"".join(request(18, v, 100 + i) for i, v in enumerate([0, 1, 2, 0, 1, 2, 0]))
    reply = send_and_read(engine.bootstrap, frames)
    pos, cids = 0, []
    while pos < len(reply):
        (size,) = struct.unpack_from(">i", reply, pos)
        cids.append(struct.unpack_from(">i", reply, pos + 4)[0])
        pos += 4 + size
    assert cids == list(range(100, 107))
