"""The lag chart: one group's total lag over time (QtCharts), from the samples the app keeps."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCharts import QChart, QChartView, QDateTimeAxis, QLineSeries, QValueAxis
from PySide6.QtCore import QDateTime, QMargins, QPointF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QWidget

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
        self.x_axis.setRange(QDateTime.fromMSecsSinceEpoch(start), QDateTime.fromMSecsSinceEpoch(end))
        self.x_axis.setFormat("HH:mm:ss" if span_s <= 6 * 3600 else "dd MMM HH:mm")
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
