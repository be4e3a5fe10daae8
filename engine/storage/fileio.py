"""The few system calls that change log files, in one place, so tests can make them fail.

Every write, truncation and fsync of a segment goes through here. Tests replace these
functions (`monkeypatch.setattr(fileio, "write", ...)`) to inject a failing or short
write and check that the log stays consistent; the broker itself never swaps them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path


class StorageError(OSError):
    """A write, truncation or sync of a log file failed (answered as KAFKA_STORAGE_ERROR)."""


def write(fd: int, data: bytes | bytearray | memoryview) -> int:
    return os.write(fd, data)


def ftruncate(fd: int, length: int) -> None:
    os.ftruncate(fd, length)


def fsync(fd: int) -> None:
    os.fsync(fd)


def write_all(fd: int, data: bytes | bytearray) -> None:
    """Write every byte or raise: os.write may write part of the data (a short write) and fail on the rest."""
    view = memoryview(data)
    written = 0
    while written < len(view):
        n = write(fd, view[written:])
        if n <= 0:
            raise StorageError(f"write wrote {n} of {len(view) - written} bytes")
        written += n


def fsync_path(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        fsync(fd)
    finally:
        os.close(fd)


_libc: ctypes.CDLL | None = None


def syncfs(path: Path) -> None:
    """Flush every dirty page of the file system holding path (Linux syncfs), not of the whole machine."""
    global _libc
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if _libc is None:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        syncfs_fn = getattr(_libc, "syncfs", None)
        if syncfs_fn is None or syncfs_fn(fd) != 0:
            os.sync()  # not Linux (or syncfs failed): the portable, system-wide flush
    finally:
        os.close(fd)
