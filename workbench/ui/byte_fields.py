"""Bytes typed as text: the encodings a key or header value can be written in, and the editable headers table.

A byte field is a text plus its encoding: `text` (the UTF-8 bytes of the text), `base64`,
`hex`, or `null` (Kafka's null: no bytes at all, unlike an empty text). `as_text`
picks the encoding that shows given bytes best (text when they are valid UTF-8,
base64 otherwise), so a consumed record loads back without losing a byte.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from workbench.services.record import Headers
from workbench.ui.models import HeaderedTableModel

Index = QModelIndex | QPersistentModelIndex
DISPLAY, EDIT = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole
ENCODINGS = {"text": "Text (UTF-8)", "base64": "base64", "hex": "hex", "null": "null"}


class FormError(ValueError):
    """Something in the form cannot become a record; says what and, when it can, where (`field`)."""

    def __init__(self, sentence: str, field: str = "") -> None:
        super().__init__(sentence)
        self.field = field


def to_bytes(text: str, encoding: str, what: str) -> bytes | None:
    if encoding == "null":
        return None
    if encoding == "text":
        return text.encode("utf-8")
    if encoding == "base64":
        try:
            return base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise FormError(f"{what} is not valid base64 ({exc}).", what) from exc
    if encoding == "hex":
        try:
            return bytes.fromhex(text)
        except ValueError as exc:
            raise FormError(f"{what} is not valid hex ({exc}).", what) from exc
    raise FormError(f"{what} has the unknown encoding {encoding!r}.", what)


def as_text(data: bytes | None) -> tuple[str, str]:
    """(text, encoding) that gives back exactly `data`."""
    if data is None:
        return "", "null"
    try:
        return data.decode("utf-8"), "text"
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), "base64"


class HeadersModel(HeaderedTableModel):
    """Header rows (name, value, encoding); order and repeated names are kept, as Kafka keeps them."""

    headers = ("Name", "Value", "Encoding")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.editable = True

    def row_count(self) -> int:
        return len(self.rows)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        name, value, encoding = self.rows[index.row()]
        if role == DISPLAY:
            if index.column() == 1 and encoding == "null":
                return "(null)"
            return (name, value, ENCODINGS.get(encoding, encoding))[index.column()]
        if role == EDIT:
            return (name, value, encoding)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 2:
            return "How the value is written: UTF-8 text, base64, hex, or null (no value at all)."
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and self.editable:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: Index, value: Any, role: int = EDIT) -> bool:
        if not index.isValid() or role != EDIT or not 0 <= index.row() < len(self.rows):
            return False
        text = "" if value is None else str(value)
        if index.column() == 2 and text not in ENCODINGS:
            return False
        self.rows[index.row()][index.column()] = text
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), 2))
        return True

    def add(self, name: str = "", value: str = "", encoding: str = "text") -> int:
        row = len(self.rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self.rows.append([name, value, encoding])
        self.endInsertRows()
        return row

    def remove(self, rows: list[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            if 0 <= row < len(self.rows):
                self.beginRemoveRows(QModelIndex(), row, row)
                del self.rows[row]
                self.endRemoveRows()

    def set_headers(self, headers: Headers) -> None:
        self.beginResetModel()
        self.rows = [[name, *as_text(value)] for name, value in headers]
        self.endResetModel()

    def set_state(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = [[str(r.get("name", "")), str(r.get("value", "")), str(r.get("encoding", "text"))]
                     for r in rows if isinstance(r, dict) and r.get("encoding", "text") in ENCODINGS]
        self.endResetModel()

    def state(self) -> list[dict[str, str]]:
        return [{"name": n, "value": v, "encoding": e} for n, v, e in self.rows]

    def to_headers(self) -> Headers:
        out: list[tuple[str, bytes | None]] = []
        for i, (name, value, encoding) in enumerate(self.rows, start=1):
            if not name:
                raise FormError(f"Header {i} needs a name.", "headers")
            out.append((name, to_bytes(value, encoding, f"The value of header {name!r}")))
        return tuple(out)


class EncodingDelegate(QStyledItemDelegate):
    """A drop-down of ENCODINGS for the headers table's Encoding column."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        box = QComboBox(parent)
        for key, label in ENCODINGS.items():
            box.addItem(label, key)
        return box

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        if isinstance(editor, QComboBox):
            at = editor.findData(index.data(EDIT))
            editor.setCurrentIndex(max(0, at))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), EDIT)
