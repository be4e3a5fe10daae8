"""Request decoding and response encoding on top of kio's generated schemas.

Handlers work with one plain shape for every version of an API: requests are
kio entities (read fields with `field(req, name, default)` when a field is newer
than some versions), responses are dicts keyed by kio field names. `build`
turns such a dict into the kio entity of the exact response version, dropping
keys that version lacks and filling the defaults it declares, so one handler
serves every version it advertises.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import struct
import typing
import uuid
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from kio.index import load_request_schema, load_response_schema
from kio.schema.errors import ErrorCode
from kio.serial import entity_reader, entity_writer
from kio.static.primitive import TZAware, i32Timedelta, i64Timedelta

from engine.cluster import schemas as interbroker_schemas
from engine.protocol import legacy_schemas
from engine.protocol.guard import check_request

_HEADER = struct.Struct(">hhi")


class UnsupportedRequest(Exception):
    """A request whose API key or version has no schema here."""


@dataclasses.dataclass(frozen=True, slots=True)
class RequestHeader:
    api_key: int
    api_version: int
    correlation_id: int
    client_id: str | None


def peek_header(frame: bytes) -> tuple[int, int, int]:
    """api_key, api_version, correlation_id, readable from any request frame of 8+ bytes."""
    if len(frame) < 8:
        raise UnsupportedRequest(f"request of {len(frame)} bytes is shorter than a header")
    key, version, cid = _HEADER.unpack_from(frame, 0)
    return key, version, cid


@cache
def request_class(api_key: int, version: int) -> type:
    """kio's request schema, or the one derived for a version only Kafka 3.9 still has."""
    legacy = legacy_schemas.request_schema(api_key, version) or interbroker_schemas.request_schema(api_key, version)
    if legacy is not None:
        return legacy
    try:
        return load_request_schema(api_key, version)  # type: ignore[no-any-return]
    except Exception as exc:  # kio raises its own index errors for unknown keys/versions
        raise UnsupportedRequest(f"no schema for api key {api_key} version {version}") from exc


@cache
def _request_reader(api_key: int, version: int) -> tuple[Callable[..., Any], Callable[..., Any]]:
    schema = request_class(api_key, version)
    return entity_reader(schema.__header_schema__), entity_reader(schema)  # type: ignore[attr-defined]


@cache
def _schemas(api_key: int, version: int) -> tuple[type, type]:
    schema = request_class(api_key, version)
    return schema.__header_schema__, schema  # type: ignore[attr-defined]


def decode_request(frame: bytes) -> tuple[RequestHeader, Any]:
    key, version, cid = peek_header(frame)
    header_reader, body_reader = _request_reader(key, version)
    check_request(frame, *_schemas(key, version))  # before kio: it trusts length prefixes
    header, used = header_reader(frame, 0)
    body, _ = body_reader(frame, used)
    return RequestHeader(key, version, cid, getattr(header, "client_id", None)), body


def field(entity: Any, name: str, default: Any = None) -> Any:
    return getattr(entity, name, default)


def ms(value: Any) -> int:
    """Milliseconds from a kio timedelta field (or a plain int)."""
    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds() * 1000)
    return int(value)


# -- building response entities ---------------------------------------------------------

_Conv = Callable[[Any], Any]


def _identity(v: Any) -> Any:
    return v


def _timedelta(v: Any) -> Any:
    return v if isinstance(v, datetime.timedelta) else datetime.timedelta(milliseconds=v)


def _uuid(v: Any) -> Any:
    if v is None or isinstance(v, uuid.UUID):
        return v
    return uuid.UUID(bytes=v) if isinstance(v, bytes) else uuid.UUID(str(v))


def _datetime(v: Any) -> Any:
    if v is None or isinstance(v, datetime.datetime):
        return v
    if v < 0:
        return None  # Kafka's -1 "no timestamp" is kio's None
    return datetime.datetime.fromtimestamp(v / 1000, tz=datetime.UTC)


def _error(v: Any) -> Any:
    return v if isinstance(v, ErrorCode) else ErrorCode(int(v))


