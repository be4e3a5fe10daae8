"""How record bytes are shown: text, pretty JSON, hex, base64, big-endian integers. Nothing is ever dropped:
invalid UTF-8 shows as \\x escapes, and a decoder that does not fit says why instead of showing nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

DECODERS = {
    "string": "Text (UTF-8)",
    "json": "JSON (pretty)",
    "hex": "Hex",
    "base64": "Base64",
    "int": "Integer (big-endian)",
    "schema": "Schema Registry (Avro, Protobuf, JSON Schema)",
}
SCHEMA = "schema"
PREVIEW_CHARS = 300
DETAIL_CHARS = 256 * 1024  # text shown in the detail view; Save writes a value whole
CELL_JSON_LIMIT = 64 * 1024  # a larger JSON value shows as text in a table cell; the detail view parses it


# control characters are invisible in a table cell: show them as escapes (newlines as ⏎)
_CELL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}
_CELL[0x0A] = "⏎"
_CELL[0x0D] = ""
_CELL[0x09] = " "


class DecodeError(ValueError):
    """The bytes do not fit the chosen decoder; the message says how."""


def text(data: bytes) -> str:
    """UTF-8, with every byte that is not valid UTF-8 shown as a \\xNN escape."""
    return data.decode("utf-8", errors="backslashreplace")


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def hex_dump(data: bytes, group: int = 1) -> str:
    return data.hex(" ", group) if data else ""


def integer(data: bytes) -> str:
    """A big-endian signed integer of 1, 2, 4 or 8 bytes (also shown unsigned when that differs)."""
    if len(data) not in (1, 2, 4, 8):
        raise DecodeError(f"{len(data)} bytes are not a big-endian integer (1, 2, 4 or 8 bytes)")
    signed = int.from_bytes(data, "big", signed=True)
    unsigned = int.from_bytes(data, "big", signed=False)
    return str(signed) if signed == unsigned else f"{signed} (unsigned {unsigned})"


def pretty_json(data: bytes, indent: int | None = 2) -> str:
    try:
        parsed = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"not JSON: {exc}") from exc
    return json.dumps(parsed, indent=indent, ensure_ascii=False, sort_keys=False)


def decode(data: bytes | None, decoder: str, indent: int | None = 2) -> str:
    """The bytes as the decoder shows them; raises DecodeError when they do not fit it."""
    if data is None:
        return "(null)"
    if decoder == "string":
        return text(data)
    if decoder == "json":
        return pretty_json(data, indent)
    if decoder == "hex":
        return hex_dump(data)
    if decoder == "base64":
        return base64.b64encode(data).decode("ascii")
    if decoder == "int":
        return integer(data)
    raise ValueError(f"unknown decoder {decoder!r}; known: {', '.join(DECODERS)}")


def show(data: bytes | None, decoder: str) -> str:
    """For a table cell: one line, at most PREVIEW_CHARS characters; a misfit shows as text with the reason."""
    if data is None:
        return "(null)"
    head = data[:PREVIEW_CHARS * 4] if decoder in ("string", "json") else data[:PREVIEW_CHARS]
    if decoder == "json" and len(data) > CELL_JSON_LIMIT:
        decoder, data = "string", head
    try:
        shown = decode(data if decoder in ("json", "int") else head, decoder, indent=None)
    except DecodeError as exc:
        shown = f"⚠ {exc} · {text(head)}"
    shown = shown.translate(_CELL)
    return shown if len(shown) <= PREVIEW_CHARS else shown[:PREVIEW_CHARS] + "…"


def human_bytes(n: int | None) -> str:
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def detail_text(data: bytes | None, decoder: str, limit: int = DETAIL_CHARS) -> tuple[str, str]:
    """(text, note) for the detail view; runs off the GUI thread for large values. The note says what was cut
    or why the decoder did not fit (the bytes are then shown as text, never dropped)."""
    if data is None:
        return "(null)", "null"
    note = human_bytes(len(data))
    head = data if decoder in ("json", "int") else data[:limit * (2 if decoder != "hex" else 1)]
    try:
        shown = decode(head, decoder)
    except DecodeError as exc:
        shown = text(data[:limit])
        note += f" · ⚠ {exc}; shown as text"
    if len(shown) > limit:
        shown = shown[:limit]
        note += f" · showing the first {limit // 1024} KiB of text: Save writes it whole"
    return shown, note


def show_schema(data: bytes | None, decoder: Any) -> tuple[str, int | None]:
    """A table cell for the Schema Registry decoder (a SchemaDecoder, or None when the connection has no registry),
    never fetching: (text, schema id still to fetch or None). What cannot be decoded shows raw, with the reason."""
    if data is None:
        return "(null)", None
    if decoder is None:
        return f"⚠ no Schema Registry in this connection's profile · {show(data, 'string')}", None
    d = decoder.decode(data, fetch=False)
    if d.pending:
        return f"⏳ fetching schema id {d.schema_id}…", d.schema_id
    shown = d.text(None).translate(_CELL) if d.ok else f"⚠ {d.reason} · {show(data[:PREVIEW_CHARS * 4], 'string')}"
    return (shown if len(shown) <= PREVIEW_CHARS else shown[:PREVIEW_CHARS] + "…"), None


def schema_detail(data: bytes | None, decoder: Any, limit: int = DETAIL_CHARS) -> tuple[str, str]:
    """(text, note) for the detail view with the Schema Registry decoder (blocking: it may fetch the schema). The
    note names the type, schema id, subject and version; bytes that cannot be decoded show as text with why."""
    if data is None:
        return "(null)", "null"
    size = human_bytes(len(data))
    if decoder is None:
        return text(data[:limit]), f"{size} · ⚠ no Schema Registry in this connection's profile; shown as text"
    d = decoder.decode(data)
    if not d.ok:
        return text(data[:limit]), f"{size} · ⚠ {d.reason}; shown as text"
    where = ", ".join(f"{s} v{v}" for s, v in decoder.where(d.schema_id)) or "no subject found"
    shown = d.text(2)
    note = f"{d.schema_type} · schema id {d.schema_id} · {where} · {size}"
    if len(shown) > limit:
        shown = shown[:limit]
        note += f" · showing the first {limit // 1024} KiB of text: Save writes the bytes whole"
    return shown, note
