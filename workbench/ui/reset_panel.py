"""The reset tab of the groups pane: choose a scope and a strategy, preview the plan, then export or apply it.

Intents out: `plan_requested(strategy, scope)`, `apply_requested(plan)` (after a typed
confirmation), `export_requested(path)`, `import_requested(path)`. Data in: `show_plan`
(the per-partition preview, its totals, the equivalent kafka-consumer-groups command
line, and Kafka's refusal when the group is active) and `show_problem`.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QGuiApplication, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import Problem
from workbench.services.reset_formats import PlanError, format_datetime, parse_datetime
from workbench.services.reset_plan import ResetPlan, Scope, Strategy
from workbench.ui.groups_models import PlanModel, sorting_proxy
from workbench.ui.widgets import ProblemBanner, TypedConfirmDialog

STRATEGY_CHOICES = (
    ("to-earliest", "To earliest (log start)"),
    ("to-latest", "To latest (log end)"),
    ("to-offset", "To offset"),
    ("to-datetime", "To date and time"),
    ("by-duration", "Back by a duration"),
    ("shift-by", "Shift by N"),
    ("to-current", "To current (commit what is committed)"),
    ("from-file", "From a CSV file"),
)
SCOPE_CHOICES = (("all-topics", "All topics the group has offsets for"), ("topic", "One topic"),
                 ("partitions", "Chosen partitions of a topic"))


class ResetPanel(QWidget):
    plan_requested = Signal(object, object)
    apply_requested = Signal(object)
    export_requested = Signal(str)
    import_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = ""
        self.read_only = False
        self.plan: ResetPlan | None = None
        self.file_strategy: Strategy | None = None
        self.model = PlanModel()
        self.proxy = sorting_proxy(self.model)

        self.scope_kind = QComboBox()
        for key, label in SCOPE_CHOICES:
            self.scope_kind.addItem(label, key)
        self.topic = QComboBox()
        self.topic.setEditable(True)
        self.topic.setMinimumWidth(200)
        self.partitions = QLineEdit()
        self.partitions.setPlaceholderText("partitions, e.g. 0,2,5")
        self.partitions.setValidator(QRegularExpressionValidator(QRegularExpression(r"[0-9, ]*")))
        self.strategy = QComboBox()
        for key, label in STRATEGY_CHOICES:
            self.strategy.addItem(label, key)
        self.offset = QLineEdit("0")
        self.offset.setValidator(QRegularExpressionValidator(QRegularExpression(r"[-+]?[0-9]{1,18}")))
        self.datetime = QLineEdit(format_datetime(int(time.time() * 1000) - 3_600_000))
        self.datetime.setToolTip("Kafka's format: yyyy-MM-ddTHH:mm:ss.SSS, then Z or an offset such as +01:00 "
                                 "(UTC when there is none).")
        self.duration = QLineEdit("PT1H")
        self.duration.setToolTip("ISO-8601 duration subtracted from now: PT30M, PT2H, P1DT12H …")
        self.file_label = QLabel("No file imported.")
        self.import_button = QPushButton("Import CSV…")
        self.import_button.clicked.connect(self._ask_import)
        self.value = QStackedWidget()
        self._empty = QLabel("")
        file_row = QWidget()
        fr = QHBoxLayout(file_row)
        fr.setContentsMargins(0, 0, 0, 0)
        fr.addWidget(self.file_label, 1)
        fr.addWidget(self.import_button)
        self._pages = {"to-offset": self.offset, "shift-by": self.offset, "to-datetime": self.datetime,
                       "by-duration": self.duration, "from-file": file_row}
        for w in (self._empty, self.offset, self.datetime, self.duration, file_row):
            self.value.addWidget(w)
        self.preview_button = QPushButton("Preview plan")
        self.preview_button.setDefault(True)
        self.preview_button.clicked.connect(self.request_plan)

        self.banner = ProblemBanner()
        self.summary = QLabel("Choose a scope and a strategy, then preview: nothing changes until you apply.")
        self.summary.setWordWrap(True)
        self.table = QTableView()
        self.table.setObjectName("plan")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.command = QPlainTextEdit()
        self.command.setReadOnly(True)
        self.command.setObjectName("command")
        self.command.setMaximumHeight(54)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.command.toPlainText()))
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self._ask_export)
        self.apply_button = QPushButton("Apply…")
        self.apply_button.clicked.connect(self.ask_apply)

        form = QFormLayout()
        for combo in (self.scope_kind, self.strategy):
            combo.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        scope_row = QHBoxLayout()
        scope_row.addWidget(self.scope_kind)
        scope_row.addWidget(self.topic, 3)
        scope_row.addWidget(self.partitions)
        scope_row.addStretch(1)
        form.addRow("Scope", scope_row)
        strategy_row = QHBoxLayout()
        strategy_row.addWidget(self.strategy)
        strategy_row.addWidget(self.value, 1)
        strategy_row.addWidget(self.preview_button)
        form.addRow("Strategy", strategy_row)
        command_row = QHBoxLayout()
        command_row.addWidget(self.command, 1)
        command_row.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
        actions = QHBoxLayout()
        actions.addWidget(self.summary, 1)
        actions.addWidget(self.export_button)
        actions.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.banner)
        layout.addLayout(actions)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel("The same plan with Kafka's tool (--execute applies it):"))
        layout.addLayout(command_row)
        self.scope_kind.currentIndexChanged.connect(self._update_form)
        self.strategy.currentIndexChanged.connect(self._update_form)
        self._update_form()

    # -- data in ---------------------------------------------------------------------------

    def set_group(self, group: str, topics: list[str], read_only: bool) -> None:
        if group != self.group:
            self.clear_plan()
            self.file_strategy = None
            self.file_label.setText("No file imported.")
        self.group, self.read_only = group, read_only
        current = self.topic.currentText()
        self.topic.clear()
        self.topic.addItems(topics)
        if current in topics:
            self.topic.setCurrentText(current)
        self._update_actions()

    def set_file(self, strategy: Strategy) -> None:
        """An imported CSV: the strategy becomes from-file with its rows."""
        self.file_strategy = strategy
        self.file_label.setText(f"{strategy.file_name}: {len(strategy.rows)} partition(s)")
        self.strategy.setCurrentIndex(self.strategy.findData("from-file"))

    def show_plan(self, plan: ResetPlan, command: str) -> None:
        self.plan = plan
        self.model.set_rows(plan.rows)
        self.command.setPlainText(command)
        n = len(plan.rows)
        if not n:
            self.summary.setText(f"Plan for {plan.group}: no partition in scope (the group has no committed offsets "
                                 "there).")
        else:
            parts = [f"{plan.changes} of {n} partition{'s' if n != 1 else ''} would change",
                     f"{plan.reread:,} message{'s' if plan.reread != 1 else ''} read again",
                     f"{plan.skipped:,} skipped"]
            if plan.removals:
                parts.append(f"{len(plan.removals)} commit(s) removed")
            looked_up = f" Offsets found for {format_datetime(plan.timestamp_ms)}." if plan.timestamp_ms is not None \
                else ""
            self.summary.setText(f"Plan for {plan.group} ({plan.description}): " + ", ".join(parts) +
                                 f". Nothing has changed yet.{looked_up}")
        if plan.refusal:
            self.banner.show_note(plan.refusal, "warning")
        elif plan.undo_of is not None:
            self.banner.show_note(f"This plan undoes reset #{plan.undo_of}: it puts back the offsets (and metadata) "
                                  "that reset replaced. The form above is not used for it.")
        else:
            self.banner.clear()
        self._update_actions()

    def show_problem(self, problem: Problem) -> None:
        self.banner.show_problem(problem)

    def show_applied(self, text: str) -> None:
        """After an apply: the plan is spent; say what happened and where to undo it."""
        self.clear_plan()
        self.summary.setText(text)

    def clear_plan(self) -> None:
        self.plan = None
        self.model.set_rows([])
        self.command.clear()
        self.banner.clear()
        self.summary.setText("Choose a scope and a strategy, then preview: nothing changes until you apply.")
        self._update_actions()

    # -- what the form says ---------------------------------------------------------------------

    def current_strategy(self) -> Strategy:
        kind = str(self.strategy.currentData())
        if kind in ("to-offset", "shift-by"):
            try:
                return Strategy(kind, int(self.offset.text()))
            except ValueError:
                raise PlanError("Enter a whole number of messages.") from None
        if kind == "to-datetime":
            parse_datetime(self.datetime.text())
            return Strategy(kind, text=self.datetime.text().strip())
        if kind == "by-duration":
            return Strategy(kind, text=self.duration.text().strip())
        if kind == "from-file":
            if self.file_strategy is None:
                raise PlanError("Import a CSV file in Kafka's format (topic,partition,offset per line) first.")
            return self.file_strategy
        return Strategy(kind)

    def current_scope(self) -> Scope:
        kind = str(self.scope_kind.currentData())
        if kind == "all-topics":
            return Scope.all()
        topic = self.topic.currentText().strip()
        if not topic:
            raise PlanError("Choose a topic.")
        if kind == "topic":
            return Scope.topic(topic)
        parts = sorted({int(p) for p in self.partitions.text().replace(" ", "").split(",") if p})
        if not parts:
            raise PlanError("List the partitions to reset, e.g. 0,2.")
        return Scope.partitions(topic, parts)

    # -- intents out ---------------------------------------------------------------------------

    def request_plan(self) -> None:
        try:
            strategy, scope = self.current_strategy(), self.current_scope()
        except PlanError as exc:
            self.banner.show_problem(Problem("input", str(exc)))
            return
        self.banner.clear()
        self.plan_requested.emit(strategy, scope)

    def ask_apply(self) -> TypedConfirmDialog | None:
        plan = self.plan
        if plan is None or self.read_only or plan.refusal:
            return None
        what = f"undo reset #{plan.undo_of} of" if plan.undo_of is not None else "reset"
        dlg = TypedConfirmDialog(
            "Apply the plan", f"Commit new offsets for {plan.changes} partition(s) to {what} group {plan.group}? "
            f"{plan.reread:,} messages will be read again and {plan.skipped:,} skipped. The offsets replaced are kept, "
            "so this can be undone from the History tab.", plan.group, "Apply", self)
        dlg.accepted.connect(lambda: self.apply_requested.emit(plan))
        dlg.open()
        return dlg

    def _ask_export(self) -> None:
        if self.plan is None:
            return
        plan = self.plan
        name = f"undo-{plan.undo_of}.csv" if plan.undo_of is not None else \
            (plan.strategy.file_name if plan.strategy.kind == "from-file" else f"{plan.group}-reset.csv")
        path, _filter = QFileDialog.getSaveFileName(self, "Export the plan (Kafka's CSV format)", name,
                                                    "CSV (*.csv)")
        if path:
            self.export_requested.emit(path)

    def _ask_import(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Import a reset plan", "", "CSV (*.csv);;All files (*)")
        if path:
            self.import_requested.emit(path)

    def _update_form(self, *_args: Any) -> None:
        kind = str(self.scope_kind.currentData())
        strategy = str(self.strategy.currentData())
        from_file = strategy == "from-file"
        self.scope_kind.setEnabled(not from_file)
        self.topic.setVisible(kind != "all-topics" and not from_file)
        self.partitions.setVisible(kind == "partitions" and not from_file)
        page = self._pages.get(strategy)
        self.value.setCurrentWidget(page if page is not None else self._empty)
        self.offset.setToolTip("The offset to commit (clamped to the log's bounds)" if strategy == "to-offset" else
                               "Messages to move forward (+) or back (−), clamped to the log's bounds")

    def _update_actions(self) -> None:
        plan = self.plan
        self.export_button.setEnabled(plan is not None and bool(plan.rows))
        can_apply = plan is not None and bool(plan.rows) and not plan.refusal and not self.read_only
        self.apply_button.setEnabled(can_apply)
        self.apply_button.setToolTip("This profile is read-only." if self.read_only else
                                     (plan.refusal if plan is not None and plan.refusal else ""))
        self.preview_button.setEnabled(bool(self.group))
