"""Apicurio Registry 3.0.9 (its Confluent-compatible API) from the Maven tarball, on a free loopback port.

In-memory storage (the app's default H2 in memory), a temporary working directory, stopped by PID; ready when
/apis/ccompat/v7/subjects answers. `registry` is shared by the session (tests use subjects of their own);
`registry_factory` starts one a test may stop (the "registry down mid-scan" case)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.components.kafka_tools import kafka_cache
from tests.components.process import ManagedProcess, ProcessBacked, free_port
from tests.components.report import record

APICURIO_VERSION = "3.0.9"
JVM = ["-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"]


@dataclasses.dataclass
class Registry(ProcessBacked):
    base: str  # http://127.0.0.1:PORT
    process: ManagedProcess
    version: str = APICURIO_VERSION

    @property
    def url(self) -> str:
        """The Confluent-compatible API: what a profile's Schema Registry URL is."""
        return f"{self.base}/apis/ccompat/v7"

    def stop(self) -> None:
        self.process.stop()


def apicurio_jar() -> Path:
    home = kafka_cache() / f"apicurio-{APICURIO_VERSION}"
    jar = home / f"apicurio-registry-app-{APICURIO_VERSION}-runner.jar"
    if not shutil.which("java"):
        pytest.skip("component missing: java (Apicurio Registry needs Java 17)")
    if not (jar.exists() and (home / ".complete").exists()):
        pytest.skip(f"component missing: apicurio-registry {APICURIO_VERSION} in {home} "
                    "(sh packaging/setup.sh test fetches it)")
    return jar


def start_registry(workdir: Path) -> Registry:
    jar = apicurio_jar()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = ManagedProcess("apicurio-registry", [
        "java", *JVM, f"-Dquarkus.http.port={port}", "-Dquarkus.http.host=127.0.0.1",
        f"-Djava.io.tmpdir={workdir}", "-Dquarkus.log.level=WARN", "-jar", str(jar)], workdir / "registry.log",
        cwd=workdir)

    def ready() -> bool:
        with urllib.request.urlopen(f"{base}/apis/ccompat/v7/subjects", timeout=2) as answer:
            return isinstance(json.loads(answer.read()), list)

    proc.start(ready, timeout=120)
    return Registry(base, proc)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = start_registry(tmp_path_factory.mktemp("apicurio"))
    record("apicurio-registry", reg.version, reg.startup_seconds)
    yield reg
    reg.stop()


@pytest.fixture
def registry_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Registry]]:
    made: list[Registry] = []

    def make() -> Registry:
        reg = start_registry(tmp_path_factory.mktemp("apicurio"))
        record("apicurio-registry", reg.version, reg.startup_seconds)
        made.append(reg)
        return reg

    yield make
    for reg in made:
        reg.stop()
