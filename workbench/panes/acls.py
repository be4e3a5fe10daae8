"""The ACLs pane: the cluster's ACLs (principal, host, resource, pattern, operation, permission), a filter, a form
to add one, and delete for the selected ones; read-only profiles can only look."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import Problem
from workbench.services.acls import OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES, AclEntry
from workbench.ui.models import RowTableModel
from workbench.ui.widgets import ProblemBanner

HEADERS = ("Principal", "Host", "Resource type", "Pattern", "Resource", "Operation", "Permission")


def _row(e: AclEntry) -> tuple[str, ...]:
    return (e.principal, e.host, e.resource_type, e.pattern_type, e.resource_name, e.operation, e.permission)


class AclsPane(QWidget):
    refresh_requested = Signal()
    create_requested = Signal(object)  # AclEntry
    delete_requested = Signal(object)  # list[AclEntry]
    shown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[AclEntry] = []
        self.read_only = False
        self.available = False
        self.banner = ProblemBanner()
        self.banner.setObjectName("acls-banner")
        self.model = RowTableModel(HEADERS)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = QTableView()
        self.table.setObjectName("acls-table")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_actions())
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter: principal, resource, operation…")
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.count = QLabel("")
        self.count.setObjectName("acls-count")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.delete_button = QPushButton("Delete selected…")
        self.delete_button.setObjectName("acls-delete")
        self.delete_button.clicked.connect(self.ask_delete)
        # the form of a new ACL
        self.principal = QLineEdit()
        self.principal.setPlaceholderText("User:alice")
        self.host = QLineEdit("*")
        self.resource_type = QComboBox()
        self.resource_type.addItems(list(RESOURCE_TYPES))
        self.pattern = QComboBox()
        self.pattern.addItems(list(PATTERN_TYPES))
        self.resource = QLineEdit()
        self.resource.setPlaceholderText("topic or group name, a prefix, or *")
        self.operation = QComboBox()
        self.operation.addItems(list(OPERATIONS))
        self.operation.setCurrentText("READ")
        self.permission = QComboBox()
        self.permission.addItems(list(PERMISSIONS))
        self.add_button = QPushButton("Add ACL")
        self.add_button.setObjectName("acls-add")
        self.add_button.clicked.connect(self._add)
        self.resource_type.currentTextChanged.connect(self._cluster_name)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count)
        top.addWidget(self.refresh_button)
        top.addWidget(self.delete_button)
        self.form = QGroupBox("New ACL")
        grid = QGridLayout(self.form)
        for col, (label, widget) in enumerate((("Principal", self.principal), ("Host", self.host),
                                                ("Resource type", self.resource_type), ("Pattern", self.pattern))):
            grid.addWidget(QLabel(label), 0, col)
            grid.addWidget(widget, 1, col)
        for col, (label, widget) in enumerate((("Resource", self.resource), ("Operation", self.operation),
                                                ("Permission", self.permission))):
            grid.addWidget(QLabel(label), 2, col)
            grid.addWidget(widget, 3, col)
        grid.addWidget(self.add_button, 3, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.form)
        self._update_actions()

    # -- data in -------------------------------------------------------------------------

    def show_acls(self, entries: list[AclEntry]) -> None:
        self.entries = list(entries)
        self.available = True
        self.model.set_rows([_row(e) for e in self.entries],
                            ["warning" if e.permission == "DENY" else "" for e in self.entries])
        self.count.setText(f"{len(self.entries)} ACLs")
        self.banner.clear()
        if not self.entries:
            self.banner.show_note("The cluster has no ACLs yet: with allow.everyone.if.no.acl.found=false only "
                                  "super users may do anything.")
        self._update_actions()
        self.shown.emit("acls")

    def show_unavailable(self, problem: Problem) -> None:
        """The list cannot be shown: not authorised, no authorizer, or unreachable; said in the banner."""
        self.entries = []
        self.available = False
        self.model.set_rows([])
        self.count.setText("")
        if problem.kind == "unsupported":
            self.banner.show_note(problem.sentence, "info")
        else:
            self.banner.show_problem(problem)
        self._update_actions()
        self.shown.emit("unavailable")

    def show_problem(self, problem: Problem) -> None:
        self.banner.show_problem(problem)
        self.shown.emit("problem")

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self._update_actions()

    def clear(self) -> None:
        self.entries = []
        self.available = False
        self.model.set_rows([])
        self.count.setText("")
        self.banner.clear()
        self._update_actions()

    # -- intents out -----------------------------------------------------------------------

    def selected(self) -> list[AclEntry]:
        rows = {self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()}
        return [self.entries[r] for r in sorted(rows) if 0 <= r < len(self.entries)]

    def form_entry(self) -> AclEntry:
        return AclEntry(self.resource_type.currentText(), self.pattern.currentText(), self.resource.text().strip(),
                        self.principal.text().strip(), self.host.text().strip() or "*",
                        self.operation.currentText(), self.permission.currentText())

    def _add(self) -> None:
        entry = self.form_entry()
        problem = entry.problem()
        if problem:
            self.banner.show_note(problem, "warning")
            return
        self.create_requested.emit(entry)

    def ask_delete(self) -> None:
        chosen = self.selected()
        if not chosen or self.read_only:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete ACLs",
                          f"Delete {len(chosen)} ACL(s)? Clients may lose access at once.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("acls-delete-confirm")
        box.accepted.connect(lambda: self.delete_requested.emit(chosen))
        self.confirm = box
        box.open()

    def _cluster_name(self, rtype: str) -> None:
        if rtype == "CLUSTER":
            self.resource.setText("kafka-cluster")
            self.pattern.setCurrentText("LITERAL")

    def _update_actions(self) -> None:
        writable = self.available and not self.read_only
        self.form.setEnabled(writable)
        self.delete_button.setEnabled(writable and bool(self.table.selectionModel().selectedRows()))
        self.form.setToolTip("Read-only profile: ACLs cannot be changed." if self.read_only else "")
