"""A scan's progress on screen: what is read and why, an overall bar, per-partition progress, the stop reason."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QProgressBar, QTableView, QVBoxLayout, QWidget

from workbench.services.scan import Outcome, PartitionProgress, Progress
from workbench.services.scan_request import ScanPlan
from workbench.ui.models import HeaderedTableModel
from workbench.ui.theme import colour

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole


class PartitionProgressModel(HeaderedTableModel):
    headers = ("Partition", "Start", "Reached", "End", "Read", "Matched", "Done")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[PartitionProgress] = []

    def row_count(self) -> int:
        return len(self.rows)

    def set_rows(self, rows: tuple[PartitionProgress, ...]) -> None:
        if len(rows) != len(self.rows):
            self.beginResetModel()
            self.rows = list(rows)
            self.endResetModel()
            return
        self.rows = list(rows)
        if rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(self.headers) - 1))

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        p = self.rows[index.row()]
        if role == DISPLAY:
            frac = p.fraction
            done = "✔" if p.done else ("live" if p.end is None else f"{frac * 100:.0f}%" if frac is not None else "")
            return (str(p.partition), f"{p.start:,}", f"{p.position:,}", "live" if p.end is None else f"{p.end:,}",
                    f"{p.read:,}", f"{p.matched:,}", done)[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ScanProgressView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.note = QLabel("Choose a topic and press Read.")
        self.note.setObjectName("scan-note")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bar = QProgressBar()
        self.bar.setObjectName("scan-bar")
        self.bar.setRange(0, 1000)
        self.bar.setMaximumWidth(260)
        self.bar.setFormat("%p%")
        top.addWidget(self.note, 1)
        top.addWidget(self.bar)
        layout.addLayout(top)
        self.counts = QLabel("")
        self.counts.setObjectName("scan-counts")
        layout.addWidget(self.counts)
        self.reason = QLabel("")
        self.reason.setObjectName("scan-reason")
        self.reason.setWordWrap(True)
        self.reason.setContentsMargins(6, 3, 6, 3)
        layout.addWidget(self.reason)
        # Nothing here changes size while a scan runs: a layout change moves the results table and repaints the
        # whole pane (tens of milliseconds of the GUI thread), so the labels have fixed heights, the stop reason's
        # line is always there (empty until a scan stops) and the partitions table is always five rows tall.
        lines = self.note.fontMetrics().lineSpacing()
        self.note.setFixedHeight(2 * lines + 2)
        self.counts.setFixedHeight(lines + 2)
        self.reason.setFixedHeight(2 * lines + 8)
        self.model = PartitionProgressModel()
        self.table = QTableView()
        self.table.setObjectName("scan-partitions-progress")
        self.table.setModel(self.model)
        vh = self.table.verticalHeader()
        vh.hide()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(20)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self._fit_table()
        layout.addWidget(self.table)
        self.plan: ScanPlan | None = None

    def started(self, plan: ScanPlan, what: str = "") -> None:
        self.plan = plan
        self.note.setText(plan.note + (f" {what}" if what else ""))
        self.counts.setText("Starting…")
        self._paint_reason("", None)
        live = any(r.end is None for r in plan.ranges)
        self.bar.setRange(0, 0 if live else 1000)
        self.bar.setValue(0)
        self.model.set_rows(tuple(PartitionProgress(r.partition, r.start, r.start, r.end, 0, 0, r.empty)
                                  for r in plan.ranges))
        self._fit_table()

    def _fit_table(self) -> None:
        """Five rows tall (more scroll), whatever the partition count: see the layout note in __init__."""
        header = self.table.horizontalHeader().sizeHint().height()
        self.table.setFixedHeight(header + 5 * 20 + 4)

    def show_progress(self, progress: Progress) -> None:
        self.model.set_rows(progress.partitions)
        span = sum((p.end - p.start) for p in progress.partitions if p.end is not None and p.end > p.start)
        got = sum(min(p.position, p.end) - p.start for p in progress.partitions
                  if p.end is not None and p.end > p.start)
        if self.bar.maximum() > 0:
            self.bar.setValue(1000 if span <= 0 else int(1000 * got / span))
        mib = progress.read_bytes / (1024 * 1024)
        noun = "message" if progress.read == 1 else "messages"
        self.counts.setText(f"Read {progress.read:,} {noun} ({mib:,.1f} MiB), {progress.matched:,} matching, "
                            f"{progress.rate:,.0f} messages/s, {progress.elapsed:.1f} s")

    def finished(self, outcome: Outcome) -> None:
        self.show_progress(outcome.progress)
        self.bar.setRange(0, 1000)
        if outcome.reason == "done":
            self.bar.setValue(1000)
        state = {"done": "healthy", "limit": "info", "budget": "warning", "cancelled": "unreachable"}.get(
            outcome.reason, "critical")
        self._paint_reason(outcome.sentence, state)

    def failed(self, sentence: str) -> None:
        self.bar.setRange(0, 1000)
        self._paint_reason(sentence, "critical")

    def _paint_reason(self, text: str, state: str | None) -> None:
        self.reason.setAutoFillBackground(state is not None)
        if state is not None:
            pal = self.reason.palette()
            pal.setColor(self.reason.backgroundRole(), colour(state))
            self.reason.setPalette(pal)
        self.reason.setText(text)
        self.reason.setToolTip(text)

    def clear(self) -> None:
        self.plan = None
        self.note.setText("Choose a topic and press Read.")
        self.counts.setText("")
        self._paint_reason("", None)
        self.bar.setRange(0, 1000)
        self.bar.setValue(0)
        self.model.set_rows(())
        self._fit_table()

    @property
    def reason_text(self) -> str:
        return self.reason.text()
