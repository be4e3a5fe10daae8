"""The schemas pane's models: the registry's subjects, and two versions of a schema side by side as a diff.

The diff is difflib's line matching: each row holds a line of the left version and the
line of the right one it pairs with (either may be missing), and the kind of change
("equal", "replace", "delete", "insert") colours the row.
"""

from __future__ import annotations

import difflib
from typing import Any

from PySide6.QtCore import Qt

from workbench.services.registry import SubjectInfo
from workbench.ui.models import DISPLAY, HeaderedTableModel, Index
from workbench.ui.theme import colour

CHANGE_STATES = {"replace": "warning", "delete": "critical", "insert": "healthy"}


class SubjectsModel(HeaderedTableModel):
    headers = ("Subject", "Versions", "Latest", "Type", "Compatibility")

    def __init__(self) -> None:
        super().__init__()
        self.subjects: list[SubjectInfo] = []
        self.global_level = ""

    def row_count(self) -> int:
        return len(self.subjects)

    def set_subjects(self, subjects: list[SubjectInfo], global_level: str) -> None:
        self.beginResetModel()
        self.subjects = list(subjects)
        self.global_level = global_level
        self.endResetModel()

    def subject(self, row: int) -> SubjectInfo:
        return self.subjects[row]

    def row_of(self, name: str) -> int:
        return next((i for i, s in enumerate(self.subjects) if s.name == name), -1)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.subjects):
            return None
        s = self.subjects[index.row()]
        col = index.column()
        if role == DISPLAY:
            if col == 0:
                return s.name
            if col == 1:
                return ", ".join(map(str, s.versions))
            if col == 2:
                return str(s.versions[-1]) if s.versions else ""
            if col == 3:
                return s.schema_type
            return s.compatibility or f"{self.global_level} (global)"
        if role == Qt.ItemDataRole.ForegroundRole and col == 4 and not s.compatibility:
            return colour("unreachable").darker(180)
        if role == Qt.ItemDataRole.ToolTipRole and col == 4:
            return ("Set for this subject." if s.compatibility else
                    "Not set for this subject: the registry's global level applies.")
        return None


class DiffModel(HeaderedTableModel):
    headers = ("#", "Left", "#", "Right")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[int | None, str, int | None, str, str]] = []
        self.titles = ("Left", "Right")

    def row_count(self) -> int:
        return len(self.rows)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY and section in (1, 3):
            return self.titles[0 if section == 1 else 1]
        return super().headerData(section, orientation, role)

    def set_texts(self, left: str, right: str, titles: tuple[str, str] = ("Left", "Right")) -> None:
        a, b = left.splitlines(), right.splitlines()
        rows: list[tuple[int | None, str, int | None, str, str]] = []
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            span = max(i2 - i1, j2 - j1)
            for k in range(span):
                li, rj = i1 + k, j1 + k
                rows.append((li + 1 if li < i2 else None, a[li] if li < i2 else "",
                             rj + 1 if rj < j2 else None, b[rj] if rj < j2 else "", tag))
        self.beginResetModel()
        self.rows = rows
        self.titles = titles
        self.endResetModel()

    @property
    def changes(self) -> int:
        return sum(1 for r in self.rows if r[4] != "equal")

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == DISPLAY:
            value = row[col]
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.BackgroundRole and row[4] != "equal":
            side_missing = (col in (0, 1) and row[0] is None) or (col in (2, 3) and row[2] is None)
            return None if side_missing else colour(CHANGE_STATES.get(row[4], "warning"))
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 2):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
