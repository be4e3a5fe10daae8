"""The window's navigation: a sidebar with one entry per pane (icon, title, Ctrl+<n> in its tooltip) beside a stack
of the panes, each in a scroll area so a pane larger than a small screen scrolls instead of being clipped."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QStackedWidget,
    QWidget,
)

from workbench import resources


def pane_shortcut(n: int) -> str:
    """Ctrl+1 ... Ctrl+9 for the first nine panes, Ctrl+0 for the tenth."""
    return f"Ctrl+{n % 10}" if n <= 10 else ""


def pane_icon(key: str) -> QIcon:
    """The sidebar icon of a pane: resources/icons/panes/<key>.svg (a plain one for a pane without its own), drawn
    white on the selection's highlight."""
    own = resources.path("icons", "panes", f"{key}.svg")
    source = (own if own.is_file() else resources.path("icons", "panes", "pane.svg")).read_bytes()
    icon = QIcon()
    for mode, svg in ((QIcon.Mode.Normal, source), (QIcon.Mode.Selected, source.replace(b"#5b7fb8", b"#ffffff"))):
        renderer = QSvgRenderer(QByteArray(svg))
        for size in (22, 44):  # 44: high-DPI screens
            pixmap = QPixmap(size, size)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            renderer.render(painter)
            painter.end()
            icon.addPixmap(pixmap, mode)
    return icon


class PaneNavigator(QWidget):
    """Panes by key, in the order given; `pane_changed(key)` when another one is shown."""

    pane_changed = Signal(str)

    def __init__(self, panes: list[tuple[str, str, QWidget]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keys = [key for key, _title, _pane in panes]
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setIconSize(QSize(22, 22))
        self.nav.setSpacing(2)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setFrameShape(QFrame.Shape.NoFrame)
        self.stack = QStackedWidget()
        self.stack.setObjectName("panes")
        self.pages: dict[str, QWidget] = {}
        for n, (key, title, pane) in enumerate(panes, start=1):
            item = QListWidgetItem(pane_icon(key), title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            shortcut = pane_shortcut(n)
            item.setToolTip(f"{title} ({shortcut})" if shortcut else title)
            self.nav.addItem(item)
            page = QScrollArea()
            page.setObjectName(f"page-{key}")
            page.setWidgetResizable(True)
            page.setFrameShape(QFrame.Shape.NoFrame)
            page.setWidget(pane)
            self.stack.addWidget(page)
            self.pages[key] = pane
        self.nav.setFixedWidth(max(170, self.nav.sizeHintForColumn(0) + 24))
        self.nav.currentRowChanged.connect(self._row_changed)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)

    def _row_changed(self, row: int) -> None:
        if 0 <= row < len(self.keys):
            self.stack.setCurrentIndex(row)
            self.pane_changed.emit(self.keys[row])

    def show_pane(self, key: str) -> None:
        self.nav.setCurrentRow(self.keys.index(key))

    @property
    def current(self) -> str:
        return self.keys[self.stack.currentIndex()]
