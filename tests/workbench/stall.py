"""An event-loop stall probe: a 5 ms QTimer that records the longest gap between its ticks."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer


class StallProbe(QObject):
    def __init__(self, interval_ms: int = 5) -> None:
        super().__init__()
        self.interval = interval_ms / 1000
        self.longest = 0.0
        self.ticks = 0
        self._last = time.perf_counter()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> StallProbe:
        self._last = time.perf_counter()
        self.longest = 0.0
        self.ticks = 0
        self._timer.start()
        return self

    def stop(self) -> float:
        self._timer.stop()
        self._tick()
        return self.longest

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = now - self._last
        self._last = now
        self.ticks += 1
        self.longest = max(self.longest, gap - self.interval if gap > self.interval else 0.0)

    @property
    def longest_ms(self) -> float:
        return self.longest * 1000
