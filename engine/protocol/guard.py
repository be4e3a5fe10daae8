"""A bounds check of a request frame before kio decodes it.

kio's native decoder reserves memory for an array or string from its length prefix
before reading the elements, so a frame that claims two billion elements aborts the
whole process. This walk follows the same schema, reads only the length prefixes,
and refuses a frame in which any length or count cannot fit in the bytes that are
left: then kio never sees it, and only that connection is closed.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

from kio.serial._introspect import (
    EntityField,
    EntityTupleField,
    PrimitiveTupleField,
    classify_field,
    get_field_tag,
    get_schema_field_type,
)

FIXED = {"bool": 1, "int8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4, "int64": 8, "uint64": 8,
         "float64": 8, "uuid": 16, "error_code": 2, "timedelta_i32": 4, "timedelta_i64": 8, "datetime_i64": 8}
LENGTH_PREFIXED = {"string": 2, "bytes": 4, "records": 4}  # non-flexible prefix sizes


class MalformedRequest(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class _Step:
    kind: str  # "fixed", "prefixed", "array", "entity", "entities"
    kafka_type: str
    child: Any = None


@cache
def _plan(cls: type) -> tuple[tuple[_Step, ...], bool]:
    steps = []
    for f in dataclasses.fields(cls):
        if get_field_tag(f) is not None:
            continue  # tagged fields live in the tagged-field section, which is skipped by size
        c = classify_field(f)
        if isinstance(c, EntityTupleField):
            steps.append(_Step("entities", "", c.type_))
        elif isinstance(c, EntityField):
            steps.append(_Step("entity", "", c.type_))
        else:
            kt = get_schema_field_type(f)
            if isinstance(c, PrimitiveTupleField):
                steps.append(_Step("array", kt))
            elif kt in FIXED:
                steps.append(_Step("fixed", kt))
            else:
                steps.append(_Step("prefixed", kt))
    return tuple(steps), bool(getattr(cls, "__flexible__", False))


class _Cursor:
    __slots__ = ("buf", "end", "pos")

    def __init__(self, buf: bytes, pos: int) -> None:
        self.buf = buf
        self.pos = pos
        self.end = len(buf)

    def need(self, n: int) -> None:
        if n < 0 or self.pos + n > self.end:
            raise MalformedRequest(f"a field of {n} bytes at {self.pos} runs past the {self.end}-byte frame")
        self.pos += n

    def uvarint(self) -> int:
        shift = result = 0
        for _ in range(10):
            if self.pos >= self.end:
                raise MalformedRequest("a varint runs past the frame")
            b = self.buf[self.pos]
            self.pos += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
        raise MalformedRequest("a varint is longer than 10 bytes")

    def int_prefix(self, size: int) -> int:
        start = self.pos
        self.need(size)
        return int.from_bytes(self.buf[start : start + size], "big", signed=True)

    def left(self) -> int:
        return self.end - self.pos


def _length(cur: _Cursor, flexible: bool, prefix_size: int) -> int:
    """A length or count: -1 for null."""
    if flexible:
        return cur.uvarint() - 1
    return cur.int_prefix(prefix_size)


def _walk(cur: _Cursor, cls: type, header: bool = False) -> None:
    steps, flexible = _plan(cls)
    for step in steps:
        if step.kind == "fixed":
            cur.need(FIXED[step.kafka_type])
        elif step.kind == "prefixed":
            # The request header's client_id keeps its int16 length even in flexible versions.
            n = _length(cur, flexible and not header, LENGTH_PREFIXED.get(step.kafka_type, 4))
            if n > 0:
                cur.need(n)
        elif step.kind == "entity":
            _walk(cur, step.child)
        else:
            count = _length(cur, flexible, 4)
            if count <= 0:
                continue
            if count > cur.left():
                raise MalformedRequest(f"an array claims {count} elements with {cur.left()} bytes left")
            if step.kind == "array":
                size = FIXED.get(step.kafka_type)
                if size is not None:
                    cur.need(count * size)
                else:
                    for _ in range(count):
                        n = _length(cur, flexible, LENGTH_PREFIXED.get(step.kafka_type, 2))
                        if n > 0:
                            cur.need(n)
            else:
                for _ in range(count):
                    _walk(cur, step.child)
    if flexible:
        tags = cur.uvarint()
        if tags > cur.left():
            raise MalformedRequest(f"{tags} tagged fields claimed with {cur.left()} bytes left")
        for _ in range(tags):
            cur.uvarint()
            cur.need(cur.uvarint())


def check_request(frame: bytes, header_cls: type, body_cls: type) -> None:
    """Raise MalformedRequest unless every length in the frame fits inside it."""
    cur = _Cursor(frame, 0)
    _walk(cur, header_cls, header=True)
    _walk(cur, body_cls)

