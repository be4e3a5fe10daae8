"""Offset resets as plans: what `kafka-consumer-groups --reset-offsets` would do, computed as pure functions.

Theory of operation. The service (groups.py) gathers what the cluster knows (the group's
state, its committed offsets, the partitions of the named topics, log start and end
offsets, offsets for a timestamp) and hands it to `build_plan`, which decides every new
offset the way Kafka's tool does (ConsumerGroupCommand and GroupOffsetsResetter, 3.9 to 4.1):

- Only a group in state Empty or Dead may be reset; for any other state the tool prints
  "Assignments can only be reset if the group 'G' is inactive, but the current state is S."
  and changes nothing. A group that does not exist is Dead: its offsets can be set.
- Scope: --all-topics is the partitions the group has committed offsets for (not its
  subscription); --topic T is every partition of T; --topic T:0,2 only those. --from-file
  ignores the scope: the partitions are the file's.
- to-earliest / to-latest: the log start / log end offset, nothing to clamp.
- to-offset N, shift-by N (committed + N) and from-file are clamped to the log: above the
  log end offset becomes the log end, below the log start becomes the log start. shift-by
  needs a committed offset on every partition in scope; otherwise the tool stops with
  "Cannot shift offset for partition T-P since there is no current committed offset".
- to-datetime / by-duration: ListOffsets by timestamp (the first offset whose timestamp is
  at or after it); a partition without such a record ("is empty" in the tool's words)
  falls back to the log end offset; nothing is clamped. to-datetime reads
  yyyy-MM-ddTHH:mm:ss.SSS with an optional zone (Z, +hh, +hhmm, +hh:mm), UTC without
  one; by-duration is a java.time.Duration (PnDTnHnMn.nS) subtracted from now.
- to-current: the committed offset; partitions in scope without one get the log end offset.
- New offsets are committed with empty metadata.

Kafka's argument and CSV formats live in reset_formats.py. An undo plan is a plan too: its
rows put back the offsets (and metadata) a reset replaced, and remove the commits that reset created (`new` is None).
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Iterable, Mapping, Sequence

from workbench.services.group_model import INACTIVE_STATES, Committed
from workbench.services.reset_formats import PlanError, parse_datetime, parse_duration_ms, to_csv

TP = tuple[str, int]
STRATEGIES = ("to-earliest", "to-latest", "to-offset", "to-datetime", "by-duration", "shift-by", "to-current",
              "from-file")
TOOL = "kafka-consumer-groups.sh"


# -- scope and strategy ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Scope:
    """--all-topics, or --topic arguments: (topic, partitions), no partitions meaning all of them."""

    all_topics: bool = False
    topics: tuple[tuple[str, tuple[int, ...]], ...] = ()

    @classmethod
    def all(cls) -> Scope:
        return cls(all_topics=True)

    @classmethod
    def topic(cls, name: str) -> Scope:
        return cls(topics=((name, ()),))

    @classmethod
    def partitions(cls, name: str, partitions: Iterable[int]) -> Scope:
        return cls(topics=((name, tuple(sorted(set(partitions)))),))

    def cli_args(self) -> list[str]:
        if self.all_topics:
            return ["--all-topics"]
        return [arg for t, ps in self.topics for arg in ("--topic", f"{t}:{','.join(map(str, ps))}" if ps else t)]

    @property
    def label(self) -> str:
        if self.all_topics:
            return "all topics of the group"
        return "; ".join(f"{t} partition{'s' if len(ps) > 1 else ''} {', '.join(map(str, ps))}" if ps else t
                         for t, ps in self.topics)


@dataclasses.dataclass(frozen=True)
class Strategy:
    kind: str
    offset: int = 0  # to-offset: the offset; shift-by: the shift
    text: str = ""  # to-datetime: the time; by-duration: the duration
    rows: tuple[tuple[str, int, int], ...] = ()  # from-file: (topic, partition, offset)
    file_name: str = "reset-plan.csv"  # from-file: the file the command line names

    def __post_init__(self) -> None:
        if self.kind not in STRATEGIES and self.kind != "undo":
            raise PlanError(f"{self.kind} is not a reset strategy.")

    @property
    def uses_timestamp(self) -> bool:
        return self.kind in ("to-datetime", "by-duration")

    def timestamp_ms(self, now_ms: int) -> int:
        """The time a to-datetime or by-duration reset looks up (PlanError when the text is not valid)."""
        if self.kind == "to-datetime":
            return parse_datetime(self.text)
        if self.kind == "by-duration":
            return now_ms - parse_duration_ms(self.text)
        raise PlanError(f"A {self.kind} reset looks up no time.")

    def cli_args(self) -> list[str]:
        if self.kind in ("to-offset", "shift-by"):
            return [f"--{self.kind}", str(self.offset)]
        if self.kind in ("to-datetime", "by-duration"):
            return [f"--{self.kind}", self.text]
        if self.kind == "from-file":
            return ["--from-file", self.file_name]
        return [f"--{self.kind}"]

    @property
    def label(self) -> str:
        return {"to-earliest": "to the earliest offset", "to-latest": "to the latest offset",
                "to-offset": f"to offset {self.offset}", "to-datetime": f"to the time {self.text}",
                "by-duration": f"back by {self.text}", "shift-by": f"shifted by {self.offset:+d}",
                "to-current": "to the current offsets", "from-file": f"from {self.file_name}",
                "undo": "undo"}[self.kind]


# -- the plan ----------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PlanRow:
    topic: str
    partition: int
    current: int | None  # committed offset now (None: no commit)
    new: int | None  # offset to commit (None: remove the commit; only undo plans do)
    log_start: int | None
    log_end: int | None
    note: str = ""
    metadata: str = ""  # committed with the new offset (resets: empty, as Kafka; undo: the old metadata)
    leader_epoch: int | None = None

    @property
    def reread(self) -> int | None:
        """Messages the group will read again (new below current)."""
        if self.current is None or self.new is None:
            return None
        return max(0, self.current - self.new)

    @property
    def skipped(self) -> int | None:
        """Messages the group will never read (new above current)."""
        if self.current is None or self.new is None:
            return None
        return max(0, self.new - self.current)


@dataclasses.dataclass(frozen=True)
class ResetPlan:
    group: str
    state: str
    strategy: Strategy
    scope: Scope
    rows: tuple[PlanRow, ...]
    created_ms: int
    timestamp_ms: int | None = None  # to-datetime / by-duration: the time looked up
    refusal: str = ""  # why it may not be applied (Kafka's sentence for an active group)
    undo_of: int | None = None  # the reset (store id) this plan undoes

    @property
    def offsets(self) -> dict[TP, int]:
        return {(r.topic, r.partition): r.new for r in self.rows if r.new is not None}

    @property
    def removals(self) -> list[TP]:
        return [(r.topic, r.partition) for r in self.rows if r.new is None]

    @property
    def reread(self) -> int:
        return sum(r.reread or 0 for r in self.rows)

    @property
    def skipped(self) -> int:
        return sum(r.skipped or 0 for r in self.rows)

    @property
    def changes(self) -> int:
        return sum(1 for r in self.rows if r.new != r.current)

    @property
    def description(self) -> str:
        if self.undo_of is not None:
            return f"undo of reset #{self.undo_of}"
        return f"{self.strategy.label}, {self.scope.label if self.strategy.kind != 'from-file' else 'its partitions'}"

    def csv(self) -> str:
        return to_csv((r.topic, r.partition, r.new) for r in self.rows if r.new is not None)

    def command(self, bootstrap: str, execute: bool = False) -> list[str]:
        """The kafka-consumer-groups arguments that compute (--dry-run) or apply (--execute) the same offsets."""
        if self.undo_of is not None:
            strategy = Strategy("from-file", file_name=f"undo-{self.undo_of}.csv")
            scope = Scope()
        else:
            strategy, scope = self.strategy, self.scope
        return command_args(bootstrap, self.group, strategy, scope, execute)

    def command_text(self, bootstrap: str, execute: bool = False) -> str:
        text = shlex.join(self.command(bootstrap, execute))
        if self.removals:
            parts: dict[str, list[int]] = {}
            for t, p in self.removals:
                parts.setdefault(t, []).append(p)
            removal = [TOOL, "--bootstrap-server", bootstrap, "--group", self.group, "--delete-offsets"]
            for t, ps in sorted(parts.items()):
                removal += ["--topic", f"{t}:{','.join(map(str, sorted(ps)))}"]
            text += "\n" + shlex.join(removal)
        return text


def command_args(bootstrap: str, group: str, strategy: Strategy, scope: Scope, execute: bool = False) -> list[str]:
    scope_args = [] if strategy.kind == "from-file" else scope.cli_args()
    return [TOOL, "--bootstrap-server", bootstrap, "--group", group, "--reset-offsets", *scope_args,
            *strategy.cli_args(), "--execute" if execute else "--dry-run"]


def refusal(group: str, state: str) -> str:
    """Kafka's sentence for a reset of a group that is not inactive; "" when the reset is allowed."""
    if state in INACTIVE_STATES:
        return ""
    return f"Assignments can only be reset if the group '{group}' is inactive, but the current state is {state}."


