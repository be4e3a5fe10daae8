"""Which partition a producer put a key in: Kafka's default partitioner and librdkafka's.

- `murmur2`: the Java client's default for keyed records (`Utils.toPositive(Utils.murmur2(keyBytes)) %
  numPartitions`), also kafka-python's default and librdkafka's `murmur2` / `murmur2_random`. An empty key is
  hashed like any other; a null key is spread (sticky or random), so it has no partition.
- `consistent_random`: librdkafka's (and so confluent-kafka's and kcat's) default: CRC-32 (the zlib/IEEE
  polynomial) of the key modulo the partition count; null and empty keys are spread at random.
- `consistent`: librdkafka's CRC-32 partitioner where null and empty keys all go to one partition (CRC-32 of
  nothing is 0, so partition 0).
"""

from __future__ import annotations

import zlib

PARTITIONERS = {
    "murmur2": "Kafka default (murmur2: Java client, kafka-python, librdkafka murmur2_random)",
    "consistent_random": "librdkafka default (CRC-32: confluent-kafka, kcat, librdkafka clients)",
    "consistent": "librdkafka consistent (CRC-32, empty and null keys to one partition)",
}

_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's 32-bit murmur2 (seed 0x9747b28c), as a signed 32-bit int like Java's."""
    length = len(data)
    h = (0x9747B28C ^ length) & _MASK
    end = length - (length & 3)
    for i in range(0, end, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = (h * _M) & _MASK
        h ^= k
    rest = length & 3
    if rest == 3:
        h ^= data[end + 2] << 16
    if rest >= 2:
        h ^= data[end + 1] << 8
    if rest >= 1:
        h ^= data[end]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for(key: bytes | None, partitions: int, partitioner: str = "murmur2") -> int | None:
    """The partition `partitioner` chose for `key` among `partitions`, or None when it spreads such keys."""
    if partitions <= 0:
        raise ValueError("a topic has at least one partition")
    if partitioner not in PARTITIONERS:
        raise ValueError(f"unknown partitioner {partitioner!r}; known: {', '.join(PARTITIONERS)}")
    if key is None:
        return 0 if partitioner == "consistent" else None
    if partitioner == "murmur2":
        return (murmur2(key) & 0x7FFFFFFF) % partitions
    if not key:
        return 0 if partitioner == "consistent" else None
    return zlib.crc32(key) % partitions
