"""The scanning loop itself: a Consumer assigned the planned partitions, whole batches, filters, budgets.

It knows no threads, processes or event loops: `ScanLoop.run(cancel)` reads until one
stop reason holds and calls `emit(entries, progress)` at most every HAND_OVER_S (and
at once for the first rows); scan_worker.py runs it in a child process and scan.py
turns its reports into the GUI's updates. The loop takes up to BATCH messages per
`consume` call and works on whole batches with C-level `map` calls (offsets,
partitions, keys), so the Python cost per message is a few tens of nanoseconds until a
message matches; matching records go to the sink (the results spill file or an export
file).

A scan stops for exactly one reason: "done" (every partition reached the end of its
range), "limit" (the result limit), "budget" (messages or bytes read), "cancelled",
"error" (a sentence says which), or "stalled" (no data for the stall time while the
range is not done: a dead or hung cluster never leaves a scan spinning). librdkafka's
partition-EOF events end a partition whose remaining offsets hold no records a consumer
sees (transaction markers), so a range ending on one still finishes.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from workbench.errors import WorkbenchError, describe
from workbench.services.connection import client_config
from workbench.services.record import Record
from workbench.services.result_store import IndexEntries
from workbench.services.scan_request import ScanPlan, ScanRequest

BATCH = 1_000  # messages per consume(): building them holds the GIL, so keep each hold short
POLL_S = 0.1
HAND_OVER_S = 0.05
REASONS = {
    "done": "the range is done",
    "limit": "the result limit was reached",
    "budget": "the scan budget was reached",
    "cancelled": "cancelled",
    "error": "an error stopped it",
    "stalled": "no data arrived",
}

# librdkafka errors after which reading on cannot help
FATAL = {"UNKNOWN_TOPIC_OR_PART", "_UNKNOWN_TOPIC", "_UNKNOWN_PARTITION", "TOPIC_AUTHORIZATION_FAILED",
         "GROUP_AUTHORIZATION_FAILED", "SASL_AUTHENTICATION_FAILED", "_AUTHENTICATION", "_SSL",
         "UNSUPPORTED_VERSION", "INVALID_REQUEST", "OFFSET_OUT_OF_RANGE", "_AUTO_OFFSET_RESET"}

# unbound methods, so that a whole batch is read with C-level map(); typed as the fields always are for data
# messages (confluent-kafka's stubs allow None for all of them)
_OFFSET: Callable[[Message], int] = Message.offset  # type: ignore[assignment]
_PARTITION: Callable[[Message], int] = Message.partition  # type: ignore[assignment]
_KEY: Callable[[Message], bytes | None] = Message.key  # type: ignore[assignment]
_ERROR: Callable[[Message], KafkaError | None] = Message.error


class Sink(Protocol):
    """Where matching records go, in the scan's thread: a ResultSet (entries for the table) or an export file."""

    def append(self, records: Sequence[Record]) -> IndexEntries | None: ...


@dataclasses.dataclass(frozen=True, slots=True)
class PartitionProgress:
    partition: int
    start: int
    position: int  # the next offset to read
    end: int | None  # exclusive; None: live
    read: int
    matched: int
    done: bool

    @property
    def fraction(self) -> float | None:
        if self.end is None:
            return None
        span = self.end - self.start
        return 1.0 if span <= 0 else min(1.0, max(0.0, (self.position - self.start) / span))


@dataclasses.dataclass(frozen=True, slots=True)
class Progress:
    partitions: tuple[PartitionProgress, ...]
    read: int
    read_bytes: int
    matched: int
    elapsed: float

    @property
    def rate(self) -> float:
        return self.read / self.elapsed if self.elapsed > 0 else 0.0


@dataclasses.dataclass(frozen=True)
class Outcome:
    reason: str
    sentence: str
    progress: Progress
    problem: Any = None  # errors.Problem when reason is "error" or "stalled"


