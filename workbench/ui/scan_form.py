"""The messages pane's request form: topic and partitions, start, stop, filters, limits -> a ScanRequest.

Every field is checked when Read is pressed; a field that does not parse is named in
one sentence (`FormError`) and nothing is read. Offsets are 64-bit, so numbers are
line edits with a validator rather than 32-bit spin boxes. Times are local date-times
with milliseconds.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QDateTime, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QWidget,
)

from workbench.services.model import TopicSummary
from workbench.services.partitioner import PARTITIONERS
from workbench.services.scan_request import (
    KEY_MODES,
    START_KINDS,
    STOP_KINDS,
    VALUE_MODES,
    RecordFilter,
    ScanInputError,
    ScanRequest,
)

DATETIME_FORMAT = "yyyy-MM-dd HH:mm:ss.zzz"
DEFAULT_LIMIT = 1000


class FormError(ValueError):
    """A form field that cannot be read; the message names it."""


def parse_partitions(text: str) -> tuple[int, ...] | None:
    """'' or 'all' -> None; '0, 3, 5-7' -> (0, 3, 5, 6, 7)."""
    text = text.strip().lower()
    if text in ("", "all", "*"):
        return None
    out: set[int] = set()
    for part in re.split(r"[,\s]+", text):
        if not part:
            continue
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if m is None:
            raise FormError(f"Partitions: {part!r} is not a partition number or a range like 3-5.")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo:
            raise FormError(f"Partitions: the range {part} runs backwards.")
        if hi - lo > 100_000:
            raise FormError(f"Partitions: the range {part} is too long.")
        out.update(range(lo, hi + 1))
    return tuple(sorted(out))


def number_edit(placeholder: str, object_name: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(object_name)
    edit.setPlaceholderText(placeholder)
    edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"[0-9_,]{0,20}")))
    edit.setMaximumWidth(140)
    return edit


def read_number(edit: QLineEdit, what: str, required: bool = False) -> int | None:
    text = edit.text().replace(",", "").replace("_", "").strip()
    if not text:
        if required:
            raise FormError(f"{what}: enter a number.")
        return None
    value = int(text)
    if value >= 1 << 63:
        raise FormError(f"{what}: {value} is larger than any Kafka offset.")
    return value


def datetime_edit(object_name: str) -> QDateTimeEdit:
    edit = QDateTimeEdit(QDateTime.currentDateTime())
    edit.setObjectName(object_name)
    edit.setDisplayFormat(DATETIME_FORMAT)
    edit.setCalendarPopup(True)
    return edit


def combo(items: dict[str, str], object_name: str) -> QComboBox:
    box = QComboBox()
    box.setObjectName(object_name)
    for key, label in items.items():
        box.addItem(label, key)
    return box


class ScanForm(QWidget):
    """The form; `request()` builds the ScanRequest or raises FormError / ScanInputError."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.partition_counts: dict[str, int] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)

        self.topic = QComboBox()
        self.topic.setObjectName("scan-topic")
        self.topic.setEditable(True)
        self.topic.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.topic.setMinimumWidth(220)
        completer = self.topic.completer()
        if completer is not None:
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        line = self.topic.lineEdit()
        if line is not None:
            line.setPlaceholderText("topic")
        self.topic.currentTextChanged.connect(self._topic_changed)
        self.partitions = QLineEdit()
        self.partitions.setObjectName("scan-partitions")
        self.partitions.setPlaceholderText("all (or 0, 3, 5-7)")
        self.partitions.setMaximumWidth(160)
        self.partition_note = QLabel("")
        self.partition_note.setObjectName("scan-partition-count")

        self.start = combo(START_KINDS, "scan-start")
        self.start_number = number_edit("N / offset", "scan-start-number")
        self.start_time = datetime_edit("scan-start-time")
        self.start_value = QStackedWidget()
        for w in (QWidget(), self.start_number, self.start_time):
            self.start_value.addWidget(w)
        self.start.currentIndexChanged.connect(self._start_changed)

        self.stop = combo(STOP_KINDS, "scan-stop")
        self.stop_number = number_edit("offset (inclusive)", "scan-stop-number")
        self.stop_time = datetime_edit("scan-stop-time")
        self.stop_value = QStackedWidget()
        for w in (QWidget(), self.stop_number, self.stop_time):
            self.stop_value.addWidget(w)
        self.stop.currentIndexChanged.connect(self._stop_changed)

        self.key_mode = combo(KEY_MODES, "key-mode")
        self.key = QLineEdit()
        self.key.setObjectName("key-filter")
        self.key.setPlaceholderText("key (any)")
        self.partitioner = combo(PARTITIONERS, "partitioner")
        self.partitioner.setToolTip("How the producer chose the key's partition. With an exact key, only that "
                                    "partition is read unless 'Scan all partitions' is checked.")
        self.scan_all = QCheckBox("Scan all partitions")
        self.scan_all.setObjectName("scan-all")
        self.key_mode.currentIndexChanged.connect(self._update_pruning)
        self.key.textChanged.connect(self._update_pruning)
        self.scan_all.toggled.connect(self._update_pruning)

        self.value_mode = combo(VALUE_MODES, "value-mode")
        self.value = QLineEdit()
        self.value.setObjectName("value-filter")
        self.value.setPlaceholderText("value (any)")
        self.header_name = QLineEdit()
        self.header_name.setObjectName("header-name-filter")
        self.header_name.setPlaceholderText("header name")
        self.header_value = QLineEdit()
        self.header_value.setObjectName("header-value-filter")
        self.header_value.setPlaceholderText("header value contains")
        self.ts_from_on = QCheckBox("From")
        self.ts_from_on.setObjectName("ts-from-on")
        self.ts_from = datetime_edit("ts-from")
        self.ts_to_on = QCheckBox("to")
        self.ts_to_on.setObjectName("ts-to-on")
        self.ts_to = datetime_edit("ts-to")

        self.limit = number_edit("no limit", "result-limit")
        self.limit.setText(str(DEFAULT_LIMIT))
        self.budget_messages = number_edit("no budget", "budget-messages")
        self.budget_mib = number_edit("no budget", "budget-mib")

        def row(*widgets: QWidget, stretch: bool = True) -> QHBoxLayout:
            box = QHBoxLayout()
            for w in widgets:
                box.addWidget(w)
            if stretch:
                box.addStretch(1)
            return box

        grid.addWidget(QLabel("Topic"), 0, 0)
        grid.addLayout(row(self.topic, QLabel("Partitions"), self.partitions, self.partition_note), 0, 1)
        grid.addWidget(QLabel("Start"), 1, 0)
        grid.addLayout(row(self.start, self.start_value, QLabel("Stop"), self.stop, self.stop_value), 1, 1)
        grid.addWidget(QLabel("Key"), 2, 0)
        grid.addLayout(row(self.key_mode, self.key, self.partitioner, self.scan_all, stretch=False), 2, 1)
        grid.addWidget(QLabel("Value"), 3, 0)
        grid.addLayout(row(self.value_mode, self.value, QLabel("Header"), self.header_name, self.header_value,
                           stretch=False), 3, 1)
        grid.addWidget(QLabel("Time"), 4, 0)
        grid.addLayout(row(self.ts_from_on, self.ts_from, self.ts_to_on, self.ts_to), 4, 1)
        grid.addWidget(QLabel("Limits"), 5, 0)
        grid.addLayout(row(QLabel("stop after"), self.limit, QLabel("matches;  read at most"),
                           self.budget_messages, QLabel("messages or"), self.budget_mib, QLabel("MiB")), 5, 1)
        grid.setColumnStretch(1, 1)
        for edit in (self.key, self.value, self.header_name, self.header_value, self.partitions):
            edit.returnPressed.connect(self.submitted.emit)
        self._start_changed()
        self._stop_changed()
        self._update_pruning()

    # -- topics ----------------------------------------------------------------------------

    def set_topics(self, topics: list[TopicSummary]) -> None:
        current = self.topic.currentText()
        self.partition_counts = {t.name: t.partitions for t in topics}
        self.topic.blockSignals(True)
        self.topic.clear()
        self.topic.addItems([t.name for t in topics])
        self.topic.setEditText(current)
        self.topic.blockSignals(False)
        self._topic_changed(current)

    def choose_topic(self, name: str) -> None:
        self.topic.setEditText(name)

    def _topic_changed(self, name: str) -> None:
        n = self.partition_counts.get(name)
        self.partition_note.setText(f"of {n}" if n is not None else "")
        self._update_pruning()

    # -- dependent fields ------------------------------------------------------------------

    def _start_changed(self, *_args: object) -> None:
        kind = self.start.currentData()
        self.start_value.setCurrentIndex({"newest": 1, "offset": 1, "timestamp": 2}.get(kind, 0))
        self.start_number.setPlaceholderText("N per partition" if kind == "newest" else "offset")
        if kind == "end" and self.stop.currentData() == "end":
            self.stop.setCurrentIndex(self.stop.findData("live"))

    def _stop_changed(self, *_args: object) -> None:
        kind = self.stop.currentData()
        self.stop_value.setCurrentIndex({"offset": 1, "timestamp": 2}.get(kind, 0))

    def _update_pruning(self, *_args: object) -> None:
        exact = bool(self.key.text()) and self.key_mode.currentData() == "exact"
        self.partitioner.setEnabled(exact and not self.scan_all.isChecked())
        self.scan_all.setEnabled(exact)

    # -- the request -----------------------------------------------------------------------

    @staticmethod
    def _ms(edit: QDateTimeEdit) -> int:
        return int(edit.dateTime().toMSecsSinceEpoch())

    def request(self) -> ScanRequest:
        topic = self.topic.currentText().strip()
        if not topic:
            raise FormError("Choose a topic to read.")
        start = self.start.currentData()
        stop = self.stop.currentData()
        start_value = 0
        if start in ("newest", "offset"):
            start_value = read_number(self.start_number, "Start", required=True) or 0
        elif start == "timestamp":
            start_value = self._ms(self.start_time)
        stop_value = 0
        if stop == "offset":
            stop_value = read_number(self.stop_number, "Stop offset", required=True) or 0
        elif stop == "timestamp":
            stop_value = self._ms(self.stop_time)
        if start == "end" and stop == "end":
            raise FormError("Starting at the end reads only new messages: choose 'never (tail live)' as the stop.")
        mib = read_number(self.budget_mib, "Byte budget")
        f = RecordFilter(
            key=self.key.text(), key_mode=self.key_mode.currentData(),
            value=self.value.text(), value_mode=self.value_mode.currentData(),
            header_name=self.header_name.text().strip(), header_value=self.header_value.text(),
            ts_from=self._ms(self.ts_from) if self.ts_from_on.isChecked() else None,
            ts_to=self._ms(self.ts_to) if self.ts_to_on.isChecked() else None,
        )
        if f.ts_from is not None and f.ts_to is not None and f.ts_from > f.ts_to:
            raise FormError("Time: the 'from' time is after the 'to' time.")
        req = ScanRequest(
            topic=topic, partitions=parse_partitions(self.partitions.text()),
            start=start, start_value=start_value, stop=stop, stop_value=stop_value,
            max_results=read_number(self.limit, "Result limit"),
            budget_messages=read_number(self.budget_messages, "Message budget"),
            budget_bytes=mib * 1024 * 1024 if mib is not None else None,
            filter=f, partitioner=self.partitioner.currentData(), scan_all=self.scan_all.isChecked(),
        )
        try:
            req.check()
        except ScanInputError as exc:
            raise FormError(str(exc)) from exc
        count = self.partition_counts.get(topic)
        if count is not None and req.partitions is not None:
            bad = [p for p in req.partitions if p >= count]
            if bad:
                raise FormError(f"{topic} has {count} partitions (0-{count - 1}); there is no partition "
                                f"{', '.join(map(str, bad))}.")
        return req
