"""Exports of messages: the results of a scan, or a whole range read straight to a file.

Both write through record_file.RecordWriter (JSON Lines, lossless; or CSV) off the GUI
thread. A range export is a scan whose sink is the file instead of the results table,
so it has the same plan, progress, budget, cancel and stop reasons as any scan. The
file is written beside its final name and renamed into place when complete, so a
cancelled or failed export never leaves a file that looks whole.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from workbench.services.record import Record
from workbench.services.record_file import FORMAT_JSONL, FORMATS, RecordWriter
from workbench.services.result_store import IndexEntries


@dataclasses.dataclass(frozen=True)
class ExportChoice:
    source: str  # "results" (what the table holds) or "range" (the current request, without a result limit)
    path: str
    fmt: str = FORMAT_JSONL
    always_base64: bool = False
    add_decoded: bool = False  # beside the raw bytes, the key and value decoded with their schemas (JSON Lines)

    def check(self) -> None:
        if self.source not in ("results", "range"):
            raise ValueError(f"unknown export source {self.source!r}")
        if self.fmt not in FORMATS:
            raise ValueError(f"unknown export format {self.fmt!r}")
        if not self.path:
            raise ValueError("choose a file to export to")
        parent = Path(self.path).expanduser().parent
        if not parent.is_dir():
            raise ValueError(f"the folder {parent} does not exist")


class FileSink:
    """A scan sink that writes matching records to a file (thread-safe); `commit()` renames it into place."""

    def __init__(self, choice: ExportChoice, decoder: Any = None) -> None:
        choice.check()
        self.final = Path(choice.path).expanduser()
        self.partial = self.final.with_name(self.final.name + ".partial")
        self._file = open(self.partial, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by commit/abort
        self.writer = RecordWriter(self._file, choice.fmt, choice.always_base64,
                                   decoder if choice.add_decoded else None)
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        return self.writer.count

    def append(self, records: Sequence[Record]) -> IndexEntries | None:
        with self._lock:
            self.writer.write(records)
        return None

    def commit(self) -> Path:
        with self._lock:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self.partial, self.final)
        return self.final

    def abort(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()
            self.partial.unlink(missing_ok=True)


def write_records(choice: ExportChoice, records: Iterable[Record], chunk: int = 1000, decoder: Any = None) -> int:
    """Write records to choice.path (blocking: run it off the GUI thread); the count written. `decoder` (a
    SchemaDecoder) adds the decoded key and value when the choice asks for them."""
    sink = FileSink(choice, decoder)
    try:
        batch: list[Record] = []
        for r in records:
            batch.append(r)
            if len(batch) >= chunk:
                sink.append(batch)
                batch = []
        sink.append(batch)
        sink.commit()
    except BaseException:
        sink.abort()
        raise
    return sink.count
