"""SVG icons drawn by Qt's SVG renderer at exactly the size asked for, on first use: the
coloured state icons, and action icons in a palette colour no shipped PNG matches (see
:mod:`ui.icons`)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize
from PySide6.QtGui import QIcon, QIconEngine, QImage, QPaintDevice, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer


def svg_icon(svg: bytes) -> QIcon:
    return QIcon(SvgIconEngine(svg))


def render_icon(svg: bytes, sizes: tuple[int, ...]) -> QIcon:
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
        # overload, ~12 ms on the first frame; see ui.rows.USER_ROLE)
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