def targets(scope: Scope, strategy: Strategy, committed: Mapping[TP, Committed],
            topic_partitions: Mapping[str, Sequence[int]]) -> list[TP]:
    """The partitions a reset covers, in order; PlanError for a topic or partition the cluster does not have."""
    if strategy.kind == "from-file":
        wanted = [(t, p) for t, p, _o in strategy.rows]
        for t, p in wanted:
            _check_exists(t, p, topic_partitions)
    elif scope.all_topics:
        wanted = sorted(committed)
    else:
        if not scope.topics:
            raise PlanError("One of the reset scopes should be defined: --all-topics, --topic.")
        wanted = []
        for topic, parts in scope.topics:
            if topic not in topic_partitions:
                raise PlanError(f"Topic {topic} does not exist.")
            for p in parts or sorted(topic_partitions[topic]):
                _check_exists(topic, p, topic_partitions)
                wanted.append((topic, p))
    return list(dict.fromkeys(wanted))


def _check_exists(topic: str, partition: int, topic_partitions: Mapping[str, Sequence[int]]) -> None:
    if topic not in topic_partitions:
        raise PlanError(f"Topic {topic} does not exist.")
    if partition not in topic_partitions[topic]:
        count = len(topic_partitions[topic])
        raise PlanError(f"Partition {partition} of {topic} does not exist ({topic} has {count} partition"
                        f"{'s' if count != 1 else ''}).")


