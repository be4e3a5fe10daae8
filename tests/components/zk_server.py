"""ZooKeeper from Debian's package, standalone on a free loopback port; ready when ruok answers imok."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.components.process import ManagedProcess, ProcessBacked, four_letter_word, free_port
from tests.components.report import record

ZK_JAR = Path("/usr/share/java/zookeeper.jar")  # its manifest Class-Path names its Debian dependency jars
SLF4J_BINDING = Path("/usr/share/java/slf4j-simple.jar")  # without a binding ZooKeeper logs nothing at all
VERSION_RE = re.compile(r"Zookeeper version: ([0-9][0-9.]*)")


@dataclasses.dataclass
class ZooKeeper(ProcessBacked):
    host: str
    port: int
    process: ManagedProcess
    version: str

    @property
    def connect(self) -> str:
        return f"{self.host}:{self.port}"


def start_zookeeper(workdir: Path) -> ZooKeeper:
    if not ZK_JAR.exists() or not shutil.which("java"):
        pytest.skip("component missing: zookeeper (install Debian's zookeeper package)")
    port = free_port()
    data = workdir / "data"
    data.mkdir(parents=True)
    cfg = workdir / "zoo.cfg"
    cfg.write_text(f"tickTime=2000\ndataDir={data}\nclientPort={port}\nclientPortAddress=127.0.0.1\n"
                   "admin.enableServer=false\n4lw.commands.whitelist=ruok,srvr,mntr,stat,conf,envi,cons\n"
                   "maxClientCnxns=0\n")
    classpath = [str(ZK_JAR)] + ([str(SLF4J_BINDING)] if SLF4J_BINDING.exists() else [])
    proc = ManagedProcess("zookeeper", ["java", "-Xms16m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                                        "-Dorg.slf4j.simpleLogger.showDateTime=true", "-cp", ":".join(classpath),
                                        "org.apache.zookeeper.server.ZooKeeperServerMain", str(cfg)],
                          workdir / "zookeeper.log")
    version: list[str] = []

    def ready() -> bool:
        # ruok answers imok as soon as the socket is up; srvr reports the version only once it serves requests
        if four_letter_word("127.0.0.1", port, "ruok") != "imok":
            return False
        found = VERSION_RE.search(four_letter_word("127.0.0.1", port, "srvr"))
        if found:
            version.append(found.group(1))
        return found is not None

    proc.start(ready, timeout=60)
    return ZooKeeper("127.0.0.1", port, proc, version[-1])


@pytest.fixture(scope="session")
def zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZooKeeper]:
    zk = start_zookeeper(tmp_path_factory.mktemp("zookeeper"))
    record("zookeeper", zk.version, zk.startup_seconds)
    yield zk
    zk.process.stop()
