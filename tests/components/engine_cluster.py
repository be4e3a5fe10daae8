"""A cluster of engine brokers in ZooKeeper mode over a ZooKeeper ensemble: real processes on loopback, each
stopped, killed or restarted by PID; the znodes read with kazoo to find leaders, the controller and the ISR
(as Kafka's system tests do in ZooKeeper mode)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kazoo.client import KazooClient

from tests.components.engine_proc import EngineProcess, _require_engine
from tests.components.process import free_port, wait_until
from tests.components.report import record
from tests.components.zk_ensemble import ZkEnsemble

FAST = {  # failures noticed in seconds, not Kafka's 18-30 s defaults
    "zookeeper.session.timeout.ms": "4000", "replica.lag.time.max.ms": "4000",
    "controlled.shutdown.retry.backoff.ms": "500", "group.initial.rebalance.delay.ms": "0",
    "offsets.topic.num.partitions": "6", "offsets.topic.replication.factor": "3", "replica.fetch.backoff.ms": "200",
    "leader.imbalance.check.interval.seconds": "3600", "log.flush.offset.checkpoint.interval.ms": "60000",
}


# The broker configuration of the Kafka tutorial the issue quotes (issue 10), host names and ports made loopback:
# only broker.id, the advertised listener and the log directory differ between the three brokers.
TUTORIAL_PROPERTIES = """broker.id={broker_id}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
log.dirs={log_dirs}
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
zookeeper.connect={zookeeper_connect}
"""


class EngineCluster:
    def __init__(self, workdir: Path, ensemble: ZkEnsemble, size: int = 3,
                 overrides: dict[str, str] | None = None, tutorial: bool = False) -> None:
        """Brokers 1..size with FAST failure detection and the overrides; with `tutorial`, brokers 0..size-1 each
        started from a server.properties written exactly as the tutorial's (TUTORIAL_PROPERTIES), nothing added."""
        self.workdir = workdir
        self.ensemble = ensemble
        self.brokers: dict[int, EngineProcess] = {}
        for broker_id in (range(size) if tutorial else range(1, size + 1)):
            home = workdir / f"broker{broker_id}"
            home.mkdir(parents=True, exist_ok=True)
            if tutorial:
                port = free_port()
                props = home / "server.properties"
                props.write_text(TUTORIAL_PROPERTIES.format(broker_id=broker_id, port=port, log_dirs=home / "data",
                                                            zookeeper_connect=ensemble.connect))
                self.brokers[broker_id] = EngineProcess(home / "data", properties=props, port=port)
                continue
            settings = {"broker.id": str(broker_id), "node.id": str(broker_id),
                        "zookeeper.connect": ensemble.connect, **FAST, **(overrides or {})}
            self.brokers[broker_id] = EngineProcess(home / "data", settings)
        self._zk: KazooClient | None = None

    @property
    def bootstrap(self) -> str:
        return ",".join(b.bootstrap for b in self.brokers.values())

    # -- ZooKeeper views --------------------------------------------------------------------------
    @property
    def zk(self) -> KazooClient:
        if self._zk is None:
            self._zk = KazooClient(hosts=self.ensemble.connect, timeout=10)
            self._zk.start(timeout=30)
        return self._zk

    def znode(self, path: str) -> Any:
        if not self.zk.exists(path):
            return None
        data, _stat = self.zk.get(path)
        return json.loads(data) if data else None

    def registered(self) -> set[int]:
        return {int(c) for c in self.zk.get_children("/brokers/ids")} if self.zk.exists("/brokers/ids") else set()

    def controller(self) -> int:
        doc = self.znode("/controller")
        return int(doc["brokerid"]) if doc else -1

    def state(self, topic: str, partition: int) -> dict[str, Any] | None:
        doc = self.znode(f"/brokers/topics/{topic}/partitions/{partition}/state")
        return doc if isinstance(doc, dict) else None

    def leader(self, topic: str, partition: int) -> int:
        s = self.state(topic, partition)
        return int(s["leader"]) if s else -1

    def isr(self, topic: str, partition: int) -> list[int]:
        s = self.state(topic, partition)
        return list(s["isr"]) if s else []

    # -- processes ------------------------------------------------------------------------------------
    def start(self, timeout: float = 60) -> None:
        for b in self.brokers.values():
            b.launch()
        for b in self.brokers.values():
            b.wait_ready()
            record("engine (ZooKeeper mode)", b.version, b.startup_seconds)
        wait_until(lambda: self.registered() == set(self.brokers) and self.controller() in self.brokers, timeout,
                   "every broker to register and a controller")

    def start_broker(self, broker_id: int, timeout: float = 60) -> None:
        b = self.brokers[broker_id]
        b.start()
        wait_until(lambda: broker_id in self.registered(), timeout, f"broker {broker_id} to register")

    def kill(self, broker_id: int) -> None:
        b = self.brokers[broker_id]
        assert b.proc is not None
        os.killpg(b.proc.pid, signal.SIGKILL)
        b.proc.wait(10)

    def stop(self, broker_id: int, timeout: float = 60) -> int:
        return self.brokers[broker_id].stop(timeout)

    def wait_deregistered(self, broker_id: int, timeout: float = 30) -> None:
        wait_until(lambda: broker_id not in self.registered(), timeout, f"/brokers/ids/{broker_id} to vanish")

    def signal(self, broker_id: int, sig: int) -> None:
        b = self.brokers[broker_id]
        assert b.proc is not None
        os.kill(b.proc.pid, sig)

    def close(self) -> None:
        """Stop every broker (the last one standing by SIGKILL: it has no one to hand its leaders to, so its
        controlled shutdown would only retry, as Kafka's does); every broker is stopped even when one fails to."""
        for b in self.brokers.values():
            if b.proc is not None and b.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):  # a stopped (SIGSTOP) broker cannot act on SIGTERM
                    os.kill(b.proc.pid, signal.SIGCONT)
        running = [b for b in self.brokers.values() if b.proc is not None and b.proc.poll() is None]
        problems: list[BaseException] = []
        for b in running[:-1]:
            try:
                b.close()
            except Exception as exc:  # reported once every broker is down
                problems.append(exc)
        for b in self.brokers.values():
            b.kill()
        if self._zk is not None:
            self._zk.stop()
            self._zk.close()
        if problems:
            raise problems[0]

    def logs(self) -> Iterator[tuple[int, str]]:
        for broker_id, b in self.brokers.items():
            yield broker_id, b.tail(60)