def _converter(hint: Any) -> tuple[str, Any]:
    """('entity', cls) | ('entities', cls) | ('value', conv)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        non_none = [a for a in args if a is not type(None)]
        if len(non_none) == 1:
            kind, inner = _converter(non_none[0])
            if kind == "entity":
                return "optional_entity", inner
            return kind, inner
    if origin is tuple and args and dataclasses.is_dataclass(args[0]):
        return "entities", args[0]
    if dataclasses.is_dataclass(hint):
        return "entity", hint
    if isinstance(hint, type):
        if issubclass(hint, ErrorCode):
            return "value", _error
        if issubclass(hint, i32Timedelta | i64Timedelta):
            return "value", _timedelta
        if issubclass(hint, uuid.UUID):
            return "value", _uuid
        if issubclass(hint, datetime.datetime) or hint is TZAware:
            return "value", _datetime
    return "value", _identity


def _nullable(hint: Any) -> bool:
    return type(None) in typing.get_args(hint)


@cache
def _plan(cls: type) -> list[tuple[str, str, Any, bool, bool]]:
    hints = typing.get_type_hints(cls)
    plan = []
    for f in dataclasses.fields(cls):
        kind, arg = _converter(hints[f.name])
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        plan.append((f.name, kind, arg, has_default, _nullable(hints[f.name])))
    return plan


def build(cls: type, data: Mapping[str, Any]) -> Any:
    kwargs: dict[str, Any] = {}
    for name, kind, arg, has_default, nullable in _plan(cls):
        if name not in data or (data[name] is None and not nullable and kind == "value"):
            if has_default and name not in data:
                continue
            value: Any = None
            if kind == "entities":
                value = ()
            elif kind == "entity":
                value = build(arg, {})
            elif kind == "value":
                value = _default_for(cls, name)
            kwargs[name] = value
            continue
        value = data[name]
        if kind == "entities" and value is None:
            kwargs[name] = None
        elif kind == "entities":
            kwargs[name] = tuple(v if dataclasses.is_dataclass(v) else build(arg, v) for v in value)
        elif kind in ("entity", "optional_entity"):
            kwargs[name] = None if value is None else build(arg, value)
        else:
            kwargs[name] = arg(value)
    return cls(**kwargs)


def _default_for(cls: type, name: str) -> Any:
    hints = typing.get_type_hints(cls)
    hint = hints[name]
    _kind, conv = _converter(hint)
    origin = typing.get_origin(hint)
    if origin is typing.Union or (isinstance(hint, type) is False and type(None) in typing.get_args(hint)):
        return None
    if conv is _error:
        return ErrorCode.none
    if conv is _timedelta:
        return datetime.timedelta(0)
    if hint is bool:
        return False
    if hint is str or (isinstance(hint, type) and issubclass(hint, str)):
        return ""
    if isinstance(hint, type) and issubclass(hint, bytes):
        return b""
    if conv is _uuid:
        return uuid.UUID(int=0)
    return 0


@cache
def response_class(api_key: int, version: int) -> type:
    legacy = legacy_schemas.response_schema(api_key, version) or interbroker_schemas.response_schema(api_key, version)
    if legacy is not None:
        return legacy
    return load_response_schema(api_key, version)  # type: ignore[no-any-return]


@cache
def _writer(cls: type) -> Callable[..., None]:
    return entity_writer(cls)


@cache
def _flexible_header(cls: type) -> bool:
    return cls.__header_schema__.__name__ == "ResponseHeader" and cls.__header_schema__.__version__ >= 1  # type: ignore[attr-defined, no-any-return]


def encode_response(api_key: int, version: int, correlation_id: int, body: Mapping[str, Any] | Any) -> bytes:
    """The response frame payload (without the int32 size prefix)."""
    cls = response_class(api_key, version)
    entity = body if isinstance(body, cls) else build(cls, body)
    buf = io.BytesIO()
    buf.write(struct.pack(">i", correlation_id))
    if _flexible_header(cls):
        buf.write(b"\x00")
    _writer(cls)(buf, entity)
    return buf.getvalue()
