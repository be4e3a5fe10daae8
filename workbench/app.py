"""Builds the QApplication, the store and the main window, and runs them on a qasync event loop."""

from __future__ import annotations

import asyncio
import logging
import signal

import qasync
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from workbench import __version__, resources
from workbench import settings as S
from workbench.about import APP_ID
from workbench.main_window import MainWindow
from workbench.services.threads import EXECUTOR
from workbench.store import Store
from workbench.ui.theme import apply_theme


def run(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Kafka Workbench")
    app.setOrganizationName("kafka-workbench")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)  # Wayland and the taskbar match the window to the installed desktop entry
    app.setWindowIcon(QIcon(str(resources.path("kafka-workbench.svg"))))
    store = Store()
    apply_theme(app, store.get(S.THEME))
    loop = qasync.QEventLoop(app)
    loop.set_default_executor(EXECUTOR)  # getaddrinfo and friends: plain threads, not QThreads
    asyncio.set_event_loop(loop)
    window = MainWindow(store)
    window.show()
    loop.call_soon(window.start)
    closed = asyncio.Event()
    app.setQuitOnLastWindowClosed(False)  # closing hides the window; the app quits once the broker has stopped
    window.left.connect(app.quit)
    app.aboutToQuit.connect(closed.set)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        # A terminal's Ctrl+C, a logout or `kill` takes the same way out as closing the window,
        # so the Local broker is stopped (or kept, if the user chose so) instead of orphaned.
        loop.add_signal_handler(sig, window.close)
    try:
        with loop:
            loop.run_until_complete(closed.wait())
    except Exception as exc:  # a fatal error: the one place with a dialog
        logging.getLogger("workbench").exception("fatal error")
        QMessageBox.critical(None, "Kafka Workbench", f"The app stopped on an unexpected error: {exc}")
        return 1
    finally:
        window.shutdown()
        store.close()
    return 0
