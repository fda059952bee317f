"""Render the app icon's PNG sizes from resources/icons/extractdesk.svg.

Run after editing an SVG (the PNGs are committed, so packaging needs no SVG tooling):

    QT_QPA_PLATFORM=offscreen .venv/bin/python resources/make_icons.py [--sheet PNG]

``--sheet`` also writes a contact sheet of every icon on a light and a dark background,
to check them by eye.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent / "icons"
APP_ICON = ICONS / "extractdesk.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(svg: bytes, size: int, background: QColor | None = None) -> QImage:
    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid():
        raise ValueError("not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(background or QColor(Qt.GlobalColor.transparent))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def write_app_pngs() -> list[Path]:
    out = ICONS / "png"
    out.mkdir(exist_ok=True)
    svg = APP_ICON.read_bytes()
    written = []
    for size in SIZES:
        path = out / f"extractdesk-{size}.png"
        if not render(svg, size).save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        written.append(path)
    return written


def write_sheet(path: Path) -> None:
    svgs = sorted(ICONS.glob("*.svg"))
    cell = 48
    image = QImage(cell * len(svgs), cell * 2, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    painter.fillRect(0, cell, image.width(), cell, QColor("#202124"))
    for i, svg_path in enumerate(svgs):
        raw = svg_path.read_bytes()
        for row, ink in enumerate(("#202124", "#e8eaed")):
            tinted = raw.replace(b"currentColor", ink.encode())
            painter.drawImage(i * cell + 8, row * cell + 8, render(tinted, 32))
    painter.end()
    image.save(str(path), "PNG")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sheet", type=Path, help="also write a contact sheet PNG here")
    args = parser.parse_args()
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    for path in write_app_pngs():
        sys.stdout.write(f"wrote {path.relative_to(ICONS.parent.parent)}\n")
    if args.sheet:
        write_sheet(args.sheet)
        sys.stdout.write(f"wrote {args.sheet}\n")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
