"""The messages table: rows of a scan's ResultSet, drawn from its spill file a screenful at a time.

The model holds no records: row count, partition, offset, timestamp and value size
come from the result set's index arrays, and the key, headers and value preview are
read back (through the result set's row cache) only for rows Qt asks to draw. Display
strings for the chosen decoders are cached per row in a small LRU, so scrolling a
million rows costs what the screen shows. Rows are appended in batches with one
beginInsertRows each. With the Schema Registry decoder, a cell whose schema is not
fetched yet shows that it is waiting and `schemas_wanted(id)` asks for it (the GUI
thread never waits for the registry); `schemas_ready()` redraws once it is there.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from workbench.services import decoders
from workbench.services.record import Record
from workbench.services.result_store import IndexEntries, ResultSet
from workbench.ui.models import HeaderedTableModel, format_timestamp
from workbench.ui.widgets import human_bytes

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole
TEXT_CACHE = 4096


def headers_text(headers: tuple[tuple[str, bytes | None], ...]) -> str:
    return ", ".join(f"{k}={decoders.show(v, 'string')}" for k, v in headers)


class MessagesModel(HeaderedTableModel):
    headers = ("Partition", "Offset", "Timestamp", "Type", "Key", "Headers", "Value size", "Value")
    COL_PARTITION, COL_OFFSET, COL_TIMESTAMP, COL_TYPE, COL_KEY, COL_HEADERS, COL_SIZE, COL_VALUE = range(8)
    #: a row on screen needs this schema id (the controller fetches it off the GUI thread)
    schemas_wanted = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.schemas: Any = None  # the connection's SchemaDecoder, or None
        self._wanted: set[int] = set()
        self.results: ResultSet | None = None
        self.key_decoder = "string"
        self.value_decoder = "string"
        self._text: OrderedDict[int, tuple[str, ...]] = OrderedDict()

    def row_count(self) -> int:
        return len(self.results) if self.results is not None else 0

    def set_results(self, results: ResultSet | None) -> None:
        self.beginResetModel()
        self.results = results
        self._text.clear()
        self.endResetModel()

    def append(self, entries: IndexEntries) -> None:
        rs = self.results
        if rs is None or not len(entries):
            return
        first = len(rs)
        self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
        rs.publish(entries)
        self.endInsertRows()

    def set_decoders(self, key: str, value: str) -> None:
        if (key, value) == (self.key_decoder, self.value_decoder):
            return
        self.key_decoder, self.value_decoder = key, value
        self._text.clear()
        if self.row_count():
            self.dataChanged.emit(self.index(0, self.COL_KEY), self.index(self.row_count() - 1, self.COL_VALUE))

    def set_schemas(self, decoder: Any) -> None:
        self.schemas = decoder
        self._wanted.clear()
        self.schemas_ready()

    def schemas_ready(self) -> None:
        """Schemas arrived (or failed): redraw the decoded cells."""
        self._wanted.clear()
        self._text.clear()
        if self.row_count() and decoders.SCHEMA in (self.key_decoder, self.value_decoder):
            self.dataChanged.emit(self.index(0, self.COL_KEY), self.index(self.row_count() - 1, self.COL_VALUE))

    def _cell(self, data: bytes | None, decoder: str, pending: list[int]) -> str:
        if decoder != decoders.SCHEMA:
            return decoders.show(data, decoder)
        text, wanted = decoders.show_schema(data, self.schemas)
        if wanted is not None:
            pending.append(wanted)
        return text

    def preview(self, row: int) -> Record:
        assert self.results is not None
        return self.results.preview(row)[0]

    def _row_text(self, row: int) -> tuple[str, ...]:
        hit = self._text.get(row)
        if hit is not None:
            return hit
        assert self.results is not None
        r, value_size = self.results.preview(row)
        pending: list[int] = []
        text = (str(r.partition), str(r.offset), format_timestamp(r.timestamp), r.timestamp_type_name,
                self._cell(r.key, self.key_decoder, pending), headers_text(r.headers),
                "null" if value_size < 0 else human_bytes(value_size),
                self._cell(r.value, self.value_decoder, pending) if value_size <= len(r.value or b"")
                else decoders.show(r.value, "string") + f" … ({human_bytes(value_size)}: open it to see it whole)")
        if pending:  # drawn again when the schema is there
            for schema_id in set(pending) - self._wanted:
                self._wanted.add(schema_id)
                self.schemas_wanted.emit(schema_id)
            return text
        self._text[row] = text
        if len(self._text) > TEXT_CACHE:
            self._text.popitem(last=False)
        return text

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or self.results is None or not 0 <= index.row() < len(self.results):
            return None
        row, col = index.row(), index.column()
        if role == DISPLAY:
            idx = self.results.index
            if col == self.COL_PARTITION:
                return str(idx.partition[row])
            if col == self.COL_OFFSET:
                return str(idx.offset[row])
            if col == self.COL_TIMESTAMP:
                return format_timestamp(idx.timestamp[row])
            return self._row_text(row)[col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (self.COL_PARTITION, self.COL_OFFSET, self.COL_SIZE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and col == self.COL_TYPE:
            return "CreateTime: set by the producer; LogAppendTime: set by the broker when it appended the record."
        if role == Qt.ItemDataRole.ForegroundRole and col in (self.COL_KEY, self.COL_VALUE):
            text = self._row_text(row)[col]
            if text == "(null)" or text.startswith(("⚠", "⏳")):
                return QColor("#888888")
        return None

