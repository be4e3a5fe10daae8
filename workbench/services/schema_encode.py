"""JSON typed by a person -> the Schema Registry wire format for a chosen subject and version, written by
confluent-kafka's serialisers (Avro, JSON Schema, Protobuf). The reverse of the JSON schema_codec.py shows: Avro
decimals as strings or numbers, ISO 8601 times, UUID strings, bytes as code points 0-255; protobuf's JSON mapping."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Callable
from typing import Any

from workbench.errors import WorkbenchError
from workbench.services.registry import RegistrySettings, registry_error


def _avro_from_json(schema: Any, value: Any, where: str = "the value") -> Any:
    """Typed JSON -> what fastavro writes for a parsed Avro schema: the reverse of the JSON shown for people
    (decimal strings or numbers, ISO 8601 times, UUID strings, bytes as code points 0-255). Unions take the first
    branch the value fits."""
    if isinstance(schema, list):
        errors = []
        for branch in schema:
            try:
                return _avro_from_json(branch, value, where)
            except (ValueError, TypeError) as exc:
                errors.append(str(exc))
        raise ValueError(f"{where} fits none of the union's branches ({'; '.join(errors)})")
    if isinstance(schema, str):
        kind: Any = schema
        schema = {"type": schema}
    else:
        kind = schema.get("type")
    if isinstance(kind, dict | list):
        return _avro_from_json(kind, value, where)
    logical = schema.get("logicalType")
    if kind == "null":
        if value is not None:
            raise ValueError(f"{where} must be null")
        return None
    if logical == "decimal" and kind in ("bytes", "fixed"):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"{where} must be a decimal number (a string such as \"12.34\" keeps every digit)")
        try:
            return decimal.Decimal(str(value))
        except decimal.InvalidOperation as exc:
            raise ValueError(f"{where}: {value!r} is not a decimal number") from exc
    if logical in ("timestamp-millis", "timestamp-micros", "local-timestamp-millis", "local-timestamp-micros") \
            and isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{where}: {value!r} is not an ISO 8601 time") from exc
    if logical == "date" and isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{where}: {value!r} is not an ISO 8601 date") from exc
    if logical in ("time-millis", "time-micros") and isinstance(value, str):
        try:
            return datetime.time.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{where}: {value!r} is not an ISO 8601 time of day") from exc
    if kind in ("bytes", "fixed"):
        if not isinstance(value, str):
            raise ValueError(f"{where} must be a string of bytes (code points 0-255)")
        try:
            return value.encode("latin-1")
        except UnicodeEncodeError as exc:
            raise ValueError(f"{where} holds a character above code point 255, which is not a byte") from exc
    if kind == "record" or kind == "error":
        if not isinstance(value, dict):
            raise ValueError(f"{where} must be an object (record {schema.get('name', '')})")
        fields = {f["name"]: f for f in schema.get("fields", [])}
        unknown = sorted(set(value) - set(fields))
        if unknown:
            raise ValueError(f"{where} has fields the schema does not: {', '.join(unknown)}")
        out = {}
        for name, field in fields.items():
            if name in value:
                out[name] = _avro_from_json(field["type"], value[name], f"field {name!r}")
            elif "default" not in field:
                raise ValueError(f"{where} lacks the field {name!r}, which has no default")
        return out
    if kind == "array":
        if not isinstance(value, list):
            raise ValueError(f"{where} must be an array")
        return [_avro_from_json(schema["items"], v, f"{where}[{i}]") for i, v in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            raise ValueError(f"{where} must be an object (a map)")
        return {k: _avro_from_json(schema["values"], v, f"{where}[{k!r}]") for k, v in value.items()}
    if kind == "enum":
        if value not in schema.get("symbols", []):
            raise ValueError(f"{where}: {value!r} is not one of {', '.join(schema.get('symbols', []))}")
        return value
    checks: dict[str, Callable[[Any], bool]] = {
        "boolean": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and -(1 << 31) <= v < (1 << 31),
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool) and -(1 << 63) <= v < (1 << 63),
        "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "double": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
    }
    check = checks.get(str(kind))
    if check is None:
        raise ValueError(f"{where} has the type {kind!r}, which is not known")
    if not check(value):
        raise ValueError(f"{where} must be {'an' if str(kind)[0] in 'aeiou' else 'a'} {kind}, not {value!r}")
    if logical == "uuid":
        try:
            uuid.UUID(value)
        except ValueError as exc:
            raise ValueError(f"{where}: {value!r} is not a UUID") from exc
    return value


def encode_json(settings: RegistrySettings, subject: str, version: int | str, text: str, topic: str,
                is_key: bool = False) -> tuple[bytes, int]:
    """JSON typed by a person -> the wire format for `subject`'s `version` ("latest" for the newest), with
    confluent-kafka's serialiser for the schema's type; and the schema id written. Blocking. WorkbenchError (kind
    "input") says in one sentence why JSON does not fit the schema."""
    from confluent_kafka.schema_registry import SchemaRegistryError
    from confluent_kafka.serialization import MessageField, SerializationContext

    client = settings.client()
    try:
        try:
            rs = client.get_latest_version(subject) if version == "latest" else client.get_version(subject,
                                                                                                  int(version))
        except Exception as exc:
            raise registry_error(exc, f"Reading {subject} version {version}", settings.url) from exc
        schema, schema_id = rs.schema, int(rs.schema_id or 0)
        kind = schema.schema_type or "AVRO"
        what = f"{subject} version {rs.version} ({kind}, schema id {schema_id})"
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise WorkbenchError("input", f"The value is not valid JSON: {exc.msg} at line {exc.lineno}, column "
                                          f"{exc.colno}.") from exc
        conf = {"auto.register.schemas": False, "use.schema.id": schema_id,
                "subject.name.strategy": lambda _ctx, _name: subject}
        ctx = SerializationContext(topic, MessageField.KEY if is_key else MessageField.VALUE)
        try:
            if kind == "AVRO":
                from confluent_kafka.schema_registry.avro import AvroSerializer

                avro = AvroSerializer(client, schema, conf=conf)
                parsed = avro._get_parsed_schema(schema)
                data = avro(_avro_from_json(parsed, value), ctx)
            elif kind == "JSON":
                from confluent_kafka.schema_registry.json_schema import JSONSerializer

                data = JSONSerializer(schema, client, conf=conf)(value, ctx)
            elif kind == "PROTOBUF":
                data = _encode_protobuf(client, schema_id, value, conf, ctx)
            else:
                raise WorkbenchError("input", f"{what} has a type this app cannot write.")
        except WorkbenchError:
            raise
        except SchemaRegistryError as exc:
            raise registry_error(exc, f"Serialising with {what}", settings.url) from exc
        except Exception as exc:
            reason = " ".join(str(exc).split()).rstrip(".") or type(exc).__name__
            raise WorkbenchError("input", f"The value does not fit {what}: {reason}.") from exc
        if data is None:
            raise WorkbenchError("input", "A null value has no schema: choose Tombstone instead.")
        return bytes(data), schema_id
    finally:
        client.close()


def _encode_protobuf(client: Any, schema_id: int, value: Any, conf: dict[str, Any], ctx: Any) -> bytes:
    """The schema's first message type from protobuf's JSON mapping, written by confluent-kafka's serialiser."""
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
    from google.protobuf import empty_pb2, json_format
    from google.protobuf.message_factory import GetMessageClass

    helper = ProtobufDeserializer(empty_pb2.Empty, {}, client)
    fd_proto, pool = helper._get_parsed_schema(client.get_schema(schema_id, None, "serialized"))
    if not fd_proto.message_type:
        raise ValueError("the schema has no message type")
    name = f"{fd_proto.package}.{fd_proto.message_type[0].name}" if fd_proto.package else \
        fd_proto.message_type[0].name
    cls = GetMessageClass(pool.FindMessageTypeByName(name))
    if not isinstance(value, dict):
        raise ValueError(f"a {name} message must be a JSON object")
    message = json_format.ParseDict(value, cls())
    serializer = ProtobufSerializer(cls, client, {**conf, "use.deprecated.format": False})
    out: bytes = serializer(message, ctx)
    return out
