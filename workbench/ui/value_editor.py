"""The value editor of the produce form: text, JSON (checked as you type, the error's position shown), base64, hex,
or bytes loaded from a file (kept as bytes, never shown as text, so a 20 MB file does not fill a text box)."""

from __future__ import annotations

import base64
import binascii
import json

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFont, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.byte_fields import FormError, to_bytes
from workbench.ui.theme import colour
from workbench.ui.widgets import human_bytes

MODES = {"text": "Text (UTF-8)", "json": "JSON", "base64": "base64", "hex": "hex", "bytes": "Bytes from a file"}
TEXT_LIMIT = 1 << 20  # larger values load as bytes, not into the text box


def json_error(text: str) -> tuple[str, int, int, int] | None:
    """(sentence, line, column, character position) of the first JSON error, or None when `text` is JSON."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"Not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.", exc.lineno, exc.colno, exc.pos
    return None


class ValueEditor(QWidget):
    #: the user asked to pick a file whose bytes become the value (the controller reads it off the GUI thread)
    file_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bytes = b""
        self._source = ""
        self.mode = QComboBox()
        self.mode.setObjectName("value-mode")
        for key, label in MODES.items():
            self.mode.addItem(label, key)
        self.format_button = QPushButton("Format JSON")
        self.format_button.setToolTip("Indent the JSON (it is sent as shown)")
        self.file_button = QPushButton("Choose file…")
        self.text = QPlainTextEdit()
        self.text.setObjectName("value-text")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(mono)
        self.text.setMinimumHeight(90)
        self.status = QLabel("")
        self.status.setObjectName("value-status")
        self.status.setWordWrap(True)
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(200)
        self._check_timer.timeout.connect(self.check)
        self.text.textChanged.connect(self._check_timer.start)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.format_button.clicked.connect(self.format_json)
        self.file_button.clicked.connect(self.file_requested)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.mode)
        top.addStretch(1)
        top.addWidget(self.format_button)
        top.addWidget(self.file_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.status)
        self._mode_changed()

    @property
    def current_mode(self) -> str:
        return str(self.mode.currentData())

    def set_mode(self, mode: str) -> None:
        at = self.mode.findData(mode)
        if at >= 0:
            self.mode.setCurrentIndex(at)

    def _mode_changed(self, *_args: object) -> None:
        mode = self.current_mode
        self.format_button.setVisible(mode == "json")
        self.file_button.setVisible(mode == "bytes")
        self.text.setReadOnly(mode == "bytes")
        if mode == "bytes":
            self.text.setPlainText("")
            self.text.setPlaceholderText("Choose a file: its bytes are sent as the value.")
        else:
            self.text.setPlaceholderText({"json": '{"id": 1}', "base64": "AAEC/w==", "hex": "00 01 02 ff"}
                                         .get(mode, "The value"))
        self.check()

    def set_bytes(self, data: bytes, source: str) -> None:
        """Bytes that become the value as they are (from a file, or a large consumed value)."""
        self._bytes, self._source = data, source
        self.set_mode("bytes")
        self.check()

    def set_value(self, data: bytes) -> None:
        """Show bytes in the mode that fits them: JSON, text, or base64; large ones as bytes."""
        if len(data) > TEXT_LIMIT:
            self.set_bytes(data, "the loaded message")
            return
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.set_mode("base64")
            self.text.setPlainText(base64.b64encode(data).decode("ascii"))
            return
        stripped = text.lstrip()
        self.set_mode("json" if stripped[:1] in ("{", "[") and json_error(text) is None else "text")
        self.text.setPlainText(text)

    def check(self) -> bool:
        """Show whether the value can be sent; for JSON, the error and its position (highlighted)."""
        self._check_timer.stop()
        mode = self.current_mode
        self.text.setExtraSelections([])
        if mode == "bytes":
            self.status.setText(f"{human_bytes(len(self._bytes))} from {self._source}" if self._source else
                                "No file chosen yet.")
            return bool(self._source)
        if mode == "json":
            found = json_error(self.text.toPlainText())
            if found is None:
                self.status.setText("✔ Valid JSON")
                return True
            sentence, _line, _col, pos = found
            self.status.setText(f"✖ {sentence}")
            self._mark(pos)
            return False
        try:
            to_bytes(self.text.toPlainText(), mode, "The value")
        except FormError as exc:
            self.status.setText(f"✖ {exc}")
            return False
        self.status.setText("")
        return True

    def _mark(self, pos: int) -> None:
        selection = QTextEdit.ExtraSelection()
        selection.format.setBackground(colour("critical"))  # type: ignore[attr-defined]
        selection.format.setProperty(QTextFormat.Property.FullWidthSelection, False)  # type: ignore[attr-defined]
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(min(pos, max(0, len(self.text.toPlainText()) - 1)))
        cursor.movePosition(QTextCursor.MoveOperation.NextCharacter, QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor  # type: ignore[attr-defined]
        self.text.setExtraSelections([selection])

    def format_json(self) -> None:
        try:
            parsed = json.loads(self.text.toPlainText())
        except json.JSONDecodeError:
            self.check()
            return
        self.text.setPlainText(json.dumps(parsed, indent=2, ensure_ascii=False))

    def value(self) -> bytes:
        """The bytes to send; FormError (and the cursor put on the JSON error) when they cannot be made."""
        mode = self.current_mode
        if mode == "bytes":
            if not self._source:
                raise FormError("Choose the file whose bytes are the value.", "value")
            return self._bytes
        text = self.text.toPlainText()
        if mode == "json":
            found = json_error(text)
            if found is not None:
                sentence, _line, _col, pos = found
                cursor = self.text.textCursor()
                cursor.setPosition(min(pos, len(text)))
                self.text.setTextCursor(cursor)
                self.text.setFocus()
                self.check()
                raise FormError(f"The value is not valid JSON: {sentence.removeprefix('Not valid JSON: ')}",
                                "value")
            return text.encode("utf-8")
        data = to_bytes(text, mode, "The value")
        assert data is not None
        return data

    def state(self) -> dict[str, str]:
        mode = self.current_mode
        if mode == "bytes":
            return {"mode": mode, "bytes": base64.b64encode(self._bytes).decode("ascii"), "source": self._source}
        return {"mode": mode, "text": self.text.toPlainText()}

    def set_state(self, state: dict[str, object]) -> None:
        mode = str(state.get("mode", "text"))
        if mode == "bytes":
            try:
                data = base64.b64decode(str(state.get("bytes", "")), validate=True)
            except (binascii.Error, ValueError):
                data = b""
            self.set_bytes(data, str(state.get("source") or "a template"))
            return
        self.set_mode(mode if mode in MODES else "text")
        self.text.setPlainText(str(state.get("text", "")))
        self.check()
