"""What a produce run is, in plain values: the producer settings, the request, each message's Delivery, the counters,
and the ProduceRun the worker thread and the GUI share (the worker adds results under a lock, the GUI takes them in
batches; a threading.Event is the cancel switch)."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any, NamedTuple

from workbench.errors import WorkbenchError
from workbench.services.partitioner import PARTITIONERS
from workbench.services.record import Record

COMPRESSIONS = ("none", "gzip", "snappy", "lz4", "zstd")
ACKS = {"all": "all in-sync replicas", "1": "the leader only", "0": "none (offsets unknown)"}
#: the workbench's partitioner names (partitioner.py) -> librdkafka's `partitioner` values
LIBRDKAFKA_PARTITIONERS = {"murmur2": "murmur2_random", "consistent_random": "consistent_random",
                           "consistent": "consistent"}
NOT_KNOWN = -1  # partition or offset not known (acks=0 gives no offset; a failed message may have no partition)


@dataclasses.dataclass(frozen=True)
class ProducerSettings:
    """What is set per producer (librdkafka global config): compression, acks, partitioner."""

    compression: str = "none"
    acks: str = "all"
    partitioner: str = "murmur2"

    def check(self) -> None:
        if self.compression not in COMPRESSIONS:
            raise WorkbenchError("input", f"Unknown compression {self.compression!r} ({', '.join(COMPRESSIONS)}).")
        if self.acks not in ACKS:
            raise WorkbenchError("input", f"Unknown acks {self.acks!r} ({', '.join(ACKS)}).")
        if self.partitioner not in PARTITIONERS:
            raise WorkbenchError("input", f"Unknown partitioner {self.partitioner!r} ({', '.join(PARTITIONERS)}).")

    def config(self) -> dict[str, Any]:
        return {"compression.type": self.compression, "acks": self.acks,
                "partitioner": LIBRDKAFKA_PARTITIONERS[self.partitioner]}


@dataclasses.dataclass(frozen=True)
class ProduceRequest:
    """One run: `record` sent `count` times, or every line of the JSON Lines file at `path`, into `topic`.

    A record's partition -1 leaves the choice to the partitioner and timestamp 0 to the producer's clock; a file's
    lines keep the partition and timestamp they give. `rate` is messages a second (0: as fast as possible)."""

    topic: str
    record: Record | None = None
    count: int = 1
    path: str | None = None
    rate: float = 0.0
    settings: ProducerSettings = dataclasses.field(default_factory=ProducerSettings)
    value_schema: tuple[str, str] | None = None  # (subject, version or "latest"): the value is JSON for it

    @property
    def what(self) -> str:
        if self.path is not None:
            return f"{Path(self.path).name} into {self.topic}"
        return f"{self.count:,} message{'s' if self.count != 1 else ''} into {self.topic}"


class Delivery(NamedTuple):
    """The result of one message: where it was stored, or why not (`error`, one sentence)."""

    number: int  # 1-based message number; a file's line number
    partition: int
    offset: int
    timestamp: int
    timestamp_type: int  # librdkafka's: 1 CreateTime, 2 LogAppendTime, 0 none
    error: str = ""


@dataclasses.dataclass
class ProduceProgress:
    total: int  # messages the run will send (0 until a file has been checked)
    sent: int = 0  # handed to librdkafka
    delivered: int = 0
    failed: int = 0
    started: float = 0.0  # monotonic time the first message was sent
    elapsed: float = 0.0
    phase: str = "starting"  # checking, sending, waiting, done

    @property
    def reported(self) -> int:
        return self.delivered + self.failed

    @property
    def rate(self) -> float:
        """Messages sent a second so far."""
        return self.sent / self.elapsed if self.elapsed > 0 else 0.0


@dataclasses.dataclass(frozen=True)
class ProduceSummary:
    request: ProduceRequest
    total: int
    sent: int
    delivered: int
    failed: int
    seconds: float
    cancelled: bool

    @property
    def not_sent(self) -> int:
        return self.total - self.sent

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0


class ProduceRun:
    """A run's shared state between the worker thread and the GUI: counters, delivered results, the cancel switch."""

    def __init__(self) -> None:
        self.progress = ProduceProgress(total=0)
        self._lock = threading.Lock()
        self._results: list[Delivery] = []
        self._stop = threading.Event()
        self.finished = threading.Event()
        self.error: BaseException | None = None

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def cancel(self) -> None:
        self._stop.set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds` (worker side); True when cancelled meanwhile."""
        return self._stop.wait(seconds)

    def add(self, result: Delivery) -> None:
        with self._lock:
            self._results.append(result)
            if result.error:
                self.progress.failed += 1
            else:
                self.progress.delivered += 1

    def take(self) -> list[Delivery]:
        with self._lock:
            batch, self._results = self._results, []
        return batch
