"""What a message scan is asked to do: where to start, when to stop, what to keep, and the plan it becomes.

A `ScanRequest` is plain data from the messages pane. `plan()` turns it, with the
topic's partition count and watermarks (and offsets for timestamps, when asked), into
one `PartitionRange` per partition to read: [start, end) in offsets, end None for a
live tail. Key pruning happens here: an exact key filter with a partitioner that
places that key narrows the partitions to the key's one, unless `scan_all` is set.
`RecordFilter.compile()` gives the scanner cheap byte-level predicates: text typed by
the user is matched as its UTF-8 bytes, against the raw bytes or, with `decode_key` /
`decode_value`, against the text of the key or value decoded with its schema (the raw
bytes when they cannot be decoded).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from workbench.services.partitioner import PARTITIONERS, partition_for

START_KINDS = {
    "beginning": "the beginning",
    "end": "the end (new messages only)",
    "newest": "the newest N per partition",
    "offset": "an offset",
    "timestamp": "a timestamp",
}
STOP_KINDS = {
    "end": "at the end (the last offset when the scan starts)",
    "offset": "at an offset",
    "timestamp": "at a time",
    "live": "never (tail live)",
}
KEY_MODES = {"exact": "is", "prefix": "starts with", "contains": "contains", "regex": "matches regex"}
VALUE_MODES = {"contains": "contains", "regex": "matches regex"}


class ScanInputError(ValueError):
    """A scan request that cannot run, with the reason in one sentence."""


@dataclasses.dataclass(frozen=True)
class RecordFilter:
    """Which records to keep; empty text means no filter of that kind. Timestamps in ms, inclusive."""

    key: str = ""
    key_mode: str = "exact"
    value: str = ""
    value_mode: str = "contains"
    header_name: str = ""
    header_value: str = ""
    ts_from: int | None = None
    ts_to: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.key or self.value or self.header_name or self.header_value or
                    self.ts_from is not None or self.ts_to is not None)

    def describe(self) -> str:
        parts = []
        if self.key:
            parts.append(f"key {KEY_MODES[self.key_mode]} {self.key!r}")
        if self.value:
            parts.append(f"value {VALUE_MODES[self.value_mode]} {self.value!r}")
        if self.header_name or self.header_value:
            parts.append(f"header {self.header_name or '(any)'} contains {self.header_value!r}")
        if self.ts_from is not None or self.ts_to is not None:
            parts.append(f"timestamp in [{self.ts_from if self.ts_from is not None else '…'}, "
                         f"{self.ts_to if self.ts_to is not None else '…'}]")
        return ", ".join(parts) or "no filter"

    def compile(self) -> CompiledFilter:
        return CompiledFilter(self)


def _bytes_predicate(text: str, mode: str, what: str) -> Callable[[bytes | None], bool] | None:
    if not text:
        return None
    q = text.encode("utf-8")
    if mode == "exact":
        return lambda b: b == q
    if mode == "prefix":
        return lambda b: b is not None and b.startswith(q)
    if mode == "contains":
        return lambda b: b is not None and q in b
    if mode == "regex":
        try:
            rx = re.compile(q)
        except re.error as exc:
            raise ScanInputError(f"The {what} regex is not valid: {exc}.") from exc
        return lambda b: b is not None and rx.search(b) is not None
    raise ScanInputError(f"Unknown {what} filter mode {mode!r}.")


class CompiledFilter:
    """The filter as predicates over raw fields; the scanner applies them cheapest first."""

    def __init__(self, f: RecordFilter) -> None:
        if f.key_mode not in KEY_MODES:
            raise ScanInputError(f"Unknown key filter mode {f.key_mode!r}.")
        if f.value_mode not in VALUE_MODES:
            raise ScanInputError(f"Unknown value filter mode {f.value_mode!r}.")
        self.exact_key = f.key.encode("utf-8") if f.key and f.key_mode == "exact" else None
        self.key = _bytes_predicate(f.key, f.key_mode, "key")
        self.value = _bytes_predicate(f.value, f.value_mode, "value")
        self.header_name = f.header_name
        self.header_value = f.header_value.encode("utf-8") if f.header_value else None
        self.ts_from, self.ts_to = f.ts_from, f.ts_to
        self.headers = bool(f.header_name or f.header_value)
        self.timestamps = f.ts_from is not None or f.ts_to is not None

    def header_match(self, headers: list[tuple[str, bytes | None]] | None) -> bool:
        for name, value in headers or ():
            if self.header_name and name != self.header_name:
                continue
            if self.header_value is None or (value is not None and self.header_value in value):
                return True
        return False

    def ts_match(self, ts: int) -> bool:
        return (self.ts_from is None or ts >= self.ts_from) and (self.ts_to is None or ts <= self.ts_to)


@dataclasses.dataclass(frozen=True)
class ScanRequest:
    topic: str
    partitions: tuple[int, ...] | None = None  # None: all
    start: str = "beginning"
    start_value: int = 0  # N for "newest", the offset, or the timestamp (ms)
    stop: str = "end"
    stop_value: int = 0  # the offset (inclusive) or the timestamp (ms, inclusive)
    max_results: int | None = 1000  # matching records kept, then stop
    budget_messages: int | None = None  # records read, then stop
    budget_bytes: int | None = None  # key + value bytes read, then stop
    filter: RecordFilter = dataclasses.field(default_factory=RecordFilter)
    partitioner: str = "murmur2"
    scan_all: bool = False
    decode_key: bool = False  # filters see keys decoded with their schemas (Schema Registry wire format)
    decode_value: bool = False  # and values

    def check(self) -> None:
        if not self.topic:
            raise ScanInputError("Choose a topic to read.")
        if self.start not in START_KINDS:
            raise ScanInputError(f"Unknown start position {self.start!r}.")
        if self.stop not in STOP_KINDS:
            raise ScanInputError(f"Unknown stop condition {self.stop!r}.")
        if self.start == "newest" and self.start_value < 1:
            raise ScanInputError("The newest N per partition needs N of at least 1.")
        if self.start == "offset" and self.start_value < 0:
            raise ScanInputError("A start offset cannot be negative.")
        if self.stop == "offset" and self.stop_value < 0:
            raise ScanInputError("A stop offset cannot be negative.")
        for name, v in (("result limit", self.max_results), ("message budget", self.budget_messages),
                        ("byte budget", self.budget_bytes)):
            if v is not None and v < 1:
                raise ScanInputError(f"The {name} must be at least 1 (or unlimited).")
        if self.partitioner not in PARTITIONERS:
            raise ScanInputError(f"Unknown partitioner {self.partitioner!r}.")
        self.filter.compile()

    @property
    def needs_start_times(self) -> bool:
        return self.start == "timestamp"

    @property
    def needs_stop_times(self) -> bool:
        return self.stop == "timestamp"


@dataclasses.dataclass(frozen=True, slots=True)
class PartitionRange:
    partition: int
    start: int
    end: int | None  # exclusive; None: live

    @property
    def empty(self) -> bool:
        return self.end is not None and self.start >= self.end


@dataclasses.dataclass(frozen=True)
class ScanPlan:
    ranges: tuple[PartitionRange, ...]
    pruned_to_key: bool  # the key filter narrowed the partitions
    note: str  # one sentence: which partitions and why

    @property
    def partitions(self) -> list[int]:
        return [r.partition for r in self.ranges]


def key_partitions(req: ScanRequest, count: int) -> tuple[list[int], bool, str]:
    """The partitions to read for this request's partitions choice and key filter, whether pruned, and why."""
    chosen = sorted(set(req.partitions)) if req.partitions is not None else list(range(count))
    bad = [p for p in chosen if not 0 <= p < count]
    if bad:
        raise ScanInputError(f"{req.topic} has {count} partitions (0-{count - 1}); there is no partition "
                             f"{', '.join(map(str, bad))}.")
    f = req.filter
    if not f.key or f.key_mode != "exact" or req.scan_all:
        return chosen, False, ""
    if req.decode_key:  # the partitioner hashed the serialised key, not the text typed here
        return chosen, False, "keys are matched decoded with their schemas, so every partition is read"
    placed = partition_for(f.key.encode("utf-8"), count, req.partitioner)
    if placed is None:
        return chosen, False, f"the {req.partitioner} partitioner spreads this key, so every partition is read"
    if placed not in chosen:
        return [], True, (f"key {f.key!r} belongs in partition {placed} ({req.partitioner}), which is not among "
                          "the chosen partitions")
    return [placed], True, f"key {f.key!r} is in partition {placed} by the {req.partitioner} partitioner"


