"""Conformance: Debian's kcat (librdkafka 2.0.2, old non-flexible protocol versions) through the engine."""

from __future__ import annotations

import shutil
import subprocess
import time
from typing import Any

import pytest

from tests.engine.conformance import CODECS, assert_contiguous
from tests.engine.test_client_confluent import create_topic


def kcat() -> str:
    path = shutil.which("kcat")
    if path is None:
        pytest.skip("component missing: kcat (install Debian's kcat package)")
    return path


@pytest.mark.parametrize("codec", CODECS)
def test_kcat_round_trip(engine: Any, codec: str) -> None:
    exe = kcat()
    topic = f"kcat-{codec}"
    create_topic(engine.bootstrap, topic)
    lines = [f"key-{i}\tvalue {codec} {i} " + "y" * i for i in range(20)]
    before = int(time.time() * 1000)
    subprocess.run(
        [exe, "-b", engine.bootstrap, "-P", "-t", topic, "-p", "0", "-K", "\t", "-z", codec,
         "-H", "h1=one", "-H", "h2=two", "-X", "enable.idempotence=true"],
        input="\n".join(lines) + "\n", text=True, check=True, timeout=60, capture_output=True,
    )
    after = int(time.time() * 1000)
    out = subprocess.run(
        [exe, "-b", engine.bootstrap, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e",
         "-f", "%o|%k|%s|%h|%T\n"],
        text=True, check=True, timeout=60, capture_output=True,
    ).stdout.splitlines()
    assert len(out) == len(lines), out
    offsets = []
    for sent, got in zip(lines, out, strict=True):
        offset, key, value, headers, ts = got.split("|")
        offsets.append(int(offset))
        assert f"{key}\t{value}" == sent
        assert headers == "h1=one,h2=two"
        assert before - 1000 <= int(ts) <= after + 1000
    assert_contiguous(offsets)


def test_kcat_lists_the_broker(engine: Any) -> None:
    out = subprocess.run([kcat(), "-b", engine.bootstrap, "-L"], text=True, check=True,
                         timeout=30, capture_output=True).stdout
    assert f"broker 1 at {engine.bootstrap}" in out
    assert "(controller)" in out
