"""The routing table is the single source of ApiVersions, and every advertised version can be decoded."""

from __future__ import annotations

import asyncio
import struct
from typing import Any

import pytest
from kio.index import load_request_schema, load_response_schema

from engine.api.routes import ROUTES, api_version_list
from engine.protocol.codec import encode_response

# Produce v0-2 use the pre-2017 message format; they are advertised (librdkafka < 2.11 needs
# min 0) but their requests close the connection, as no current client sends them.
ADVERTISED_NOT_DECODED = {(0, 0), (0, 1), (0, 2), (11, 0), (11, 1)}


def test_api_versions_is_derived_from_the_table() -> None:
    assert api_version_list() == sorted(
        ({"api_key": r.api_key, "min_version": r.min_version, "max_version": r.max_version} for r in ROUTES),
        key=lambda d: d["api_key"])
    assert len({r.api_key for r in ROUTES}) == len(ROUTES)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_every_advertised_version_has_schemas(route: Any) -> None:
    for v in range(route.min_version, route.max_version + 1):
        if (route.api_key, v) in ADVERTISED_NOT_DECODED:
            continue
        assert load_request_schema(route.api_key, v) is not None
        assert load_response_schema(route.api_key, v) is not None


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