@pytest.fixture
def zk_ensemble(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZkEnsemble]:
    """Three ZooKeeper nodes (myid 1-3, server.N lines), each on free loopback ports, stopped by PID."""
    ensemble = ZkEnsemble(tmp_path_factory.mktemp("zk-ensemble"))
    try:
        ensemble.start()
        record("zookeeper ensemble", ensemble.version, ensemble.startup_seconds)
        yield ensemble
    finally:
        ensemble.stop()


@pytest.fixture
def engine_cluster_factory(zk_ensemble: ZkEnsemble,
                           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., EngineCluster]]:
    """make(**overrides) -> a started 3-broker engine cluster over the test's ZooKeeper ensemble;
    make(tutorial=True) starts the brokers from the tutorial's server.properties as written."""
    _require_engine()
    made: list[EngineCluster] = []

    def make(tutorial: bool = False, size: int = 3, **overrides: str) -> EngineCluster:
        cluster = EngineCluster(tmp_path_factory.mktemp("engine-cluster"), zk_ensemble, size,
                                {k.replace("_", "."): v for k, v in overrides.items()}, tutorial=tutorial)
        made.append(cluster)
        cluster.start()
        return cluster

    yield make
    for cluster in made:
        cluster.close()
        for broker_id, tail in cluster.logs():  # shown by pytest when the test failed
            print(f"--- broker {broker_id} ---\n{tail}")
