"""Table models of the consumer-groups pane: groups, members, partitions with lag, a reset plan, the reset history.

Each is a list of plain values (services/group_model.py, reset_plan.py) shown through a
column table: header, display text, sort key and alignment per column, so the models
stay small. Sorting is one Python sort of the model's own list (the proxy delegates to
it) and the proxy filters on the first column's text, so Qt never calls back into Python
once per comparison: with hundreds of groups that kept list reloads and lag updates of
the GUI thread under a few milliseconds instead of ~100 ms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QFont

from workbench.services.group_model import GroupSummary, MemberInfo, PartitionLag, ResetRecord, assignment_text
from workbench.services.reset_plan import PlanRow
from workbench.ui.models import HeaderedTableModel
from workbench.ui.theme import colour

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole
SORT = Qt.ItemDataRole.UserRole + 1
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
BUSY_STATES = ("PreparingRebalance", "CompletingRebalance", "Assigning", "Reconciling")
T = TypeVar("T")


def num(v: int | None) -> str:
    return "–" if v is None else f"{v:,}"


def when(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


class Column(Generic[T]):
    def __init__(self, header: str, text: Callable[[T], str], key: Callable[[T], Any] | None = None,
                 numeric: bool = False) -> None:
        self.header, self.text, self.numeric = header, text, numeric
        self.key = key or text


class RecordTableModel(HeaderedTableModel, Generic[T]):
    """Rows of one record type; the columns say how each is shown and sorted."""

    columns: Sequence[Column[T]] = ()

    def __init__(self) -> None:
        super().__init__()
        self.headers = tuple(c.header for c in self.columns)
        self.rows: list[T] = []

        self.sort_column = -1
        self.sort_order = Qt.SortOrder.AscendingOrder

    def row_count(self) -> int:
        return len(self.rows)

    def set_rows(self, rows: Sequence[T]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        if self.sort_column >= 0:
            self.rows.sort(key=self._sort_key, reverse=self.sort_order == Qt.SortOrder.DescendingOrder)
        self.endResetModel()

    def _sort_key(self, row: T) -> tuple[bool, Any]:
        key = self.columns[self.sort_column].key(row)
        return (key is not None, key if key is not None else 0)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self.sort_column, self.sort_order = column, order
        self.resort()

    def resort(self) -> None:
        """Order the rows by the sort column again (after values changed), keeping selections on their rows."""
        if self.sort_column < 0 or len(self.rows) < 2:
            return
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        moved = [self.rows[i.row()] for i in old]
        self.rows.sort(key=self._sort_key, reverse=self.sort_order == Qt.SortOrder.DescendingOrder)
        where = {id(r): n for n, r in enumerate(self.rows)}
        self.changePersistentIndexList(old, [self.index(where[id(r)], i.column()) for r, i in zip(moved, old,
                                                                                                 strict=True)])
        self.layoutChanged.emit()

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows) or \
                not 0 <= index.column() < len(self.columns):
            return None
        row, col = self.rows[index.row()], self.columns[index.column()]
        if role == DISPLAY:
            return col.text(row)
        if role == SORT:
            key = col.key(row)
            return -1 if key is None else key
        if role == Qt.ItemDataRole.TextAlignmentRole and col.numeric:
            return RIGHT
        return self.extra(row, index.column(), role)

    def extra(self, row: T, column: int, role: int) -> Any:
        """Colours, fonts and tooltips of a row (none by default)."""
        return None


class RecordProxy(QSortFilterProxyModel):
    """Filters on the first column's text (case-insensitive substring); sorting is the source model's."""

    def __init__(self, model: RecordTableModel[Any]) -> None:
        super().__init__()
        self.setSourceModel(model)
        self.setDynamicSortFilter(False)
        self.records = model
        self.query = ""

    def set_query(self, text: str) -> None:
        self.beginFilterChange()
        self.query = text.strip().lower()
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self.query or not 0 <= source_row < len(self.records.rows):
            return True
        return self.query in self.records.columns[0].text(self.records.rows[source_row]).lower()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.records.sort(column, order)


def sorting_proxy(model: RecordTableModel[Any]) -> RecordProxy:
    return RecordProxy(model)


class GroupTableModel(RecordTableModel[GroupSummary]):
    columns = (
        Column("Group", lambda g: g.group_id),
        Column("State", lambda g: g.state or "–"),
        Column("Members", lambda g: num(g.members), lambda g: g.members, numeric=True),
        Column("Lag", lambda g: num(g.lag), lambda g: g.lag, numeric=True),
        Column("Type", lambda g: g.type or "–"),
        Column("Protocol type", lambda g: g.protocol_type or "(offsets only)"),
        Column("Assignor", lambda g: g.assignor or "–"),
        Column("Coordinator", lambda g: g.coordinator or "–"),
    )
    LAG_COLUMN = 3

    def __init__(self) -> None:
        super().__init__()
        self.pinned: frozenset[str] = frozenset()

    def set_pinned(self, pinned: frozenset[str]) -> None:
        self.pinned = pinned
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, 0))

    def update_lags(self, lags: dict[str, int | None]) -> None:
        """New total lags from the sampler, without resetting the model (selection and scroll stay)."""
        import dataclasses

        changed = []
        for row, g in enumerate(self.rows):
            if g.group_id in lags and lags[g.group_id] is not None and lags[g.group_id] != g.lag:
                self.rows[row] = dataclasses.replace(g, lag=lags[g.group_id])
                changed.append(row)
        if changed:  # one signal for the whole column range: views repaint it once
            col = self.LAG_COLUMN
            self.dataChanged.emit(self.index(changed[0], col), self.index(changed[-1], col))
            if self.sort_column == col:
                self.resort()

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if role == DISPLAY and index.isValid() and index.column() == 0 and 0 <= index.row() < len(self.rows) and \
                self.rows[index.row()].group_id in self.pinned:
            return f"★ {self.rows[index.row()].group_id}"
        return super().data(index, role)

    def extra(self, g: GroupSummary, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.FontRole and column == 0 and g.group_id in self.pinned:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole and column == 1 and g.state in BUSY_STATES:
            return colour("warning")
        if role == Qt.ItemDataRole.ToolTipRole:
            tips = []
            if g.group_id in self.pinned:
                tips.append("Pinned: its lag is sampled even when it is not on screen.")
            if g.note:
                tips.append(g.note)
            if column == 1 and not g.inactive:
                tips.append("Active: its offsets cannot be reset until its members stop.")
            return " ".join(tips) or None
        return None


class MemberModel(RecordTableModel[MemberInfo]):
    columns = (
        Column("Member id", lambda m: m.member_id),
        Column("Instance id", lambda m: m.instance_id or "–"),
        Column("Client id", lambda m: m.client_id),
        Column("Host", lambda m: m.host),
        Column("#Partitions", lambda m: str(len(m.assignment)), lambda m: len(m.assignment), numeric=True),
        Column("Assignment", lambda m: m.assignment_text or "–"),
        Column("Target assignment", lambda m: assignment_text(m.target) if m.target else "–"),
    )


class PartitionLagModel(RecordTableModel[PartitionLag]):
    columns = (
        Column("Topic", lambda p: p.topic),
        Column("Partition", lambda p: str(p.partition), lambda p: p.partition, numeric=True),
        Column("Committed", lambda p: num(p.committed), lambda p: p.committed, numeric=True),
        Column("Log end", lambda p: num(p.log_end), lambda p: p.log_end, numeric=True),
        Column("Lag", lambda p: num(p.lag), lambda p: p.lag, numeric=True),
        Column("Log start", lambda p: num(p.log_start), lambda p: p.log_start, numeric=True),
        Column("Member", lambda p: f"{p.client_id} ({p.host})" if p.member_id else "–"),
        Column("Metadata", lambda p: p.metadata),
    )

    def extra(self, p: PartitionLag, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            if p.committed is None:
                return "No committed offset: the member's auto.offset.reset decides where it starts."
            if p.log_start is not None and p.committed < p.log_start:
                return "The committed offset is below the log start: those records were deleted."
            if column == 6 and p.member_id:
                return p.member_id
        if role == Qt.ItemDataRole.BackgroundRole and column == 2 and p.committed is not None and \
                p.log_start is not None and p.committed < p.log_start:
            return colour("warning")
        return None


def change_text(r: PlanRow) -> str:
    if r.new is None:
        return "commit removed"
    if r.current is None:
        return "new commit"
    if r.reread:
        return f"re-read {r.reread:,}"
    if r.skipped:
        return f"skip {r.skipped:,}"
    return "unchanged"


def change_key(r: PlanRow) -> int:
    return (r.skipped or 0) - (r.reread or 0)


class PlanModel(RecordTableModel[PlanRow]):
    columns = (
        Column("Topic", lambda r: r.topic),
        Column("Partition", lambda r: str(r.partition), lambda r: r.partition, numeric=True),
        Column("Current", lambda r: num(r.current), lambda r: r.current, numeric=True),
        Column("New", lambda r: "(none)" if r.new is None else f"{r.new:,}", lambda r: r.new, numeric=True),
        Column("Messages", change_text, change_key, numeric=True),
        Column("Log start", lambda r: num(r.log_start), lambda r: r.log_start, numeric=True),
        Column("Log end", lambda r: num(r.log_end), lambda r: r.log_end, numeric=True),
        Column("Note", lambda r: r.note),
    )

    def extra(self, r: PlanRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole and column in (3, 4):
            if r.skipped:
                return colour("warning")
            if r.new is None:
                return colour("critical")
        if role == Qt.ItemDataRole.FontRole and column == 3 and r.new != r.current:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and column == 4:
            if r.skipped:
                return f"{r.skipped:,} messages will never be read by this group."
            if r.reread:
                return f"{r.reread:,} messages will be read again by this group."
        return None


class HistoryModel(RecordTableModel[ResetRecord]):
    columns = (
        Column("#", lambda r: str(r.id), lambda r: r.id, numeric=True),
        Column("Applied", lambda r: when(r.applied_ms), lambda r: r.applied_ms),
        Column("Reset", lambda r: r.description),
        Column("Partitions", lambda r: str(len(r.rows)), lambda r: len(r.rows), numeric=True),
        Column("Undone", lambda r: f"by #{r.undone_by}" if r.undone_by else ("–" if r.undo_of is None
                                                                              else f"undoes #{r.undo_of}")),
    )

    def extra(self, r: ResetRecord, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and r.undone_by:
            return QColor("#8a8f98")
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.command
        return None
