"""Draws the progress column: a real progress bar (bytes while uploading, pages while
extracting) or a hatched "busy" bar when the amount is unknown. Colours come from the
palette, so the bar follows light and dark mode."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QWidget,
)

from ui.rows import Role, Row

BAR_HEIGHT = 16


class ProgressDelegate(QStyledItemDelegate):
    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        row = index.data(Role.ROW)
        value = row.progress() if isinstance(row, Row) else None
        if value is None:
            super().paint(painter, option, index)
            return
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        item.text = ""
        widget: QWidget | None = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        # the cell itself (selection and hover background)
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, item, painter, widget)
        rect = bar_rect(option.rect)
        palette: QPalette = option.palette
        if value < 0:
            paint_busy(painter, rect, palette, text)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = rect
        bar.palette = palette
        bar.state = option.state | QStyle.StateFlag.State_Horizontal
        bar.direction = option.direction
        bar.fontMetrics = option.fontMetrics
        bar.minimum = 0
        bar.maximum = 1000
        bar.progress = round(value * 1000)
        bar.text = text
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(max(hint.width(), 120), max(hint.height(), BAR_HEIGHT + 6))


def bar_rect(cell: QRect) -> QRect:
    height = min(BAR_HEIGHT, max(8, cell.height() - 6))
    top = cell.top() + (cell.height() - height) // 2
    return QRect(cell.left() + 4, top, max(10, cell.width() - 8), height)


def paint_busy(painter: QPainter, rect: QRect, palette: QPalette, text: str) -> None:
    """An indeterminate bar: a hatched track in the highlight colour, with a label."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    track = palette.color(QPalette.ColorRole.Base)
    edge = palette.color(QPalette.ColorRole.Mid)
    accent = QColor(palette.color(QPalette.ColorRole.Highlight))
    painter.setPen(QPen(edge, 1))
    painter.setBrush(track)
    painter.drawRoundedRect(rect.adjusted(0, 0, -1, -1), 3, 3)
    accent.setAlpha(110)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(accent, Qt.BrushStyle.BDiagPattern))
    painter.drawRoundedRect(rect.adjusted(1, 1, -2, -2), 3, 3)
    painter.setPen(palette.color(QPalette.ColorRole.Text))
    painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)
    painter.restore()


class ElideRightDelegate(QStyledItemDelegate):
    """Long sentences (the Problem column) are cut at the end, not in the middle."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight
