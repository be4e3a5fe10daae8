"""Opening a partition's log directory, as Kafka's LogLoader: leftovers of interrupted work, then recovery.

1. `*.tmp` files (an index or checkpoint being written) are removed.
2. Compaction leftovers (engine.storage.cleaner): `.cleaned` files (a clean that had
   not reached its swap) are deleted; `.swap` files (a swap that had begun) are
   completed: the segments they replace are deleted and they become `.log` files.
3. Segments are opened. After a clean shutdown (the `.clean-shutdown` marker) or below
   the recovery point (everything fsynced there), a segment's index is trusted and only
   the batches after its last index entry are checked; any other segment is recovered:
   each batch's size and CRC-32C checked, the first invalid one and the rest of the
   segment truncated, the indexes rebuilt. A truncated segment with later segments
   after it takes them with it (their data follows a hole). Every truncation is logged.
4. The leader epoch cache is read and cut at the log end (a crash may have cut the log
   below epochs it had recorded).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from engine.storage.segment import segment_name

if TYPE_CHECKING:
    from engine.storage.log import Log

log = logging.getLogger("engine.storage")

CLEANED_SUFFIX = ".cleaned"
SWAP_SUFFIX = ".swap"
FILE_SUFFIXES = (".log", ".index", ".timeindex")


def _complete_swaps(log_obj: Log) -> None:
    d = log_obj.dir
    for cleaned in d.glob(f"*{CLEANED_SUFFIX}"):
        log.info("%s: deleting %s left by an interrupted clean", d.name, cleaned.name)
        cleaned.unlink(missing_ok=True)
    swaps = sorted(d.glob(f"*.log{SWAP_SUFFIX}"))
    for swap in swaps:
        base = int(swap.name.split(".", 1)[0])
        replaced_upto = _swap_end(swap)
        for seg_log in d.glob("*.log"):
            if not seg_log.stem.isdigit():
                continue
            b = int(seg_log.stem)
            if base <= b < replaced_upto:
                log.info("%s: completing an interrupted swap: deleting segment %s", d.name, seg_log.stem)
                for suffix in FILE_SUFFIXES:
                    (d / f"{seg_log.stem}{suffix}").unlink(missing_ok=True)
        target = d / f"{segment_name(base)}.log"
        swap.rename(target)
        for suffix in (".index", ".timeindex"):
            (d / f"{segment_name(base)}{suffix}{SWAP_SUFFIX}").unlink(missing_ok=True)
        log.info("%s: completed the swap of cleaned segment %s", d.name, target.name)


def _swap_end(swap: Path) -> int:
    """The first base offset a swap file does not replace: written beside it as `<name>.swap.end`."""
    try:
        return int(swap.with_name(swap.name + ".end").read_text())
    except (FileNotFoundError, ValueError):
        return int(swap.name.split(".", 1)[0]) + 1


def load(log_obj: Log, *, now_ms: int, recovery_point: int | None) -> Log:
    from engine.storage.log import CLEAN_MARKER

    d = log_obj.dir
    d.mkdir(parents=True, exist_ok=True)
    marker = d / CLEAN_MARKER
    clean = marker.exists()
    for stray in d.glob("*.tmp"):
        stray.unlink(missing_ok=True)
    _complete_swaps(log_obj)
    for end_file in d.glob("*.swap.end"):
        end_file.unlink(missing_ok=True)
    bases = sorted(int(p.stem) for p in d.glob("*.log") if p.stem.isdigit())
    trusted_below = recovery_point if recovery_point is not None else 0
    for i, base in enumerate(bases):
        seg = log_obj._new_segment(base, now_ms)
        nxt = bases[i + 1] if i + 1 < len(bases) else None
        if clean or (nxt is not None and nxt <= trusted_below):
            cut = seg.load()
        else:
            log.info("%s: recovering segment %s (unclean shutdown; recovery point %d)", d.name,
                     segment_name(base), trusted_below)
            cut = seg.recover()
        log_obj.recovered_bytes += cut
        log_obj.segments.append(seg)
        if cut and nxt is not None:
            for later in bases[i + 1 :]:
                log.warning("%s: deleting segment %s, which follows the truncated segment %s", d.name,
                            segment_name(later), segment_name(base))
                for suffix in FILE_SUFFIXES:
                    (d / f"{segment_name(later)}{suffix}").unlink(missing_ok=True)
            break
    if not log_obj.segments:
        log_obj.segments.append(log_obj._new_segment(0, now_ms))
    log_obj._bases = [s.base_offset for s in log_obj.segments]
    log_obj.log_start_offset = max(log_obj._read_start_checkpoint(), log_obj.segments[0].base_offset)
    log_obj.log_start_offset = min(log_obj.log_start_offset, log_obj.log_end_offset)
    end = log_obj.log_end_offset
    log_obj.recovery_point = end if clean else min(trusted_below, end)
    log_obj.epochs.load()
    log_obj.epochs.truncate_from_end(end)
    log_obj.last_flush_ms = now_ms
    marker.unlink(missing_ok=True)
    return log_obj
