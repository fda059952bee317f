"""Icons from resources/icons: the app icon, state icons, and monochrome action icons in the
current palette's text colour (so they follow light and dark mode).

Action icons come as PNGs rendered from the SVGs in two inks, a dark one for light palettes
and a light one for dark palettes (``resources/make_icons.py`` writes them; they are
committed). Loading a PNG is C++ work done when the icon is first painted, which keeps the
first frame quick. A palette whose text colour is far from both inks (a high-contrast theme,
say) gets the SVG drawn in that exact colour instead (:mod:`ui.svg_icons`).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette, QPixmap

import resources
from app.models import DocumentState

ICON_DIR = Path(resources.__file__).resolve().parent / "icons"
PNG_DIR = ICON_DIR / "png"
ACTION_PNG_DIR = PNG_DIR / "actions"
INKS = {"dark": "#202124", "light": "#e8eaed"}
"""The inks action PNGs are rendered in: ``dark`` for light palettes, ``light`` for dark."""
ACTION_SIZES = (16, 20, 32, 40, 64)
"""Menus (16), the toolbar (20), and both at twice the pixel density; other sizes are
scaled from the nearest larger one."""
INK_TOLERANCE = 48
"""How far (per RGB channel) the palette's text colour may be from an ink and still use
that ink's PNGs. Typical themes' text colours are well within it: black, #232629 (Breeze),
#2e3436 (Adwaita), white, #eeeeec, #fcfcfc."""

STATE_ICON = {
    DocumentState.QUEUED: "state-queued",
    DocumentState.PREPARING: "state-working",
    DocumentState.UPLOADING: "state-working",
    DocumentState.SUBMITTED: "state-working",
    DocumentState.PROCESSING: "state-working",
    DocumentState.FETCHING: "state-working",
    DocumentState.DONE: "state-done",
    DocumentState.FAILED: "state-failed",
    DocumentState.CANCELLED: "state-cancelled",
    DocumentState.DUPLICATE: "state-duplicate",
}


_ACTION_PNG_PREFIX = f"{ACTION_PNG_DIR}{os.sep}"
_ACTION_QSIZES = tuple(QSize(size, size) for size in ACTION_SIZES)


def action_png_file(name: str, ink: str, size: int) -> str:
    """The PNG of action icon ``name`` in ``ink`` at ``size`` px (a plain string: ~17
    icons on the first frame, 5 files each, and Path objects cost more)."""
    return f"{_ACTION_PNG_PREFIX}{name}-{ink}-{size}.png"


def action_png(name: str, ink: str, size: int) -> Path:
    return Path(action_png_file(name, ink, size))


@cache
def app_icon() -> QIcon:
    """(Read once: the application and the main window both set it at start-up.)"""
    icon = QIcon()
    for png in sorted(PNG_DIR.glob("extractdesk-*.png")):
        size = int(png.stem.rpartition("-")[2])
        icon.addFile(str(png), QSize(size, size))  # the size given: no header read now
    if icon.isNull():  # PNGs not rendered yet: fall back to the SVG itself
        from ui.svg_icons import render_icon

        return render_icon((ICON_DIR / "extractdesk.svg").read_bytes(), (16, 32, 64, 128, 256))
    return icon


def app_pixmap(size: int) -> QPixmap:
    """The logo at ``size`` px (from the shipped PNGs: reading a PNG is several times
    cheaper than rendering the SVG, and this is on the first frame)."""
    return app_icon().pixmap(size, size)


def icon(name: str) -> QIcon:
    """A monochrome action icon drawn in the palette's text colour."""
    return _tinted(name, _ink().name())


def state_icon(state: DocumentState) -> QIcon:
    return _plain(STATE_ICON[state])


def clear_cache() -> None:
    """Forget the icons made for the old palette (call when the palette changes)."""
    _tinted.cache_clear()


@cache
def shipped_ink(color: str) -> str | None:
    """The PNG ink (``"dark"``/``"light"``) that stands for ``color``, or None when neither
    is close enough."""
    wanted = QColor(color)
    for ink, value in INKS.items():
        shipped = QColor(value)
        if (
            abs(wanted.red() - shipped.red()) <= INK_TOLERANCE
            and abs(wanted.green() - shipped.green()) <= INK_TOLERANCE
            and abs(wanted.blue() - shipped.blue()) <= INK_TOLERANCE
        ):
            return ink
    return None


def _ink() -> QColor:
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication):
        return app.palette().color(QPalette.ColorRole.WindowText)
    return QColor(INKS["dark"])


@cache
def _tinted(name: str, color: str) -> QIcon:
    ink = shipped_ink(color)
    if ink is not None and os.path.exists(action_png_file(name, ink, ACTION_SIZES[0])):
        icon = QIcon()
        for size, qsize in zip(ACTION_SIZES, _ACTION_QSIZES, strict=True):
            icon.addFile(action_png_file(name, ink, size), qsize)
        return icon
    from ui.svg_icons import svg_icon

    svg = (ICON_DIR / f"{name}.svg").read_bytes()
    return svg_icon(svg.replace(b"currentColor", color.encode()))


@cache
def _plain(name: str) -> QIcon:
    from ui.svg_icons import svg_icon

    return svg_icon((ICON_DIR / f"{name}.svg").read_bytes())
