"""Reading back what the produce pane wrote: every record through a confluent-kafka Consumer, and the compression
codec of each stored batch through a raw Fetch v4 (no client exposes a batch's codec)."""

from __future__ import annotations

import socket
import struct
import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from workbench.services.record import Record

CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


def create_topic(bootstrap: str, name: str, partitions: int, configs: dict[str, str] | None = None) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for fut in admin.create_topics([NewTopic(name, partitions, 1, config=configs or {})]).values():
        fut.result(30)
    deadline = time.monotonic() + 30  # until metadata names a leader for every partition
    while time.monotonic() < deadline:
        md = admin.list_topics(name, timeout=5).topics.get(name)
        if md is not None and md.error is None and len(md.partitions) == partitions and \
                all(p.leader >= 0 for p in md.partitions.values()):
            return
        time.sleep(0.05)
    raise AssertionError(f"topic {name} has no leaders after 30 s")


def consume(bootstrap: str, topic: str, partitions: int, count: int, timeout: float = 30) -> list[Record]:
    """Exactly `count` records of `topic` from the beginning, ordered by (partition, offset)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"wb-test-{uuid.uuid4().hex[:8]}",
                  "enable.auto.commit": False, "log_level": 2})
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    out: list[Record] = []
    deadline = time.monotonic() + timeout
    try:
        while len(out) < count and time.monotonic() < deadline:
            m = c.poll(0.2)
            if m is None:
                continue
            assert m.error() is None, m.error()
            ts_type, ts = m.timestamp()
            out.append(Record(topic, m.partition(), m.offset(), ts, ts_type, m.key(), m.value(),
                              tuple(m.headers() or ())))
        extra = c.poll(0.3)  # nothing more than asked for
        assert extra is None, f"more than {count} records in {topic}"
    finally:
        c.close()
    assert len(out) == count, f"read {len(out)} of {count} records of {topic} in {timeout} s"
    return sorted(out, key=lambda r: (r.partition, r.offset))


def high_watermarks(bootstrap: str, topic: str, partitions: int) -> list[int]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "wb-test-watermarks", "log_level": 2})
    try:
        return [c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)]
    finally:
        c.close()


def _recv(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        buf += chunk
    return buf


def batch_codecs(bootstrap: str, topic: str, partition: int) -> list[str]:
    """The compression codec of every record batch stored in one partition (from offset 0)."""
    host, port = bootstrap.rsplit(":", 1)
    name = topic.encode()
    body = (struct.pack(">iiiib", -1, 500, 1, 32 << 20, 0) + struct.pack(">ih", 1, len(name)) + name +
            struct.pack(">iiqi", 1, partition, 0, 32 << 20))
    header = struct.pack(">hhih", 1, 4, 7, 4) + b"test"
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
        frame = _recv(s, struct.unpack(">i", _recv(s, 4))[0])
    pos = 8  # correlation id, throttle time
    (topics,) = struct.unpack_from(">i", frame, pos)
    assert topics == 1
    (nlen,) = struct.unpack_from(">h", frame, pos + 4)
    pos += 6 + nlen
    (parts,) = struct.unpack_from(">i", frame, pos)
    assert parts == 1
    _p, error, _hw, _lso, aborted = struct.unpack_from(">ihqqi", frame, pos + 4)
    assert error == 0, f"Fetch error {error}"
    pos += 4 + 4 + 2 + 8 + 8 + 4 + max(aborted, 0) * 16
    (size,) = struct.unpack_from(">i", frame, pos)
    records = frame[pos + 4:pos + 4 + max(size, 0)]
    codecs = []
    at = 0
    while at + 12 <= len(records):
        (length,) = struct.unpack_from(">i", records, at + 8)
        if at + 12 + length > len(records):
            break  # a partial batch at the end of the fetch
        (attributes,) = struct.unpack_from(">h", records, at + 21)
        codecs.append(CODECS[attributes & 7])
        at += 12 + length
    return codecs
