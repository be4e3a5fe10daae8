"""Kafka's offset checkpoint files of a log directory: `recovery-point-offset-checkpoint` and
`cleaner-offset-checkpoint`.

    0                  version
    2                  number of entries
    orders 0 1234      topic, partition, offset per line

Written to `<name>.tmp`, fsynced, renamed over the old file (the rename is atomic), so a
crash leaves the old or the new file. A file that cannot be read counts as empty: the
recovery point then falls back to a full recovery, which is slower but safe.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from engine.storage import fileio

log = logging.getLogger("engine.storage")

RECOVERY_POINT = "recovery-point-offset-checkpoint"
CLEANER = "cleaner-offset-checkpoint"
VERSION = 0


def read_checkpoint(path: Path) -> dict[tuple[str, int], int]:
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        log.warning("cannot read %s (%s): treating it as empty", path, exc)
        return {}
    try:
        if int(lines[0]) != VERSION:
            raise ValueError(f"version {lines[0]}")
        count = int(lines[1])
        out: dict[tuple[str, int], int] = {}
        for line in lines[2 : 2 + count]:
            topic, partition, offset = line.rsplit(" ", 2)
            out[(topic, int(partition))] = int(offset)
        if len(out) != count:
            raise ValueError(f"{len(out)} entries, {count} announced")
        return out
    except (IndexError, ValueError) as exc:
        log.warning("%s is malformed (%s): treating it as empty", path, exc)
        return {}


def write_checkpoint(path: Path, entries: Mapping[tuple[str, int], int]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    text = f"{VERSION}\n{len(entries)}\n" + "".join(f"{t} {p} {o}\n" for (t, p), o in sorted(entries.items()))
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        fileio.fsync(f.fileno())
    os.replace(tmp, path)
