"""The produce form: topic, key, value, headers, partition or partitioner, timestamp, compression, acks, repeat and
rate. It turns into a Record and ProducerSettings (`record()`, `settings()`), into a JSON-able template (`state()`,
`set_state()`), and is filled from a consumed record (`load_record()`)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDateTime, QStringListModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.services.model import TopicSummary
from workbench.services.partitioner import partition_for
from workbench.services.produce_run import ACKS, COMPRESSIONS, ProducerSettings
from workbench.services.record import Record
from workbench.ui.byte_fields import ENCODINGS, EncodingDelegate, FormError, HeadersModel, as_text, to_bytes
from workbench.ui.value_editor import ValueEditor

PARTITION_CHOICES = {
    "murmur2": "Kafka default partitioner (murmur2 of the key)",
    "consistent_random": "librdkafka default partitioner (CRC-32 of the key)",
    "consistent": "librdkafka consistent (CRC-32; null and empty keys to partition 0)",
    "explicit": "This partition:",
}
TIMESTAMP_CHOICES = {"now": "Producer's clock when sent", "fixed": "This time:"}
STATE_VERSION = 1


def _combo(choices: dict[str, str], name: str) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    for key, label in choices.items():
        box.addItem(label, key)
    return box


def _select(box: QComboBox, key: Any) -> None:
    at = box.findData(key)
    if at >= 0:
        box.setCurrentIndex(at)


class ProduceForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.partition_counts: dict[str, int] = {}
        self.topic = QComboBox()
        self.topic.setObjectName("produce-topic")
        self.topic.setEditable(True)
        self.topic.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        line = self.topic.lineEdit()
        if line is not None:
            line.setPlaceholderText("Choose or type a topic")
        self._topic_names = QStringListModel()
        self.topic.setModel(self._topic_names)
        completer = QCompleter(self._topic_names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.topic.setCompleter(completer)
        self.topic_info = QLabel("")

        self.key_encoding = _combo(ENCODINGS, "key-encoding")
        self.key = QLineEdit()
        self.key.setObjectName("key")
        self.key.setPlaceholderText("The key (empty is an empty key; choose null for none)")
        self.value = ValueEditor()
        self.schema_subject = QComboBox()
        self.schema_subject.setObjectName("schema-subject")
        self.schema_subject.setEditable(True)
        self.schema_subject.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.schema_subject.setMinimumWidth(200)
        self.schema_subject.setToolTip("A Schema Registry subject: the value is typed as JSON, checked against the "
                                       "schema and sent in the Schema Registry wire format.")
        self.schema_version = QComboBox()
        self.schema_version.setObjectName("schema-version")
        self.schema_versions: dict[str, tuple[int, ...]] = {}
        self.schema_subject.currentTextChanged.connect(self._subject_changed)
        self.set_subjects({})
        self.tombstone = QCheckBox("Tombstone (null value: deletes the key in a compacted topic)")
        self.tombstone.setObjectName("tombstone")

        self.headers = HeadersModel()
        self.headers_view = QTableView()
        self.headers_view.setObjectName("headers")
        self.headers_view.setModel(self.headers)
        self.headers_view.setItemDelegateForColumn(2, EncodingDelegate(self.headers_view))
        self.headers_view.verticalHeader().hide()
        self.headers_view.verticalHeader().setDefaultSectionSize(22)
        self.headers_view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.headers_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.headers_view.setMaximumHeight(120)
        self.add_header_button = QPushButton("Add header")
        self.remove_header_button = QPushButton("Remove")
        self.add_header_button.clicked.connect(self._add_header)
        self.remove_header_button.clicked.connect(
            lambda: self.headers.remove([i.row() for i in self.headers_view.selectionModel().selectedRows()]))

        self.partition_choice = _combo(PARTITION_CHOICES, "partition-choice")
        self.partition = QSpinBox()
        self.partition.setObjectName("partition")
        self.partition.setRange(0, 1_000_000)
        self.partition_note = QLabel("")
        self.partition_note.setObjectName("partition-note")
        self.timestamp_choice = _combo(TIMESTAMP_CHOICES, "timestamp-choice")
        self.timestamp_choice.setToolTip("Sent as the record's CreateTime. A topic with "
                                         "message.timestamp.type=LogAppendTime stores the broker's time instead; "
                                         "the results say \"broker time\" then.")
        self.timestamp = QDateTimeEdit(QDateTime.currentDateTime())
        self.timestamp.setObjectName("timestamp")
        self.timestamp.setDisplayFormat("yyyy-MM-dd HH:mm:ss.zzz")
        self.timestamp.setCalendarPopup(True)
        self.compression = _combo({c: c for c in COMPRESSIONS}, "compression")
        self.acks = _combo({k: f"{k} — {v}" for k, v in ACKS.items()}, "acks")
        self.repeat = QSpinBox()
        self.repeat.setObjectName("repeat")
        self.repeat.setRange(1, 100_000_000)
        self.repeat.setGroupSeparatorShown(True)
        self.repeat.setSuffix(" time(s)")
        self.rate = QSpinBox()
        self.rate.setObjectName("rate")
        self.rate.setRange(0, 1_000_000)
        self.rate.setGroupSeparatorShown(True)
        self.rate.setSpecialValueText("as fast as possible")
        self.rate.setSuffix(" messages/s")

        for signal in (self.key.textChanged, self.key_encoding.currentIndexChanged, self.topic.currentTextChanged,
                       self.partition_choice.currentIndexChanged, self.partition.valueChanged):
            signal.connect(self._update)
        self.tombstone.toggled.connect(self._update)
        self.timestamp_choice.currentIndexChanged.connect(self._update)

        def row(*widgets: QWidget, stretch: int = -1) -> QWidget:
            box = QWidget()
            h = QHBoxLayout(box)
            h.setContentsMargins(0, 0, 0, 0)
            for i, w in enumerate(widgets):
                h.addWidget(w, 1 if i == stretch else 0)
            if stretch < 0:
                h.addStretch(1)
            return box

        headers_box = QWidget()
        hv = QVBoxLayout(headers_box)
        hv.setContentsMargins(0, 0, 0, 0)
        hv.addWidget(self.headers_view)
        hv.addWidget(row(self.add_header_button, self.remove_header_button))

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Topic", row(self.topic, self.topic_info, stretch=0))
        form.addRow("Key", row(self.key_encoding, self.key, stretch=1))
        form.addRow("Value schema", row(self.schema_subject, QLabel("version"), self.schema_version, stretch=0))
        form.addRow("Value", self.value)
        form.addRow("", self.tombstone)
        form.addRow("Headers", headers_box)
        form.addRow("Partition", row(self.partition_choice, self.partition, stretch=0))
        form.addRow("", self.partition_note)
        form.addRow("Timestamp", row(self.timestamp_choice, self.timestamp))
        form.addRow("Compression", row(self.compression, QLabel("   Acks"), self.acks))
        form.addRow("Repeat", row(self.repeat, QLabel(" at "), self.rate))
        self._update()

    # -- topics ----------------------------------------------------------------------------------------------------

    def set_topics(self, topics: list[TopicSummary]) -> None:
        current = self.topic.currentText()
        self.partition_counts = {t.name: t.partitions for t in topics}
        self._topic_names.setStringList(sorted((t.name for t in topics), key=lambda n: (n.startswith("_"), n)))
        self.topic.setCurrentText(current)
        self._update()

    @property
    def topic_name(self) -> str:
        return self.topic.currentText().strip()

    def set_topic(self, name: str) -> None:
        self.topic.setCurrentText(name)

    # -- schemas ---------------------------------------------------------------------------------------------------

    NO_SCHEMA = "(none: the value's bytes as typed)"

    def set_subjects(self, versions: dict[str, tuple[int, ...]]) -> None:
        """The registry's subjects and their versions (empty: no registry, or none yet)."""
        current = self.schema_subject.currentText()
        self.schema_versions = dict(versions)
        self.schema_subject.blockSignals(True)
        self.schema_subject.clear()
        self.schema_subject.addItem(self.NO_SCHEMA)
        self.schema_subject.addItems(sorted(versions))
        self.schema_subject.setCurrentText(current if current in versions else self.NO_SCHEMA)
        self.schema_subject.blockSignals(False)
        self.schema_subject.setEnabled(bool(versions) or current not in ("", self.NO_SCHEMA))
        self._subject_changed(self.schema_subject.currentText())

    def _subject_changed(self, subject: str) -> None:
        self.schema_version.clear()
        chosen = subject.strip() not in ("", self.NO_SCHEMA)
        if chosen:
            self.schema_version.addItem("latest", "latest")
            for v in reversed(self.schema_versions.get(subject, ())):
                self.schema_version.addItem(str(v), str(v))
            self.value.set_mode("json")
        self.schema_version.setEnabled(chosen)

    def choose_schema(self, subject: str, version: str = "latest") -> None:
        self.schema_subject.setCurrentText(subject)
        at = self.schema_version.findData(version)
        if at >= 0:
            self.schema_version.setCurrentIndex(at)

    def value_schema(self) -> tuple[str, str] | None:
        subject = self.schema_subject.currentText().strip()
        if subject in ("", self.NO_SCHEMA):
            return None
        return subject, str(self.schema_version.currentData() or "latest")

    # -- what the form says ----------------------------------------------------------------------------------------

    def key_bytes(self) -> bytes | None:
        return to_bytes(self.key.text(), str(self.key_encoding.currentData()), "The key")

    def settings(self) -> ProducerSettings:
        choice = str(self.partition_choice.currentData())
        return ProducerSettings(compression=str(self.compression.currentData()), acks=str(self.acks.currentData()),
                                partitioner=choice if choice != "explicit" else "murmur2")

    def record(self) -> Record:
        """The record the form describes (partition -1: the partitioner chooses; timestamp 0: the producer's clock);
        FormError says what is wrong."""
        topic = self.topic_name
        if not topic:
            raise FormError("Choose a topic to produce to.", "topic")
        key = self.key_bytes()
        value = None if self.tombstone.isChecked() else self.value.value()
        partition = self.partition.value() if self.partition_choice.currentData() == "explicit" else -1
        count = self.partition_counts.get(topic)
        if partition >= 0 and count is not None and partition >= count:
            raise FormError(f"Topic {topic} has {count} partition(s) (0–{count - 1}); there is no partition "
                            f"{partition}.", "partition")
        timestamp = self.timestamp.dateTime().toMSecsSinceEpoch() if self.timestamp_choice.currentData() == "fixed" \
            else 0
        return Record(topic, partition, -1, timestamp, 1, key, value, self.headers.to_headers())

    # -- filling it ------------------------------------------------------------------------------------------------

    def load_record(self, record: Record) -> None:
        """Fill the form from a consumed record: same topic, key, value, headers and partition; sent now."""
        self.set_topic(record.topic)
        text, encoding = as_text(record.key)
        _select(self.key_encoding, encoding)
        self.key.setText(text)
        self.tombstone.setChecked(record.value is None)
        if record.value is not None:
            self.value.set_value(record.value)
        self.headers.set_headers(record.headers)
        _select(self.partition_choice, "explicit")
        self.partition.setValue(max(0, record.partition))
        _select(self.timestamp_choice, "now")
        if record.timestamp > 0:
            self.timestamp.setDateTime(QDateTime.fromMSecsSinceEpoch(record.timestamp))
        self.repeat.setValue(1)
        self._update()

    def state(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "topic": self.topic_name,
            "key": {"encoding": self.key_encoding.currentData(), "text": self.key.text()},
            "value": self.value.state(),
            "tombstone": self.tombstone.isChecked(),
            "headers": self.headers.state(),
            "partition": {"mode": self.partition_choice.currentData(), "number": self.partition.value()},
            "timestamp": {"mode": self.timestamp_choice.currentData(),
                          "ms": self.timestamp.dateTime().toMSecsSinceEpoch()},
            "compression": self.compression.currentData(),
            "acks": self.acks.currentData(),
            "repeat": self.repeat.value(),
            "rate": self.rate.value(),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Fill the form from `state()`'s output; missing or unknown parts keep their current values."""
        def part(name: str) -> dict[str, Any]:
            found = state.get(name)
            return found if isinstance(found, dict) else {}

        if isinstance(state.get("topic"), str):
            self.set_topic(state["topic"])
        key = part("key")
        _select(self.key_encoding, key.get("encoding", "text"))
        self.key.setText(str(key.get("text", "")))
        if part("value"):
            self.value.set_state(part("value"))
        self.tombstone.setChecked(bool(state.get("tombstone", False)))
        if isinstance(state.get("headers"), list):
            self.headers.set_state(state["headers"])
        _select(self.partition_choice, part("partition").get("mode"))
        if isinstance(part("partition").get("number"), int):
            self.partition.setValue(part("partition")["number"])
        _select(self.timestamp_choice, part("timestamp").get("mode"))
        if isinstance(part("timestamp").get("ms"), int):
            self.timestamp.setDateTime(QDateTime.fromMSecsSinceEpoch(part("timestamp")["ms"]))
        _select(self.compression, state.get("compression"))
        _select(self.acks, state.get("acks"))
        for box, name in ((self.repeat, "repeat"), (self.rate, "rate")):
            if isinstance(state.get(name), int):
                box.setValue(state[name])
        self._update()

    # -- feedback --------------------------------------------------------------------------------------------------

    def _add_header(self) -> None:
        row = self.headers.add()
        self.headers_view.setCurrentIndex(self.headers.index(row, 0))
        self.headers_view.edit(self.headers.index(row, 0))

    def _update(self, *_args: object) -> None:
        count = self.partition_counts.get(self.topic_name)
        known = self.topic_name in self.partition_counts
        self.topic_info.setText(f"{count} partition{'s' if count != 1 else ''}" if count is not None else
                                ("not in the topic list" if self.topic_name and self.partition_counts else ""))
        self.key.setEnabled(self.key_encoding.currentData() != "null" and self.isEnabled())
        self.value.setEnabled(not self.tombstone.isChecked() and self.isEnabled())
        choice = str(self.partition_choice.currentData())
        self.partition.setVisible(choice == "explicit")
        self.timestamp.setVisible(self.timestamp_choice.currentData() == "fixed")
        note = ""
        if choice == "explicit" and count is not None and self.partition.value() >= count:
            note = f"Topic {self.topic_name} has no partition {self.partition.value()} (it has 0–{count - 1})."
        if choice != "explicit" and known and count:
            try:
                key = self.key_bytes()
            except FormError:
                key = b""
                note = "The key is not valid for its encoding."
            if not note:
                chosen = partition_for(key, count, choice)
                note = (f"→ partition {chosen} of {count} for this key" if chosen is not None else
                        f"→ a partition picked at random for each {'null' if key is None else 'empty'} key")
        self.partition_note.setText(note)
        self.partition_note.setVisible(bool(note))
