"""Render the app icon's PNG sizes from its SVG source: resources/icons/hicolor/<n>x<n>/apps/kafka-workbench.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py

Run after changing resources/kafka-workbench.svg; the PNGs are committed (desktops, the
.deb's hicolor theme and Windows/macOS icon files are made from them).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "resources" / "kafka-workbench.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(size: int, out: Path) -> None:
    renderer = QSvgRenderer(str(SOURCE))
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out), "PNG"):
        raise SystemExit(f"cannot write {out}")


def main() -> int:
    _app = QGuiApplication(sys.argv)
    for size in SIZES:
        render(size, ROOT / "resources" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "kafka-workbench.png")
    print(f"rendered {len(SIZES)} sizes from {SOURCE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
