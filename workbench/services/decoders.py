"""How record bytes are shown: text, pretty JSON, hex, base64, big-endian integers. Nothing is ever dropped:
invalid UTF-8 shows as \\x escapes, and a decoder that does not fit says why instead of showing nothing."""

from __future__ import annotations

import base64
import json

DECODERS = {
    "string": "Text (UTF-8)",
    "json": "JSON (pretty)",
    "hex": "Hex",
    "base64": "Base64",
    "int": "Integer (big-endian)",
}
PREVIEW_CHARS = 300
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
