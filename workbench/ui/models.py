"""A read-only table model of display rows, for the panes' smaller tables (brokers, API versions, stat, ACLs)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from workbench.ui.theme import colour

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole


class HeaderedTableModel(QAbstractTableModel):
    """The part every flat table shares: fixed column headers and a row count from `row_count()`."""

    headers: tuple[str, ...] = ()

    def row_count(self) -> int:
        raise NotImplementedError

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else self.row_count()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY and 0 <= section < len(self.headers):
            return self.headers[section]
        return None


class RowTableModel(HeaderedTableModel):
    """Rows of strings; an optional state per row ("critical", "warning", ...) colours its background."""

    def __init__(self, headers: Sequence[str]) -> None:
        super().__init__()
        self.headers = tuple(headers)
        self.rows: list[tuple[str, ...]] = []
        self.states: list[str] = []

    def row_count(self) -> int:
        return len(self.rows)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        if role == DISPLAY:
            row = self.rows[index.row()]
            return row[index.column()] if index.column() < len(row) else ""
        if role == Qt.ItemDataRole.BackgroundRole and self.states and self.states[index.row()]:
            return colour(self.states[index.row()])
        return None

    def set_rows(self, rows: Sequence[Sequence[Any]], states: Sequence[str] | None = None) -> None:
        self.beginResetModel()
        self.rows = [tuple("" if v is None else str(v) for v in r) for r in rows]
        self.states = list(states) if states is not None else []
        self.endResetModel()

    def column(self, col: int) -> list[str]:
        return [r[col] for r in self.rows]


def format_timestamp(ms: int) -> str:
    """Local time with milliseconds; "none" for Kafka's -1 (no timestamp)."""
    if ms < 0:
        return "none"
    try:
        return datetime.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    except (OverflowError, OSError, ValueError):
        return str(ms)
