"""A ZooKeeper ensemble from Debian's package: N QuorumPeerMain processes on loopback, each with its myid file and
the same server.N lines (as the Kafka tutorial's); ready when every node reports its Mode (leader or follower)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from tests.components.process import ManagedProcess, four_letter_word, free_port, wait_until
from tests.components.zk_server import SLF4J_BINDING, VERSION_RE, ZK_JAR

JVM = ["-Xms16m", "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData"]


@dataclasses.dataclass
class ZkNodeProcess:
    myid: int
    client_port: int
    quorum_port: int
    election_port: int
    workdir: Path
    process: ManagedProcess | None = None

    @property
    def connect(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.proc is not None and self.process.proc.poll() is None

    def mode(self) -> str | None:
        try:
            answer = four_letter_word("127.0.0.1", self.client_port, "srvr", 1.0)
        except OSError:
            return None
        for line in answer.splitlines():
            if line.startswith("Mode:"):
                return line.split(":", 1)[1].strip()
        return None


class ZkEnsemble:
    def __init__(self, workdir: Path, size: int = 3, tick_time: int = 2000) -> None:
        if not ZK_JAR.exists() or not shutil.which("java"):
            pytest.skip("component missing: zookeeper (install Debian's zookeeper package)")
        self.workdir = workdir
        self.tick_time = tick_time
        self.nodes = [ZkNodeProcess(i, free_port(), free_port(), free_port(), workdir / f"zk{i}")
                      for i in range(1, size + 1)]
        self.version = ""
        self.startup_seconds = 0.0

    @property
    def connect(self) -> str:
        return ",".join(n.connect for n in self.nodes)

    def _config(self, node: ZkNodeProcess) -> Path:
        data = node.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        (data / "myid").write_text(f"{node.myid}\n")
        servers = "".join(f"server.{n.myid}=127.0.0.1:{n.quorum_port}:{n.election_port}\n" for n in self.nodes)
        cfg = node.workdir / "zoo.cfg"
        cfg.write_text(f"tickTime={self.tick_time}\ninitLimit=10\nsyncLimit=5\ndataDir={data}\n"
                       f"clientPort={node.client_port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
                       "4lw.commands.whitelist=ruok,srvr,mntr,stat,conf\nmaxClientCnxns=0\n" + servers)
        return cfg

    def start_node(self, node: ZkNodeProcess) -> None:
        cfg = self._config(node)
        classpath = [str(ZK_JAR)] + ([str(SLF4J_BINDING)] if SLF4J_BINDING.exists() else [])
        node.process = ManagedProcess(f"zookeeper-{node.myid}", [
            "java", *JVM, "-Dorg.slf4j.simpleLogger.showDateTime=true", "-cp", ":".join(classpath),
            "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(cfg)], node.workdir / "zookeeper.log")
        node.process.start(lambda: True, timeout=30)

    def start(self, timeout: float = 90) -> None:
        started = time.monotonic()
        for node in self.nodes:
            self.start_node(node)
        self.wait_serving(timeout)
        self.startup_seconds = time.monotonic() - started
        found = VERSION_RE.search(four_letter_word("127.0.0.1", self.nodes[0].client_port, "srvr"))
        self.version = found.group(1) if found else "?"

    def wait_serving(self, timeout: float = 90, nodes: list[ZkNodeProcess] | None = None) -> None:
        wanted = nodes if nodes is not None else [n for n in self.nodes if n.running]
        wait_until(lambda: all(n.mode() in ("leader", "follower", "standalone") for n in wanted), timeout,
                   "every ZooKeeper node to serve")

    def kill_node(self, node: ZkNodeProcess) -> None:
        assert node.process is not None and node.process.proc is not None
        os.killpg(node.process.proc.pid, signal.SIGKILL)
        node.process.proc.wait(10)

    def stop(self) -> None:
        for node in self.nodes:
            if node.process is not None:
                node.process.stop()
