"""The delivery results table of the produce pane: one row per message, fast at 100,000 rows and more.

Storage is columnar and compact: message number, partition, offset, timestamp and its
type in `array`s (about 30 bytes a row), error sentences in a dict keyed by row (only
failures have one). Display strings are made only for the rows on screen. Batches of
results are appended with one beginInsertRows each. "Failures only" is a list of the
failing rows kept alongside, so switching it is one model reset, not a proxy calling
back into Python once per row. Past MAX_ROWS results, only failures are kept (and the
model says how many delivered rows it left out), so a run of millions stays bounded.
"""

from __future__ import annotations

import collections
from array import array
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from workbench.services.produce_run import NOT_KNOWN, Delivery
from workbench.services.record import TIMESTAMP_TYPES
from workbench.ui.models import HeaderedTableModel, format_timestamp
from workbench.ui.theme import colour

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole
MAX_ROWS = 1_000_000


class DeliveryModel(HeaderedTableModel):
    headers = ("#", "Partition", "Offset", "Timestamp", "Result")
    COL_NUMBER, COL_PARTITION, COL_OFFSET, COL_TIMESTAMP, COL_RESULT = range(5)

    def __init__(self, max_rows: int = MAX_ROWS) -> None:
        super().__init__()
        self.max_rows = max_rows
        self.number_label = "#"
        self.clear()

    def clear(self) -> None:
        self.beginResetModel()
        self.numbers = array("q")
        self.partitions = array("i")
        self.offsets = array("q")
        self.timestamps = array("q")
        self.ts_types = array("b")
        self.errors: dict[int, str] = {}
        self.failure_rows = array("q")
        self.failures_only = False
        self.left_out = 0  # delivered results not kept past max_rows
        self.endResetModel()

    def set_number_label(self, label: str) -> None:
        """'#' for repeated messages, 'Line' for a file's results (the number is then its line number)."""
        if label != self.number_label:
            self.number_label = label
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 0)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY and section == 0:
            return self.number_label
        return super().headerData(section, orientation, role)

    @property
    def stored(self) -> int:
        return len(self.numbers)

    def row_count(self) -> int:
        return len(self.failure_rows) if self.failures_only else len(self.numbers)

    def _row(self, view_row: int) -> int:
        return self.failure_rows[view_row] if self.failures_only else view_row

    def append(self, batch: Sequence[Delivery]) -> None:
        """Add a batch of results (one insert for the batch)."""
        if not batch:
            return
        room = self.max_rows - len(self.numbers)
        if room < len(batch):
            kept = [d for i, d in enumerate(batch) if i < room or d.error]
            self.left_out += len(batch) - len(kept)
            batch = kept
            if not batch:
                return
        first_stored = len(self.numbers)
        failures = [first_stored + i for i, d in enumerate(batch) if d.error]
        if self.failures_only:
            if not failures:
                self._store(batch, failures)
                return
            first, last = len(self.failure_rows), len(self.failure_rows) + len(failures) - 1
        else:
            first, last = first_stored, first_stored + len(batch) - 1
        self.beginInsertRows(QModelIndex(), first, last)
        self._store(batch, failures)
        self.endInsertRows()

    def _store(self, batch: Sequence[Delivery], failures: list[int]) -> None:
        first = len(self.numbers)
        self.numbers.extend(d.number for d in batch)
        self.partitions.extend(d.partition for d in batch)
        self.offsets.extend(d.offset for d in batch)
        self.timestamps.extend(d.timestamp for d in batch)
        self.ts_types.extend(d.timestamp_type for d in batch)
        for row in failures:
            self.errors[row] = batch[row - first].error
        self.failure_rows.extend(failures)

    def set_failures_only(self, on: bool) -> None:
        if on != self.failures_only:
            self.beginResetModel()
            self.failures_only = on
            self.endResetModel()

    def failure_reasons(self, top: int = 3) -> list[tuple[str, int]]:
        """The commonest error sentences with their counts, most frequent first."""
        return collections.Counter(self.errors.values()).most_common(top)

    def delivery(self, view_row: int) -> Delivery:
        row = self._row(view_row)
        return Delivery(self.numbers[row], self.partitions[row], self.offsets[row], self.timestamps[row],
                        self.ts_types[row], self.errors.get(row, ""))

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.row_count():
            return None
        row = self._row(index.row())
        col = index.column()
        if role == DISPLAY:
            if col == self.COL_NUMBER:
                return f"{self.numbers[row]:,}"
            if col == self.COL_PARTITION:
                p = self.partitions[row]
                return str(p) if p >= 0 else "—"
            if col == self.COL_OFFSET:
                o = self.offsets[row]
                return f"{o:,}" if o != NOT_KNOWN else "—"
            if col == self.COL_TIMESTAMP:
                if row in self.errors:
                    return "—"
                kind = self.ts_types[row]
                text = format_timestamp(self.timestamps[row])
                return text if kind != 2 else f"{text} (broker time)"
            error = self.errors.get(row)
            if error is not None:
                return f"✖ {error}"
            return "✔ delivered" if self.offsets[row] != NOT_KNOWN else "✔ sent (acks=0: no offset)"
        if role == Qt.ItemDataRole.BackgroundRole and row in self.errors:
            return colour("critical")
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.COL_RESULT and row in self.errors:
                return self.errors[row]
            if col == self.COL_TIMESTAMP and row not in self.errors:
                return f"{self.timestamps[row]} ms ({TIMESTAMP_TYPES.get(self.ts_types[row], '?')})"
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (self.COL_NUMBER, self.COL_PARTITION,
                                                                  self.COL_OFFSET):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
