"""The lag tab: one group's total lag over time (QtCharts), from the samples the app keeps, over a chosen period."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCharts import QChart, QChartView, QDateTimeAxis, QLineSeries, QValueAxis
from PySide6.QtCore import QDateTime, QMargins, QPointF, Qt, Signal
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from workbench.ui.theme import current_theme


class LagChart(QChartView):
    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.legend().hide()
        chart.setMargins(QMargins(4, 4, 4, 4))
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(220)
        self.series = QLineSeries()
        self.series.setPointsVisible(True)
        chart.addSeries(self.series)
        self._theme = ""
        self.x_axis = QDateTimeAxis()
        self.x_axis.setTitleText("Time")
        self.y_axis = QValueAxis()
        self.y_axis.setTitleText("Lag (messages)")
        self.y_axis.setLabelFormat("%d")
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        self.series.attachAxis(self.x_axis)
        self.series.attachAxis(self.y_axis)
        self.points: list[tuple[int, int]] = []
        self.group = ""
        self.show_points("", [], 3600)

    def show_points(self, group: str, points: list[tuple[int, int]], span_s: int, now_ms: int | None = None) -> None:
        """Draw (time in ms, lag) samples over the last span_s seconds (the x axis always covers the whole span)."""
        self.group, self.points = group, list(points)
        if self._theme != current_theme():  # a theme resets the series' pen: set it again after
            self._theme = current_theme()
            self.chart().setTheme(QChart.ChartTheme.ChartThemeDark if self._theme == "dark"
                                  else QChart.ChartTheme.ChartThemeLight)
            pen = QPen(Qt.GlobalColor.cyan if self._theme == "dark" else Qt.GlobalColor.darkCyan)
            pen.setWidth(2)
            self.series.setPen(pen)
        self.series.replace([QPointF(float(t), float(v)) for t, v in points])
        end = now_ms if now_ms is not None else int(dt.datetime.now().timestamp() * 1000)
        if points:
            end = max(end, points[-1][0])
        start = end - span_s * 1000
        if points and points[0][0] > start:  # fewer samples than the span: show the time they cover
            start = max(start, points[0][0] - max(2000, (end - points[0][0]) // 20))
        self.x_axis.setRange(QDateTime.fromMSecsSinceEpoch(start), QDateTime.fromMSecsSinceEpoch(end))
        self.x_axis.setFormat("HH:mm:ss" if end - start <= 6 * 3_600_000 else "dd MMM HH:mm")
        self.x_axis.setTickCount(7)
        top = max((v for _t, v in points), default=0)
        self.y_axis.setRange(0, max(10, top * 1.15))
        self.y_axis.applyNiceNumbers()
        if not group:
            title = "Select a group to see its lag over time"
        elif not points:
            title = f"{group}: no lag samples in this period yet"
        else:
            title = f"{group}: lag {points[-1][1]:,} messages ({len(points)} samples)"
        self.chart().setTitle(title)


LAG_SPANS = (("Last 15 minutes", 900), ("Last hour", 3600), ("Last 6 hours", 6 * 3600), ("Last day", 86400),
             ("Last week", 7 * 86400))


class LagPanel(QWidget):
    """The lag tab: the chart, the period shown and what the sampling settings are."""

    span_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chart = LagChart()
        self.span = QComboBox()
        for label, seconds in LAG_SPANS:
            self.span.addItem(label, seconds)
        self.span.setCurrentIndex(1)
        self.span.currentIndexChanged.connect(lambda _i: self.span_changed.emit(self.span_s))
        self.note = QLabel("")
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.span)
        layout.addLayout(row)
        layout.addWidget(self.chart, 1)

    @property
    def span_s(self) -> int:
        return int(self.span.currentData())

    def show_lag(self, group: str, points: list[tuple[int, int]], interval_s: float, retention_h: float) -> None:
        self.chart.show_points(group, points, self.span_s)
        every = f"every {interval_s:g} s" if interval_s > 0 else "never (sampling is off in the settings)"
        self.note.setText(f"Sampled {every} while the group is on screen or pinned; kept {retention_h:g} h.")

    def clear(self) -> None:
        self.chart.show_points("", [], self.span_s)
