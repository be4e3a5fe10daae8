"""The Schema Registry wire format: recognising it and decoding it with its schema (cached per id); the other
direction, JSON typed by a person for a chosen subject and version, is schema_encode.py.

Wire format (Confluent's): magic byte 0 | schema id, 4 bytes big-endian | for Protobuf,
the message indexes (zig-zag varints: a count, then the path of indexes into the file's
nested message types; a lone 0 means the first message) | the payload. confluent-kafka
reads and writes all of it: its SchemaId reads the framing, its deserialisers' parsers
(fastavro, the protobuf runtime, jsonschema) read the payloads with the schemas its
client fetches (references resolved), and its serialisers write.

Theory of operation: `SchemaDecoder.decode(data)` gives a `Decoded`: the value as
JSON-able Python plus the schema id and type, or the reason it could not be decoded
(not the wire format, an unknown schema id, the registry unreachable, a schema that
does not parse, bytes that do not match). Each schema id is prepared once (fetched,
parsed, its reader made) and kept; a failure to fetch is kept for RETRY_S so a scan
with the registry down asks again only now and then, not once per message. Nothing is
ever lost: a caller that gets a failure shows (or matches) the raw bytes.
`decode(data, fetch=False)` never does I/O, so the GUI thread may call it for the few
rows on screen: a schema not prepared yet answers "pending" and is fetched elsewhere.

JSON for people: Avro's decimals are strings with their exact digits, timestamps, dates
and times ISO 8601 strings, UUIDs strings, bytes and fixed strings of code points
0-255 (Avro's own JSON rule); Protobuf follows protobuf's JSON mapping with the
.proto field names; JSON Schema values are themselves.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import decimal
import io
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from workbench.errors import WorkbenchError
from workbench.services.registry import RegistrySettings, registry_error

MAGIC = 0
RETRY_S = 5.0
MATCH_MEMO = 200_000  # decoded texts remembered per raw bytes, for filters (keys repeat: that is what keys are for)


def _jsonable(obj: Any) -> Any:
    """json.dumps' default= for what Avro's reader gives beside plain JSON types."""
    if isinstance(obj, decimal.Decimal):
        return format(obj, "f")
    if isinstance(obj, datetime.datetime | datetime.date | datetime.time):
        return obj.isoformat()
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, bytes | bytearray):
        return bytes(obj).decode("latin-1")
    raise TypeError(f"{type(obj).__name__} is not JSON")


def to_json(value: Any, indent: int | None = None) -> str:
    if indent is None:
        return json.dumps(value, default=_jsonable, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(value, default=_jsonable, ensure_ascii=False, indent=indent)


def match_text(value: Any) -> str:
    """What a filter sees of a decoded key or value: a string as itself, anything else as compact JSON."""
    return value if isinstance(value, str) else to_json(value)


def wire_schema_id(data: bytes | None) -> int | None:
    """The schema id when the bytes look like the wire format (magic byte 0 and a 4-byte id), else None."""
    if data is None or len(data) < 5 or data[0] != MAGIC:
        return None
    return int.from_bytes(data[1:5], "big")


@dataclasses.dataclass(frozen=True, slots=True)
class Decoded:
    ok: bool
    value: Any = None
    schema_id: int = -1  # -1: not the wire format
    schema_type: str = ""
    reason: str = ""  # why it could not be decoded
    pending: bool = False  # decode(fetch=False) met a schema not prepared yet

    def text(self, indent: int | None = 2) -> str:
        return to_json(self.value, indent)


@dataclasses.dataclass
class _Failure:
    reason: str
    at: float
    permanent: bool


@dataclasses.dataclass
class _Prepared:
    schema_type: str
    read: Callable[[bytes], Any]  # the whole wire-format message -> JSON-able Python


def proto_text(text: str) -> str:
    """A Protobuf schema for reading: .proto text as given; a serialised descriptor (base64, as confluent-kafka's
    serialiser registers it) in protobuf's text format."""
    try:
        raw = base64.b64decode(text, validate=True)
        from google.protobuf import descriptor_pb2, text_format

        fdp = descriptor_pb2.FileDescriptorProto()
        fdp.ParseFromString(raw)
        return f"# {fdp.name}: a serialised FileDescriptorProto\n" + str(text_format.MessageToString(fdp))
    except Exception:
        return text


