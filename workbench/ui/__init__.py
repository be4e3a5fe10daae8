"""Widgets and helpers shared by the panes and the main window (no pane imports another; all may import ui)."""
