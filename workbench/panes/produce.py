"""The produce pane: the form, templates, produce once / N times at a rate / a JSON Lines file, progress and cancel,
and the delivery result of every message.

Intents go out as signals (`produce_requested(ProduceRequest)`, `cancel_requested`, the
template ones, `value_file_requested(path)`); data comes in through the slots
(`set_topics`, `load_record`, `show_templates`, `show_started`, `show_deliveries`,
`show_progress`, `show_finished`, `show_problem`, `set_read_only`). Results arrive in
batches from the controller and are appended to a compact model (ui/delivery_model.py);
the counters line is repainted at most once per batch.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import Problem
from workbench.services.model import TopicSummary
from workbench.services.produce_run import Delivery, ProduceProgress, ProduceRequest, ProduceSummary
from workbench.services.record import Record
from workbench.ui.byte_fields import FormError
from workbench.ui.delivery_model import DeliveryModel
from workbench.ui.produce_form import ProduceForm
from workbench.ui.widgets import ProblemBanner

READ_ONLY_REASON = "This connection profile is read-only: producing is disabled."


class ProducePane(QWidget):
    # intents
    produce_requested = Signal(object)  # ProduceRequest
    cancel_requested = Signal()
    value_file_requested = Signal(str)
    template_save_requested = Signal(str, object)  # name, form state
    template_load_requested = Signal(str)
    template_delete_requested = Signal(str)
    # notification for observers (tests): what was just shown
    shown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.read_only = False
        self.connected = False
        self.running = False
        self.last_summary: ProduceSummary | None = None
        self.what = ""  # the running or last request, in words ("2,500 messages into orders")
        self._tips: dict[str, str] = {}
        self.banner = ProblemBanner()
        self.form = ProduceForm()
        self.form.value.file_requested.connect(self._choose_value_file)

        self.templates = QComboBox()
        self.templates.setObjectName("templates")
        self.templates.setMinimumWidth(180)
        self.templates.setPlaceholderText("(no templates)")
        self.load_template_button = QPushButton("Load")
        self.save_template_button = QPushButton("Save as…")
        self.delete_template_button = QPushButton("Delete")
        self.load_template_button.clicked.connect(lambda: self._template_intent(self.template_load_requested))
        self.save_template_button.clicked.connect(self._ask_save_template)
        self.delete_template_button.clicked.connect(lambda: self._template_intent(self.template_delete_requested))

        self.produce_button = QPushButton("Produce")
        self.produce_button.setObjectName("produce")
        self.produce_button.setDefault(True)
        self.produce_button.setToolTip("Send the message (Ctrl+Enter), as many times as Repeat says")
        self.produce_file_button = QPushButton("Produce a JSON Lines file…")
        self.produce_file_button.setToolTip("Send every line of a JSON Lines file (as the messages pane exports it) "
                                            "into the topic above, keeping each line's partition and timestamp. "
                                            "Every line is checked before anything is sent.")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancel")
        self.produce_button.clicked.connect(self.request_produce)
        self.produce_file_button.clicked.connect(self._choose_file)
        self.cancel_button.clicked.connect(self.cancel_requested)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):  # only while focus is in this pane
            QShortcut(QKeySequence(keys), self, self.request_produce,
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.progress = QProgressBar()
        self.progress.setObjectName("produce-progress")
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.progress.setValue(0)

        self.model = DeliveryModel()
        self.results = QTableView()
        self.results.setObjectName("deliveries")
        self.results.setModel(self.model)
        self.results.verticalHeader().hide()
        self.results.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.results.verticalHeader().setDefaultSectionSize(22)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setAlternatingRowColors(True)
        header = self.results.horizontalHeader()
        for col, width in ((0, 64), (1, 64), (2, 84), (3, 190)):
            header.resizeSection(col, width)
        header.setStretchLastSection(True)
        self.results.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show_row(cur.row()))
        self.row_detail = QLabel("")
        self.row_detail.setObjectName("delivery-detail")
        self.row_detail.setWordWrap(True)
        self.row_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel("No messages produced yet.")
        self.summary.setObjectName("produce-summary")
        self.summary.setWordWrap(True)
        self.failures_only = QCheckBox("Failures only")
        self.failures_only.toggled.connect(self.model.set_failures_only)
        self.clear_button = QPushButton("Clear results")
        self.clear_button.clicked.connect(self.clear_results)

        templates_row = QHBoxLayout()
        templates_row.addWidget(QLabel("Template"))
        templates_row.addWidget(self.templates, 1)
        for b in (self.load_template_button, self.save_template_button, self.delete_template_button):
            templates_row.addWidget(b)
        actions = QHBoxLayout()
        actions.addWidget(self.produce_button)
        actions.addWidget(self.produce_file_button)
        actions.addStretch(1)
        actions.addWidget(self.cancel_button)

        form_page = QWidget()
        fv = QVBoxLayout(form_page)
        fv.addLayout(templates_row)
        fv.addWidget(self.form, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(form_page)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(scroll, 1)
        lv.addLayout(actions)
        lv.addWidget(self.progress)

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        title = QLabel("Delivery results")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.failures_only)
        top.addWidget(self.clear_button)
        rv.addLayout(top)
        rv.addWidget(self.summary)
        rv.addWidget(self.results, 1)
        rv.addWidget(self.row_detail)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([560, 720])
        outer = QVBoxLayout(self)
        outer.addWidget(self.banner)
        outer.addWidget(split, 1)
        self._update_actions()

    # -- data in ---------------------------------------------------------------------------------------------------

    def set_topics(self, topics: list[TopicSummary]) -> None:
        self.form.set_topics(topics)
        self.shown.emit("topics")

    def set_subjects(self, versions: dict[str, tuple[int, ...]]) -> None:
        """The Schema Registry's subjects and versions, for producing with a schema."""
        self.form.set_subjects(versions)
        self.shown.emit("subjects")

    def forget_topics(self) -> None:
        """The connection changed: the old topic list no longer applies (the new one arrives with set_topics)."""
        self.form.set_topics([])

    def load_record(self, record: Record) -> None:
        """Fill the form from a consumed message ("produce again")."""
        self.form.load_record(record)
        self.banner.show_note(f"Loaded the message at offset {record.offset:,} of {record.topic} partition "
                              f"{record.partition}: produce it again or change it first.")
        self.shown.emit("record")

    def set_value_bytes(self, data: bytes, source: str) -> None:
        self.form.value.set_bytes(data, source)
        self.shown.emit("value")

    def show_templates(self, names: list[str], current: str = "") -> None:
        keep = current or self.templates.currentText()
        self.templates.clear()
        self.templates.addItems(names)
        if names:
            self.templates.setCurrentIndex(names.index(keep) if keep in names else 0)
        self._update_actions()
        self.shown.emit("templates")

    def apply_template(self, name: str, state: dict[str, object]) -> None:
        self.form.set_state(state)
        self.banner.show_note(f"Loaded template {name}.")
        self.shown.emit("template")

    def set_connected(self, connected: bool) -> None:
        self.connected = connected
        self._update_actions()

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        if read_only:
            self.banner.show_note(READ_ONLY_REASON, "warning")
        elif self.banner.text == READ_ONLY_REASON:
            self.banner.clear()
        self._update_actions()

    def show_problem(self, problem: Problem) -> None:
        self.banner.show_problem(problem)
        self.shown.emit("problem")

    def show_started(self, request: ProduceRequest) -> None:
        self.running = True
        self.last_summary = None
        if self.banner.problem is not None or not self.read_only:
            self.banner.clear()
        self.clear_results()
        self.what = request.what
        self.model.set_number_label("Line" if request.path is not None else "#")
        self.progress.setRange(0, 0)  # busy until the total is known (a file is checked first)
        self.progress.setFormat("Checking the file…" if request.path is not None else "Starting…")
        self.summary.setText(f"Producing {request.what}…")
        self._update_actions()
        self.shown.emit("started")

    def show_deliveries(self, batch: list[Delivery]) -> None:
        """Append a batch; the table follows the newest rows while it is scrolled to the bottom."""
        bar = self.results.verticalScrollBar()
        follow = bar.value() >= bar.maximum()
        self.model.append(batch)
        if follow:
            self.results.scrollToBottom()

    def show_progress(self, p: ProduceProgress) -> None:
        if p.total:
            self.progress.setRange(0, p.total)
            self.progress.setValue(p.reported)
            self.progress.setFormat(f"{p.reported:,} of {p.total:,} reported (%p%)")
        self.summary.setText(f"{self.what}: " + self._counts(p.sent, p.delivered, p.failed, p.rate) +
                             (" Waiting for the last delivery reports…" if p.phase == "waiting" else ""))

    def show_finished(self, summary: ProduceSummary) -> None:
        self.running = False
        self.last_summary = summary
        self.progress.setRange(0, max(1, summary.total))
        self.progress.setValue(summary.delivered + summary.failed)
        text = f"{summary.request.what}: " + self._counts(summary.sent, summary.delivered, summary.failed,
                                                           summary.rate)
        if summary.cancelled:
            text = f"Cancelled. {text} {summary.not_sent:,} not sent."
            self.progress.setFormat("Cancelled")
        else:
            self.progress.setFormat("Done" if not summary.failed else f"Done, {summary.failed:,} failed")
        reasons = self.model.failure_reasons()
        if reasons:
            text += " Why: " + " ".join(f"{n:,} × {sentence}" for sentence, n in reasons)
            others = summary.failed - sum(n for _s, n in reasons)
            text += f" {others:,} for other reasons (Failures only lists them)." if others > 0 else ""
        if self.model.left_out:
            text += (f" Only the first {self.model.max_rows:,} results are listed (and every failure); "
                     f"{self.model.left_out:,} delivered ones are not.")
        self.summary.setText(text)
        self._update_actions()
        self.shown.emit("finished")

    def show_failed(self, problem: Problem) -> None:
        """The run could not start or stopped early (no topic, a bad file line, unreachable)."""
        self.running = False
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("Not produced")
        self.summary.setText(problem.sentence)
        self.banner.show_problem(problem)
        self._update_actions()
        self.shown.emit("problem")

    def _show_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            self.row_detail.clear()
            return
        d = self.model.delivery(row)
        where = f"line {d.number:,}" if self.model.number_label == "Line" else f"message {d.number:,}"
        if d.error:
            self.row_detail.setText(f"{where[:1].upper()}{where[1:]}: {d.error}")
        else:
            self.row_detail.setText(f"{where[:1].upper()}{where[1:]}: stored in partition {d.partition} at offset "
                                    f"{d.offset:,}" if d.offset >= 0 else
                                    f"{where[:1].upper()}{where[1:]}: sent to partition {d.partition} (acks=0: the "
                                    "broker does not answer, so the offset is not known)")

    def clear_results(self) -> None:
        self.model.clear()
        self.row_detail.clear()
        self.failures_only.setChecked(False)
        if not self.running:
            self.summary.setText("No messages produced yet.")
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("")

    @staticmethod
    def _counts(sent: int, delivered: int, failed: int, rate: float) -> str:
        pending = sent - delivered - failed
        parts = [f"{sent:,} sent", f"{delivered:,} delivered", f"{failed:,} failed"]
        if pending > 0:
            parts.append(f"{pending:,} awaiting a report")
        return ", ".join(parts) + (f" ({rate:,.0f} messages/s)." if rate and sent > 1 else ".")

    # -- intents out -----------------------------------------------------------------------------------------------

    def request_produce(self) -> None:
        if not self._can_produce():
            return
        try:
            record = self.form.record()
        except FormError as exc:
            self.banner.show_problem(Problem("input", str(exc)))
            self.shown.emit("invalid")
            return
        self.produce_requested.emit(ProduceRequest(record.topic, record, self.form.repeat.value(),
                                                   rate=float(self.form.rate.value()),
                                                   settings=self.form.settings(),
                                                   value_schema=self.form.value_schema()))

    def request_produce_file(self, path: str) -> None:
        if not self._can_produce():
            return
        topic = self.form.topic_name
        if not topic:
            self.banner.show_problem(Problem("input", "Choose the topic the file's messages go to."))
            self.shown.emit("invalid")
            return
        self.produce_requested.emit(ProduceRequest(topic, path=path, rate=float(self.form.rate.value()),
                                                   settings=self.form.settings()))

    def _can_produce(self) -> bool:
        return self.connected and not self.read_only and not self.running

    def _choose_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Produce a JSON Lines file", "",
                                                    "JSON Lines (*.jsonl *.ndjson *.json);;All files (*)")
        if path:
            self.request_produce_file(path)

    def _choose_value_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "The value's bytes from a file")
        if path:
            self.value_file_requested.emit(path)

    def _template_intent(self, signal: SignalInstance) -> None:
        if self.templates.currentText():
            signal.emit(self.templates.currentText())

    def _ask_save_template(self) -> None:
        name, ok = QInputDialog.getText(self, "Save template", "Template name:", text=self.templates.currentText())
        if ok and name.strip():
            self.template_save_requested.emit(name.strip(), self.form.state())

    def _update_actions(self) -> None:
        can = self.connected and not self.read_only
        self.form.setEnabled(can and not self.running)
        self.produce_button.setEnabled(can and not self.running)
        self.produce_file_button.setEnabled(can and not self.running)
        self.cancel_button.setEnabled(self.running)
        has_template = self.templates.count() > 0
        self.templates.setEnabled(can and has_template)
        self.load_template_button.setEnabled(can and has_template and not self.running)
        self.delete_template_button.setEnabled(can and has_template)
        self.save_template_button.setEnabled(can)
        reason = READ_ONLY_REASON if self.read_only else ("" if self.connected else "Not connected.")
        for w in (self.produce_button, self.produce_file_button, self.save_template_button,
                  self.load_template_button):
            default = self._tips.setdefault(w.objectName() or w.text(), w.toolTip())
            w.setToolTip(reason or default)
        self.form._update()
