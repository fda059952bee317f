"""Icons from resources/icons: the app icon, state icons, and monochrome action icons tinted
with the current palette's text colour (so they follow light and dark mode)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QImage,
    QPaintDevice,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtSvg import QSvgRenderer

import resources
from app.models import DocumentState

ICON_DIR = Path(resources.__file__).resolve().parent / "icons"

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


@cache
def app_icon() -> QIcon:
    """(Read once: the application and the main window both set it at start-up.)"""
    icon = QIcon()
    png_dir = ICON_DIR / "png"
    for png in sorted(png_dir.glob("extractdesk-*.png")):
        icon.addFile(str(png))
    if icon.isNull():  # PNGs not rendered yet: fall back to the SVG itself
        return _render_icon((ICON_DIR / "extractdesk.svg").read_bytes(), (16, 32, 64, 128, 256))
    return icon


def app_pixmap(size: int) -> QPixmap:
    """The logo at ``size`` px, from the shipped PNGs when they exist (reading a PNG is
    several times cheaper than rendering the SVG, and this is on the first frame)."""
    pixmap = app_icon().pixmap(size, size)
    if pixmap.isNull():
        return _render_icon((ICON_DIR / "extractdesk.svg").read_bytes(), (size,)).pixmap(size, size)
    return pixmap


def icon(name: str) -> QIcon:
    """A monochrome action icon drawn in the palette's text colour."""
    return _tinted(name, _ink().name())


def state_icon(state: DocumentState) -> QIcon:
    return _plain(STATE_ICON[state])


def clear_cache() -> None:
    """Forget rendered icons (call when the palette changes)."""
    _tinted.cache_clear()


def _ink() -> QColor:
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication):
        return app.palette().color(QPalette.ColorRole.WindowText)
    return QColor("#202124")


@cache
def _tinted(name: str, color: str) -> QIcon:
    data = (ICON_DIR / f"{name}.svg").read_bytes().replace(b"currentColor", color.encode())
    return QIcon(SvgIconEngine(data))


@cache
def _plain(name: str) -> QIcon:
    return QIcon(SvgIconEngine((ICON_DIR / f"{name}.svg").read_bytes()))


def _render_icon(svg: bytes, sizes: tuple[int, ...]) -> QIcon:
    icon = QIcon()
    engine = SvgIconEngine(svg)
    for size in sizes:
        icon.addPixmap(engine.render(QSize(size, size)))
    return icon


class SvgIconEngine(QIconEngine):
    """Renders an SVG at exactly the size asked for, on first use (so start-up renders
    nothing it does not show)."""

    def __init__(self, svg: bytes) -> None:
        super().__init__()
        self._svg = svg
        self._renderer: QSvgRenderer | None = None
        self._cache: dict[tuple[int, int, int], QPixmap] = {}

    def clone(self) -> QIconEngine:
        return SvgIconEngine(self._svg)

    def render(self, size: QSize) -> QPixmap:
        if self._renderer is None:
            self._renderer = QSvgRenderer(QByteArray(self._svg))
        image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
        # transparent: zero bytes (image.fill(...) would load the Qt namespace to pick an
        # overload, ~12 ms on the first frame; see ui.jobs_model.USER_ROLE)
        memoryview(image.bits())[:] = bytes(image.sizeInBytes())
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._renderer.render(painter, QRectF(0, 0, size.width(), size.height()))
        painter.end()
        return QPixmap.fromImage(image)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        key = (size.width(), size.height(), int(mode.value))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        pixmap = self.render(size)
        if mode == QIcon.Mode.Disabled:
            from PySide6.QtWidgets import QApplication, QStyleOption

            app = QApplication.instance()
            if isinstance(app, QApplication):
                option = QStyleOption()
                option.palette = app.palette()
                pixmap = app.style().generatedIconPixmap(mode, pixmap, option)
        self._cache[key] = pixmap
        return pixmap

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        device: QPaintDevice | None = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        size = QSize(max(1, round(rect.width() * ratio)), max(1, round(rect.height() * ratio)))
        pixmap = self.pixmap(size, mode, state)
        painter.drawPixmap(rect, pixmap)

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        return size

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        real = QSize(max(1, round(size.width() * scale)), max(1, round(size.height() * scale)))
        pixmap = QPixmap(self.pixmap(real, mode, state))
        pixmap.setDevicePixelRatio(scale)
        return pixmap
