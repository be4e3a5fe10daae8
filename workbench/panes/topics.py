"""The topics pane: a searchable topic list, per-partition details, configs, and the topic-changing actions.

Intents (signals) go out to the composition root; data comes in through the show_*
slots. The topic list is a QAbstractTableModel behind a QSortFilterProxyModel. To
stay smooth at 10,000+ topics, rows are appended in chunks with the event loop
running in between, display strings are computed once per row, the filter is
computed in Python over the names (one pass, then one boolean per row for the proxy)
and sorting is done by the source model on its own list (the proxy delegates to it),
so Qt never calls back into Python once per comparison.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import Problem
from workbench.services.model import ConfigValue, PartitionState, TopicSummary
from workbench.ui.models import HeaderedTableModel
from workbench.ui.theme import colour
from workbench.ui.widgets import ProblemBanner, TypedConfirmDialog, human_bytes

Index = QModelIndex | QPersistentModelIndex
CHUNK = 2000
DISPLAY = Qt.ItemDataRole.DisplayRole


def is_internal(t: TopicSummary) -> bool:
    """Kafka's own topics (the broker's internal flag: __consumer_offsets, __transaction_state) and those of tools
    around it, which by convention start with an underscore (_schemas, _confluent-*, __amazon_msk_canary)."""
    return t.internal or t.name.startswith("_")


class TopicTableModel(HeaderedTableModel):
    headers = ("Topic", "Partitions", "Replicas", "URP", "Offline")

    def __init__(self) -> None:
        super().__init__()
        self.topics: list[TopicSummary] = []
        self._text: list[tuple[str, ...]] = []
        self.lower_names: list[str] = []  # per row, for the filter (computed once, not per keystroke)
        self.internal: list[bool] = []
        self.internal_count = 0

    def row_count(self) -> int:
        return len(self.topics)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.topics):
            return None
        if role == DISPLAY:
            return self._text[index.row()][index.column()]
        if role == Qt.ItemDataRole.BackgroundRole:
            t = self.topics[index.row()]
            if t.offline:
                return colour("critical")
            if t.under_replicated:
                return colour("warning")
        if role == Qt.ItemDataRole.ToolTipRole:
            t = self.topics[index.row()]
            if t.offline:
                return f"{t.offline} partition(s) have no leader"
            if t.under_replicated:
                return f"{t.under_replicated} partition(s) are under-replicated"
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _row(t: TopicSummary) -> tuple[str, ...]:
        return (t.name, str(t.partitions), str(t.replication_factor), str(t.under_replicated) if t.under_replicated
                else "", str(t.offline) if t.offline else "")

    def update(self, topics: Sequence[TopicSummary]) -> bool:
        """Take new figures for the same topics in place (rows keep their order, selection and scroll); False when
        the set of topics changed and the list must be replaced."""
        fresh = {t.name: t for t in topics}
        if len(fresh) != len(self.topics) or any(t.name not in fresh for t in self.topics):
            return False
        for row, old in enumerate(self.topics):
            new = fresh[old.name]
            if new != old:
                self.topics[row] = new
                self._text[row] = self._row(new)
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.headers) - 1))
        return True

    def update_health(self, name: str, under_replicated: int, offline: int) -> None:
        """The URP and offline counts of one topic, from its partitions just described (fresher than the list's)."""
        for row, old in enumerate(self.topics):
            if old.name == name and (old.under_replicated, old.offline) != (under_replicated, offline):
                new = dataclasses.replace(old, under_replicated=under_replicated, offline=offline)
                self.topics[row], self._text[row] = new, self._row(new)
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.headers) - 1))

    def clear(self) -> None:
        self.beginResetModel()
        self.topics, self._text, self.lower_names, self.internal, self.internal_count = [], [], [], [], 0
        self.endResetModel()

    def append(self, chunk: Sequence[TopicSummary]) -> None:
        if not chunk:
            return
        first = len(self.topics)
        self.beginInsertRows(QModelIndex(), first, first + len(chunk) - 1)
        self.topics.extend(chunk)
        self._text.extend(self._row(t) for t in chunk)
        self.lower_names.extend(t.name.lower() for t in chunk)
        flags = [is_internal(t) for t in chunk]
        self.internal.extend(flags)
        self.internal_count += sum(flags)
        self.endInsertRows()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        keyers = [lambda t: t.name, lambda t: t.partitions, lambda t: t.replication_factor,
                  lambda t: t.under_replicated, lambda t: t.offline]
        if not 0 <= column < len(keyers):
            return
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_names = [self.topics[i.row()].name for i in old]
        rows = sorted(zip(self.topics, self._text, self.lower_names, self.internal, strict=True),
                      key=lambda p: (keyers[column](p[0]), p[0].name), reverse=order == Qt.SortOrder.DescendingOrder)
        self.topics = [p[0] for p in rows]
        self._text = [p[1] for p in rows]
        self.lower_names = [p[2] for p in rows]
        self.internal = [p[3] for p in rows]
        where = {t.name: i for i, t in enumerate(self.topics)}
        self.changePersistentIndexList(old, [self.index(where[n], i.column()) for n, i in zip(old_names, old,
                                                                                                 strict=True)])
        self.layoutChanged.emit()


