"""The routing table is the single source of ApiVersions, every advertised version can be decoded, and the
ranges are Kafka 3.9's."""

from __future__ import annotations

import asyncio
import struct
from typing import Any

import pytest

from engine.api.context import CloseConnection
from engine.api.routes import ROUTES
from engine.protocol.codec import encode_response, request_class, response_class
from engine.server import KafkaServer

# ApiVersions of Apache Kafka 3.9.1 (ZooKeeper mode), read from a running broker: every API the engine
# implements must take the same versions.
KAFKA_3_9 = {0: (0, 11), 1: (0, 17), 2: (0, 9), 3: (0, 12), 8: (0, 9), 9: (0, 9), 10: (0, 6), 11: (0, 9),
             12: (0, 4), 13: (0, 5), 14: (0, 5), 15: (0, 5), 16: (0, 5), 17: (0, 1), 18: (0, 4), 19: (0, 7),
             20: (0, 6), 21: (0, 2), 22: (0, 5), 23: (0, 4), 24: (0, 5), 25: (0, 4), 26: (0, 4), 28: (0, 4),
             29: (0, 3), 30: (0, 3), 31: (0, 3), 32: (0, 4), 33: (0, 2), 35: (0, 4), 36: (0, 2), 37: (0, 3),
             42: (0, 2), 44: (0, 1), 47: (0, 0), 48: (0, 1), 50: (0, 0), 51: (0, 0), 60: (0, 1), 61: (0, 0), 65: (0, 0),
             66: (0, 1)}


def advertised() -> dict[int, tuple[int, int]]:
    """What ApiVersions v0 answers (the bytes the server would send), parsed by hand: api key -> (min, max)."""
    frame = struct.pack(">hhih", 18, 0, 1, 4) + b"test"
    chunks = asyncio.run(KafkaServer(None).dispatch(frame, "test"))  # type: ignore[arg-type]
    payload = b"".join(chunks or [])
    cid, error, count = struct.unpack_from(">ihi", payload, 0)
    assert (cid, error) == (1, 0)
    keys = [struct.unpack_from(">hhh", payload, 10 + 6 * i) for i in range(count)]
    return {k: (lo, hi) for k, lo, hi in keys}


def test_api_versions_answer_is_what_the_dispatcher_accepts() -> None:
    """Every API key and version outside the ApiVersions answer is refused before any handler runs, and every
    key in it is routed: checked against the dispatcher's behaviour, not against the table the answer is built from."""
    answer = advertised()
    assert answer, "ApiVersions advertised nothing"
    server = KafkaServer(None)  # type: ignore[arg-type]

    def refusal(api_key: int, version: int) -> str:
        frame = struct.pack(">hhih", api_key, version, 7, 4) + b"test"
        with pytest.raises(CloseConnection) as caught:
            asyncio.run(server.dispatch(frame, "test"))
        return str(caught.value)

    for api_key in range(100):
        if api_key not in answer:
            assert refusal(api_key, 0) == f"unknown api key {api_key}"
            continue
        low, high = answer[api_key]
        if api_key == 18:
            continue  # ApiVersions answers an unsupported version with error 35 (test_bad_input.py)
        assert refusal(api_key, high + 1).startswith(f"unsupported version {high + 1} of ")
        if low > 0:
            assert refusal(api_key, low - 1).startswith(f"unsupported version {low - 1} of ")
        # inside the range the header passes and the (empty) body is what fails: the version was accepted
        assert not refusal(api_key, high).startswith("unsupported version")


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_every_advertised_version_has_schemas(route: Any) -> None:
    for v in range(route.min_version, route.max_version + 1):
        assert request_class(route.api_key, v).__version__ == v  # type: ignore[attr-defined]
        assert response_class(route.api_key, v).__version__ == v  # type: ignore[attr-defined]


# The requests between brokers of a ZooKeeper-mode cluster (Kafka 3.9's ranges): the engine takes the version
# inter.broker.protocol.version 3.9-IV0 sends (AlterPartition: the two kio still has, both with topic ids).
KAFKA_3_9_INTER_BROKER = {4: (0, 7), 5: (0, 4), 6: (0, 8), 7: (0, 3), 56: (0, 3), 67: (0, 0)}
IBP_3_9_VERSIONS = {4: (7, 7), 5: (4, 4), 6: (8, 8), 7: (3, 3), 56: (2, 3), 67: (0, 0)}


def test_every_version_kafka_3_9_accepts() -> None:
    """The ApiVersions answer, for every client API the engine implements, is Kafka 3.9's range; the
    inter-broker APIs take the versions IBP 3.9-IV0 sends, inside Kafka 3.9's range."""
    answer = advertised()
    client = {k: v for k, v in answer.items() if k not in KAFKA_3_9_INTER_BROKER}
    assert client == {k: KAFKA_3_9[k] for k in client}
    inter = {k: v for k, v in answer.items() if k in KAFKA_3_9_INTER_BROKER}
    assert inter == IBP_3_9_VERSIONS
    for k, (low, high) in inter.items():
        assert KAFKA_3_9_INTER_BROKER[k][0] <= low <= high <= KAFKA_3_9_INTER_BROKER[k][1]


def test_produce_and_join_group_advertised_from_zero() -> None:
    by_key = {r.api_key: r for r in ROUTES}
    assert by_key[0].min_version == 0
    if 11 in by_key:
        assert by_key[11].min_version == 0


def test_api_versions_response_header_is_v0_even_for_v3() -> None:
    body = {"error_code": 0, "api_keys": [{"api_key": 18, "min_version": 0, "max_version": 4}], "throttle_time": 0}
    payload = encode_response(18, 3, 5, body)
    (cid,) = struct.unpack_from(">i", payload, 0)
    assert cid == 5
    assert payload[4:6] == b"\x00\x00", "error code follows the correlation id directly: no tagged fields"


def test_handlers_are_coroutines() -> None:
    for r in ROUTES:
        assert asyncio.iscoroutinefunction(r.handler), r.name
