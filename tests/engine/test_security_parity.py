"""Every client on every listener and mechanism gets the same results from the secured engine as from secured
Apache Kafka 3.9: the same operations succeed, the same ones fail with the same errors (scenarios in
tests/engine/security_clients.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.components.secured import SecuredCluster
from tests.engine import security_clients as sc

pytestmark = pytest.mark.slow


def compare(client: str, ours: dict[Any, Any], theirs: dict[Any, Any]) -> None:
    diffs = [f"{combo}: engine {ours[combo]!r}\n{' ' * len(str(combo))}  Kafka  {theirs[combo]!r}"
             for combo in theirs if ours[combo] != theirs[combo]]
    assert not diffs, (f"{client} differs on {len(diffs)} of {len(theirs)} listener/mechanism pairs:\n"
                       + "\n".join(diffs))


@pytest.mark.parametrize("client", sorted(sc.SCENARIOS))
def test_python_clients_get_what_apache_kafka_gives(client: str, secured_engine: SecuredCluster,
                                                   secured_kafka: SecuredCluster) -> None:
    scenario = sc.SCENARIOS[client]
    sc.prepare(secured_engine)
    sc.prepare(secured_kafka)
    theirs = {combo: scenario(secured_kafka, combo) for combo in sc.COMBOS}
    ours = {combo: scenario(secured_engine, combo) for combo in sc.COMBOS}
    for combo, outcome in theirs.items():  # the scenario means something: alice works, the anonymous does not
        expected = "TOPIC_AUTHORIZATION_FAILED" if combo[0] == "PLAINTEXT" else "ok"
        assert outcome["produce"] == expected, (combo, outcome)
        assert outcome["produce secret"] == "TOPIC_AUTHORIZATION_FAILED", (combo, outcome)
    compare(client, ours, theirs)


def test_java_client_and_cli_tools_get_what_apache_kafka_gives(kafka_cli: Any, secured_engine: SecuredCluster,
                                                              secured_kafka: SecuredCluster) -> None:
    sc.prepare(secured_engine)
    sc.prepare(secured_kafka)
    theirs = sc.java(secured_kafka, kafka_cli)
    ours = sc.java(secured_engine, kafka_cli)
    for combo in sc.COMBOS[:-1]:
        assert dict(theirs[combo])["kafka-producer-perf-test"] == ("produced", True), theirs[combo]
    compare("the Java client", ours, theirs)
