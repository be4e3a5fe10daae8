"""Records to and from files: JSON Lines that lose nothing, and CSV.

JSON Lines, one record per line (the produce pane reads the same lines back):

    {"topic": "orders", "partition": 3, "offset": 42, "timestamp": 1700000000000,
     "timestamp_type": "CreateTime", "key": "order-7", "key_encoding": "utf-8",
     "value": "eyJ...", "value_encoding": "base64",
     "headers": [{"name": "trace", "value": "abc", "encoding": "utf-8"}, {"name": "empty", "value": null}]}

- Every byte field says how it is written: `"utf-8"` (the bytes are valid UTF-8 and
  written as that text) or `"base64"`. An export writes `utf-8` where the bytes are valid
  UTF-8 and `base64` otherwise, or `base64` always when asked; either way the bytes come
  back exactly. A null key, value or header value is JSON `null` (a null value is a
  tombstone); an empty one is `""`.
- Header order and repeated header names are kept.
- For files people write by hand, only `value` is needed: a missing encoding means
  `utf-8`, a JSON object or array as the value is produced as its compact JSON text,
  and `partition`, `timestamp`, `key` and `headers` are optional.

CSV has the same fields, one column each, with `headers` as the JSON array above.

An export that adds the decoded form (Schema Registry wire format) keeps every field above
and adds, per key and value that is not null, `key_decoded` / `value_decoded` (the JSON
the schema gives) with `key_schema_id` / `value_schema_id`, or `key_decode_error` /
`value_decode_error` (why not). Reading a file back ignores them: the bytes are the record.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from workbench.services.record import TIMESTAMP_TYPE_CODES, Record

FORMAT_JSONL = "jsonl"
FORMAT_CSV = "csv"
FORMATS = {FORMAT_JSONL: "JSON Lines (lossless)", FORMAT_CSV: "CSV"}
CSV_FIELDS = ("topic", "partition", "offset", "timestamp", "timestamp_type", "key", "key_encoding", "value",
              "value_encoding", "headers")


class RecordFileError(ValueError):
    """A line of an import file that cannot be read; says which line and why."""


def _encode(data: bytes | None, always_base64: bool) -> tuple[str | None, str | None]:
    if data is None:
        return None, None
    if not always_base64:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    return base64.b64encode(data).decode("ascii"), "base64"


def to_json(record: Record, always_base64: bool = False) -> dict[str, Any]:
    key, key_enc = _encode(record.key, always_base64)
    value, value_enc = _encode(record.value, always_base64)
    headers = []
    for name, raw in record.headers:
        hv, h_enc = _encode(raw, always_base64)
        headers.append({"name": name, "value": hv} if h_enc is None else {"name": name, "value": hv, "encoding": h_enc})
    out: dict[str, Any] = {"topic": record.topic, "partition": record.partition, "offset": record.offset,
                           "timestamp": record.timestamp, "timestamp_type": record.timestamp_type_name,
                           "key": key}
    if key_enc is not None:
        out["key_encoding"] = key_enc
    out["value"] = value
    if value_enc is not None:
        out["value_encoding"] = value_enc
    out["headers"] = headers
    return out


def to_line(record: Record, always_base64: bool = False) -> str:
    return json.dumps(to_json(record, always_base64), ensure_ascii=False, separators=(",", ":"))


def _decode(value: Any, encoding: Any, field: str) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        if encoding not in (None, "json"):
            raise RecordFileError(f"{field} is JSON but its encoding says {encoding!r}")
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    if not isinstance(value, str):
        if isinstance(value, (int, float, bool)) and encoding in (None, "json"):
            return json.dumps(value).encode()
        raise RecordFileError(f"{field} must be a string, a JSON value or null, not {type(value).__name__}")
    if encoding in (None, "utf-8", "utf8", "text"):
        return value.encode("utf-8")
    if encoding == "base64":
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise RecordFileError(f"{field} is not valid base64 ({exc})") from exc
    if encoding == "hex":
        try:
            return bytes.fromhex(value)
        except ValueError as exc:
            raise RecordFileError(f"{field} is not valid hex ({exc})") from exc
    raise RecordFileError(f"{field} has the unknown encoding {encoding!r} (utf-8, base64 or hex)")


def _int(obj: dict[str, Any], name: str, default: int) -> int:
    value = obj.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise RecordFileError(f"{name} must be an integer, not {value!r}") from exc
    return value


def from_json(obj: Any, topic: str = "") -> Record:
    """A record from one parsed line. partition -1 and timestamp 0 mean "not given" (the partitioner and the
    producer's clock decide)."""
    if not isinstance(obj, dict):
        raise RecordFileError(f"a line must be a JSON object, not {type(obj).__name__}")
    if "value" not in obj:
        raise RecordFileError('a line needs a "value" (null for a tombstone)')
    headers: list[tuple[str, bytes | None]] = []
    raw_headers = obj.get("headers") or []
    if isinstance(raw_headers, dict):  # {"name": "value"} written by hand
        raw_headers = [{"name": k, "value": v} for k, v in raw_headers.items()]
    if not isinstance(raw_headers, list):
        raise RecordFileError("headers must be a list of {name, value} objects")
    for i, h in enumerate(raw_headers):
        if not isinstance(h, dict) or not isinstance(h.get("name", h.get("key")), str):
            raise RecordFileError(f"header {i + 1} needs a string name")
        name = str(h.get("name", h.get("key")))
        headers.append((name, _decode(h.get("value"), h.get("encoding"), f"header {name!r}")))
    ts_type = obj.get("timestamp_type", "CreateTime")
    return Record(
        topic=str(obj.get("topic") or topic),
        partition=_int(obj, "partition", -1),
        offset=_int(obj, "offset", -1),
        timestamp=_int(obj, "timestamp", 0),
        timestamp_type=TIMESTAMP_TYPE_CODES.get(str(ts_type), 1),
        key=_decode(obj.get("key"), obj.get("key_encoding"), "key"),
        value=_decode(obj.get("value"), obj.get("value_encoding"), "value"),
        headers=tuple(headers),
    )


def read_jsonl(lines: Iterable[str], topic: str = "") -> Iterator[Record]:
    """Records from JSON Lines; blank lines are skipped; a bad line raises RecordFileError naming its number."""
    for _number, record in read_jsonl_numbered(lines, topic):
        yield record


def read_jsonl_numbered(lines: Iterable[str], topic: str = "") -> Iterator[tuple[int, Record]]:
    """(line number, record) pairs, as read_jsonl reads them: a produced line's result can name its line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, from_json(json.loads(line), topic)
        except json.JSONDecodeError as exc:
            raise RecordFileError(f"line {number} is not JSON: {exc.msg} at column {exc.colno}") from exc
        except RecordFileError as exc:
            raise RecordFileError(f"line {number}: {exc}") from exc


def decoded_fields(record: Record, decoder: Any) -> dict[str, Any]:
    """The key and value decoded with their schemas (a SchemaDecoder), as extra export fields."""
    out: dict[str, Any] = {}
    for part, data in (("key", record.key), ("value", record.value)):
        if data is None:
            continue
        d = decoder.decode(data)
        if d.ok:
            out[f"{part}_decoded"] = json.loads(d.text(None))
            out[f"{part}_schema_id"] = d.schema_id
        else:
            out[f"{part}_decode_error"] = d.reason
    return out


def csv_row(record: Record, always_base64: bool = False) -> list[Any]:
    obj = to_json(record, always_base64)
    return [obj.get(f, "") if f != "headers" else json.dumps(obj["headers"], ensure_ascii=False)
            for f in CSV_FIELDS]


class RecordWriter:
    """Writes records to a file in one of FORMATS, counting them."""

    def __init__(self, out: IO[str], fmt: str = FORMAT_JSONL, always_base64: bool = False,
                 decoder: Any = None) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown export format {fmt!r}")
        self.out, self.fmt, self.always_base64 = out, fmt, always_base64
        self.decoder = decoder
        self.count = 0
        self._csv = csv.writer(out) if fmt == FORMAT_CSV else None
        if self._csv is not None:
            self._csv.writerow(CSV_FIELDS + (("key_decoded", "value_decoded") if decoder is not None else ()))

    def write(self, records: Iterable[Record]) -> None:
        dec = self.decoder
        if self._csv is not None:
            for r in records:
                row = csv_row(r, self.always_base64)
                if dec is not None:
                    extra = decoded_fields(r, dec)
                    row += [json.dumps(extra[f"{p}_decoded"], ensure_ascii=False) if f"{p}_decoded" in extra
                            else "" for p in ("key", "value")]
                self._csv.writerow(row)
                self.count += 1
            return
        buf = io.StringIO()
        for r in records:
            if dec is None:
                buf.write(to_line(r, self.always_base64))
            else:
                obj = to_json(r, self.always_base64)
                obj.update(decoded_fields(r, dec))
                buf.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str))
            buf.write("\n")
            self.count += 1
        self.out.write(buf.getvalue())
