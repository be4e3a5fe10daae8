"""Kafka's binary key and value formats of the internal __consumer_offsets topic.

    OffsetCommitKey    (key version 1): group string, topic string, partition int32
    OffsetCommitValue  (value v3): offset int64, leader epoch int32, metadata string, commit timestamp int64
    GroupMetadataKey   (key version 2): group string
    GroupMetadataValue (value v3): protocol type string, generation int32, protocol nullable string,
        leader nullable string, current state timestamp int64, members array of
        [member id string, group instance id nullable string, client id string, client host string,
         rebalance timeout int32, session timeout int32, subscription bytes, assignment bytes]

Every key and value starts with its int16 version. Strings are int16 length + UTF-8
(-1 for null), bytes are int32 length + data, arrays int32 count. A record with a
null value (tombstone) deletes what its key names. Lag monitors and other tools
that read this topic decode these records unchanged.
"""

from __future__ import annotations

import dataclasses
import struct

OFFSET_KEY_VERSION = 1
GROUP_KEY_VERSION = 2
OFFSET_VALUE_VERSION = 3
GROUP_VALUE_VERSION = 3


class Writer:
    def __init__(self) -> None:
        self.buf = bytearray()

    def i8(self, v: int) -> Writer:
        self.buf += struct.pack(">b", v)
        return self

    def i16(self, v: int) -> Writer:
        self.buf += struct.pack(">h", v)
        return self

    def i32(self, v: int) -> Writer:
        self.buf += struct.pack(">i", v)
        return self

    def i64(self, v: int) -> Writer:
        self.buf += struct.pack(">q", v)
        return self

    def string(self, s: str | None) -> Writer:
        if s is None:
            return self.i16(-1)
        raw = s.encode()
        self.i16(len(raw))
        self.buf += raw
        return self

    def bytes_(self, b: bytes | None) -> Writer:
        if b is None:
            return self.i32(-1)
        self.i32(len(b))
        self.buf += b
        return self


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, fmt: str) -> int:
        (v,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return int(v)

    def i8(self) -> int:
        return self._take(">b")

    def i16(self) -> int:
        return self._take(">h")

    def i32(self) -> int:
        return self._take(">i")

    def i64(self) -> int:
        return self._take(">q")

    def string(self) -> str | None:
        n = self.i16()
        if n < 0:
            return None
        s = self.data[self.pos : self.pos + n].decode()
        self.pos += n
        return s

    def bytes_(self) -> bytes | None:
        n = self.i32()
        if n < 0:
            return None
        b = self.data[self.pos : self.pos + n]
        self.pos += n
        return b


@dataclasses.dataclass(frozen=True)
class OffsetKey:
    group: str
    topic: str
    partition: int


@dataclasses.dataclass(frozen=True)
class GroupKey:
    group: str


@dataclasses.dataclass(frozen=True)
class OffsetValue:
    offset: int
    leader_epoch: int
    metadata: str
    commit_timestamp: int


@dataclasses.dataclass(frozen=True)
class MemberValue:
    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    rebalance_timeout: int
    session_timeout: int
    subscription: bytes
    assignment: bytes


@dataclasses.dataclass(frozen=True)
class GroupValue:
    protocol_type: str
    generation: int
    protocol: str | None
    leader: str | None
    state_timestamp: int
    members: tuple[MemberValue, ...]


def offset_key(group: str, topic: str, partition: int) -> bytes:
    return bytes(Writer().i16(OFFSET_KEY_VERSION).string(group).string(topic).i32(partition).buf)


def group_key(group: str) -> bytes:
    return bytes(Writer().i16(GROUP_KEY_VERSION).string(group).buf)


def offset_value(v: OffsetValue) -> bytes:
    w = Writer().i16(OFFSET_VALUE_VERSION).i64(v.offset).i32(v.leader_epoch).string(v.metadata)
    return bytes(w.i64(v.commit_timestamp).buf)


def group_value(v: GroupValue) -> bytes:
    w = Writer().i16(GROUP_VALUE_VERSION).string(v.protocol_type).i32(v.generation).string(v.protocol)
    w.string(v.leader).i64(v.state_timestamp).i32(len(v.members))
    for m in v.members:
        w.string(m.member_id).string(m.group_instance_id).string(m.client_id).string(m.client_host)
        w.i32(m.rebalance_timeout).i32(m.session_timeout).bytes_(m.subscription).bytes_(m.assignment)
    return bytes(w.buf)


def parse_key(data: bytes) -> OffsetKey | GroupKey | None:
    r = Reader(data)
    version = r.i16()
    if version in (0, 1):
        return OffsetKey(r.string() or "", r.string() or "", r.i32())
    if version == 2:
        return GroupKey(r.string() or "")
    return None  # other record types (e.g. transactional markers) are not ours


def parse_offset_value(data: bytes) -> OffsetValue:
    r = Reader(data)
    version = r.i16()
    offset = r.i64()
    epoch = r.i32() if version >= 3 else -1
    metadata = r.string() or ""
    ts = r.i64()
    return OffsetValue(offset, epoch, metadata, ts)


def parse_group_value(data: bytes) -> GroupValue:
    r = Reader(data)
    version = r.i16()
    protocol_type = r.string() or ""
    generation = r.i32()
    protocol = r.string()
    leader = r.string()
    ts = r.i64() if version >= 2 else -1
    members = []
    for _ in range(r.i32()):
        member_id = r.string() or ""
        instance = r.string() if version >= 3 else None
        client_id = r.string() or ""
        host = r.string() or ""
        rebalance = r.i32() if version >= 1 else -1
        session = r.i32()
        sub = r.bytes_() or b""
        assign = r.bytes_() or b""
        members.append(MemberValue(member_id, instance, client_id, host, rebalance, session, sub, assign))
    return GroupValue(protocol_type, generation, protocol, leader, ts, tuple(members))


def subscribed_topics(metadata: bytes) -> list[str]:
    """Topics of a consumer-protocol subscription (ConsumerProtocolSubscription, any version)."""
    try:
        r = Reader(metadata)
        r.i16()
        return [r.string() or "" for _ in range(r.i32())]
    except (struct.error, UnicodeDecodeError):
        return []


def java_hash(s: str) -> int:
    """Java's String.hashCode, which Kafka uses to place a group in __consumer_offsets."""
    h = 0
    for ch in s.encode("utf-16-be").decode("utf-16-be"):
        code = ord(ch)
        if code > 0xFFFF:  # surrogate pair, as Java stores it
            code -= 0x10000
            for unit in (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)):
                h = (31 * h + unit) & 0xFFFFFFFF
            continue
        h = (31 * h + code) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def partition_for(group: str, partitions: int) -> int:
    h = java_hash(group)
    return 0 if h == -(1 << 31) else abs(h) % partitions  # Kafka's Utils.abs maps MIN_VALUE to 0
