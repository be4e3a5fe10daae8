"""The main window: the composition root that holds the panes and wires their signals."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Kafka Workbench")
        self.resize(1200, 800)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(QLabel("Topics"), "Topics")
        self.setCentralWidget(self.tabs)
        self.statusBar().showMessage("Ready")
