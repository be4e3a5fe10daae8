"""Conformance: the Java client (Kafka 4.1) through kafka-console-producer/consumer and the perf tools."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.engine.conformance import CODECS, assert_contiguous

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("codec", CODECS)
def test_java_console_round_trip(kafka_cli: Any, engine: Any, codec: str) -> None:
    topic = f"java-{codec}"
    kafka_cli.run("kafka-topics", "--bootstrap-server", engine.bootstrap, "--create", "--topic", topic,
                  "--partitions", "1")
    sent = [(f"h1:v{i},trace:{i * 7}", f"key-{i}", f"value {codec} {i} " + "z" * i) for i in range(20)]
    before = int(time.time() * 1000)
    kafka_cli.run("kafka-console-producer", "--bootstrap-server", engine.bootstrap, "--topic", topic,
                  "--compression-codec", codec, "--property", "parse.key=true", "--property", "parse.headers=true",
                  input="".join(f"{h}\t{k}\t{v}\n" for h, k, v in sent))
    after = int(time.time() * 1000)
    out = kafka_cli.run("kafka-console-consumer", "--bootstrap-server", engine.bootstrap, "--topic", topic,
                        "--partition", "0", "--offset", "earliest", "--max-messages", str(len(sent)),
                        "--timeout-ms", "30000", "--property", "print.key=true", "--property", "print.headers=true",
                        "--property", "print.timestamp=true", "--property", "print.offset=true").stdout
    lines = out.splitlines()
    assert len(lines) == len(sent), out
    offsets = []
    for (h, k, v), line in zip(sent, lines, strict=True):
        m = re.fullmatch(r"CreateTime:(\d+)\tOffset:(\d+)\t(.*)\t(.*)\t(.*)", line)
        assert m, line
        ts, offset, headers, key, value = m.groups()
        assert before - 1000 <= int(ts) <= after + 1000
        assert (headers, key, value) == (h, k, v)
        offsets.append(int(offset))
    assert_contiguous(offsets)


def test_java_producer_perf_test(kafka_cli: Any, engine: Any) -> None:
    out = kafka_cli.run("kafka-producer-perf-test", "--topic", "java-perf", "--num-records", "20000",
                        "--record-size", "100", "--throughput", "-1", "--producer-props",
                        f"bootstrap.servers={engine.bootstrap}", "acks=all", "compression.type=lz4").stdout
    assert re.search(r"^20000 records sent, [\d.]+ records/sec", out, re.M), out
    end = kafka_cli.run("kafka-get-offsets", "--bootstrap-server", engine.bootstrap, "--topic", "java-perf",
                        "--time", "-1").stdout.strip()
    assert end == "java-perf:0:20000"


def test_java_consumer_perf_test(kafka_cli: Any, engine: Any) -> None:
    kafka_cli.run("kafka-producer-perf-test", "--topic", "java-cperf", "--num-records", "20000",
                  "--record-size", "100", "--throughput", "-1", "--producer-props",
                  f"bootstrap.servers={engine.bootstrap}")
    out = kafka_cli.run("kafka-consumer-perf-test", "--bootstrap-server", engine.bootstrap, "--topic",
                        "java-cperf", "--messages", "20000", "--timeout", "30000").stdout
    rows = [ln for ln in out.splitlines() if ln and ln[0].isdigit()]
    assert rows, out
    fields = [f.strip() for f in rows[-1].split(",")]
    assert int(fields[4]) == 20000, out  # data.consumed.in.nMsg
