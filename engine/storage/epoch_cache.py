"""The leader epoch cache of a log: which leader epoch started at which offset, in `leader-epoch-checkpoint`.

Every batch carries the epoch of the leader that appended it; the cache keeps the first
offset of each epoch (Kafka's LeaderEpochFileCache), so that a follower can find where its
log diverges from its leader's (KIP-101, KIP-279):

    0                  version
    2                  number of entries
    0 0                epoch, start offset per line, both strictly increasing
    3 1200

`end_offset_for(epoch)` answers OffsetsForLeaderEpoch and the leader's divergence check of
a follower's fetch: for the latest epoch the log end offset; for an older one the start
offset of the next larger epoch (the first offset that epoch does not cover). The file is
written to a temporary name and renamed on every change (epochs change at leader elections,
rarely). A change made by an append (`assign(..., sync=False)`) is not fsynced there, on the
event loop: the log's next flush fsyncs the checkpoint with the segments, off the loop (Kafka
fsyncs it in assign, on a request thread). What a crash can leave is covered at start-up: an
unreadable file counts as missing and the cache is rebuilt from the batch headers, and epochs
found in the log past the checkpoint's latest are added (a checkpoint older than its log).
"""

from __future__ import annotations

import bisect
import logging
import os
from pathlib import Path

from engine.storage import fileio

log = logging.getLogger("engine.storage")

FILE_NAME = "leader-epoch-checkpoint"
VERSION = 0
UNDEFINED_EPOCH = -1
UNDEFINED_OFFSET = -1


class LeaderEpochCache:
    def __init__(self, directory: Path | None) -> None:
        self.path = directory / FILE_NAME if directory is not None else None
        self.epochs: list[int] = []
        self.starts: list[int] = []
        self.loaded = False  # read from a checkpoint file (not rebuilt from the log)

    # -- file -------------------------------------------------------------------------------
    def load(self) -> None:
        if self.path is None:
            return
        try:
            lines = self.path.read_text().splitlines()
        except FileNotFoundError:
            return
        except OSError as exc:
            log.warning("cannot read %s (%s): the epochs are rebuilt from the log", self.path, exc)
            return
        try:
            if int(lines[0]) != VERSION:
                raise ValueError(f"version {lines[0]}")
            count = int(lines[1])
            pairs = [tuple(int(x) for x in line.split()) for line in lines[2 : 2 + count]]
            if len(pairs) != count or any(len(p) != 2 for p in pairs):
                raise ValueError("entry count")
        except (IndexError, ValueError) as exc:
            log.warning("%s is malformed (%s): the epochs are rebuilt from the log", self.path, exc)
            return
        for epoch, start in pairs:
            self._put(epoch, start)
        self.loaded = True

    def flush(self, sync: bool = True) -> None:
        if self.path is None or not self.path.parent.exists():
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        text = f"{VERSION}\n{len(self.epochs)}\n" + "".join(
            f"{e} {s}\n" for e, s in zip(self.epochs, self.starts, strict=True))
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            if sync:
                fileio.fsync(f.fileno())
        os.replace(tmp, self.path)

    def open_for_sync(self) -> int | None:
        """A read-only descriptor of the checkpoint, for the log's flush to fsync off the loop (None: no file)."""
        if self.path is None:
            return None
        try:
            return os.open(self.path, os.O_RDONLY)
        except OSError:
            return None

    # -- changes ----------------------------------------------------------------------------
    def _put(self, epoch: int, start: int) -> bool:
        if epoch < 0 or start < 0:
            return False
        if self.epochs and epoch == self.epochs[-1] and start >= self.starts[-1]:
            return False
        # keep both columns increasing: drop entries the new one contradicts (Kafka's maybeTruncateNonMonotonicEntries)
        while self.epochs and (self.epochs[-1] >= epoch or self.starts[-1] >= start):
            self.epochs.pop()
            self.starts.pop()
        self.epochs.append(epoch)
        self.starts.append(start)
        return True

    def assign(self, epoch: int, start: int, flush: bool = True, sync: bool = True) -> None:
        if self._put(epoch, start) and flush:
            self.flush(sync)

    def truncate_from_end(self, end_offset: int) -> None:
        """Forget the epochs that start at or after end_offset (the log was truncated there)."""
        changed = False
        while self.starts and self.starts[-1] >= end_offset:
            self.epochs.pop()
            self.starts.pop()
            changed = True
        if changed:
            self.flush()

    def truncate_from_start(self, start_offset: int) -> None:
        """The log start moved to start_offset: the epoch covering it now starts there."""
        i = bisect.bisect_right(self.starts, start_offset) - 1
        if i < 0 or (i == 0 and self.starts[0] == start_offset):
            return
        epoch = self.epochs[i]
        del self.epochs[: i + 1]
        del self.starts[: i + 1]
        self.epochs.insert(0, epoch)
        self.starts.insert(0, start_offset)
        self.flush()

    def clear(self) -> None:
        if self.epochs:
            self.epochs.clear()
            self.starts.clear()
            self.flush()

    # -- queries ----------------------------------------------------------------------------
    @property
    def latest_epoch(self) -> int | None:
        return self.epochs[-1] if self.epochs else None

    def start_offset_of(self, epoch: int) -> int | None:
        i = bisect.bisect_left(self.epochs, epoch)
        return self.starts[i] if i < len(self.epochs) and self.epochs[i] == epoch else None

    def end_offset_for(self, requested: int, log_end_offset: int) -> tuple[int, int]:
        """(epoch, end offset) as Kafka's LeaderEpochFileCache.endOffsetFor."""
        if requested == UNDEFINED_EPOCH or not self.epochs:
            return UNDEFINED_EPOCH, UNDEFINED_OFFSET
        if requested == self.epochs[-1]:
            return requested, log_end_offset
        higher = bisect.bisect_right(self.epochs, requested)
        if higher >= len(self.epochs):
            return UNDEFINED_EPOCH, UNDEFINED_OFFSET
        if higher == 0:
            return requested, self.starts[0]
        return self.epochs[higher - 1], self.starts[higher]

    def entries(self) -> list[tuple[int, int]]:
        return list(zip(self.epochs, self.starts, strict=True))
