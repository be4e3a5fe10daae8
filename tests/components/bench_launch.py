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


def start_secured_engine() -> Any:
    """The engine with the secured fixture's listeners, users and ACL authorizer (tests/components/secured.py)."""
    from tests.components.pki import make_pki
    from tests.components.secured import create_scram_users
    from tests.components.secured import start_secured_engine as _secured

    work = _workdir("engine-secured")
    cluster = _secured(work / "engine", make_pki(work / "pki"))
    create_scram_users(cluster)
    return cluster


def start_secured_kafka() -> Any:
    """Apache Kafka 3.9 secured as the fixture's, with the benchmark's JVM settings."""
    from tests.components.pki import make_pki
    from tests.components.secured import create_scram_users
    from tests.components.secured import start_secured_kafka as _secured
    from tests.components.zk_server import start_zookeeper

    work = _workdir("kafka-secured")
    zk = start_zookeeper(work / "zk")
    cluster = _secured(work / "kafka", make_pki(work / "pki"), zk, jvm=BENCH_JVM)
    create_scram_users(cluster)
    return cluster
