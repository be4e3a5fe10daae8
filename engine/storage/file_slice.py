"""A byte range of a segment file, held open by its own descriptor until sent or closed.

Fetch hands these to the network layer for sendfile. The descriptor is a dup of
the segment's, so retention or topic deletion closing the segment cannot pull the
file out from under a response that is still being written.
"""

from __future__ import annotations

import os


class FileSlice:
    __slots__ = ("fd", "length", "position")

    def __init__(self, segment_fd: int, position: int, length: int) -> None:
        self.fd = os.dup(segment_fd) if length else -1
        self.position = position
        self.length = length

    def read(self) -> bytes:
        if not self.length:
            return b""
        return os.pread(self.fd, self.length, self.position)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __del__(self) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FileSlice(position={self.position}, length={self.length})"
