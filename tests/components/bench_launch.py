"""Start the benchmark peers outside pytest: each returns an object with .bootstrap, .pid and .close()."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from tests.components.engine_proc import EngineProcess
from tests.components.kafka_server import BENCH_JVM
from tests.components.kafka_server import start_kafka_kraft as _kraft
from tests.components.tansu_server import start_tansu as _tansu


def _workdir(name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"kw-bench-{name}-"))


def start_engine() -> Any:
    eng = EngineProcess(_workdir("engine") / "data")
    eng.start()
    return eng


def start_tansu() -> Any:
    return _tansu(_workdir("tansu"))


def start_kafka_kraft() -> Any:
    return _kraft(_workdir("kafka"), jvm=BENCH_JVM)
