"""Builds the QApplication and the main window, and runs them on a qasync event loop."""

from __future__ import annotations

import asyncio

import qasync
from PySide6.QtWidgets import QApplication

from workbench.main_window import MainWindow


def run(argv: list[str]) -> int:
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("Kafka Workbench")
    app.setOrganizationName("kafka-workbench")
    window = MainWindow()
    window.show()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    with loop:
        loop.run_until_complete(closed.wait())
    return 0