class SchemaDecoder:
    """Decodes wire-format bytes with schemas from one registry, preparing each schema id once. Thread-safe."""

    def __init__(self, settings: RegistrySettings) -> None:
        self.settings = settings
        self._client: Any = None
        self._lock = threading.Lock()
        self._prepared: dict[int, _Prepared | _Failure] = {}
        self._where: dict[int, tuple[tuple[str, int], ...]] = {}
        self._memo: dict[bytes, bytes] = {}

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self.settings.client()
            return self._client

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- schemas ---------------------------------------------------------------------------

    def is_ready(self, schema_id: int) -> bool:
        return isinstance(self._prepared.get(schema_id), _Prepared)

    def prepare(self, schema_id: int) -> _Prepared | _Failure:
        """The reader for a schema id, fetched and parsed on first use (blocking); or why there is none."""
        found = self._prepared.get(schema_id)
        if isinstance(found, _Prepared) or (found is not None and
                                            (found.permanent or time.monotonic() - found.at < RETRY_S)):
            return found
        try:
            made: _Prepared | _Failure = self._make(schema_id)
        except WorkbenchError as exc:
            made = _Failure(exc.problem.sentence, time.monotonic(), "kind:permanent" in exc.problem.detail)
        with self._lock:
            self._prepared[schema_id] = made
        return made

    def _fetch(self, schema_id: int, fmt: str | None = None) -> Any:
        from confluent_kafka.schema_registry import SchemaRegistryError

        try:
            return self.client.get_schema(schema_id, None, fmt)
        except SchemaRegistryError as exc:
            if exc.http_status_code == 404:
                raise WorkbenchError("registry", f"schema id {schema_id} is not in the registry",
                                     "kind:permanent") from exc
            raise registry_error(exc, f"fetching schema id {schema_id}", self.settings.url) from exc
        except WorkbenchError:
            raise
        except Exception as exc:
            err = registry_error(exc, f"fetching schema id {schema_id}", self.settings.url)
            raise WorkbenchError("registry", err.problem.sentence.rstrip("."), err.problem.detail) from exc

    def _make(self, schema_id: int) -> _Prepared:
        schema = self._fetch(schema_id)
        kind = schema.schema_type or "AVRO"
        try:
            if kind == "AVRO":
                return _Prepared(kind, self._avro_reader(schema))
            if kind == "PROTOBUF":
                return _Prepared(kind, self._protobuf_reader(self._fetch(schema_id, "serialized")))
            if kind == "JSON":
                return _Prepared(kind, self._json_reader())
        except WorkbenchError:
            raise
        except Exception as exc:
            raise WorkbenchError("registry", f"schema id {schema_id} ({kind}) does not parse: {exc}",
                                 "kind:permanent") from exc
        raise WorkbenchError("registry", f"schema id {schema_id} has the unknown type {kind}", "kind:permanent")

    def _avro_reader(self, schema: Any) -> Callable[[bytes], Any]:
        from confluent_kafka.schema_registry.avro import AvroDeserializer
        from fastavro import schemaless_reader

        deserializer = AvroDeserializer(self.client)
        parsed = deserializer._get_parsed_schema(schema)  # references resolved through the registry
        if parsed == "bytes" or (isinstance(parsed, dict) and parsed.get("type") == "bytes"):
            return lambda data: data[5:]

        def read(data: bytes) -> Any:
            return schemaless_reader(io.BytesIO(data[5:]), parsed, None, False)
        return read

    def _protobuf_reader(self, schema: Any) -> Callable[[bytes], Any]:
        from confluent_kafka.schema_registry.common.serde import SchemaId
        from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
        from google.protobuf import empty_pb2, json_format
        from google.protobuf.message_factory import GetMessageClass

        helper = ProtobufDeserializer(empty_pb2.Empty, {}, self.client)  # its schema parsing and index walking
        try:
            fd_proto, pool = helper._get_parsed_schema(schema)
        except Exception as exc:
            raise ValueError(f"it is not a descriptor (.proto text the registry did not serve as one?): {exc}") from exc
        file_desc = pool.FindFileByName(fd_proto.name)
        classes: dict[tuple[int, ...], Any] = {}

        def read(data: bytes) -> Any:
            sid = SchemaId("PROTOBUF")
            payload = sid.from_bytes(io.BytesIO(data))
            path = tuple(sid.message_indexes or [0])
            cls = classes.get(path)
            if cls is None:
                cls = classes[path] = GetMessageClass(helper._get_message_desc(pool, file_desc, list(path)))
            msg = cls()
            msg.ParseFromString(payload.read())
            return json_format.MessageToDict(msg, preserving_proto_field_name=True)
        return read

    def _json_reader(self) -> Callable[[bytes], Any]:
        from confluent_kafka.schema_registry.json_schema import JSONDeserializer

        # validates against the writer's schema; no subject (no reader schema, no rules): the bytes say which schema
        deserializer = JSONDeserializer(None, schema_registry_client=self.client,
                                        conf={"subject.name.strategy": lambda _ctx, _name: None})
        return lambda data: deserializer(data, None)

    def where(self, schema_id: int) -> tuple[tuple[str, int], ...]:
        """(subject, version) pairs the schema id is registered as (blocking on first use; empty when unknown)."""
        found = self._where.get(schema_id)
        if found is None:
            try:
                found = tuple((v.subject or "", int(v.version or 0))
                              for v in self.client.get_schema_versions(schema_id))
            except Exception:
                found = ()
            self._where[schema_id] = found
        return found

    # -- decoding --------------------------------------------------------------------------

    def decode(self, data: bytes | None, fetch: bool = True) -> Decoded:
        schema_id = wire_schema_id(data)
        if data is None:
            return Decoded(False, reason="null")
        if schema_id is None:
            why = "too short" if len(data) < 5 else f"its first byte is 0x{data[0]:02x}, not the magic byte 0x00"
            return Decoded(False, reason=f"not in the Schema Registry wire format ({why})")
        prepared = self._prepared.get(schema_id)
        if prepared is None or (isinstance(prepared, _Failure) and fetch):
            if not fetch:
                return Decoded(False, schema_id=schema_id, reason=f"fetching schema id {schema_id}…", pending=True)
            prepared = self.prepare(schema_id)
        if isinstance(prepared, _Failure):
            return Decoded(False, schema_id=schema_id, reason=prepared.reason)
        try:
            value = prepared.read(data)
        except Exception as exc:
            return Decoded(False, schema_id=schema_id, schema_type=prepared.schema_type,
                           reason=f"the bytes do not match {prepared.schema_type} schema id {schema_id}: "
                                  f"{type(exc).__name__}: {exc}".rstrip())
        return Decoded(True, value, schema_id, prepared.schema_type)

    def match_bytes(self, data: bytes | None) -> bytes | None:
        """For filters in a scan: the decoded form's text as UTF-8 (remembered per raw bytes), or the raw bytes
        themselves when they cannot be decoded, so a filter still sees them."""
        if data is None:
            return None
        found = self._memo.get(data)
        if found is not None:
            return found
        d = self.decode(data)
        out = match_text(d.value).encode("utf-8") if d.ok else data
        if d.ok:  # failures are not remembered: the registry may answer later
            memo = self._memo
            if len(memo) >= MATCH_MEMO:
                memo.clear()
            memo[data] = out
        return out
