"""The main window opens and shows its panes."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from workbench.main_window import MainWindow


def test_main_window_shows_title_and_tabs(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == "Kafka Workbench"
    assert window.tabs.count() >= 1
