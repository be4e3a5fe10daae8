"""The schemas pane: the Schema Registry's subjects with their versions, type and compatibility; a version's text
(pretty-printed) and references; two versions side by side as a diff; a new schema checked for compatibility, then
registered; compatibility set per subject and globally; soft and hard deletes (confirmed, off in read-only profiles).

Intents go out as signals (`refresh_requested`, `version_requested(subject, version)`,
`diff_requested(subject, left, right)`, `check_requested` / `register_requested(subject,
type, text, references text)`, `compatibility_requested(subject or "", level)`,
`delete_requested(subject, version or 0 for the whole subject, permanent)`); the schemas
controller answers through the show_* slots. `shown(what)` tells tests what became visible.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import Problem
from workbench.services.registry import (
    COMPATIBILITY_LEVELS,
    SCHEMA_TYPES,
    CompatibilityResult,
    SchemaVersion,
    SubjectInfo,
)
from workbench.ui.message_detail import mono
from workbench.ui.models import RowTableModel
from workbench.ui.schemas_models import DiffModel, SubjectsModel
from workbench.ui.widgets import ProblemBanner

READ_ONLY_REASON = "This connection profile is read-only: registering, compatibility changes and deletes are off."


def _table(name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(22)
    view.setWordWrap(False)
    return view


class SchemasPane(QWidget):
    refresh_requested = Signal()
    version_requested = Signal(str, str)  # subject, version ("latest" or a number)
    diff_requested = Signal(str, int, int)
    check_requested = Signal(str, str, str, str)  # subject, type, text, references ("name subject version" lines)
    register_requested = Signal(str, str, str, str)
    compatibility_requested = Signal(str, str)  # subject ("" for global), level
    delete_requested = Signal(str, int, bool)  # subject, version (0: the whole subject), permanent
    shown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.read_only = False
        self.available = False
        self.current: SchemaVersion | None = None
        self.confirm: QMessageBox | None = None
        self.banner = ProblemBanner()

        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh_requested.emit)
        self.filter = QLineEdit()
        self.filter.setObjectName("subject-filter")
        self.filter.setPlaceholderText("filter subjects")
        self.global_level = QComboBox()
        self.global_level.setObjectName("global-compatibility")
        self.global_level.addItems(COMPATIBILITY_LEVELS)
        self.global_button = QPushButton("Set global")
        self.global_button.setObjectName("set-global")
        self.global_button.clicked.connect(
            lambda: self.compatibility_requested.emit("", self.global_level.currentText()))
        top = QHBoxLayout()
        top.addWidget(self.refresh_button)
        top.addWidget(self.filter, 1)
        top.addWidget(QLabel("Global compatibility"))
        top.addWidget(self.global_level)
        top.addWidget(self.global_button)

        self.model = SubjectsModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(0)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.subjects = _table("subjects")
        self.subjects.setModel(self.proxy)
        self.subjects.setSortingEnabled(True)
        self.subjects.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        header = self.subjects.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # the subject gets what is left
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.subjects.selectionModel().currentRowChanged.connect(self._subject_changed)

        # -- a version -----------------------------------------------------------------------
        self.version = QComboBox()
        self.version.setObjectName("version")
        self.version.activated.connect(lambda _i: self._ask_version())
        self.version_info = QLabel("")
        self.version_info.setObjectName("version-info")
        self.subject_level = QComboBox()
        self.subject_level.setObjectName("subject-compatibility")
        self.subject_level.addItems(COMPATIBILITY_LEVELS)
        self.subject_button = QPushButton("Set for subject")
        self.subject_button.setObjectName("set-subject")
        self.subject_button.clicked.connect(self._set_subject_level)
        self.text = QPlainTextEdit()
        self.text.setObjectName("schema-text")
        self.text.setReadOnly(True)
        self.text.setFont(mono())
        self.references = RowTableModel(("Reference name", "Subject", "Version"))
        self.references_view = _table("references")
        self.references_view.setModel(self.references)
        self.references_view.setMaximumHeight(90)
        self.references_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.permanent = QCheckBox("Permanently (hard delete)")
        self.permanent.setObjectName("permanent")
        self.delete_version_button = QPushButton("Delete version…")
        self.delete_version_button.setObjectName("delete-version")
        self.delete_version_button.clicked.connect(lambda: self.ask_delete(whole=False))
        self.delete_subject_button = QPushButton("Delete subject…")
        self.delete_subject_button.setObjectName("delete-subject")
        self.delete_subject_button.clicked.connect(lambda: self.ask_delete(whole=True))
        self.use_as_new = QPushButton("Edit as a new version")
        self.use_as_new.clicked.connect(self._edit_as_new)
        version_page = QWidget()
        vl = QVBoxLayout(version_page)
        row = QHBoxLayout()
        row.addWidget(QLabel("Version"))
        row.addWidget(self.version)
        row.addWidget(self.version_info, 1)
        row.addWidget(self.subject_level)
        row.addWidget(self.subject_button)
        vl.addLayout(row)
        vl.addWidget(self.text, 1)
        vl.addWidget(QLabel("References"))
        vl.addWidget(self.references_view)
        actions = QHBoxLayout()
        actions.addWidget(self.use_as_new)
        actions.addStretch(1)
        actions.addWidget(self.permanent)
        actions.addWidget(self.delete_version_button)
        actions.addWidget(self.delete_subject_button)
        vl.addLayout(actions)

        # -- a diff --------------------------------------------------------------------------
        self.diff_left = QComboBox()
        self.diff_left.setObjectName("diff-left")
        self.diff_right = QComboBox()
        self.diff_right.setObjectName("diff-right")
        self.diff_button = QPushButton("Compare")
        self.diff_button.setObjectName("compare")
        self.diff_button.clicked.connect(self._ask_diff)
        self.diff_summary = QLabel("")
        self.diff_summary.setObjectName("diff-summary")
        self.diff = DiffModel()
        self.diff_view = _table("diff")
        self.diff_view.setModel(self.diff)
        self.diff_view.setFont(mono())
        dh = self.diff_view.horizontalHeader()
        for col, mode in ((0, QHeaderView.ResizeMode.ResizeToContents), (1, QHeaderView.ResizeMode.Stretch),
                          (2, QHeaderView.ResizeMode.ResizeToContents), (3, QHeaderView.ResizeMode.Stretch)):
            dh.setSectionResizeMode(col, mode)
        diff_page = QWidget()
        dl = QVBoxLayout(diff_page)
        drow = QHBoxLayout()
        drow.addWidget(QLabel("Version"))
        drow.addWidget(self.diff_left)
        drow.addWidget(QLabel("against"))
        drow.addWidget(self.diff_right)
        drow.addWidget(self.diff_button)
        drow.addWidget(self.diff_summary, 1)
        dl.addLayout(drow)
        dl.addWidget(self.diff_view, 1)

        # -- a new schema --------------------------------------------------------------------
        self.new_subject = QLineEdit()
        self.new_subject.setObjectName("new-subject")
        self.new_subject.setPlaceholderText("subject, such as orders-value")
        self.new_type = QComboBox()
        self.new_type.setObjectName("new-type")
        self.new_type.addItems(SCHEMA_TYPES)
        self.new_text = QPlainTextEdit()
        self.new_text.setObjectName("new-text")
        self.new_text.setFont(mono())
        self.new_text.setPlaceholderText('{"type": "record", "name": "Order", "fields": [...]}')
        self.new_references = QPlainTextEdit()
        self.new_references.setObjectName("new-references")
        self.new_references.setPlaceholderText("references, one a line: name subject version")
        self.new_references.setMaximumHeight(60)
        self.check_button = QPushButton("Check compatibility")
        self.check_button.setObjectName("check")
        self.check_button.clicked.connect(lambda: self._ask_new(self.check_requested))
        self.register_button = QPushButton("Register")
        self.register_button.setObjectName("register")
        self.register_button.clicked.connect(lambda: self._ask_new(self.register_requested))
        self.new_result = QLabel("")
        self.new_result.setObjectName("new-result")
        self.new_result.setWordWrap(True)
        self.new_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        new_page = QWidget()
        nl = QVBoxLayout(new_page)
        nrow = QHBoxLayout()
        nrow.addWidget(QLabel("Subject"))
        nrow.addWidget(self.new_subject, 1)
        nrow.addWidget(QLabel("Type"))
        nrow.addWidget(self.new_type)
        nl.addLayout(nrow)
        nl.addWidget(self.new_text, 1)
        nl.addWidget(self.new_references)
        nbuttons = QHBoxLayout()
        nbuttons.addWidget(self.check_button)
        nbuttons.addWidget(self.register_button)
        nbuttons.addStretch(1)
        nl.addLayout(nbuttons)
        nl.addWidget(self.new_result)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("schema-tabs")
        self.tabs.addTab(version_page, "Schema")
        self.tabs.addTab(diff_page, "Diff")
        self.tabs.addTab(new_page, "New schema")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.subjects)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([460, 820])
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self._update_actions()

    # -- intents ---------------------------------------------------------------------------

    @property
    def subject_name(self) -> str:
        index = self.subjects.currentIndex()
        if not index.isValid():
            return ""
        return self.model.subject(self.proxy.mapToSource(index).row()).name

    def select_subject(self, name: str) -> None:
        row = self.model.row_of(name)
        if row >= 0:
            self.subjects.setCurrentIndex(self.proxy.mapFromSource(self.model.index(row, 0)))

    def _subject_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        info = self.model.subject(self.proxy.mapToSource(current).row())
        self.new_subject.setText(info.name)
        for box in (self.version, self.diff_left, self.diff_right):
            box.clear()
        for v in reversed(info.versions):
            self.version.addItem(str(v), v)
            self.diff_left.addItem(str(v), v)
            self.diff_right.addItem(str(v), v)
        if len(info.versions) > 1:
            self.diff_left.setCurrentIndex(1)  # the one before the latest, against the latest
        at = self.subject_level.findText(info.compatibility or self.model.global_level)
        self.subject_level.setCurrentIndex(max(0, at))
        self._update_actions()
        if info.versions:
            self.version_requested.emit(info.name, str(info.versions[-1]))

    def _ask_version(self) -> None:
        if self.subject_name and self.version.currentData() is not None:
            self.version_requested.emit(self.subject_name, str(self.version.currentData()))

    def _ask_diff(self) -> None:
        left, right = self.diff_left.currentData(), self.diff_right.currentData()
        if self.subject_name and left is not None and right is not None:
            self.diff_requested.emit(self.subject_name, int(left), int(right))

    def _ask_new(self, signal: SignalInstance) -> None:
        subject = self.new_subject.text().strip()
        if not subject:
            self.show_problem(Problem("input", "Name the subject the schema is for."))
            return
        if not self.new_text.toPlainText().strip():
            self.show_problem(Problem("input", "Type or paste the schema first."))
            return
        self.new_result.setText("…")
        signal.emit(subject, self.new_type.currentText(), self.new_text.toPlainText(),
                    self.new_references.toPlainText())

    def _set_subject_level(self) -> None:
        if self.subject_name:
            self.compatibility_requested.emit(self.subject_name, self.subject_level.currentText())

    def _edit_as_new(self) -> None:
        if self.current is None:
            return
        self.new_subject.setText(self.current.subject)
        self.new_type.setCurrentText(self.current.schema_type)
        self.new_text.setPlainText(self.current.pretty)
        self.new_references.setPlainText("\n".join(f"{n} {s} {v}" for n, s, v in self.current.references))
        self.tabs.setCurrentIndex(2)

    def ask_delete(self, whole: bool) -> None:
        """Ask before deleting; the answer is `self.confirm` (open, not modal-blocking), Yes emits the intent."""
        subject = self.subject_name
        version = 0 if whole else int(self.version.currentData() or 0)
        if self.read_only or not subject or (not whole and not version):
            return
        permanent = self.permanent.isChecked()
        what = f"the subject {subject} (every version)" if whole else f"version {version} of {subject}"
        how = ("permanently: it cannot be undone, and its schema ids may no longer be readable" if permanent else
               "softly: it is hidden, and a hard delete can remove it later")
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete schema", f"Delete {what} {how}?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.confirm = box

        def answered(button: int) -> None:
            if button == QMessageBox.StandardButton.Yes:
                self.delete_requested.emit(subject, version, permanent)
        box.finished.connect(answered)
        box.open()

    # -- data in ---------------------------------------------------------------------------

    def set_available(self, available: bool, reason: str = "") -> None:
        self.available = available
        if not available:
            self.model.set_subjects([], "")
            self.clear_version()
            if reason:
                self.banner.show_note(reason)
        else:
            self.banner.clear()
        self._update_actions()

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        if read_only:
            self.banner.show_note(READ_ONLY_REASON, "warning")
        self._update_actions()

    def show_subjects(self, subjects: list[SubjectInfo], global_level: str) -> None:
        keep = self.subject_name
        self.model.set_subjects(subjects, global_level)
        self.global_level.setCurrentIndex(max(0, self.global_level.findText(global_level)))
        if keep and self.model.row_of(keep) >= 0:
            self.select_subject(keep)
        elif self.model.row_of(keep) < 0:
            self.clear_version()
        self._update_actions()
        self.shown.emit("subjects")

    def clear_version(self) -> None:
        self.current = None
        self.text.clear()
        self.version_info.clear()
        self.references.set_rows([])

    def show_version(self, v: SchemaVersion) -> None:
        self.current = v
        at = self.version.findData(v.version)
        if at >= 0:
            self.version.setCurrentIndex(at)
        self.version_info.setText(f"{v.schema_type} · schema id {v.schema_id}")
        self.text.setPlainText(v.pretty)
        self.references.set_rows(v.references)
        self._update_actions()
        self.shown.emit("version")

    def show_diff(self, left: SchemaVersion, right: SchemaVersion) -> None:
        self.diff.set_texts(left.pretty, right.pretty, (f"version {left.version} (id {left.schema_id})",
                                                        f"version {right.version} (id {right.schema_id})"))
        n = self.diff.changes
        self.diff_summary.setText("The two versions are the same." if n == 0 else
                                  f"{n} line{'s' if n != 1 else ''} differ.")
        self.tabs.setCurrentIndex(1)
        self.shown.emit("diff")

    def show_check(self, result: CompatibilityResult) -> None:
        self.new_result.setText(("✔ " if result.compatible else "✘ ") + result.sentence)
        self.shown.emit("check")

    def show_registered(self, subject: str, schema_id: int) -> None:
        self.new_result.setText(f"✔ Registered under {subject} as schema id {schema_id}.")
        self.shown.emit("registered")

    def show_note(self, text: str) -> None:
        self.banner.show_note(text)
        self.shown.emit("note")

    def show_problem(self, problem: Problem) -> None:
        self.banner.show_problem(problem)
        if self.tabs.currentIndex() == 2 and self.new_result.text() == "…":
            self.new_result.setText(f"✘ {problem.sentence}")
        self.shown.emit("problem")

    def _update_actions(self) -> None:
        can_change = self.available and not self.read_only
        has_subject = bool(self.subject_name)
        for w in (self.global_button, self.register_button):
            w.setEnabled(can_change)
        for widget in (self.subject_button, self.delete_subject_button, self.delete_version_button, self.permanent):
            widget.setEnabled(can_change and has_subject)
        self.check_button.setEnabled(self.available)
        self.refresh_button.setEnabled(self.available)
        self.diff_button.setEnabled(self.available and has_subject)
        tip = READ_ONLY_REASON if self.read_only else ""
        for w in (self.global_button, self.register_button, self.subject_button, self.delete_subject_button,
                  self.delete_version_button):
            w.setToolTip(tip)
