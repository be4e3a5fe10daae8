"""The routing table is the single source of ApiVersions, and every advertised version can be decoded."""

from __future__ import annotations

import asyncio
import struct
from typing import Any

import pytest

from engine.api.routes import ROUTES, api_version_list
from engine.protocol.codec import encode_response, request_class, response_class

# ApiVersions of Apache Kafka 3.9.1 (ZooKeeper mode), read from a running broker: every API the engine
# implements must take the same versions.
KAFKA_3_9 = {0: (0, 11), 1: (0, 17), 2: (0, 9), 3: (0, 12), 8: (0, 9), 9: (0, 9), 10: (0, 6), 11: (0, 9),
             12: (0, 4), 13: (0, 5), 14: (0, 5), 15: (0, 5), 16: (0, 5), 17: (0, 1), 18: (0, 4), 19: (0, 7),
             20: (0, 6), 21: (0, 2), 22: (0, 5), 23: (0, 4), 24: (0, 5), 25: (0, 4), 26: (0, 4), 28: (0, 4),
             32: (0, 4), 33: (0, 2), 35: (0, 4), 36: (0, 2), 37: (0, 3), 42: (0, 2), 44: (0, 1), 47: (0, 0),
             60: (0, 1), 61: (0, 0), 65: (0, 0), 66: (0, 1)}


def test_api_versions_is_derived_from_the_table() -> None:
    assert api_version_list() == sorted(
        ({"api_key": r.api_key, "min_version": r.min_version, "max_version": r.max_version} for r in ROUTES),
        key=lambda d: d["api_key"])
    assert len({r.api_key for r in ROUTES}) == len(ROUTES)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_every_advertised_version_has_schemas(route: Any) -> None:
    for v in range(route.min_version, route.max_version + 1):
        assert request_class(route.api_key, v).__version__ == v  # type: ignore[attr-defined]
        assert response_class(route.api_key, v).__version__ == v  # type: ignore[attr-defined]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_every_version_kafka_3_9_accepts(route: Any) -> None:
    assert (route.min_version, route.max_version) == KAFKA_3_9[route.api_key]


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
