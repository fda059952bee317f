"""Render the committed PNGs from the SVGs in resources/icons:

* the app icon's sizes (``png/extractdesk-SIZE.png``), for the window and the installers;
* every action icon in the two inks of :data:`ui.icons.INKS` at :data:`ui.icons.ACTION_SIZES`
  (``png/actions/NAME-INK-SIZE.png``), which the window loads instead of rendering SVGs.

Run after editing an SVG (the PNGs are committed, so packaging needs no SVG tooling, and a
test fails while they are out of date):

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

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ui.icons import ACTION_PNG_DIR, ACTION_SIZES, INKS, action_png  # noqa: E402

ICONS = Path(__file__).resolve().parent / "icons"
APP_ICON = ICONS / "extractdesk.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def action_svgs() -> list[Path]:
    """The monochrome action icons (drawn in ``currentColor``), not the app or state icons."""
    return [
        path
        for path in sorted(ICONS.glob("*.svg"))
        if path != APP_ICON and not path.name.startswith("state-")
    ]


def render_action(svg_path: Path, ink: str, size: int) -> QImage:
    return render(svg_path.read_bytes().replace(b"currentColor", INKS[ink].encode()), size)


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


def write_action_pngs() -> list[Path]:
    ACTION_PNG_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for svg_path in action_svgs():
        for ink in INKS:
            for size in ACTION_SIZES:
                path = action_png(svg_path.stem, ink, size)
                if not render_action(svg_path, ink, size).save(str(path), "PNG"):
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
    for path in [*write_app_pngs(), *write_action_pngs()]:
        sys.stdout.write(f"wrote {path.relative_to(ICONS.parent.parent)}\n")
    if args.sheet:
        write_sheet(args.sheet)
        sys.stdout.write(f"wrote {args.sheet}\n")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