def consumer_config(spec: Any, timeout: float, partitions: int = 1) -> dict[str, Any]:
    """librdkafka settings for a scan of `partitions` partitions. The prefetch queue and fetch sizes were measured
    (tests/bench/bench_messages_scan.py): a 64 MiB queue halves the throughput of 12 partitions against 128 MiB;
    per-partition fetches shrink as partitions grow so one fetch answer fits the queue several times."""
    conf = client_config(spec, timeout)
    conf.update({
        "group.id": f"kafka-workbench-scan-{uuid.uuid4().hex[:12]}",  # never joined: partitions are assigned
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",  # a start offset deleted by retention meanwhile: the oldest there is
        "queued.min.messages": 1_000_000,  # prefetch deeply: 3x the throughput of librdkafka's default
        "queued.max.messages.kbytes": 131_072,  # but never more than 128 MiB queued
        "fetch.max.bytes": 52_428_800,
        "max.partition.fetch.bytes": max(1 << 20, min(8 << 20, (48 << 20) // max(1, partitions))),
        "fetch.wait.max.ms": 100,
        "client.id": "kafka-workbench-scan",
    })
    return conf


class ScanLoop:
    """One scan's reading: `run(cancel)` returns the Outcome; `emit(entries, progress)` reports on the way."""

    def __init__(self, req: ScanRequest, scan_plan: ScanPlan, conf: dict[str, Any], sink: Sink,
                 emit: Callable[[IndexEntries | None, Progress], None], stall_s: float,
                 decoder: Any = None) -> None:
        self.req, self.plan, self.sink = req, scan_plan, sink
        # filters on the decoded form: SchemaDecoder.match_bytes gives a key's or value's decoded text (raw when
        # it cannot be decoded), so the byte-level predicates below work unchanged
        self._key_text: Callable[[bytes | None], bytes | None] | None = \
            decoder.match_bytes if decoder is not None and req.decode_key else None
        self._value_text: Callable[[bytes | None], bytes | None] | None = \
            decoder.match_bytes if decoder is not None and req.decode_value else None
        self._conf = conf
        self._emit = emit
        self._stall_s = stall_s
        self._cancel = threading.Event()
        self._filter = req.filter.compile()
        self._ranges = {r.partition: r for r in scan_plan.ranges}
        self._position = {r.partition: r.start for r in scan_plan.ranges}
        self._read = dict.fromkeys(self._ranges, 0)
        self._matched = dict.fromkeys(self._ranges, 0)
        self._finished = {r.partition for r in scan_plan.ranges if r.empty}
        self._paused: set[int] = set()
        self._total_read = 0
        self._total_bytes = 0
        self._total_matched = 0
        self._pending: list[IndexEntries] = []
        self._started = time.monotonic()
        self._last_hand_over = 0.0
        self._first_handed = False

    def run(self, cancel: threading.Event) -> Outcome:
        self._cancel = cancel
        self._started = time.monotonic()
        try:
            consumer = Consumer(self._conf)
        except Exception as exc:
            return self._outcome("error", describe(exc, "starting the scan"))
        try:
            reason, problem = self._consume(consumer)
        except Exception as exc:  # the one boundary of the loop: a bug or a client failure becomes a sentence
            reason, problem = "error", describe(exc, "reading messages")
        finally:
            with contextlib.suppress(Exception):  # closing a consumer of a dead cluster may fail; the scan is over
                consumer.close()
        return self._outcome(reason, problem)

    def _outcome(self, reason: str, problem: Any) -> Outcome:
        with contextlib.suppress(Exception):  # the reader went away: the outcome still says how the scan ended
            self._hand_over(force=True)
        progress = self._progress()
        try:
            sentence = self._sentence(reason, progress, problem)
        except Exception as exc:
            sentence = f"Stopped: {describe(exc).sentence}"
        return Outcome(reason, sentence, progress, problem)

    def _hand_over(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_hand_over < HAND_OVER_S and self._first_handed:
            return
        entries = None
        if self._pending:
            entries = self._pending[0]
            for more in self._pending[1:]:
                entries.extend(more)
            self._pending = []
            self._first_handed = True
        self._last_hand_over = now
        self._emit(entries, self._progress())

    def _progress(self) -> Progress:
        parts = tuple(PartitionProgress(p, r.start, self._position[p], r.end, self._read[p], self._matched[p],
                                        p in self._finished) for p, r in sorted(self._ranges.items()))
        return Progress(parts, self._total_read, self._total_bytes, self._total_matched,
                        time.monotonic() - self._started)

    def _sentence(self, reason: str, progress: Progress, problem: Any) -> str:
        req = self.req
        read = f"read {progress.read:,} message{'s' if progress.read != 1 else ''}"
        found = f"{progress.matched:,} match{'es' if progress.matched != 1 else ''}"
        if reason == "limit":
            why = f"the result limit of {req.max_results or 0:,} was reached"
        elif reason == "budget":
            why = (f"the budget of {req.budget_messages:,} messages was reached"
                   if req.budget_messages is not None and progress.read >= req.budget_messages
                   else f"the budget of {req.budget_bytes or 0:,} bytes was reached")
        elif reason in ("error", "stalled"):
            why = f"{getattr(problem, 'sentence', problem)}".rstrip(".")
        else:
            why = REASONS.get(reason, reason)
        return f"Stopped: {why}; {read}, {found} in {progress.elapsed:.1f} s."

    def _all_done(self) -> bool:
        return len(self._finished) == len(self._ranges)

    def _consume(self, consumer: Consumer) -> tuple[str, Any]:
        todo = [TopicPartition(self.req.topic, r.partition, r.start) for r in self._ranges.values() if not r.empty]
        if not todo:
            return "done", None
        consumer.assign(todo)
        req = self.req
        live = any(r.end is None for r in self._ranges.values())
        last_data = time.monotonic()
        while True:
            if self._cancel.is_set():
                return "cancelled", None
            msgs = consumer.consume(BATCH, POLL_S)
            if msgs:
                errors = list(map(_ERROR, msgs))
                if any(errors):
                    msgs, problem = self._errors(msgs, errors)
                    if problem is not None:
                        return "error", problem
                if msgs:
                    last_data = time.monotonic()
                    stop = self._batch(msgs)
                    if stop:
                        return stop, None
                    self._pause_finished(consumer)
                else:
                    last_data = time.monotonic()  # EOFs are an answer too
            elif not live and time.monotonic() - last_data > self._stall_s:
                return "stalled", WorkbenchError(
                    "timeout", f"No data arrived for {self._stall_s:.0f} s before the end of the range: the "
                               "cluster may be down or the partition's leader unreachable.").problem
            if self._all_done() and not live:
                return "done", None
            self._hand_over()
            if req.max_results is not None and self._total_matched >= req.max_results:
                return "limit", None

    def _pause_finished(self, consumer: Consumer) -> None:
        """Stop fetching partitions whose range is done (librdkafka would otherwise prefetch past the end)."""
        fresh = self._finished - self._paused
        if fresh:
            consumer.pause([TopicPartition(self.req.topic, p) for p in fresh])
            self._paused |= fresh

    def _errors(self, msgs: list[Message], errors: list[KafkaError | None]) -> tuple[list[Message], Any]:
        data = []
        for m, err in zip(msgs, errors, strict=True):
            if err is None:
                data.append(m)
                continue
            code = err.code()
            if code == KafkaError._PARTITION_EOF:
                p, eof_at = _PARTITION(m), _OFFSET(m)
                r = self._ranges.get(p)
                if r is not None and r.end is not None:
                    self._position[p] = max(self._position[p], min(eof_at, r.end))
                    self._finished.add(p)
                continue
            if err.fatal() or err.name() in FATAL:
                return [], describe(KafkaException(err), "reading messages")
            # anything else (a broker restarting, a leader moving) librdkafka retries by itself
        return data, None

    def _batch(self, msgs: list[Message]) -> str | None:
        req = self.req
        offsets = list(map(_OFFSET, msgs))
        parts = list(map(_PARTITION, msgs))
        last = dict(zip(parts, offsets, strict=True))
        ranges = self._ranges
        past = [p for p, o in last.items() if (end := ranges[p].end) is not None and o >= end - 1]
        if past:
            if any(ranges[p].end is not None and last[p] >= ranges[p].end for p in past):  # type: ignore[operator]
                keep = [i for i, (p, o) in enumerate(zip(parts, offsets, strict=True))
                        if (end := ranges[p].end) is None or o < end]
                msgs = [msgs[i] for i in keep]
                offsets = [offsets[i] for i in keep]
                parts = [parts[i] for i in keep]
            for p in past:
                self._finished.add(p)
        stop = None
        if req.budget_messages is not None and self._total_read + len(msgs) >= req.budget_messages:
            cut = req.budget_messages - self._total_read
            msgs, offsets, parts = msgs[:cut], offsets[:cut], parts[:cut]
            stop = "budget"
        keys = list(map(_KEY, msgs))
        if req.budget_bytes is not None:
            sizes = [len(m) + (len(k) if k is not None else 0) for m, k in zip(msgs, keys, strict=True)]
            total = self._total_bytes + sum(sizes)
            if total >= req.budget_bytes:
                running = self._total_bytes
                for i, s in enumerate(sizes):
                    running += s
                    if running >= req.budget_bytes:
                        msgs, offsets, parts, keys = msgs[:i + 1], offsets[:i + 1], parts[:i + 1], keys[:i + 1]
                        break
                stop = "budget"
            self._total_bytes += sum(sizes[:len(msgs)])
        else:
            self._total_bytes += sum(map(len, msgs)) + sum(map(len, filter(None, keys)))
        if not msgs:
            return stop
        for p, o in dict(zip(parts, offsets, strict=True)).items():
            self._position[p] = o + 1
        for p, n in collections.Counter(parts).items():
            self._read[p] += n
        self._total_read += len(msgs)
        picked = self._match(msgs, keys)
        if req.max_results is not None:
            room = req.max_results - self._total_matched
            if len(picked) >= room:
                picked = picked[:room]
                stop = stop or "limit"
        if picked:
            records = []
            topic = req.topic
            for i in picked:
                m = msgs[i]
                ts_type, ts = m.timestamp()
                headers: Any = m.headers()
                records.append(Record(topic, parts[i], offsets[i], ts, ts_type, keys[i], m.value(),  # type: ignore[arg-type]
                                      tuple(headers) if headers else ()))
                self._matched[parts[i]] += 1
            self._total_matched += len(records)
            entries = self.sink.append(records)
            if entries is not None:
                self._pending.append(entries)
            if not self._first_handed:
                self._hand_over(force=True)  # the first rows on screen as soon as there are any
        return stop

    def _match(self, msgs: list[Message], keys: list[bytes | None]) -> list[int]:
        f = self._filter
        if self._key_text is not None and (f.exact_key is not None or f.key is not None):
            keys = list(map(self._key_text, keys))
        if f.exact_key is not None:
            q = f.exact_key
            picked = [i for i, k in enumerate(keys) if k == q] if q in keys else []
        elif f.key is not None:
            pred = f.key
            picked = [i for i, k in enumerate(keys) if pred(k)]
        else:
            picked = list(range(len(msgs)))
        if f.timestamps and picked:
            picked = [i for i in picked if f.ts_match(msgs[i].timestamp()[1])]
        if f.value is not None and picked:
            vpred = f.value
            vtext = self._value_text
            if vtext is None:
                picked = [i for i in picked if vpred(msgs[i].value())]
            else:
                picked = [i for i in picked if vpred(vtext(msgs[i].value()))]
        if f.headers and picked:
            picked = [i for i in picked if f.header_match(msgs[i].headers())]  # type: ignore[arg-type]
        return picked
