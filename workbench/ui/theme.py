"""Light and dark themes: the Fusion style with a palette, and the few colours the panes use for states."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("light", "dark")

# State colours (backgrounds) per theme: problem rows and banners.
STATE_COLOURS = {
    "light": {"critical": "#f8d0d0", "warning": "#fbeab8", "healthy": "#d4efd6", "unreachable": "#e3e3e3",
              "info": "#dde8f6", "override": "#1f5fbf"},
    "dark": {"critical": "#6b2626", "warning": "#6b5a1e", "healthy": "#234d2b", "unreachable": "#4a4a4a",
             "info": "#253b57", "override": "#8cb8ff"},
}


def current_theme() -> str:
    app = QApplication.instance()
    name = app.property("workbench_theme") if app is not None else None
    return str(name) if name in THEMES else "light"


def colour(state: str) -> QColor:
    return QColor(STATE_COLOURS[current_theme()].get(state, "#00000000"))


def apply_theme(app: QApplication, name: str) -> None:
    name = name if name in THEMES else "light"
    app.setStyle("Fusion")
    palette = QPalette()
    if name == "dark":
        base, alt, text, window, button = "#1e1f22", "#26282c", "#e6e6e6", "#2b2d31", "#34373c"
        roles = {
            QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: text,
            QPalette.ColorRole.Base: base, QPalette.ColorRole.AlternateBase: alt,
            QPalette.ColorRole.ToolTipBase: window, QPalette.ColorRole.ToolTipText: text,
            QPalette.ColorRole.Text: text, QPalette.ColorRole.Button: button,
            QPalette.ColorRole.ButtonText: text, QPalette.ColorRole.BrightText: "#ff6b6b",
            QPalette.ColorRole.Link: "#8cb8ff", QPalette.ColorRole.Highlight: "#3d6fb6",
            QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.PlaceholderText: "#8a8f98",
        }
        for role, value in roles.items():
            palette.setColor(role, QColor(value))
        for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
            palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6d7178"))
    else:
        palette = app.style().standardPalette()
    app.setProperty("workbench_theme", name)  # first: widgets repaint in the theme's colours on the palette change
    app.setPalette(palette)