def build_plan(group: str, state: str, strategy: Strategy, scope: Scope, partitions: Sequence[TP],
               committed: Mapping[TP, Committed], log_start: Mapping[TP, int], log_end: Mapping[TP, int],
               by_time: Mapping[TP, int] | None = None, created_ms: int = 0,
               timestamp_ms: int | None = None) -> ResetPlan:
    """Every new offset as Kafka's tool computes it (see the module's theory of operation)."""
    file_offsets = {(t, p): o for t, p, o in strategy.rows}
    rows = []
    for tp in partitions:
        current = committed[tp].offset if tp in committed else None
        start, end = log_start.get(tp), log_end.get(tp)
        if start is None or end is None:
            raise PlanError(f"The log start and end offsets of {tp[0]}-{tp[1]} are not known.")
        note = "" if current is not None else "no committed offset"
        kind = strategy.kind
        if kind == "to-earliest":
            new = start
        elif kind == "to-latest":
            new = end
        elif kind in ("to-offset", "shift-by", "from-file"):
            if kind == "to-offset":
                requested = strategy.offset
            elif kind == "from-file":
                requested = file_offsets[tp]
            elif current is None:
                raise PlanError(f"Cannot shift offset for partition {tp[0]}-{tp[1]} since there is no current "
                                "committed offset.")
            else:
                requested = current + strategy.offset
            new = min(max(requested, start), end)
            if requested > end:
                note = f"{requested} is above the log end offset: clamped to {end}"
            elif requested < start:
                note = f"{requested} is below the log start offset: clamped to {start}"
        elif kind in ("to-datetime", "by-duration"):
            found = (by_time or {}).get(tp, -1)
            new = found if found >= 0 else end
            if found < 0:
                note = "no record at or after that time: the log end offset"
        elif kind == "to-current":
            new = current if current is not None else end
            if current is None:
                note = "no committed offset: the log end offset"
        else:
            raise PlanError(f"A {kind} plan is made from a reset, not computed.")
        rows.append(PlanRow(tp[0], tp[1], current, new, start, end, note))
    rows.sort(key=lambda r: (r.topic, r.partition))
    return ResetPlan(group, state, strategy, scope, tuple(rows), created_ms, timestamp_ms, refusal(group, state))


def undo_plan(group: str, state: str, reset_id: int,
              before: Iterable[tuple[str, int, int | None, str, int | None]],
              committed: Mapping[TP, Committed], log_start: Mapping[TP, int], log_end: Mapping[TP, int],
              created_ms: int = 0) -> ResetPlan:
    """Put back what reset `reset_id` replaced: (topic, partition, offset or None, metadata, leader epoch) rows."""
    rows = []
    for topic, partition, offset, metadata, epoch in before:
        tp = (topic, partition)
        current = committed[tp].offset if tp in committed else None
        note = "had no committed offset: the commit is removed" if offset is None else \
            ("with its metadata" if metadata else "")
        rows.append(PlanRow(topic, partition, current, offset, log_start.get(tp), log_end.get(tp), note, metadata,
                            epoch))
    rows.sort(key=lambda r: (r.topic, r.partition))
    return ResetPlan(group, state, Strategy("undo"), Scope(), tuple(rows), created_ms, None, refusal(group, state),
                     undo_of=reset_id)
