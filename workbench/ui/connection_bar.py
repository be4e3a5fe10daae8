"""The window's connection toolbar (the profile switcher, the read-only badge and the connection actions) and its
menus (View: one entry per pane with its Ctrl+<n>, and the theme; Connection; Help). The bar emits intents; the main
window decides what they do."""

from __future__ import annotations

import functools
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QMainWindow, QToolBar

from workbench.ui.navigation import pane_icon, pane_shortcut


class ConnectionBar(QToolBar):
    switch_requested = Signal(str)  # a profile name chosen in the switcher
    new_requested = Signal()
    edit_requested = Signal(str)
    delete_requested = Signal(str)
    refresh_requested = Signal()
    theme_requested = Signal(str)  # "dark" or "light"

    def __init__(self, window: QMainWindow, dark: bool) -> None:
        super().__init__("Connection", window)
        self.setObjectName("toolbar-connection")
        self.setMovable(False)
        self.addWidget(QLabel(" Connection: "))
        self.switcher = QComboBox()
        self.switcher.setObjectName("connection-switcher")
        self.switcher.setMinimumWidth(220)
        self.switcher.activated.connect(lambda _i: self.switch_requested.emit(self.switcher.currentText()))
        self.addWidget(self.switcher)
        self.read_only_badge = QLabel("")
        self.addWidget(self.read_only_badge)
        self.new_action = QAction("New connection…", window)
        self.new_action.triggered.connect(self.new_requested)
        self.edit_action = QAction("Edit connection…", window)
        self.edit_action.triggered.connect(lambda: self.edit_requested.emit(self.switcher.currentText()))
        self.delete_profile_action = QAction("Delete connection", window)
        self.delete_profile_action.triggered.connect(lambda: self.delete_requested.emit(self.switcher.currentText()))
        self.refresh_action = QAction("Refresh", window)
        self.refresh_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.refresh_action.triggered.connect(self.refresh_requested)
        self.theme_action = QAction("Dark theme", window)
        self.theme_action.setCheckable(True)
        self.theme_action.setShortcut(QKeySequence("Ctrl+Shift+T"))
        self.theme_action.setChecked(dark)
        self.theme_action.toggled.connect(lambda on: self.theme_requested.emit("dark" if on else "light"))
        for action in self.connection_actions:
            self.addAction(action)
        self.addAction(self.theme_action)

    @property
    def connection_actions(self) -> tuple[QAction, ...]:
        return (self.new_action, self.edit_action, self.delete_profile_action, self.refresh_action)

    def fill(self, names: list[str]) -> None:
        """The profiles to switch between, keeping the current one chosen (no switch is requested)."""
        current = self.switcher.currentText()
        self.switcher.blockSignals(True)
        self.switcher.clear()
        self.switcher.addItems(names)
        if current:
            self.switcher.setCurrentText(current)
        self.switcher.blockSignals(False)

    def add_menus(self, window: QMainWindow, panes: list[tuple[str, str]], show_pane: Callable[[str], None],
                  about: Callable[[], None]) -> tuple[dict[str, QAction], QAction]:
        """View (a pane per entry, Ctrl+<n>; the theme), Connection and Help menus; the pane actions and About."""
        view = window.menuBar().addMenu("&View")
        pane_actions: dict[str, QAction] = {}
        for n, (key, title) in enumerate(panes, start=1):
            action = QAction(pane_icon(key), title, window)
            action.setObjectName(f"show-{key}")
            if pane_shortcut(n):
                action.setShortcut(QKeySequence(pane_shortcut(n)))
            action.triggered.connect(functools.partial(show_pane, key))
            view.addAction(action)
            pane_actions[key] = action
        view.addSeparator()
        view.addAction(self.theme_action)
        conn = window.menuBar().addMenu("&Connection")
        for action in self.connection_actions:
            conn.addAction(action)
        help_menu = window.menuBar().addMenu("&Help")
        about_action = QAction("About Kafka Workbench", window)
        about_action.setObjectName("about")
        about_action.triggered.connect(about)
        help_menu.addAction(about_action)
        return pane_actions, about_action
