"""Messages scan benchmark: a key search over 1,000,000 messages of 200 bytes in 12 partitions, through the real
window, against `kcat -C -e | grep` over the same topic in the same run.

Run on demand (not in CI), alone on the machine:
    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.bench.bench_messages_scan [--messages N] [--runs 3]

Figures: messages/s of the app's key search over all partitions (the pane's own count
and elapsed time, median of the runs) against the kcat pipeline (median wall time of
the same runs), the pruned search (only the key's partition), the time from Read to the
first row on screen (no filter), the longest event-loop stall during the scans (a 5 ms
QTimer probe, as bench_topics_pane), memory (RSS) after the scans, and opening a 20 MB
message (time until its text is shown, longest stall). Targets on a 2-core machine:
>= 500,000 messages/s, >= 1.0x kcat, first rows <= 300 ms, no stall over 50 ms.

The Avro row: the same key search over the same number of messages whose keys (Avro strings) and values (an Avro
record of about 200 bytes) were written by confluent-kafka's AvroSerializer against Apicurio Registry, with the
key decoded for the search (Schema Registry decoder): target >= 200,000 messages/s decoded, stalls under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TOPIC = "bench-scan"
AVRO_TOPIC = "bench-avro"
BIG_TOPIC = "bench-big"
PARTITIONS = 12
KEYS = 50_000
NEEDLE = "key-4242"


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fill(bootstrap: str, count: int) -> None:
    from confluent_kafka import Producer

    from tests.workbench.produce_support import create_topic

    create_topic(bootstrap, TOPIC, PARTITIONS)
    create_topic(bootstrap, BIG_TOPIC, 1, {"max.message.bytes": str(32 * 1024 * 1024)})
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10_000,
                  "queue.buffering.max.messages": 1_000_000})
    for i in range(count):
        key = f"key-{i % KEYS}".encode()
        value = (f"{i:010d}" * 20).encode()  # 200 bytes
        while True:
            try:
                p.produce(TOPIC, key=key, value=value)
                break
            except BufferError:
                p.poll(0.05)
        if i % 10_000 == 0:
            p.poll(0)
    assert p.flush(120) == 0
    fill_avro(bootstrap, count)
    big = json.dumps({"rows": [{"n": i, "text": "x" * 180} for i in range(100_000)]}).encode()
    pb = Producer({"bootstrap.servers": bootstrap, "message.max.bytes": 64 * 1024 * 1024})
    pb.produce(BIG_TOPIC, key=b"big", value=big)
    assert pb.flush(60) == 0


REGISTRY_URL = ""


def fill_avro(bootstrap: str, count: int) -> None:
    from confluent_kafka import Producer
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    from tests.workbench.produce_support import create_topic

    create_topic(bootstrap, AVRO_TOPIC, PARTITIONS)
    sr = SchemaRegistryClient({"url": REGISTRY_URL})
    key_ser = AvroSerializer(sr, json.dumps({"type": "string"}))
    value_ser = AvroSerializer(sr, json.dumps({"type": "record", "name": "Reading", "fields": [
        {"name": "n", "type": "long"}, {"name": "text", "type": "string"}]}))
    kctx, vctx = SerializationContext(AVRO_TOPIC, MessageField.KEY), SerializationContext(AVRO_TOPIC,
                                                                                          MessageField.VALUE)
    keys = [key_ser(f"key-{i}", kctx) for i in range(KEYS)]
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10_000,
                  "queue.buffering.max.messages": 1_000_000})
    for i in range(count):
        value = value_ser({"n": i, "text": f"{i:010d}" * 18}, vctx)
        while True:
            try:
                p.produce(AVRO_TOPIC, key=keys[i % KEYS], value=value)
                break
            except BufferError:
                p.poll(0.05)
        if i % 10_000 == 0:
            p.poll(0)
    assert p.flush(120) == 0
    sr.close()


def kcat_pipeline(bootstrap: str) -> tuple[float, int]:
    kcat = shutil.which("kcat")
    if kcat is None:
        raise SystemExit("kcat is missing (apt install kcat)")
    started = time.monotonic()
    out = subprocess.run(f"{kcat} -C -b {bootstrap} -t {TOPIC} -e -q -f '%k\\t%s\\n' | grep -c -F '{NEEDLE}\t'",
                         shell=True, capture_output=True, text=True, timeout=600, check=False)
    took = time.monotonic() - started
    return took, int(out.stdout.strip() or 0)


def run_app(bootstrap: str, count: int, runs: int) -> dict[str, Any]:
    from tests.workbench.app_harness import AppHarness
    from tests.workbench.messages_support import Form, fill
    from tests.workbench.stall import StallProbe
    from workbench.services.connection import ConnectionSpec

    harness = AppHarness(Path(tempfile.mkdtemp(prefix="wb-bench-home-")), theme=None, size=(1400, 900))
    window = harness.window
    pane = window.messages_pane
    figures: dict[str, Any] = {}
    events: list[tuple[str, float]] = []
    pane.shown.connect(lambda what: events.append((what, time.perf_counter())))
    pane.model.rowsInserted.connect(lambda *_a: events.append(("rows-inserted", time.perf_counter())))

    async def until(what: str, timeout: float = 300) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, at in events:
                if name == what:
                    return at
            await asyncio.sleep(0.005)
        raise TimeoutError(what)

    async def scan(form: Any) -> tuple[float, float, Any]:
        fill(pane, form)
        events.clear()
        probe = StallProbe().start()
        t0 = time.perf_counter()
        pane.read_button.click()
        await until("finished")
        stall = probe.stop() * 1000
        first = next((at for name, at in events if name == "rows-inserted"), None)
        progress = pane.progress.model.rows
        read = sum(p.read for p in progress)
        return stall, (first - t0) * 1000 if first else float("nan"), (read, pane.model.rowCount(), t0)

    async def measure() -> None:
        window.open_spec(ConnectionSpec("bench", bootstrap))
        await asyncio.sleep(1.0)
        window.show_pane("messages")
        rates, stalls = [], []
        for _ in range(runs):
            stall, _first, (read, matched, t0) = await scan(Form(TOPIC, key=NEEDLE, scan_all=True, limit=None))
            elapsed = events[-1][1] - t0
            assert read == count, (read, count)
            rates.append(read / elapsed)
            stalls.append(stall)
            figures.setdefault("  stalls of the all-partition searches (ms)", []).append(round(stall, 1))
            figures["matches (all partitions)"] = matched
        figures["key search, all partitions (messages/s, median)"] = round(statistics.median(rates))
        figures["key search, all partitions (runs, messages/s)"] = [round(r) for r in rates]
        # the Avro row: keys decoded with their schema for the search, in the same run
        window.open_spec(ConnectionSpec("bench-avro", bootstrap, registry_url=REGISTRY_URL))
        await asyncio.sleep(1.0)
        window.show_pane("messages")
        assert pane.decoders == ("schema", "schema")
        avro_rates, avro_stalls = [], []
        for _ in range(runs):
            stall, _first, (read, matched, t0) = await scan(Form(AVRO_TOPIC, key=NEEDLE, limit=None))
            assert read == count, (read, count)
            avro_rates.append(read / (events[-1][1] - t0))
            avro_stalls.append(stall)
            figures["matches (Avro keys decoded)"] = matched
        figures["Avro key search, keys decoded (messages/s, median)"] = round(statistics.median(avro_rates))
        figures["  its runs (messages/s)"] = [round(r) for r in avro_rates]
        figures["  its longest stall (ms)"] = round(max(avro_stalls), 1)
        stalls.extend(avro_stalls)
        window.open_spec(ConnectionSpec("bench", bootstrap))
        await asyncio.sleep(1.0)
        window.show_pane("messages")
        stall, _first, (read, matched, t0) = await scan(Form(TOPIC, key=NEEDLE, partitioner="consistent_random",
                                                             limit=None))
        figures["pruned key search (partition read, matches, s)"] = (read, matched,
                                                                     round(events[-1][1] - t0, 3))
        figures["  its longest stall (ms)"] = round(stall, 1)
        stalls.append(stall)
        stall, first, _ = await scan(Form(TOPIC, limit=1000))
        figures["first row on screen, no filter (ms)"] = round(first, 1)
        figures["  longest stall reading 1,000 rows (ms)"] = round(stall, 1)
        stalls.append(stall)
        stall, first, _ = await scan(Form(TOPIC, limit=None, budget_messages=count))
        figures["read everything into the table (rows)"] = pane.model.rowCount()
        figures["  its first row on screen (ms)"] = round(first, 1)
        figures["  its longest stall (ms)"] = round(stall, 1)
        stalls.append(stall)
        figures["RSS with 1,000,000 rows in the table (MiB)"] = round(rss_mib(), 1)
        figures["  the rows' index in memory (MiB)"] = round(pane.model.results.index.nbytes / 2**20, 1) \
            if pane.model.results is not None else 0
        probe = StallProbe().start()
        for row in range(0, pane.model.rowCount(), max(1, pane.model.rowCount() // 200)):
            pane.table.scrollTo(pane.model.index(row, 0))
            await asyncio.sleep(0.002)
        figures["scrolling through the 1,000,000 rows, longest stall (ms)"] = round(probe.stop() * 1000, 1)
        figures["longest stall during the scans (ms)"] = round(max(stalls), 1)

        await scan(Form(BIG_TOPIC, limit=10))
        pane.value_decoder.setCurrentIndex(pane.value_decoder.findData("json"))
        events.clear()
        probe = StallProbe().start()
        t0 = time.perf_counter()
        pane.table.selectRow(0)
        at = await until("detail-value")
        await asyncio.sleep(0.2)
        figures["open a 20 MB JSON message: text shown after (ms)"] = round((at - t0) * 1000, 1)
        figures["  longest stall while opening it (ms)"] = round(probe.stop() * 1000, 1)
        figures["RSS at the end (MiB)"] = round(rss_mib(), 1)

    with harness:
        harness.run(measure())
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.components.engine_proc import EngineProcess

    workdir = Path(tempfile.mkdtemp(prefix="wb-bench-scan-"))
    broker = EngineProcess(workdir / "data", {"message.max.bytes": str(64 * 1024 * 1024)})
    broker.start()
    from tests.components.registry_server import start_registry

    registry = start_registry(workdir)
    global REGISTRY_URL
    REGISTRY_URL = registry.url
    try:
        print(f"writing {args.messages:,} messages of 200 bytes into {PARTITIONS} partitions...", flush=True)
        t0 = time.monotonic()
        fill(broker.bootstrap, args.messages)
        print(f"written in {time.monotonic() - t0:.1f} s", flush=True)
        kcat_runs = [kcat_pipeline(broker.bootstrap) for _ in range(args.runs)]
        figures = run_app(broker.bootstrap, args.messages, args.runs)
    finally:
        broker.close()
        registry.stop()
    kcat_s = statistics.median(t for t, _n in kcat_runs)
    kcat_rate = args.messages / kcat_s
    figures["kcat -C -e | grep (messages/s, median)"] = round(kcat_rate)
    figures["kcat runs (s, matches)"] = [(round(t, 2), n) for t, n in kcat_runs]
    app_rate = figures["key search, all partitions (messages/s, median)"]
    figures["app / kcat"] = round(app_rate / kcat_rate, 2)
    for key, value in figures.items():
        print(f"{key:>58}: {value}")
    checks = {
        "rate >= 500,000/s": app_rate >= 500_000,
        "Avro rate >= 200,000/s": figures["Avro key search, keys decoded (messages/s, median)"] >= 200_000,
        "app >= 1.0x kcat": app_rate >= kcat_rate,
        "first rows <= 300 ms": figures["first row on screen, no filter (ms)"] <= 300,
        "stalls <= 50 ms": max(figures["longest stall during the scans (ms)"],
                               figures["  longest stall while opening it (ms)"]) <= 50,
    }
    for name, ok in checks.items():
        print(f"{name:>58}: {'PASS' if ok else 'FAIL'}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
