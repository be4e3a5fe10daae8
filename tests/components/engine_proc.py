"""The bundled broker as a real subprocess, started like kafka-server-start.sh and stopped by PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.components.process import api_versions_answers, die_with_parent, free_port
from tests.components.report import record

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 30.0


class EngineProcess:
    name = "engine"
    zookeeper = None

    def __init__(self, data_dir: Path, overrides: dict[str, str] | None = None,
                 preexec: Callable[[], None] = die_with_parent, properties: Path | None = None,
                 port: int | None = None) -> None:
        self.data_dir = data_dir
        self.properties = properties  # a server.properties to start from as written (then no overrides are added)
        self.port = port if port is not None else free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.overrides = overrides or {}
        self.preexec = preexec  # runs in the child before exec (die_with_parent, or that plus resource limits)
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0
        self.version = _version()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the process without waiting for it (several brokers of a cluster start together)."""
        settings = {"listeners": f"PLAINTEXT://{self.bootstrap}", "advertised.listeners": f"PLAINTEXT://{self.bootstrap}",
                    "log.dirs": str(self.data_dir), "node.id": "1", **self.overrides}
        args = [sys.executable, "-m", "engine"]
        if self.properties is not None:
            args.append(str(self.properties))
            settings = dict(self.overrides)
        for k, v in settings.items():
            args += ["--override", f"{k}={v}"]
        self._started = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=self.preexec)

    def wait_ready(self) -> None:
        assert self.proc is not None
        started = self._started
        deadline = started + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"engine exited with {self.proc.returncode}:\n{self.tail()}")
            if api_versions_answers("127.0.0.1", self.port, 0.5):
                self.startup_seconds = time.monotonic() - started
                return
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"engine did not answer ApiVersions within {READY_TIMEOUT} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def stop(self, timeout: float = 15.0) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"engine did not stop within {timeout} s of SIGTERM:\n{self.tail(150)}") from None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def close(self) -> None:
        try:
            self.stop()
        finally:
            self.kill()


def _version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("kafka-workbench")
    except importlib.metadata.PackageNotFoundError:
        return "source"


def _require_engine() -> None:
    if not (ROOT / "engine" / "__main__.py").exists():
        pytest.skip("component missing: engine")


@pytest.fixture
def engine_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    _require_engine()
    made: list[EngineProcess] = []

    def make(**overrides: str) -> EngineProcess:
        data = tmp_path_factory.mktemp("engine") / "data"
        eng = EngineProcess(data, {k.replace("_", "."): v for k, v in overrides.items()})
        made.append(eng)
        eng.start()
        record(eng.name, eng.version, eng.startup_seconds)
        return eng

    yield make
    for eng in made:
        eng.close()


@pytest.fixture
def engine(engine_factory: object) -> EngineProcess:
    assert callable(engine_factory)
    eng = engine_factory()
    assert isinstance(eng, EngineProcess)
    return eng


@pytest.fixture(scope="session")
def shared_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    """One engine for every test that only needs topics of its own (unique names) and large messages allowed;
    tests that stop, kill or reconfigure a broker use `engine` / `engine_factory`."""
    _require_engine()
    eng = EngineProcess(tmp_path_factory.mktemp("engine-shared") / "data",
                        {"message.max.bytes": str(64 * 1024 * 1024)})
    eng.start()
    record(eng.name, eng.version, eng.startup_seconds)
    yield eng
    eng.close()
