"""Broker benchmark: the engine against Tansu and Apache Kafka (KRaft), in one run, one table.

Run on demand (not in CI):  .venv/bin/python -m tests.bench.bench_brokers [--messages N]

Measures, with librdkafka (confluent-kafka) and the same client settings for every broker:
produce 100-byte messages with acks=1 and acks=all; consume them from the beginning
(default settings and fetch.queue.backoff.ms=10); produce in committed transactions of 10,000 messages
and read those with a read_committed consumer; end-to-end latency p50/p99 at
2,000 msg/s with default consumer settings; start-up time to the first Metadata
answer; resident memory idle and after the load. For the engine and Apache Kafka also
produce (acks=all) and consume (fetch.queue.backoff.ms=10) over SASL_SSL with
SCRAM-SHA-256, against each broker secured the same way (tests/components/secured.py;
Apache Kafka 3.9 there, as its secured fixture).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from tests.components.process import wait_until

PAYLOAD = b"x" * 100


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tree_rss_mib(pid: int) -> float:
    total = rss_mib(pid)
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for c in child.read_text().split():
            with contextlib.suppress(FileNotFoundError):
                total += rss_mib(int(c))
    return total


Conf = dict[str, Any]


def plain(bootstrap: str) -> Conf:
    return {"bootstrap.servers": bootstrap}


def create(conf: Conf, topic: str) -> None:
    admin = AdminClient(conf)
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(timeout=30)

    def ready() -> bool:
        t = admin.list_topics(topic, timeout=10).topics.get(topic)
        return t is not None and t.error is None and bool(t.partitions) and t.partitions[0].leader >= 0
    wait_until(ready, 30, f"a leader for {topic}")


def produce(conf: Conf, topic: str, n: int, acks: str) -> float:
    p = Producer({**conf, "acks": acks, "linger.ms": 5,
                  "queue.buffering.max.messages": 1_000_000, "enable.idempotence": False})
    delivered = [0]

    def cb(err: Any, _m: Any) -> None:
        if err is None:
            delivered[0] += 1

    start = time.perf_counter()
    for _ in range(n):
        while True:
            try:
                p.produce(topic, PAYLOAD, partition=0, on_delivery=cb)
                break
            except BufferError:
                p.poll(0.001)
    p.flush(300)
    elapsed = time.perf_counter() - start
    assert delivered[0] == n, f"only {delivered[0]} of {n} delivered"
    return n / elapsed


def produce_transactional(conf: Conf, topic: str, n: int, per_txn: int = 10_000) -> float:
    """Messages per second through committed transactions of per_txn messages each."""
    p = Producer({**conf, "transactional.id": f"bench-{time.time_ns()}", "linger.ms": 5,
                  "queue.buffering.max.messages": 1_000_000})
    p.init_transactions(60)
    start = time.perf_counter()
    for first in range(0, n, per_txn):
        p.begin_transaction()
        for _ in range(min(per_txn, n - first)):
            while True:
                try:
                    p.produce(topic, PAYLOAD, partition=0)
                    break
                except BufferError:
                    p.poll(0.001)
        p.commit_transaction(120)
    return n / (time.perf_counter() - start)


def consume(conf: Conf, topic: str, n: int, extra: dict[str, Any]) -> float:
    """Messages per second from the first message received to the last (connection set-up excluded)."""
    c = Consumer({**conf, "group.id": f"bench-{time.time_ns()}",
                  "enable.auto.commit": False, **extra})
    c.assign([TopicPartition(topic, 0, 0)])
    got = 0
    start = 0.0
    deadline = time.perf_counter() + 300
    while got < n and time.perf_counter() < deadline:
        for m in c.consume(num_messages=10_000, timeout=1.0):
            if m.error() is None:
                if not got:
                    start = time.perf_counter()
                got += 1
    elapsed = time.perf_counter() - start
    c.close()
    assert got >= n, f"only {got} of {n} messages consumed within 300 s"
    return (got - 1) / elapsed


def median_of(runs: int, measure_once: Callable[[], float]) -> float:
    """Consuming 1,000,000 messages takes about half a second: one run is too noisy on its own."""
    return statistics.median(measure_once() for _ in range(runs))


def latency(bootstrap: str, topic: str, rate: int = 2000, seconds: float = 5.0) -> tuple[float, float]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"lat-{time.time_ns()}",
                  "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, -1)])
    lat: list[float] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            m = c.poll(0.1)
            if m is not None and m.error() is None:
                lat.append((time.time_ns() - int(m.value())) / 1e6)

    t = threading.Thread(target=reader)
    t.start()
    time.sleep(1.0)
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "acks": "1"})
    total = int(rate * seconds)
    start = time.perf_counter()
    for i in range(total):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)  # sleep, not spin: a spinning producer starves the consumer thread of the GIL
        p.produce(topic, str(time.time_ns()).encode(), partition=0)
        p.poll(0)
    p.flush(30)
    time.sleep(1.0)
    stop.set()
    t.join()
    c.close()
    if len(lat) < 10:
        return float("nan"), float("nan")
    q = statistics.quantiles(lat, n=100)
    return q[49], q[98]


def measure(name: str, start: Callable[[], Any], n: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    broker = start()
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.list_topics(timeout=30)
    startup = time.perf_counter() - t0
    row: dict[str, Any] = {"broker": name, "startup_s": startup}
    conf = plain(broker.bootstrap)
    try:
        row["rss_idle_mib"] = tree_rss_mib(broker.pid)
        create(conf, "p1")
        create(conf, "pall")
        create(conf, "lat")
        row["produce_acks1"] = produce(conf, "p1", n, "1")
        row["produce_acksall"] = produce(conf, "pall", n, "all")
        row["consume_default"] = median_of(3, lambda: consume(conf, "p1", n, {}))
        row["consume_backoff10"] = median_of(3, lambda: consume(conf, "p1", n, {"fetch.queue.backoff.ms": 10}))
        # Tansu 0.6 answers a Fetch with several MB whatever max.partition.fetch.bytes says (1 MiB by default);
        # with a limit above that, every broker sends the same amount per round trip.
        row["consume_big_fetch"] = median_of(3, lambda: consume(conf, "p1", n, {
            "fetch.queue.backoff.ms": 10, "max.partition.fetch.bytes": 8 << 20}))
        try:
            create(conf, "ptx")
            row["produce_txn"] = produce_transactional(conf, "ptx", n)
            row["consume_read_committed"] = median_of(3, lambda: consume(conf, "ptx", n, {
                "fetch.queue.backoff.ms": 10, "isolation.level": "read_committed"}))
        except Exception as exc:  # a broker without transactions
            print(f"{name}: transactions failed: {exc}")
        row["lat_p50_ms"], row["lat_p99_ms"] = latency(broker.bootstrap, "lat")
        row["rss_load_mib"] = tree_rss_mib(broker.pid)
    finally:
        broker.close()
    return row


def measure_secured(row: dict[str, Any], start: Callable[[], Any], n: int) -> None:
    """Produce and consume over SASL_SSL (SCRAM-SHA-256, user admin) against the broker secured; into row."""
    secured = start()
    try:
        conf = secured.confluent("SASL_SSL", "admin", "SCRAM-SHA-256")
        create(conf, "tls")
        row["produce_sasl_ssl"] = produce(conf, "tls", n, "all")
        row["consume_sasl_ssl"] = median_of(3, lambda: consume(conf, "tls", n, {"fetch.queue.backoff.ms": 10}))
        row["rss_sasl_ssl_mib"] = tree_rss_mib(secured.pid)
    finally:
        secured.close()


COLUMNS = [("produce_acks1", "produce acks=1 msg/s"), ("produce_acksall", "produce acks=all msg/s"),
           ("consume_default", "consume default msg/s"), ("consume_backoff10", "consume backoff=10 msg/s"),
           ("consume_big_fetch", "consume backoff=10 8MiB msg/s"),
           ("produce_txn", "produce txns of 10k msg/s"),
           ("consume_read_committed", "consume read_committed msg/s"),
           ("lat_p50_ms", "e2e p50 ms"), ("lat_p99_ms", "e2e p99 ms"), ("startup_s", "startup s"),
           ("rss_idle_mib", "RSS idle MiB"), ("rss_load_mib", "RSS after load MiB"),
           ("produce_sasl_ssl", "SASL_SSL produce all msg/s"), ("consume_sasl_ssl", "SASL_SSL consume b=10 msg/s"),
           ("rss_sasl_ssl_mib", "SASL_SSL RSS after MiB")]


def print_table(rows: list[dict[str, Any]]) -> None:
    names = [r["broker"] for r in rows]
    print(f"{'metric':28}" + "".join(f"{n:>18}" for n in names) + "".join(f"{'engine/' + n:>18}" for n in names[1:]))
    for key, label in COLUMNS:
        vals = [r.get(key, float("nan")) for r in rows]
        line = f"{label:28}" + "".join(f"{v:>18,.2f}" for v in vals)
        line += "".join(f"{(vals[0] / v if v else float('nan')):>18.2f}" for v in vals[1:])
        print(line)


def main() -> None:
    from tests.components.bench_launch import (
        start_engine,
        start_kafka_kraft,
        start_secured_engine,
        start_secured_kafka,
        start_tansu,
    )

    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--only", default="engine,tansu,kafka")
    args = ap.parse_args()
    starters = {"engine": start_engine, "tansu": start_tansu, "kafka": start_kafka_kraft}
    secured = {"engine": start_secured_engine, "kafka": start_secured_kafka}
    rows = []
    for name in args.only.split(","):
        row = measure(name, starters[name], args.messages)
        if name in secured:
            measure_secured(row, secured[name], args.messages)
        rows.append(row)
    print_table(rows)


if __name__ == "__main__":
    main()
