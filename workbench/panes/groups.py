"""The consumer-groups pane: a searchable group list; per group its partitions with lag, members, offset resets as
plans, the resets done (for undo) and its lag over time.

Intents (signals) go out to the groups controller; data comes in through the show_*
slots. `groups_on_screen()` tells the lag sampler which groups the user can see: the
rows in the list's viewport (when the pane is visible) and the selected group.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import Problem
from workbench.services.group_model import GroupDetail, GroupSummary, ResetRecord
from workbench.services.reset_plan import ResetPlan
from workbench.ui.groups_models import (
    GroupTableModel,
    HistoryModel,
    MemberModel,
    PartitionLagModel,
    RecordProxy,
    num,
    sorting_proxy,
)
from workbench.ui.lag_chart import LagPanel
from workbench.ui.reset_panel import ResetPanel
from workbench.ui.widgets import ProblemBanner, TypedConfirmDialog


def table(proxy: RecordProxy, name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(22)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setResizeContentsPrecision(200)  # size columns by the first 200 rows, not all
    view.horizontalHeader().setStretchLastSection(True)
    return view


class GroupsPane(QWidget):
    # intents
    refresh_requested = Signal()
    group_selected = Signal(str)
    delete_group_requested = Signal(str)
    delete_offsets_requested = Signal(str, str)
    pin_requested = Signal(str, bool)
    plan_requested = Signal(str, object, object)
    apply_requested = Signal(object)
    export_requested = Signal(str)
    import_requested = Signal(str, str)
    undo_requested = Signal(str, int)
    lag_span_changed = Signal(int)
    # notification for observers (tests): what was just shown
    shown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.read_only = False
        self.current: str | None = None
        self.detail: GroupDetail | None = None
        self.model = GroupTableModel()
        self.member_model = MemberModel()
        self.partition_model = PartitionLagModel()
        self.history_model = HistoryModel()

        self.search = QLineEdit()
        self.search.setObjectName("group-search")
        self.search.setPlaceholderText("Filter groups")
        self.search.setClearButtonEnabled(True)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.proxy = sorting_proxy(self.model)
        self.table = table(self.proxy, "groups")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # the list's lag column changes every sampler tick: sizing columns to their contents would then ask the
        # model for every row's data on every tick, so the columns are sized once per listing instead
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((200, 110, 70, 80, 70, 110, 80, 170)):
            self.table.setColumnWidth(col, width)
        self.table.horizontalHeader().setResizeContentsPrecision(50)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.search.textChanged.connect(self._filter)
        self.count_label = QLabel("")
        self.pin_button = QPushButton("Pin")
        self.pin_button.setCheckable(True)
        self.pin_button.setToolTip("A pinned group's lag is sampled even when it is not on screen.")
        self.pin_button.clicked.connect(self._pin_clicked)
        self.delete_button = QPushButton("Delete group…")
        self.delete_button.clicked.connect(self.ask_delete_group)

        self.banner = ProblemBanner()
        self.title = QLabel("Select a group")
        font = self.title.font()
        font.setPointSize(font.pointSize() + 2)
        font.setBold(True)
        self.title.setFont(font)
        self.facts = QLabel("")
        self.facts.setWordWrap(True)

        self.partitions_view = table(sorting_proxy(self.partition_model), "group-partitions")
        self.offsets_topic = QComboBox()
        self.delete_offsets_button = QPushButton("Delete committed offsets of topic…")
        self.delete_offsets_button.clicked.connect(self.ask_delete_offsets)
        self.members_view = table(sorting_proxy(self.member_model), "members")
        self.members_note = QLabel("")
        self.reset = ResetPanel()
        self.reset.plan_requested.connect(lambda s, sc: self.plan_requested.emit(self.current or "", s, sc))
        self.reset.apply_requested.connect(self.apply_requested)
        self.reset.export_requested.connect(self.export_requested)
        self.reset.import_requested.connect(lambda path: self.import_requested.emit(self.current or "", path))
        self.history_proxy = sorting_proxy(self.history_model)
        self.history_view = table(self.history_proxy, "history")
        self.history_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.history_view.selectionModel().currentRowChanged.connect(lambda *_a: self._update_actions())
        self.undo_button = QPushButton("Undo…")
        self.undo_button.setToolTip("Preview the offsets this reset replaced, then apply them back.")
        self.undo_button.clicked.connect(self._ask_undo)
        self.history_note = QLabel("Resets applied from this app to this group; undo puts the replaced offsets back.")
        self.lag = LagPanel()
        self.chart = self.lag.chart
        self.lag.span_changed.connect(self.lag_span_changed)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.refresh_button)
        lv.addLayout(top)
        lv.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.pin_button)
        bottom.addWidget(self.delete_button)
        lv.addLayout(bottom)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._page(self.partitions_view, [QLabel("Topic:"), self.offsets_topic,
                                                            self.delete_offsets_button]), "Partitions")
        self.tabs.addTab(self._page(self.members_view, [self.members_note]), "Members")
        self.tabs.addTab(self.reset, "Reset offsets")
        self.tabs.addTab(self._page(self.history_view, [self.history_note, self.undo_button]), "History")
        self.tabs.addTab(self.lag, "Lag")
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.title)
        rv.addWidget(self.facts)
        rv.addWidget(self.tabs, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([620, 780])
        outer = QVBoxLayout(self)
        outer.addWidget(self.banner)
        outer.addWidget(split, 1)
        self._update_actions()

    @staticmethod
    def _page(view: QWidget, actions: list[QWidget]) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        v.addWidget(view, 1)
        row = QHBoxLayout()
        for w in actions:
            row.addWidget(w, 1 if isinstance(w, QLabel) and not w.text().endswith(":") else 0)
        if not any(isinstance(w, QLabel) and not w.text().endswith(":") for w in actions):
            row.insertStretch(0, 1)
        v.addLayout(row)
        return page

    @property
    def span_s(self) -> int:
        return self.lag.span_s

    # -- data in -----------------------------------------------------------------------------

    def show_groups(self, groups: list[GroupSummary]) -> None:
        self.banner.clear()
        selected = self.current
        self.model.set_rows(groups)
        self.table.resizeColumnToContents(0)
        self._update_count()
        if selected is not None and not self.select(selected):
            self._forget_group()
        self.shown.emit("groups")

    def update_lags(self, lags: dict[str, int | None]) -> None:
        self.model.update_lags(lags)
        if self.detail is not None and self.current in lags and lags[self.current] is not None:
            self._show_facts(dataclasses.replace(self.detail.summary, lag=lags[self.current]))
        self.shown.emit("lags")

    def set_pinned(self, pinned: frozenset[str]) -> None:
        self.model.set_pinned(pinned)
        self.pin_button.setChecked(self.current in pinned)
        self.pin_button.setText("Pinned ★" if self.current in pinned else "Pin")

    def show_group(self, detail: GroupDetail) -> None:
        if detail.summary.group_id != self.current:
            return
        self.detail = detail
        s = detail.summary
        self.title.setText(s.group_id)
        self._show_facts(s)
        self.partition_model.set_rows(detail.partitions)
        self.member_model.set_rows(detail.members)
        self.members_note.setText("No active members: offsets may be reset." if not detail.members else
                                  f"{len(detail.members)} active member(s): stop them before resetting offsets.")
        topics = detail.topics
        self.offsets_topic.clear()
        self.offsets_topic.addItems(sorted({p.topic for p in detail.partitions if p.committed is not None}))
        self.reset.set_group(s.group_id, topics, self.read_only)
        self._update_actions()
        self.shown.emit("group")

    def _show_facts(self, s: GroupSummary) -> None:
        kind = f"{s.type} group" if s.type else "group"
        protocol = s.protocol_type or "none (the group only commits offsets)"
        self.facts.setText(f"{s.state} {kind}  ·  protocol type: {protocol}  ·  assignor: {s.assignor or 'none'}  ·  "
                           f"members: {num(s.members)}  ·  total lag: {num(s.lag)}  ·  coordinator: "
                           f"{s.coordinator or 'unknown'}")

    def show_history(self, group: str, records: list[ResetRecord]) -> None:
        if group != self.current:
            return
        self.history_model.set_rows(records)
        self._update_actions()
        self.shown.emit("history")

    def show_lag(self, group: str, points: list[tuple[int, int]], interval_s: float, retention_h: float) -> None:
        if group != self.current:
            return
        self.lag.show_lag(group, points, interval_s, retention_h)
        self.shown.emit("lag")

    def show_plan(self, plan: ResetPlan, command: str) -> None:
        if plan.group != self.current:
            return
        self.reset.show_plan(plan, command)
        self.tabs.setCurrentWidget(self.reset)
        self.shown.emit("plan")

    def show_plan_problem(self, problem: Problem) -> None:
        self.reset.show_problem(problem)
        self.shown.emit("plan-problem")

    def show_problem(self, problem: Problem) -> None:
        self.banner.show_problem(problem)
        self.shown.emit("problem")

    def show_note(self, text: str) -> None:
        self.banner.show_note(text)
        self.shown.emit("note")

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self.reset.read_only = read_only
        self.reset._update_actions()
        self._update_actions()

    def clear(self) -> None:
        self.model.set_rows([])
        self._forget_group()
        self.banner.clear()
        self.count_label.setText("")

    def _forget_group(self) -> None:
        self.current, self.detail = None, None
        self.title.setText("Select a group")
        self.facts.setText("")
        self.partition_model.set_rows([])
        self.member_model.set_rows([])
        self.history_model.set_rows([])
        self.reset.set_group("", [], self.read_only)
        self.lag.clear()
        self._update_actions()

    def select(self, group: str) -> bool:
        for row, g in enumerate(self.model.rows):
            if g.group_id == group:
                index = self.proxy.mapFromSource(self.model.index(row, 0))
                if index.isValid():
                    self.table.setCurrentIndex(index)
                    return True
        return False

    def groups_on_screen(self) -> list[str]:
        """The selected group and those in the list's visible rows; none while the pane is hidden."""
        if self.visibleRegion().isEmpty():
            return []
        out: list[str] = [self.current] if self.current else []
        viewport = self.table.viewport()
        first = max(0, self.table.rowAt(0))
        last = self.table.rowAt(viewport.height() - 1)
        last = self.proxy.rowCount() - 1 if last < 0 else last
        for row in range(first, last + 1):
            src = self.proxy.mapToSource(self.proxy.index(row, 0))
            if src.isValid():
                out.append(self.model.rows[src.row()].group_id)
        return list(dict.fromkeys(out))

    # -- intents out ---------------------------------------------------------------------------

    def _filter(self, text: str) -> None:
        self.proxy.set_query(text)
        self._update_count()
        self.shown.emit("filter")

    def _update_count(self) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        self.count_label.setText(f"{total:,} groups" if shown == total else f"{shown:,} of {total:,} groups")

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        name = self.model.rows[self.proxy.mapToSource(current).row()].group_id
        if name == self.current:
            return
        self._forget_group()
        self.current = name
        self.title.setText(name)
        self.set_pinned(self.model.pinned)
        self._update_actions()
        self.group_selected.emit(name)

    def _pin_clicked(self, on: bool) -> None:
        if self.current is not None:
            self.pin_requested.emit(self.current, on)

    def ask_delete_group(self) -> TypedConfirmDialog | None:
        if self.read_only or self.current is None:
            return None
        name = self.current
        dlg = TypedConfirmDialog("Delete consumer group", f"Delete group {name} and all its committed offsets? Its "
                                 "consumers will start from their auto.offset.reset position next time. This cannot "
                                 "be undone.", name, "Delete group", self)
        dlg.accepted.connect(lambda: self.delete_group_requested.emit(name))
        dlg.open()
        return dlg

    def ask_delete_offsets(self) -> TypedConfirmDialog | None:
        topic = self.offsets_topic.currentText()
        if self.read_only or self.current is None or not topic:
            return None
        name = self.current
        dlg = TypedConfirmDialog("Delete committed offsets", f"Delete the committed offsets of group {name} for every "
                                 f"partition of {topic}? The group then starts {topic} from its auto.offset.reset "
                                 "position. This cannot be undone.", topic, "Delete offsets", self)
        dlg.accepted.connect(lambda: self.delete_offsets_requested.emit(name, topic))
        dlg.open()
        return dlg

    def selected_reset(self) -> ResetRecord | None:
        index = self.history_view.currentIndex()
        if not index.isValid():
            return None
        return self.history_model.rows[self.history_proxy.mapToSource(index).row()]

    def _ask_undo(self) -> None:
        record = self.selected_reset()
        if record is not None and self.current is not None and not self.read_only and not record.undone_by:
            self.undo_requested.emit(self.current, record.id)

    def _update_actions(self) -> None:
        has = self.current is not None
        writable = not self.read_only
        record = self.selected_reset()
        self.delete_button.setEnabled(writable and has)
        self.pin_button.setEnabled(has)
        self.delete_offsets_button.setEnabled(writable and has and self.offsets_topic.count() > 0)
        self.undo_button.setEnabled(writable and record is not None and not record.undone_by)
        tip = "This profile is read-only." if self.read_only else ""
        self.delete_button.setToolTip(tip)
        self.delete_offsets_button.setToolTip(tip)
        self.undo_button.setToolTip(tip or "Preview the offsets this reset replaced, then apply them back.")