def plan(req: ScanRequest, count: int, low: dict[int, int], high: dict[int, int],
         start_times: dict[int, int] | None = None, stop_times: dict[int, int] | None = None) -> ScanPlan:
    """Offsets to read per partition. start_times/stop_times: the first offset at or after the start time and
    after the stop time per partition (-1 when there is none, i.e. the end)."""
    req.check()
    parts, pruned, why = key_partitions(req, count)
    ranges = []
    for p in parts:
        lo, hi = low[p], high[p]
        if req.start == "beginning":
            start = lo
        elif req.start == "end":
            start = hi
        elif req.start == "newest":
            start = max(lo, hi - req.start_value)
        elif req.start == "offset":
            start = min(max(req.start_value, lo), hi)
        else:
            found = (start_times or {}).get(p, -1)
            start = hi if found < 0 else min(max(found, lo), hi)
        end: int | None
        if req.stop == "live":
            end = None
        elif req.stop == "offset":
            end = min(req.stop_value + 1, hi)
        elif req.stop == "timestamp":
            found = (stop_times or {}).get(p, -1)
            end = hi if found < 0 else min(found, hi)
        else:
            end = hi
        ranges.append(PartitionRange(p, start, end))
    listed = ", ".join(map(str, parts)) if parts else "none"
    note = f"Reading partition{'s' if len(parts) != 1 else ''} {listed} of {req.topic}"
    note += f": {why}." if why else "."
    return ScanPlan(tuple(ranges), pruned, note)
