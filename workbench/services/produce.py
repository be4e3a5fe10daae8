"""Producing records over confluent-kafka's Producer, off the GUI thread, with a delivery result for every message.

Theory of operation: a run (`ProducerService.produce`) gets one worker thread of its own,
which does every librdkafka call: it checks the topic's metadata, then takes records
from the source (the form's record N times, or a JSON Lines file read a second time
after a first pass has checked every line), waits on a token bucket when a rate is set
(pacing.py; the worker sleeps, never the GUI thread), calls `produce()`, and serves
delivery callbacks with `poll(0)` as it goes and `poll()` until the queue is empty at
the end. Each callback appends a `Delivery` to the run's list under a lock. The
awaiting coroutine on the GUI thread wakes every DRAIN_S, swaps that list out and
hands it over whole (`on_deliveries(batch)`), with the counters (`on_progress`): a
few dozen handovers a second however fast messages go.

Every message handed to librdkafka gets exactly one Delivery: its partition, offset and
the stored timestamp (LogAppendTime when the topic uses the broker's clock), or the
error as one sentence. A message librdkafka refuses at once (too large, say) gets its
failed Delivery from the worker. Cancel stops taking records, purges what is still
queued (those report "cancelled before it was sent") and waits for what is in flight,
so the counts always add up; records never taken are counted as not sent.

A value with a schema (the form's JSON for a subject and version) is serialised once, in
the worker, before anything is sent (schema_codec.encode_json).

The producer's librdkafka settings come from the connection (client_config) plus the
run's ProducerSettings (compression.type, acks, partitioner); one Producer is kept per
settings and reused. Topics are never created by producing (allow.auto.create.topics
off): a missing topic or an explicit partition the topic lacks is one clear error
before anything is sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from workbench.errors import WorkbenchError, kafka_error_problem
from workbench.services.connection import ConnectionSpec, client_config
from workbench.services.pacing import TokenBucket
from workbench.services.produce_run import (
    NOT_KNOWN,
    Delivery,
    ProduceProgress,
    ProduceRequest,
    ProducerSettings,
    ProduceRun,
    ProduceSummary,
)
from workbench.services.record import Record
from workbench.services.record_file import RecordFileError, read_jsonl_numbered
from workbench.services.registry import RegistrySettings

DRAIN_S = 0.05
POLL_S = 0.05
DEFAULT_MESSAGE_MAX_BYTES = 1_000_000  # librdkafka's message.max.bytes default


# -- sources: numbered records ------------------------------------------------------------------------------------


def repeated(record: Record, count: int) -> Iterator[tuple[int, Record]]:
    for number in range(1, count + 1):
        yield number, record


def check_file(path: str) -> tuple[int, int, int]:
    """Read every line once: (records, highest explicit partition or -1, its line); RecordFileError on a bad line."""
    total, top, top_line = 0, -1, 0
    with open(path, encoding="utf-8") as f:
        for number, record in read_jsonl_numbered(f):
            total += 1
            if record.partition > top:
                top, top_line = record.partition, number
    return total, top, top_line


def file_records(path: str) -> Iterator[tuple[int, Record]]:
    with open(path, encoding="utf-8") as f:
        yield from read_jsonl_numbered(f)


# -- the service ----------------------------------------------------------------------------------------------------


class ProducerService:
    def __init__(self, spec: ConnectionSpec, timeout: float = 10.0, delivery_timeout: float = 30.0) -> None:
        self.spec = spec
        self.timeout = timeout
        self.delivery_timeout = delivery_timeout
        self._producers: dict[ProducerSettings, Producer] = {}
        self._lock = threading.Lock()
        self._errors: dict[tuple[int, str], str] = {}

    def producer(self, settings: ProducerSettings) -> Producer:
        with self._lock:
            found = self._producers.get(settings)
            if found is None:
                conf = client_config(self.spec, self.timeout)
                conf.update({"allow.auto.create.topics": False, "linger.ms": 5,
                             "message.timeout.ms": int(self.delivery_timeout * 1000)})
                conf.update(settings.config())  # what the form sets wins over the profile's extra properties
                found = self._producers[settings] = Producer(conf)
            return found

    def close(self) -> None:
        """Forget the producers (a running worker keeps its own until it is done). librdkafka's destroy, when the
        last reference goes, waits for its threads: call this off the GUI thread (aclose) unless the app is leaving."""
        with self._lock:
            producers, self._producers = list(self._producers.values()), {}
        producers.clear()

    async def aclose(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    def error_sentence(self, err: Any) -> str:
        """A delivery error as one sentence (memoised: a failing run reports the same few errors many times)."""
        key = (err.code(), err.str())
        found = self._errors.get(key)
        if found is None:
            found = self._errors[key] = kafka_error_problem(err).sentence
        return found

    def _refused(self, exc: KafkaException, limit: int) -> str:
        """Why librdkafka refused a message at produce() (before anything was sent)."""
        err = exc.args[0] if exc.args else None
        if err is None or not hasattr(err, "code"):
            return f"librdkafka refused the message: {exc}."
        if err.code() == KafkaError.MSG_SIZE_TOO_LARGE:
            return (f"Not sent: the message is larger than the producer's message.max.bytes ({limit:,} bytes); "
                    "raise it in the connection's client properties to send it.")
        return f"Not sent: {self.error_sentence(err)}"

    async def produce(self, request: ProduceRequest, run: ProduceRun,
                      on_deliveries: Callable[[list[Delivery]], object],
                      on_progress: Callable[[ProduceProgress], object] | None = None) -> ProduceSummary:
        """Send the request's records; every delivery goes to `on_deliveries` in batches on the awaiting thread."""
        if self.spec.read_only:
            raise WorkbenchError("input", f"The connection {self.spec.name} is read-only: producing is disabled.")
        if not request.topic.strip():
            raise WorkbenchError("input", "Choose a topic to produce to.")
        if request.record is None and request.path is None:
            raise WorkbenchError("input", "There is nothing to produce: no record and no file.")
        if request.count < 1 or request.rate < 0:
            raise WorkbenchError("input", "The repeat count must be at least 1 and the rate 0 (unpaced) or more.")
        request.settings.check()
        worker = threading.Thread(target=self._work, args=(request, run), name="workbench-produce", daemon=True)
        worker.start()
        try:
            while True:
                done = run.finished.is_set()
                batch = run.take()
                if batch:
                    on_deliveries(batch)
                if on_progress is not None:
                    on_progress(run.progress)
                if done:
                    break
                await asyncio.sleep(DRAIN_S)
        except BaseException:
            run.cancel()  # the awaiting task is gone (connection closed): the worker winds down by itself
            raise
        if run.error is not None:
            raise run.error
        p = run.progress
        return ProduceSummary(request, p.total, p.sent, p.delivered, p.failed, p.elapsed, run.cancelled)

    # -- the worker thread -------------------------------------------------------------------------------------

    def _work(self, request: ProduceRequest, run: ProduceRun) -> None:
        try:
            self._send(request, run)
        except RecordFileError as exc:
            name = Path(request.path or "").name
            run.error = WorkbenchError("input", f"{name}: {exc}. Nothing was produced.")
        except WorkbenchError as exc:
            run.error = exc
        except KafkaException as exc:
            problem = kafka_error_problem(exc.args[0] if exc.args else exc, f"Producing to {request.topic}")
            run.error = WorkbenchError(problem.kind, problem.sentence, str(exc))
        except Exception as exc:  # reported on the GUI thread through the awaiting coroutine
            run.error = exc
        finally:
            run.progress.phase = "done"
            run.finished.set()

    def _source(self, request: ProduceRequest, run: ProduceRun) -> tuple[int, Iterator[tuple[int, Record]], int,
                                                                              str]:
        """(total, numbered records, highest explicit partition, where it is asked for)."""
        if request.path is not None:
            run.progress.phase = "checking"
            try:
                total, top, line = check_file(request.path)
            except OSError as exc:
                raise WorkbenchError("input", f"Cannot read {request.path}: {exc.strerror or exc}.") from exc
            except UnicodeDecodeError as exc:
                raise WorkbenchError("input", f"{Path(request.path).name} is not UTF-8 text (byte {exc.start}); "
                                              "JSON Lines files are UTF-8.") from exc
            if total == 0:
                raise WorkbenchError("input", f"{Path(request.path).name} has no records.")
            return total, file_records(request.path), top, f"line {line} of {Path(request.path).name} asks for"
        assert request.record is not None
        return request.count, repeated(request.record, request.count), request.record.partition, "the form asks for"

    def _partitions(self, producer: Producer, topic: str) -> int:
        md = producer.list_topics(topic, timeout=self.timeout)
        tmd = md.topics.get(topic)
        if tmd is None or tmd.error is not None:
            name = tmd.error.name() if tmd is not None and tmd.error is not None else "not in metadata"
            if name in ("UNKNOWN_TOPIC_OR_PART", "_UNKNOWN_TOPIC", "not in metadata"):
                raise WorkbenchError("kafka", f"Topic {topic} does not exist: create it in the Topics pane first "
                                              "(producing never creates topics).")
            problem = kafka_error_problem(tmd.error, f"Producing to {topic}") if tmd is not None else None
            raise WorkbenchError("kafka", problem.sentence if problem else f"Topic {topic} cannot be used ({name}).")
        return len(tmd.partitions)

    def _with_schema(self, request: ProduceRequest) -> ProduceRequest:
        """The form's value, JSON for a subject's schema, serialised once in the wire format by confluent-kafka's
        serialiser for that schema; a value that does not fit is one sentence and nothing is sent."""
        if request.value_schema is None or request.record is None:
            return request
        settings = RegistrySettings.of(self.spec, self.timeout)
        if settings is None:
            raise WorkbenchError("input", "This connection's profile has no Schema Registry: add its URL to the "
                                          "profile to produce with a schema.")
        if request.record.value is None:
            raise WorkbenchError("input", "A tombstone has no value to serialise: choose no schema for it.")
        from workbench.services.schema_encode import encode_json

        subject, version = request.value_schema
        try:
            text = request.record.value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WorkbenchError("input", "The value must be JSON text to be serialised with a schema.") from exc
        data, _schema_id = encode_json(settings, subject, version, text, request.topic)
        return dataclasses.replace(request, record=dataclasses.replace(request.record, value=data))

    def _send(self, request: ProduceRequest, run: ProduceRun) -> None:
        request = self._with_schema(request)
        total, records, top, asker = self._source(request, run)
        run.progress.total = total
        producer = self.producer(request.settings)
        topic = request.topic
        count = self._partitions(producer, topic)
        if top >= count:
            raise WorkbenchError("input", f"Topic {topic} has {count} partition{'s' if count != 1 else ''} "
                                          f"(0–{count - 1}) but {asker} partition {top}. Nothing was produced.")
        progress = run.progress
        progress.phase = "sending"
        bucket = TokenBucket(request.rate, time.monotonic()) if request.rate > 0 else None
        add = run.add
        error_sentence = self.error_sentence

        def report(number: int, err: Any, msg: Any) -> None:
            # runs inside librdkafka's poll(): it must not raise (confluent-kafka turns an exception escaping a
            # delivery callback into a SystemError out of poll)
            try:
                ts_type, ts = msg.timestamp()
                partition, offset = msg.partition(), msg.offset()
                partition = partition if partition is not None and partition >= 0 else NOT_KNOWN
                offset = offset if offset is not None and offset >= 0 else NOT_KNOWN
                if err is None:
                    add(Delivery(number, partition, offset, ts, ts_type))
                else:  # librdkafka may still fill in an offset (its batch's) for a failed message: not stored
                    add(Delivery(number, partition, NOT_KNOWN, ts, ts_type, error_sentence(err)))
            except Exception as exc:
                add(Delivery(number, NOT_KNOWN, NOT_KNOWN, 0, 0, f"The delivery report could not be read: {exc}."))

        producer_limit = int(self.spec.extra.get("message.max.bytes", DEFAULT_MESSAGE_MAX_BYTES))
        produce, poll = producer.produce, producer.poll
        progress.started = started = time.monotonic()
        for number, record in records:
            if run.cancelled:
                break
            if bucket is not None:
                wait = bucket.delay(time.monotonic())
                while wait > 0 and not run.cancelled:
                    poll(0)
                    run.wait(wait)
                    wait = bucket.delay(time.monotonic())
                if run.cancelled:
                    break
            kwargs: dict[str, Any] = {"key": record.key, "value": record.value,
                                      "on_delivery": functools.partial(report, number)}
            if record.headers:
                kwargs["headers"] = list(record.headers)
            if record.partition >= 0:
                kwargs["partition"] = record.partition
            if record.timestamp > 0:
                kwargs["timestamp"] = record.timestamp
            while True:
                try:
                    produce(topic, **kwargs)
                except BufferError:  # librdkafka's queue is full: serve deliveries until there is room
                    poll(POLL_S)
                    if not run.cancelled:
                        continue
                except KafkaException as exc:  # refused before sending (too large, say): its result now
                    add(Delivery(number, max(record.partition, NOT_KNOWN), NOT_KNOWN, record.timestamp, 0,
                                 self._refused(exc, producer_limit)))
                    progress.sent += 1
                else:
                    progress.sent += 1
                break
            poll(0)
            progress.elapsed = time.monotonic() - started
        progress.phase = "waiting"
        if run.cancelled:
            producer.purge(in_queue=True, in_flight=False, blocking=False)
        deadline = time.monotonic() + self.delivery_timeout + self.timeout
        while len(producer) > 0 and time.monotonic() < deadline:
            poll(POLL_S)
        progress.elapsed = time.monotonic() - started
        lost = progress.sent - progress.reported
        if lost > 0:  # librdkafka did not report in time: say so for each, so the counts add up
            raise WorkbenchError("timeout", f"{lost:,} message(s) got no delivery report within "
                                            f"{self.delivery_timeout + self.timeout:g} s.")
