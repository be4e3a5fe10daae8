"""Sans-IO framing: bytes in, whole size-prefixed Kafka frames out, with a size limit.

Every Kafka request and response is an int32 big-endian length followed by that
many bytes. `FrameDecoder.feed` accepts any slicing of the stream (one byte at a
time, or many frames at once) and returns the frames completed so far.
"""

from __future__ import annotations

import struct


class FrameError(Exception):
    """The peer sent a frame that cannot be accepted; the connection must close."""


class FrameDecoder:
    __slots__ = ("_buf", "max_frame_bytes")

    def __init__(self, max_frame_bytes: int) -> None:
        self.max_frame_bytes = max_frame_bytes
        self._buf = bytearray()

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        buf = self._buf
        buf += data
        frames: list[bytes] = []
        pos = 0
        end = len(buf)
        while end - pos >= 4:
            (size,) = struct.unpack_from(">i", buf, pos)
            if size < 0:
                raise FrameError(f"negative frame size {size}")
            if size > self.max_frame_bytes:
                raise FrameError(
                    f"frame of {size} bytes exceeds socket.request.max.bytes={self.max_frame_bytes}"
                )
            if end - pos - 4 < size:
                break
            frames.append(bytes(buf[pos + 4 : pos + 4 + size]))
            pos += 4 + size
        if pos:
            del buf[:pos]
        return frames


def frame(payload: bytes | bytearray) -> bytes:
    return struct.pack(">i", len(payload)) + payload
