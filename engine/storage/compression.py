"""The five codecs of Kafka's record batches, written the way Kafka's Java code writes them.

Decoding accepts what every client writes: snappy raw (librdkafka) or in xerial's
framing (the Java client: magic `\\x82SNAPPY\\0`, two int32 versions, then blocks of
int32 length + raw snappy); LZ4 in the frame format. Encoding (only where the
broker builds batches itself: compaction, message format conversion, internal
topics) follows Kafka's Java writer so that every client reads it: snappy in xerial
framing with 32 KiB blocks, LZ4 frames with independent 64 KiB blocks and no
checksums (Kafka's consumer refuses linked blocks), gzip and zstd as standard.
"""

from __future__ import annotations

import struct

import cramjam

NONE, GZIP, SNAPPY, LZ4, ZSTD = 0, 1, 2, 3, 4
NAMES = {NONE: "none", GZIP: "gzip", SNAPPY: "snappy", LZ4: "lz4", ZSTD: "zstd"}
XERIAL_MAGIC = b"\x82SNAPPY\x00"
XERIAL_BLOCK = 32 * 1024
LZ4_MAGIC = 0x184D2204
LZ4_BLOCK = 64 * 1024
LZ4_FLG = 0x60  # version 01, independent blocks, no block checksum, no content size, no content checksum
LZ4_BD = 0x40  # 64 KiB maximum block size


class UnsupportedCodecError(ValueError):
    pass


def _unxerial(data: bytes) -> bytes:
    out = bytearray()
    pos = 16
    while pos + 4 <= len(data):
        (n,) = struct.unpack_from(">i", data, pos)
        pos += 4
        out += bytes(cramjam.snappy.decompress_raw(data[pos : pos + n]))
        pos += n
    return bytes(out)


def _xerial(data: bytes) -> bytes:
    out = bytearray(XERIAL_MAGIC + struct.pack(">ii", 1, 1))
    for at in range(0, len(data), XERIAL_BLOCK):
        block = bytes(cramjam.snappy.compress_raw(data[at : at + XERIAL_BLOCK]))
        out += struct.pack(">i", len(block)) + block
    return bytes(out)


_P1, _P2, _P3, _P4, _P5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393
_M32 = 0xFFFFFFFF


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M32


def xxh32(data: bytes, seed: int = 0) -> int:
    """XXH32 (LZ4's frame checksums); used here only on the two-byte frame descriptor."""
    n = len(data)
    pos = 0
    if n >= 16:
        v = [(seed + _P1 + _P2) & _M32, (seed + _P2) & _M32, seed & _M32, (seed - _P1) & _M32]
        while pos + 16 <= n:
            for i in range(4):
                (lane,) = struct.unpack_from("<I", data, pos + 4 * i)
                v[i] = (_rotl((v[i] + lane * _P2) & _M32, 13) * _P1) & _M32
            pos += 16
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & _M32
    else:
        h = (seed + _P5) & _M32
    h = (h + n) & _M32
    while pos + 4 <= n:
        (word,) = struct.unpack_from("<I", data, pos)
        h = (_rotl((h + word * _P3) & _M32, 17) * _P4) & _M32
        pos += 4
    while pos < n:
        h = (_rotl((h + data[pos] * _P5) & _M32, 11) * _P1) & _M32
        pos += 1
    h ^= h >> 15
    h = (h * _P2) & _M32
    h ^= h >> 13
    h = (h * _P3) & _M32
    h ^= h >> 16
    return h


def _lz4_frame(data: bytes) -> bytes:
    descriptor = bytes((LZ4_FLG, LZ4_BD))
    out = bytearray(struct.pack("<I", LZ4_MAGIC) + descriptor + bytes(((xxh32(descriptor) >> 8) & 0xFF,)))
    for at in range(0, len(data), LZ4_BLOCK):
        chunk = data[at : at + LZ4_BLOCK]
        block = bytes(cramjam.lz4.compress_block(chunk, store_size=False))
        if len(block) >= len(chunk):
            out += struct.pack("<I", len(chunk) | 0x80000000) + chunk  # stored uncompressed
        else:
            out += struct.pack("<I", len(block)) + block
    out += b"\x00\x00\x00\x00"
    return bytes(out)


def fix_lz4_header_checksum(data: bytes) -> bytes:
    """Kafka before 0.10 wrote LZ4 frames (magic 0 messages) with a wrong descriptor checksum: recompute it."""
    if len(data) < 7:
        return data
    end = 6 + (8 if data[4] & 0x08 else 0)
    if len(data) <= end:
        return data
    return data[:end] + bytes(((xxh32(data[4:end]) >> 8) & 0xFF,)) + data[end + 1 :]


def decompress(codec: int, data: bytes) -> bytes:
    if codec == NONE:
        return data
    if codec == GZIP:
        return bytes(cramjam.gzip.decompress(data))
    if codec == SNAPPY:
        if data.startswith(XERIAL_MAGIC):
            return _unxerial(data)
        return bytes(cramjam.snappy.decompress_raw(data))
    if codec == LZ4:
        return bytes(cramjam.lz4.decompress(data))
    if codec == ZSTD:
        return bytes(cramjam.zstd.decompress(data))
    raise UnsupportedCodecError(f"unknown compression codec {codec}")


def compress(codec: int, data: bytes) -> bytes:
    if codec == NONE:
        return data
    if codec == GZIP:
        return bytes(cramjam.gzip.compress(data))
    if codec == SNAPPY:
        return _xerial(data)
    if codec == LZ4:
        return _lz4_frame(data)
    if codec == ZSTD:
        return bytes(cramjam.zstd.compress(data))
    raise UnsupportedCodecError(f"unknown compression codec {codec}")
