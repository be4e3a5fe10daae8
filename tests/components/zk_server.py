"""ZooKeeper from Debian's package, standalone on a free loopback port; ready when ruok answers imok."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.components.process import ManagedProcess, ProcessBacked, four_letter_word, free_port

ZK_JAR = Path("/usr/share/java/zookeeper.jar")


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
    proc = ManagedProcess("zookeeper", ["java", "-Xmx128m", "-XX:+UseSerialGC", "-cp", str(ZK_JAR),
                                        "org.apache.zookeeper.server.ZooKeeperServerMain", str(cfg)],
                          workdir / "zookeeper.log")
    proc.start(lambda: four_letter_word("127.0.0.1", port, "ruok") == "imok", timeout=60)
    try:
        srvr = four_letter_word("127.0.0.1", port, "srvr")
    except OSError:
        srvr = ""
    found = re.search(r"version: ([0-9.]+)", srvr)
    return ZooKeeper("127.0.0.1", port, proc, found.group(1) if found else "unknown")


@pytest.fixture(scope="session")
def zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZooKeeper]:
    zk = start_zookeeper(tmp_path_factory.mktemp("zookeeper"))
    yield zk
    zk.process.stop()