class TopicFilterProxy(QSortFilterProxyModel):
    """Filters by a precomputed per-row flag (the search text; internal topics unless shown); sorting is delegated
    to the source model."""

    def __init__(self) -> None:
        super().__init__()
        self._query = ""
        self.show_internal = False
        self._accept: list[bool] = []
        self.setDynamicSortFilter(False)

    def set_query(self, text: str) -> None:
        self._query = text.strip().lower()
        self.beginFilterChange()
        self._recompute()
        self.endFilterChange()

    def set_show_internal(self, show: bool) -> None:
        self.show_internal = show
        self.set_query(self._query)

    @property
    def _filtering(self) -> bool:
        return bool(self._query) or not self.show_internal

    def _recompute(self) -> None:
        src = self.sourceModel()
        if not isinstance(src, TopicTableModel) or not self._filtering:
            self._accept = []
            return
        q = self._query
        if self.show_internal:
            self._accept = [q in n for n in src.lower_names]
        elif q:
            self._accept = [q in n and not i for n, i in zip(src.lower_names, src.internal, strict=True)]
        else:
            self._accept = [not i for i in src.internal]

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._filtering:
            return True
        if source_row >= len(self._accept):
            self._recompute()
        return self._accept[source_row] if source_row < len(self._accept) else True

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        src = self.sourceModel()
        if isinstance(src, TopicTableModel):
            src.sort(column, order)
            if self._filtering:
                self.set_query(self._query)


class PartitionTableModel(HeaderedTableModel):
    headers = ("Partition", "Leader", "Replicas", "ISR", "Low watermark", "High watermark", "Messages", "Size")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[PartitionState] = []

    def row_count(self) -> int:
        return len(self.rows)

    def set_rows(self, rows: list[PartitionState]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        p = self.rows[index.row()]
        if role == DISPLAY:
            def num(v: int | None) -> str:
                return "?" if v is None else str(v)
            return (str(p.partition), "none (offline)" if p.offline else str(p.leader),
                    ", ".join(map(str, p.replicas)), ", ".join(map(str, p.isr)), num(p.low), num(p.high),
                    num(p.messages), human_bytes(p.size))[index.column()]
        if role == Qt.ItemDataRole.BackgroundRole:
            if p.offline:
                return colour("critical")
            if p.under_replicated:
                return colour("warning")
        if role == Qt.ItemDataRole.ToolTipRole:
            if p.offline:
                return "Offline: this partition has no leader, so it can be neither read nor written."
            if p.under_replicated:
                return "Under-replicated: the ISR is shorter than the replica list."
        return None


class ConfigTableModel(HeaderedTableModel):
    """Configs of one topic: value editable; overrides in bold; changes kept until saved."""

    headers = ("Name", "Value", "Default", "Source")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[ConfigValue] = []
        self.changes: dict[str, str | None] = {}
        self.read_only = False

    def row_count(self) -> int:
        return len(self.rows)

    def set_rows(self, rows: list[ConfigValue]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.changes = {}
        self.endResetModel()

    def _value(self, c: ConfigValue) -> str:
        if c.name in self.changes:
            changed = self.changes[c.name]
            return f"{c.default or ''} (override removed)" if changed is None else changed
        if c.sensitive:
            return "(sensitive)"
        return "" if c.value is None else c.value

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        c = self.rows[index.row()]
        if role in (DISPLAY, Qt.ItemDataRole.EditRole):
            return (c.name, self._value(c), "" if c.default is None else c.default,
                    "default" if c.is_default else c.source.replace("_", " ").lower())[index.column()]
        if role == Qt.ItemDataRole.FontRole and (c.is_override or c.name in self.changes):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and c.is_override and index.column() == 1:
            return colour("override")
        if role == Qt.ItemDataRole.ToolTipRole:
            return "Override (differs from the default)" if c.is_override else "Default value"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == 1 and not self.read_only and \
                not self.rows[index.row()].read_only:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != 1 or role != Qt.ItemDataRole.EditRole:
            return False
        c = self.rows[index.row()]
        text = str(value)
        if text == (c.value or "") and c.name in self.changes:
            del self.changes[c.name]
        elif text != (c.value or ""):
            self.changes[c.name] = text
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), self.columnCount() - 1))
        return True

    def remove_override(self, row: int) -> None:
        if 0 <= row < len(self.rows) and self.rows[row].is_override:
            self.changes[self.rows[row].name] = None
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))


class CreateTopicDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Create topic")
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.name.setObjectName("name")
        self.partitions = QSpinBox()
        self.partitions.setRange(1, 100000)
        self.partitions.setValue(3)
        self.replication = QSpinBox()
        self.replication.setRange(1, 32)
        self.configs = QPlainTextEdit()
        self.configs.setPlaceholderText("retention.ms=86400000\ncleanup.policy=delete")
        self.configs.setFixedHeight(90)
        form.addRow("Name", self.name)
        form.addRow("Partitions", self.partitions)
        form.addRow("Replication factor", self.replication)
        form.addRow("Configs (key=value per line)", self.configs)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def config_dict(self) -> dict[str, str]:
        out = {}
        for line in self.configs.toPlainText().splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip():
                out[key.strip()] = value.strip()
        return out


class TopicsPane(QWidget):
    # intents
    refresh_requested = Signal()
    topic_selected = Signal(str)
    create_requested = Signal(str, int, int, object)
    delete_requested = Signal(str)
    configs_save_requested = Signal(str, object)
    add_partitions_requested = Signal(str, int)
    delete_records_requested = Signal(str, object)
    browse_requested = Signal(str)  # open the topic's messages
    # notification for observers (tests, status bar): what was just shown
    shown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.read_only = False
        self.current: str | None = None
        self.pending_select: str | None = None  # select this topic once the list is shown
        self._loading: asyncio.Task[None] | None = None
        self.model = TopicTableModel()
        self.proxy = TopicFilterProxy()
        self.proxy.setSourceModel(self.model)
        self.partition_model = PartitionTableModel()
        self.config_model = ConfigTableModel()

        self.search = QLineEdit()
        self.search.setObjectName("topic-search")
        self.search.setPlaceholderText("Filter topics (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(120)
        self._filter_timer.timeout.connect(self._apply_filter)
        self.search.textChanged.connect(lambda _t: self._filter_timer.start())
        self.show_internal = QCheckBox("Show internal topics")
        self.show_internal.setObjectName("show-internal-topics")
        self.show_internal.setToolTip("Kafka's own topics (__consumer_offsets, ...) and those of tools around it, "
                                      "whose names start with an underscore")
        self.show_internal.toggled.connect(self._show_internal_toggled)
        self.count_label = QLabel("")
        self.refresh_button = QPushButton("Refresh")
        self.create_button = QPushButton("Create…")
        self.delete_button = QPushButton("Delete…")
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.create_button.clicked.connect(self.ask_create)
        self.delete_button.clicked.connect(self.ask_delete)

        self.table = QTableView()
        self.table.setObjectName("topics")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.doubleClicked.connect(lambda _index: self._browse())
        self.table.setToolTip("Double-click a topic (or press Browse messages) to read its messages.")

        self.banner = ProblemBanner()
        self.title = QLabel("Select a topic")
        font = self.title.font()
        font.setPointSize(font.pointSize() + 2)
        font.setBold(True)
        self.title.setFont(font)

        self.partitions_view = QTableView()
        self.partitions_view.setObjectName("partitions")
        self.partitions_view.setModel(self.partition_model)
        self.partitions_view.verticalHeader().hide()
        self.partitions_view.horizontalHeader().setStretchLastSection(True)
        self.add_partitions_spin = QSpinBox()
        self.add_partitions_spin.setRange(1, 100000)
        self.add_partitions_button = QPushButton("Add partitions")
        self.add_partitions_button.clicked.connect(self._ask_add_partitions)
        self.delete_records_offset = QSpinBox()
        self.delete_records_offset.setRange(0, 2**31 - 1)
        self.delete_records_button = QPushButton("Delete records before offset…")
        self.delete_records_button.clicked.connect(self._ask_delete_records)
        self.purge_button = QPushButton("Purge…")
        self.purge_button.clicked.connect(self._ask_purge)

        self.configs_view = QTableView()
        self.configs_view.setObjectName("configs")
        self.configs_view.setModel(self.config_model)
        self.configs_view.verticalHeader().hide()
        self.configs_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.configs_view.horizontalHeader().setStretchLastSection(True)
        self.overrides_only = QCheckBox("Overrides only")
        self.overrides_only.toggled.connect(self._filter_configs)
        self.config_note = QLabel("")
        self.remove_override_button = QPushButton("Remove override")
        self.remove_override_button.clicked.connect(self._remove_override)
        self.save_configs_button = QPushButton("Save changes")
        self.save_configs_button.clicked.connect(self._save_configs)
        self.config_model.dataChanged.connect(self._update_actions)
        self.config_model.modelReset.connect(self._update_actions)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.show_internal)
        top.addWidget(self.refresh_button)
        lv.addLayout(top)
        self.browse_button = QPushButton("Browse messages")
        self.browse_button.setObjectName("browse-messages")
        self.browse_button.clicked.connect(self._browse)
        lv.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.browse_button)
        bottom.addWidget(self.create_button)
        bottom.addWidget(self.delete_button)
        lv.addLayout(bottom)

        parts_page = QWidget()
        pv = QVBoxLayout(parts_page)
        pv.addWidget(self.partitions_view, 1)
        actions = QHBoxLayout()
        actions.addWidget(QLabel("Total partitions:"))
        actions.addWidget(self.add_partitions_spin)
        actions.addWidget(self.add_partitions_button)
        actions.addStretch(1)
        actions.addWidget(QLabel("Offset:"))
        actions.addWidget(self.delete_records_offset)
        actions.addWidget(self.delete_records_button)
        actions.addWidget(self.purge_button)
        pv.addLayout(actions)

        cfg_page = QWidget()
        cv = QVBoxLayout(cfg_page)
        cv.addWidget(self.config_note)
        cv.addWidget(self.configs_view, 1)
        cact = QHBoxLayout()
        cact.addWidget(self.overrides_only)
        cact.addStretch(1)
        cact.addWidget(self.remove_override_button)
        cact.addWidget(self.save_configs_button)
        cv.addLayout(cact)

        self.details = QTabWidget()
        self.details.addTab(parts_page, "Partitions")
        self.details.addTab(cfg_page, "Configs")
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.title)
        rv.addWidget(self.details, 1)

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([560, 800])
        self.table.horizontalHeader().setMinimumSectionSize(60)
        # numbers need no more than their title (the topic name takes the rest); the partition table fits unscrolled
        for view, first in ((self.table, 1), (self.partitions_view, 0)):
            header, model = view.horizontalHeader(), view.model()
            for column in range(first, model.columnCount()):
                title = str(model.headerData(column, Qt.Orientation.Horizontal))
                header.resizeSection(column, max(64, header.fontMetrics().horizontalAdvance(title) + 24))
        outer = QVBoxLayout(self)
        outer.addWidget(self.banner)
        outer.addWidget(split, 1)
        self._update_actions()

    # -- data in -------------------------------------------------------------------------

    def show_topics(self, topics: list[TopicSummary]) -> None:
        """Replace the list; rows arrive in chunks so the event loop keeps running at 10,000 topics."""
        if self._loading is not None:
            self._loading.cancel()
        self.banner.clear()
        selected = self.pending_select or self.current
        self.pending_select = None
        self.current = None
        self.model.clear()
        self._loading = asyncio.get_event_loop().create_task(self._fill(topics, selected))

    def update_topics(self, topics: list[TopicSummary]) -> None:
        """New figures for the list (a periodic reload): in place when the topics are the same, else replaced."""
        if self._loading is not None or not self.model.update(topics):
            self.show_topics(topics)

    async def _fill(self, topics: list[TopicSummary], selected: str | None) -> None:
        for start in range(0, len(topics), CHUNK):
            self.model.append(topics[start:start + CHUNK])
            self.count_label.setText(f"Loading… {min(start + CHUNK, len(topics)):,} of {len(topics):,} topics")
            await asyncio.sleep(0)
        self.proxy.set_query(self.search.text())
        self._update_count()
        if selected is not None:
            self.select(selected)
        self._loading = None
        self.shown.emit("topics")

    def select(self, name: str) -> bool:
        for row, t in enumerate(self.model.topics):
            if t.name == name:
                proxy_index = self.proxy.mapFromSource(self.model.index(row, 0))
                if proxy_index.isValid():
                    self.table.setCurrentIndex(proxy_index)
                    return True
        return False

    def show_partitions(self, topic: str, parts: list[PartitionState]) -> None:
        if topic != self.current:
            return
        self.partition_model.set_rows(parts)
        self.add_partitions_spin.setMinimum(max(1, len(parts)))
        self.add_partitions_spin.setValue(len(parts) + 1)
        urp = sum(1 for p in parts if p.under_replicated)
        off = sum(1 for p in parts if p.offline)
        self.model.update_health(topic, urp, off)
        total = sum(p.messages or 0 for p in parts)
        size = sum(p.size or 0 for p in parts) if any(p.size is not None for p in parts) else None
        flags = "".join([f", {off} offline" if off else "", f", {urp} under-replicated" if urp else ""])
        self.title.setText(f"{topic} — {len(parts)} partitions, {total:,} messages, {human_bytes(size)}{flags}")
        self._update_actions()
        self.shown.emit("partitions")

    def show_configs(self, topic: str, configs: list[ConfigValue]) -> None:
        if topic != self.current:
            return
        self.config_model.set_rows(configs)
        overrides = sum(1 for c in configs if c.is_override)
        self.config_note.setText(f"{len(configs)} configs, {overrides} overridden (bold).")
        self._filter_configs()
        self.shown.emit("configs")

    def show_configs_unavailable(self, topic: str, problem: Problem) -> None:
        if topic != self.current:
            return
        self.config_model.set_rows([])
        self.config_note.setText(f"Configs are not available: {problem.sentence}")
        self.shown.emit("configs")

    def show_problem(self, problem: Problem) -> None:
        self.banner.show_problem(problem)
        if self._loading is None and not self.model.topics:
            self.count_label.setText("")
        self.shown.emit("problem")

    def show_note(self, text: str) -> None:
        self.banner.show_note(text)
        self.shown.emit("note")

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self.config_model.read_only = read_only
        self._update_actions()

    def clear(self) -> None:
        self.current = None
        self.model.clear()
        self.partition_model.set_rows([])
        self.config_model.set_rows([])
        self.title.setText("Select a topic")
        self.banner.clear()
        self._update_actions()

    # -- intents out ---------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _apply_filter(self) -> None:
        self.proxy.set_query(self.search.text())
        self._update_count()
        self.shown.emit("filter")

    def _show_internal_toggled(self, show: bool) -> None:
        self.proxy.set_show_internal(show)
        self._update_count()
        self.shown.emit("filter")

    def _update_count(self) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        text = f"{total:,} topics" if shown == total else f"{shown:,} of {total:,} topics"
        hidden = 0 if self.proxy.show_internal else self.model.internal_count
        self.count_label.setText(f"{text} ({hidden:,} internal hidden)" if hidden else text)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        src = self.proxy.mapToSource(current)
        name = self.model.topics[src.row()].name
        if name == self.current:
            return
        self.current = name
        self.title.setText(name)
        self.partition_model.set_rows([])
        self.config_model.set_rows([])
        self._update_actions()
        self.topic_selected.emit(name)

    def ask_create(self) -> None:
        if self.read_only:
            return
        dlg = CreateTopicDialog(self)
        dlg.accepted.connect(lambda: self.create_requested.emit(dlg.name.text().strip(), dlg.partitions.value(),
                                                                dlg.replication.value(), dlg.config_dict()))
        dlg.open()

    def ask_delete(self) -> None:
        if self.read_only or self.current is None:
            return
        name = self.current
        dlg = TypedConfirmDialog("Delete topic", f"Delete topic {name} and all its messages? This cannot be undone.",
                                 name, "Delete topic", self)
        dlg.accepted.connect(lambda: self.delete_requested.emit(name))
        dlg.open()

    def _ask_add_partitions(self) -> None:
        if self.current is not None and not self.read_only:
            self.add_partitions_requested.emit(self.current, self.add_partitions_spin.value())

    def _ask_delete_records(self) -> None:
        if self.current is None or self.read_only:
            return
        name, offset = self.current, self.delete_records_offset.value()
        selected = sorted({i.row() for i in self.partitions_view.selectionModel().selectedRows()})
        parts = [self.partition_model.rows[r].partition for r in selected] or \
            [p.partition for p in self.partition_model.rows]
        scope = f"partition(s) {', '.join(map(str, parts))}"
        dlg = TypedConfirmDialog("Delete records", f"Delete every record before offset {offset} in {scope} of "
                                 f"{name}? This cannot be undone.", name, "Delete records", self)
        dlg.accepted.connect(lambda: self.delete_records_requested.emit(name, {p: offset for p in parts}))
        dlg.open()

    def _ask_purge(self) -> None:
        if self.current is None or self.read_only:
            return
        name = self.current
        parts = [p.partition for p in self.partition_model.rows]
        dlg = TypedConfirmDialog("Purge topic", f"Delete every record in all {len(parts)} partitions of {name}? "
                                 "The topic and its configs stay. This cannot be undone.", name, "Purge", self)
        dlg.accepted.connect(lambda: self.delete_records_requested.emit(name, {p: -1 for p in parts}))
        dlg.open()

    def _remove_override(self) -> None:
        for index in self.configs_view.selectionModel().selectedIndexes():
            self.config_model.remove_override(index.row())

    def _save_configs(self) -> None:
        if self.current is not None and self.config_model.changes and not self.read_only:
            self.configs_save_requested.emit(self.current, dict(self.config_model.changes))

    def _filter_configs(self) -> None:
        only = self.overrides_only.isChecked()
        for row, c in enumerate(self.config_model.rows):
            self.configs_view.setRowHidden(row, only and not c.is_override)

    def _browse(self) -> None:
        if self.current is not None:
            self.browse_requested.emit(self.current)

    def _update_actions(self, *_args: Any) -> None:
        has = self.current is not None
        writable = not self.read_only
        self.browse_button.setEnabled(has)
        self.create_button.setEnabled(writable)
        self.delete_button.setEnabled(writable and has)
        for w in (self.add_partitions_button, self.delete_records_button, self.purge_button,
                  self.add_partitions_spin, self.delete_records_offset):
            w.setEnabled(writable and has and bool(self.partition_model.rows))
        self.remove_override_button.setEnabled(writable and has and bool(self.config_model.rows))
        self.save_configs_button.setEnabled(writable and bool(self.config_model.changes))
        tip = "This profile is read-only." if self.read_only else ""
        for b in (self.create_button, self.delete_button, self.add_partitions_button, self.delete_records_button,
                  self.purge_button, self.save_configs_button, self.remove_override_button):
            b.setToolTip(tip)
