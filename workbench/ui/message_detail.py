"""One message in full: where and when, its key, headers and value with a decoder each; copy, save, produce again.

The pane never decodes a large value on the GUI thread: it asks (`decode_requested`)
and the controller decodes off-thread and hands back text capped at DETAIL_CHARS with
a note saying so (a 20 MB value opens at once; Save writes it whole).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.services import decoders
from workbench.services.record import Record
from workbench.ui.models import RowTableModel, format_timestamp
from workbench.ui.widgets import human_bytes

DETAIL_CHARS = 256 * 1024


def decoded_text(data: bytes | None, decoder: str, limit: int = DETAIL_CHARS) -> tuple[str, str]:
    """(text, note) for the detail view; runs off the GUI thread for large values. The note says what was cut
    or why the decoder did not fit (the bytes are then shown as text, never dropped)."""
    if data is None:
        return "(null)", "null"
    note = human_bytes(len(data))
    head = data if decoder in ("json", "int") else data[:limit * (2 if decoder != "hex" else 1)]
    try:
        text = decoders.decode(head, decoder)
    except decoders.DecodeError as exc:
        text = decoders.text(data[:limit])
        note += f" · ⚠ {exc}; shown as text"
    if len(text) > limit:
        text = text[:limit]
        note += f" · showing the first {limit // 1024} KiB of text: Save writes it whole"
    return text, note


def mono() -> QFont:
    font = QFont("monospace")
    font.setStyleHint(QFont.StyleHint.TypeWriter)
    return font


class MessageDetail(QWidget):
    decode_requested = Signal(str, str)  # part ("key" or "value"), decoder
    save_requested = Signal(str, str)  # part ("key", "value" or "message"), path
    produce_again_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: Record | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Select a message to see it whole.")
        self.title.setObjectName("detail-title")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)

        key_row = QHBoxLayout()
        key_row.addWidget(QLabel("Key"))
        self.key_decoder = self._decoder_box("detail-key-decoder", "key")
        key_row.addWidget(self.key_decoder)
        self.key_note = QLabel("")
        key_row.addWidget(self.key_note, 1)
        layout.addLayout(key_row)
        self.key_view = QPlainTextEdit()
        self.key_view.setObjectName("detail-key")
        self.key_view.setReadOnly(True)
        self.key_view.setFont(mono())
        self.key_view.setMaximumHeight(60)
        layout.addWidget(self.key_view)

        split = QSplitter(Qt.Orientation.Vertical)
        self.headers_model = RowTableModel(("Header", "Value (text)", "Bytes"))
        self.headers_table = QTableView()
        self.headers_table.setObjectName("detail-headers")
        self.headers_table.setModel(self.headers_model)
        self.headers_table.verticalHeader().hide()
        self.headers_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        split.addWidget(self.headers_table)
        value_box = QWidget()
        value_layout = QVBoxLayout(value_box)
        value_layout.setContentsMargins(0, 0, 0, 0)
        value_row = QHBoxLayout()
        value_row.addWidget(QLabel("Value"))
        self.value_decoder = self._decoder_box("detail-value-decoder", "value")
        value_row.addWidget(self.value_decoder)
        self.value_note = QLabel("")
        self.value_note.setObjectName("detail-value-note")
        value_row.addWidget(self.value_note, 1)
        value_layout.addLayout(value_row)
        self.value_view = QPlainTextEdit()
        self.value_view.setObjectName("detail-value")
        self.value_view.setReadOnly(True)
        self.value_view.setFont(mono())
        value_layout.addWidget(self.value_view)
        split.addWidget(value_box)
        split.setSizes([90, 300])
        layout.addWidget(split, 1)

        buttons = QHBoxLayout()
        self.copy_value = QPushButton("Copy value")
        self.copy_value.clicked.connect(lambda: self._copy(self.value_view.toPlainText()))
        self.copy_key = QPushButton("Copy key")
        self.copy_key.clicked.connect(lambda: self._copy(self.key_view.toPlainText()))
        self.save_value = QPushButton("Save value…")
        self.save_value.setToolTip("Writes the value's bytes exactly as they are in Kafka.")
        self.save_value.clicked.connect(lambda: self._ask_save("value"))
        self.save_message = QPushButton("Save message…")
        self.save_message.setToolTip("Writes the whole message as one JSON line (the export format, lossless).")
        self.save_message.clicked.connect(lambda: self._ask_save("message"))
        self.produce_again = QPushButton("Produce again…")
        self.produce_again.setObjectName("produce-again")
        self.produce_again.setToolTip("Opens the Produce pane with this message's topic, key, headers and value.")
        self.produce_again.clicked.connect(self.produce_again_requested.emit)
        for b in (self.copy_key, self.copy_value, self.save_value, self.save_message, self.produce_again):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.clear()

    def _decoder_box(self, name: str, part: str) -> QComboBox:
        box = QComboBox()
        box.setObjectName(name)
        for key, label in decoders.DECODERS.items():
            box.addItem(label, key)
        box.currentIndexChanged.connect(lambda _i: self._decoder_changed(part))
        return box

    def _decoder_changed(self, part: str) -> None:
        if self.record is not None:
            box = self.key_decoder if part == "key" else self.value_decoder
            self.decode_requested.emit(part, box.currentData())

    def set_decoders(self, key: str, value: str) -> None:
        for box, d in ((self.key_decoder, key), (self.value_decoder, value)):
            box.blockSignals(True)
            box.setCurrentIndex(box.findData(d))
            box.blockSignals(False)

    def show_record(self, record: Record) -> None:
        self.record = record
        self.title.setText(f"<b>{record.topic}</b> · partition {record.partition} · offset {record.offset} · "
                           f"{format_timestamp(record.timestamp)} ({record.timestamp_type_name})")
        self.headers_model.set_rows([(k, "(null)" if v is None else decoders.show(v, "string"),
                                      "null" if v is None else str(len(v))) for k, v in record.headers])
        self.key_view.setPlainText("…")
        self.value_view.setPlainText("…")
        for w in (self.copy_key, self.copy_value, self.save_value, self.save_message, self.produce_again):
            w.setEnabled(True)

    def show_text(self, part: str, text: str, note: str) -> None:
        if part == "key":
            self.key_view.setPlainText(text)
            self.key_note.setText(note)
        else:
            self.value_view.setPlainText(text)
            self.value_note.setText(note)

    def set_read_only(self, read_only: bool) -> None:
        self.produce_again.setEnabled(not read_only and self.record is not None)
        self.produce_again.setToolTip("This profile is read-only." if read_only else
                                      "Opens the Produce pane with this message's topic, key, headers and value.")

    def clear(self) -> None:
        self.record = None
        self.title.setText("Select a message to see it whole.")
        self.headers_model.set_rows([])
        self.key_view.clear()
        self.value_view.clear()
        self.key_note.clear()
        self.value_note.clear()
        for w in (self.copy_key, self.copy_value, self.save_value, self.save_message, self.produce_again):
            w.setEnabled(False)

    @staticmethod
    def _copy(text: str) -> None:
        clip = QGuiApplication.clipboard()
        if clip is not None:
            clip.setText(text)

    def _ask_save(self, part: str) -> None:
        if self.record is None:
            return
        suggested = f"{self.record.topic}-{self.record.partition}-{self.record.offset}"
        suggested += ".jsonl" if part == "message" else ".bin"
        path, _ = QFileDialog.getSaveFileName(self, f"Save the {part}", suggested)
        if path:
            self.save_requested.emit(part, path)
