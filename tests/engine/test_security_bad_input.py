"""Bad input on secured listeners: each wrong move is refused as Apache Kafka 3.9 refuses it, the broker keeps
serving everyone else, and a thousand failed attempts leave its memory where it was."""

from __future__ import annotations

import asyncio
import gc
import itertools
import warnings
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from tests.components.pki import Pki
from tests.components.secured import SecuredCluster, create_scram_users, start_secured_engine
from tests.engine.security_wire import ATTEMPTS
from tests.engine.test_bad_input import rss_kib

pytestmark = pytest.mark.slow

EXPECTED = {
    "wrong SCRAM password (SASL_SSL)": "SASL_AUTHENTICATION_FAILED: Authentication failed during authentication due "
                                       "to invalid credentials with SASL mechanism SCRAM-SHA-256+closed",
    "wrong PLAIN password (SASL_PLAINTEXT)": "SASL_AUTHENTICATION_FAILED: Authentication failed: Invalid username or "
                                             "password+closed",
    "unknown mechanism": "UNSUPPORTED_SASL_MECHANISM ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']+closed",
    "SASL frame before the handshake": "closed",
    "Metadata before authenticating": "closed",
    "plaintext client on the TLS port": "tls alert",
    "TLS client without a certificate where one is required": "tls:certificate refused",
    "TLS client with an untrusted certificate": "tls:certificate refused",
    "garbage during the TLS handshake": "tls alert",
}


def outcomes(cluster: SecuredCluster) -> dict[str, str]:
    async def run() -> dict[str, str]:
        return {name: await attempt(cluster) for name, attempt in ATTEMPTS.items()}
    return asyncio.run(run())


def test_bad_input_is_refused_as_kafka_refuses_it(secured_engine: SecuredCluster,
                                                  secured_kafka: SecuredCluster) -> None:
    theirs = outcomes(secured_kafka)
    ours = outcomes(secured_engine)
    assert theirs == EXPECTED, "Apache Kafka answered differently from what this test expects"
    for name in EXPECTED:
        assert ours[name] == theirs[name], f"{name}: engine {ours[name]!r}, Kafka {theirs[name]!r}"


def test_a_thousand_failed_attempts_cost_no_memory_and_nobody_else(tmp_path: Path, pki: Pki) -> None:
    cluster = start_secured_engine(tmp_path / "engine", pki)
    try:
        create_scram_users(cluster)
        assert cluster.engine is not None
        admin = AdminClient(cluster.confluent("SSL", cert="admin"))
        admin.create_topics([NewTopic("survivor", 1, 1)])["survivor"].result(30)
        producer = Producer(cluster.confluent("SASL_SSL", "admin", "SCRAM-SHA-512", acks="all"))
        delivered: list[Any] = []
        kinds = itertools.cycle(ATTEMPTS.values())

        async def attempts(n: int) -> None:
            sem = asyncio.Semaphore(32)

            async def one(attempt: Any) -> None:
                async with sem:
                    await attempt(cluster)
            await asyncio.gather(*(one(next(kinds)) for _ in range(n)))

        asyncio.run(attempts(90))  # warm-up: TLS sessions, code paths, allocator pools
        before = rss_kib(cluster.engine.pid)
        for _round in range(10):
            with warnings.catch_warnings(record=True) as leaks:  # and the test's own sockets are all closed
                warnings.simplefilter("always", ResourceWarning)
                asyncio.run(attempts(100))
                gc.collect()
            assert not [w for w in leaks if issubclass(w.category, ResourceWarning)], [str(w.message) for w in leaks]
            # a well-behaved client is served between the rounds
            producer.produce("survivor", b"still here", on_delivery=lambda err, _m: delivered.append(err))
            assert producer.flush(30) == 0
        after = rss_kib(cluster.engine.pid)
        del producer  # before the broker goes, so it does not retry into a closed port
        print(f"RSS over 1,000 failed attempts: {before} KiB -> {after} KiB")
        assert delivered == [None] * 10
        assert after - before < 8 * 1024, f"RSS grew from {before} KiB to {after} KiB over 1,000 failed attempts"
        assert cluster.engine.proc is not None and cluster.engine.proc.poll() is None
    finally:
        cluster.close()
