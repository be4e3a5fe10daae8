"""The real components tests run against, as pytest fixtures (loaded by tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.components.engine_cluster import engine_cluster_factory, zk_ensemble
from tests.components.engine_proc import engine, engine_factory, shared_engine
from tests.components.kafka_server import kafka_kraft, kafka_zk
from tests.components.kafka_tools import kafka39_cli, kafka_cli
from tests.components.registry_server import registry, registry_factory
from tests.components.report import pytest_terminal_summary
from tests.components.secured import pki, secured_cluster, secured_engine, secured_kafka
from tests.components.tansu_server import tansu
from tests.components.zk_server import zookeeper

__all__ = ["any_cluster", "engine", "engine_cluster_factory", "engine_factory", "kafka39_cli", "kafka_cli",
           "kafka_kraft", "kafka_zk", "pki", "pytest_terminal_summary", "registry", "registry_factory",
           "secured_cluster", "secured_engine", "secured_kafka", "shared_engine", "tansu", "zk_ensemble", "zookeeper"]

CLUSTERS = ("engine", "kafka_zk", "kafka_kraft", "tansu")


@pytest.fixture(params=CLUSTERS)
def any_cluster(request: pytest.FixtureRequest) -> Any:
    """The same test against the bundled engine, Kafka 3.9 (ZooKeeper), Kafka 4.1 (KRaft) and Tansu."""
    return request.getfixturevalue(str(request.param))
