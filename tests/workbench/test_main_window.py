"""The main window opens with its panes, themes switch, the layout is remembered, shortcuts move between panes."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from workbench import settings as S
from workbench.main_window import MainWindow
from workbench.store import Store


def test_main_window_shows_title_and_panes(window: MainWindow) -> None:
    assert window.windowTitle() == "Kafka Workbench"
    assert set(window.pages) == set(window.pane_keys) >= {"local", "topics", "brokers", "zookeeper"}
    assert window.switcher.itemText(0) == "Local"


def test_theme_switch_is_remembered(window: MainWindow, store: Store) -> None:
    window.theme_action.setChecked(True)
    assert store.get(S.THEME) == "dark"
    window.theme_action.setChecked(False)
    assert store.get(S.THEME) == "light"


def test_layout_is_saved_and_restored(qtbot: QtBot, window: MainWindow, store: Store) -> None:
    window.resize(700, 500)  # within the offscreen platform's 800x600 screen, which restoreGeometry clamps to
    qtbot.waitUntil(lambda: window.size().width() == 700)
    window.shutdown()
    assert store.get(S.WINDOW_GEOMETRY) and store.get(S.WINDOW_STATE)
    again = MainWindow(store, window.local)
    qtbot.addWidget(again)
    assert (again.size().width(), again.size().height()) == (700, 500)
    again.shutdown()


def test_pane_shortcuts(qtbot: QtBot, window: MainWindow) -> None:
    from PySide6.QtCore import Qt

    n = window.pane_keys.index("brokers") + 1
    qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0.value + n), Qt.KeyboardModifier.ControlModifier)
    assert window.current_pane == "brokers" and window.brokers_pane.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.current_pane == "topics"
    assert window.topics_pane.search.hasFocus()


def test_a_banner_shown_before_a_theme_switch_takes_the_new_colours(qtbot: QtBot, window: MainWindow) -> None:
    from PySide6.QtGui import QColor

    from workbench.ui.theme import STATE_COLOURS

    window.show_pane("local")
    window.local_pane.tabs.setCurrentWidget(window.local_pane.demo)
    banner = window.local_pane.demo.banner
    banner.show_note("5 of 6 members running.", "warning")

    def painted() -> str:
        image = banner.grab().toImage()
        return QColor(image.pixel(2, 2)).name()
    assert painted() == STATE_COLOURS["light"]["warning"]
    try:
        window.theme_action.setChecked(True)
        assert painted() == STATE_COLOURS["dark"]["warning"]
    finally:
        window.theme_action.setChecked(False)
    assert painted() == STATE_COLOURS["light"]["warning"]
