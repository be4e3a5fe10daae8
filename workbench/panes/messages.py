"""The messages pane: ask for a range of a topic with filters, watch the scan, browse the results, open one.

Intents go out as signals (scan_requested, cancel_requested, export_requested,
row_selected, decode_requested, save_requested, produce_again_requested); the messages
controller answers through the show_*/scan_* slots. The results table is a
MessagesModel over the scan's on-disk ResultSet, so a million rows scroll like ten.
`shown(what)` tells tests (and the status line) what just became visible.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import Problem
from workbench.services import decoders
from workbench.services.export import ExportChoice
from workbench.services.model import TopicSummary
from workbench.services.record import Record
from workbench.services.record_file import FORMATS
from workbench.services.result_store import IndexEntries, ResultSet
from workbench.services.scan import Outcome, Progress
from workbench.services.scan_request import ScanPlan, ScanRequest
from workbench.ui.message_detail import MessageDetail
from workbench.ui.messages_model import MessagesModel
from workbench.ui.scan_form import FormError, ScanForm
from workbench.ui.scan_progress import ScanProgressView
from workbench.ui.widgets import ProblemBanner

PROGRESS_MS = 250


class ExportDialog(QDialog):
    def __init__(self, rows: int, topic: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export messages")
        form = QFormLayout(self)
        self.results = QRadioButton(f"The {rows:,} messages in the table")
        self.range = QRadioButton("The whole range of the current request (every match, no result limit)")
        self.results.setChecked(rows > 0)
        self.results.setEnabled(rows > 0)
        self.range.setChecked(rows == 0)
        form.addRow("What", self.results)
        form.addRow("", self.range)
        self.fmt = QComboBox()
        for key, label in FORMATS.items():
            self.fmt.addItem(label, key)
        form.addRow("Format", self.fmt)
        self.base64 = QCheckBox("Keys, values and headers always as base64 (otherwise only where not UTF-8)")
        form.addRow("", self.base64)
        self.decoded = QCheckBox("Add the key and value decoded with their schemas (Schema Registry) beside the bytes")
        self.decoded.setObjectName("export-decoded")
        form.addRow("", self.decoded)
        path_row = QHBoxLayout()
        self.path = QLineEdit(f"{topic}.jsonl")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        form.addRow("File", path_row)
        self.fmt.currentIndexChanged.connect(self._fmt_changed)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _fmt_changed(self) -> None:
        stem = self.path.text().rsplit(".", 1)[0] if "." in self.path.text() else self.path.text()
        self.path.setText(f"{stem}.{'csv' if self.fmt.currentData() == 'csv' else 'jsonl'}")

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text())
        if path:
            self.path.setText(path)

    def choice(self) -> ExportChoice:
        return ExportChoice("results" if self.results.isChecked() else "range", self.path.text().strip(),
                            self.fmt.currentData(), self.base64.isChecked(), self.decoded.isChecked())


class MessagesPane(QWidget):
    scan_requested = Signal(object)  # ScanRequest
    cancel_requested = Signal()
    export_requested = Signal(object, object)  # ExportChoice, ScanRequest | None (for a range)
    row_selected = Signal(int)
    decode_requested = Signal(str, str)  # part, decoder
    save_requested = Signal(str, str)  # part, path
    produce_again_requested = Signal()
    shown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.running = False
        self.read_only = False
        layout = QVBoxLayout(self)
        self.banner = ProblemBanner()
        layout.addWidget(self.banner)
        self.form = ScanForm()
        self.form.submitted.connect(self.request_scan)
        layout.addWidget(self.form)

        actions = QHBoxLayout()
        self.read_button = QPushButton("Read")
        self.read_button.setObjectName("read")
        self.read_button.setToolTip("Read messages (Ctrl+Enter)")
        self.read_button.setDefault(True)
        self.read_button.clicked.connect(self.request_scan)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancel")
        self.cancel_button.setToolTip("Stop the scan (Esc); what was found stays in the table")
        self.cancel_button.clicked.connect(self.cancel_requested.emit)
        self.export_button = QPushButton("Export…")
        self.export_button.setObjectName("export")
        self.export_button.clicked.connect(self.ask_export)
        self.key_decoder = QComboBox()
        self.value_decoder = QComboBox()
        for box, name in ((self.key_decoder, "key-decoder"), (self.value_decoder, "value-decoder")):
            box.setObjectName(name)
            for key, label in decoders.DECODERS.items():
                box.addItem(label, key)
            box.currentIndexChanged.connect(self._decoders_changed)
        self.follow = QCheckBox("Follow new rows")
        self.follow.setObjectName("follow")
        actions.addWidget(self.read_button)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.export_button)
        actions.addStretch(1)
        actions.addWidget(QLabel("Show key as"))
        actions.addWidget(self.key_decoder)
        actions.addWidget(QLabel("value as"))
        actions.addWidget(self.value_decoder)
        actions.addWidget(self.follow)
        layout.addLayout(actions)

        self.progress = ScanProgressView()
        layout.addWidget(self.progress)

        self.model = MessagesModel()
        self.table = QTableView()
        self.table.setObjectName("messages")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        vh = self.table.verticalHeader()
        vh.hide()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(22)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        for col, width in enumerate((70, 90, 175, 95, 160, 140, 80)):
            self.table.setColumnWidth(col, width)
        selection = self.table.selectionModel()
        selection.currentRowChanged.connect(self._row_changed)
        self.detail = MessageDetail()
        self.detail.decode_requested.connect(self.decode_requested.emit)
        self.detail.save_requested.connect(self.save_requested.emit)
        self.detail.produce_again_requested.connect(self.produce_again_requested.emit)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([820, 540])
        layout.addWidget(split, 1)

        run = QShortcut(QKeySequence("Ctrl+Return"), self)
        run.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        run.activated.connect(self.request_scan)
        stop = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        stop.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        stop.activated.connect(lambda: self.cancel_requested.emit() if self.running else None)
        self._latest: Progress | None = None
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_MS)
        self._progress_timer.timeout.connect(self._draw_progress)
        self._update_actions()

    # -- intents ---------------------------------------------------------------------------

    def request_scan(self) -> None:
        if self.running:
            return
        try:
            req = self.form.request()
        except (FormError, ValueError) as exc:
            self.banner.show_problem(Problem("input", str(exc)))
            self.shown.emit("problem")
            return
        self.banner.clear()
        self.scan_requested.emit(self._decoding(req))

    def _decoding(self, req: ScanRequest) -> ScanRequest:
        """Filters match what the table shows: keys or values decoded with their schemas when that decoder is on."""
        key, value = self.decoders
        return dataclasses.replace(req, decode_key=key == decoders.SCHEMA, decode_value=value == decoders.SCHEMA)

    def current_request(self) -> ScanRequest | None:
        try:
            return self._decoding(self.form.request())
        except (FormError, ValueError):
            return None

    def ask_export(self) -> None:
        dlg = ExportDialog(self.model.row_count(), self.form.topic.currentText() or "messages", self)
        self.export_dialog = dlg

        def accepted() -> None:
            self.request_export(dlg.choice())
        dlg.accepted.connect(accepted)
        dlg.open()

    def request_export(self, choice: ExportChoice) -> None:
        req = None
        if choice.source == "range":
            try:
                req = self._decoding(self.form.request())
            except (FormError, ValueError) as exc:
                self.banner.show_problem(Problem("input", str(exc)))
                self.shown.emit("problem")
                return
        self.export_requested.emit(choice, req)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.detail.show_record(self.model.preview(current.row()))
            self.row_selected.emit(current.row())

    def _decoders_changed(self) -> None:
        key, value = self.key_decoder.currentData(), self.value_decoder.currentData()
        self.model.set_decoders(key, value)
        self.detail.set_decoders(key, value)
        if self.detail.record is not None:
            self.decode_requested.emit("key", key)
            self.decode_requested.emit("value", value)

    # -- data in ---------------------------------------------------------------------------

    def set_topics(self, topics: list[TopicSummary]) -> None:
        self.form.set_topics(topics)

    def scan_started(self, plan: ScanPlan, results: ResultSet | None, what: str = "") -> None:
        self.running = True
        self.banner.clear()
        if results is not None:
            self.detail.clear()
            self.model.set_results(results)
        self.progress.started(plan, what)
        self._update_actions()
        self.shown.emit("started")

    def scan_update(self, entries: IndexEntries | None, progress: Progress) -> None:
        if entries is not None and len(entries):
            self.model.append(entries)
            if self.follow.isChecked():
                self.table.scrollToBottom()
            self.shown.emit("rows")
        # Progress is drawn at most every PROGRESS_MS: every repaint calls into Python once per cell and role, and
        # each call waits for the GIL while a scan thread runs, so frequent repaints were the GUI's longest stalls.
        self._latest = progress
        if not self._progress_timer.isActive():
            self._progress_timer.start()

    def _draw_progress(self) -> None:
        if self._latest is not None and self.running:
            self.progress.show_progress(self._latest)

    def scan_finished(self, outcome: Outcome) -> None:
        self.running = False
        self._progress_timer.stop()
        self.progress.finished(outcome)
        self._update_actions()
        self.shown.emit("finished")

    def scan_failed(self, problem: Problem) -> None:
        self.running = False
        self.progress.failed(problem.sentence)
        self.banner.show_problem(problem)
        self._update_actions()
        self.shown.emit("problem")

    def show_record(self, record: Record) -> None:
        self.detail.show_record(record)

    def show_text(self, part: str, text: str, note: str) -> None:
        self.detail.show_text(part, text, note)
        self.shown.emit(f"detail-{part}")

    def show_problem(self, problem: Problem) -> None:
        self.banner.show_problem(problem)
        self.shown.emit("problem")

    def show_note(self, text: str) -> None:
        self.banner.show_note(text)
        self.shown.emit("note")

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self.detail.set_read_only(read_only)

    def set_schemas(self, decoder: object) -> None:
        """The connection's SchemaDecoder (None: no Schema Registry). With one, keys and values are shown decoded
        with their schemas unless the user picks another decoder."""
        self.model.set_schemas(decoder)
        target = decoders.SCHEMA if decoder is not None else "string"
        for box in (self.key_decoder, self.value_decoder):
            if decoder is not None or box.currentData() == decoders.SCHEMA:
                box.setCurrentIndex(box.findData(target))

    def schemas_ready(self) -> None:
        self.model.schemas_ready()
        self.shown.emit("schemas")

    def clear(self) -> None:
        self.running = False
        self.model.set_results(None)
        self.detail.clear()
        self.progress.clear()
        self.banner.clear()
        self._update_actions()

    def _update_actions(self) -> None:
        self.read_button.setEnabled(not self.running)
        self.cancel_button.setEnabled(self.running)
        self.export_button.setEnabled(not self.running)

    @property
    def decoders(self) -> tuple[str, str]:
        return self.key_decoder.currentData(), self.value_decoder.currentData()
