"""Dropping and pasting documents: reading paths from drag data or the clipboard, the big
drop target shown while the list is empty, and the highlight shown while dragging."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QEvent, QObject, QRectF, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ui import icons
from ui.text import translate

if TYPE_CHECKING:  # loaded by the first drop or paste, not by the first frame
    from PySide6.QtCore import QMimeData, QUrl


@dataclass
class DroppedPaths:
    """What a drop or a paste carried: local paths, web addresses, and what could not be
    used."""

    paths: list[Path] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    """Web addresses (http/https): documents for services that read web pages."""
    rejected: list[str] = field(default_factory=list)
    """Text that is neither an existing path nor a web address."""


def paths_from_mime(mime: QMimeData | None) -> DroppedPaths:
    """Local file paths and web addresses from URLs (a file manager's or a browser's drag
    or copy) or from text holding one path, file URL or web address per line."""
    from PySide6.QtCore import QUrl

    found = DroppedPaths()
    if mime is None:
        return found
    urls: list[QUrl] = list(mime.urls()) if mime.hasUrls() else []
    if not urls and mime.hasText():
        for line in mime.text().splitlines():
            line = line.strip().strip('"').strip("'")
            if not line:
                continue
            if "://" in line or line.startswith("file:"):
                urls.append(QUrl(line))
            else:
                path = Path(line).expanduser()
                if path.is_absolute() and path.exists():
                    found.paths.append(path)
                else:
                    found.rejected.append(line)
    for url in urls:
        if url.isLocalFile():
            found.paths.append(Path(url.toLocalFile()))
        elif url.scheme() in ("http", "https") and url.isValid():
            found.urls.append(url.toString())
        elif url.isValid() and not url.isEmpty():
            # never log or keep credentials a URL might carry
            found.rejected.append(without_user_info(url))
    return found


def without_user_info(url: QUrl) -> str:
    """A URL as text without any user name or password it may carry."""
    from PySide6.QtCore import QUrl

    clean = QUrl(url)
    clean.setUserInfo(None)  # type: ignore[arg-type]  # a null string: no "@" left behind
    return clean.toString()


def can_accept(mime: QMimeData | None) -> bool:
    """Whether a drag carries a local file or a web address (plain text is refused)."""
    return (
        mime is not None
        and mime.hasUrls()
        and any(u.isLocalFile() or u.scheme() in ("http", "https") for u in mime.urls())
    )


DASH_LINE = [4.0, 2.0]
"""``Qt.PenStyle.DashLine``'s pattern (same pixels), set without the ``Qt`` namespace."""


def _center(label: QLabel) -> None:
    """``label.setAlignment(Qt.AlignmentFlag.AlignCenter)``, by the property's name: the
    first frame never loads the ``Qt`` namespace (see :data:`ui.rows.USER_ROLE`)."""
    label.setProperty("alignment", "AlignCenter")


def rounded_rect_path(rect: QRectF, radius: float) -> QPainterPath:
    """The outline ``QPainter.drawRoundedRect(rect, radius, radius)`` strokes (the same
    points, from the same start, so dashes fall in the same places)."""
    kappa = 0.5522847498  # Qt's QT_PATH_KAPPA
    r = min(radius, rect.width() / 2, rect.height() / 2)
    c = (1 - kappa) * r
    x1, x2, y1, y2 = rect.left(), rect.right(), rect.top(), rect.bottom()
    path = QPainterPath()
    path.moveTo(x1 + r, y1)
    path.lineTo(x2 - r, y1)
    path.cubicTo(x2 - c, y1, x2, y1 + c, x2, y1 + r)
    path.lineTo(x2, y2 - r)
    path.cubicTo(x2, y2 - c, x2 - c, y2, x2 - r, y2)
    path.lineTo(x1 + r, y2)
    path.cubicTo(x1 + c, y2, x1, y2 - c, x1, y2 - r)
    path.lineTo(x1, y1 + r)
    path.cubicTo(x1, y1 + c, x1 + c, y1, x1 + r, y1)
    return path


class DropArea(QFrame):
    """The empty-list state: a big drop target with the two "Add" buttons.

    Signals:
        addFiles: the person asked to pick files.
        addFolder: the person asked to pick a folder.
    """

    addFiles = Signal()
    addFolder = Signal()

    def __init__(
        self, parent: QWidget | None = None, *, reader: tuple[str, str] | None = None
    ) -> None:
        """``reader``: the selected service's name and what it reads (see
        :meth:`set_reader`); without it, the hint lists every supported format.

        Part of the first frame: the ``Qt`` namespace is not touched here (enum properties
        are set by name), see :data:`ui.rows.USER_ROLE`."""
        super().__init__(parent)
        self._highlight = False
        self.setObjectName("dropArea")
        self.setAccessibleName(translate("DropArea", "Drop documents here"))
        self.setAccessibleDescription(
            translate("DropArea", "Drop documents or folders here, or use the Add buttons.")
        )
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(220)
        picture = QLabel()
        picture.setPixmap(icons.app_pixmap(72))
        _center(picture)
        title = QLabel(translate("DropArea", "Drop documents or folders here"))
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        _center(title)
        self.hint = QLabel()
        if reader is not None:
            self.set_reader(*reader)
        else:
            from app import doctypes

            self.hint.setText(
                translate(
                    "DropArea",
                    "Extractdesk reads %1 and turns them into text, tables and pictures.",
                ).replace("%1", doctypes.supported_summary())
            )
        self.hint.setAccessibleName(translate("DropArea", "What can be added"))
        self.hint.setWordWrap(True)
        _center(self.hint)
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.add_files_button = QPushButton(
            icons.icon("add-file"), translate("DropArea", "Add files…")
        )
        self.add_files_button.setToolTip(
            translate("DropArea", "Choose documents to extract (Ctrl+O)")
        )
        self.add_files_button.setAccessibleName(translate("DropArea", "Add files"))
        self.add_files_button.clicked.connect(self.addFiles)
        self.add_folder_button = QPushButton(
            icons.icon("add-folder"), translate("DropArea", "Add folder…")
        )
        self.add_folder_button.setToolTip(
            translate("DropArea", "Choose a folder: every document inside it is added")
        )
        self.add_folder_button.setAccessibleName(translate("DropArea", "Add folder"))
        self.add_folder_button.clicked.connect(self.addFolder)
        self.paste_hint = QLabel(
            translate("DropArea", "You can also paste copied files with Ctrl+V.")
        )
        _center(self.paste_hint)
        self.paste_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_files_button)
        buttons.addWidget(self.add_folder_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.addStretch(1)
        layout.addWidget(picture)
        layout.addSpacing(8)
        layout.addWidget(title)
        layout.addWidget(self.hint)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addSpacing(4)
        layout.addWidget(self.paste_hint)
        layout.addStretch(1)

    def set_reader(self, service: str, reads: str) -> None:
        """Say what the selected service reads ("PDF, Word… files", "web addresses")."""
        self.hint.setText(
            translate("DropArea", "%1 reads %2, and turns them into text, tables and pictures.")
            .replace("%1", service)
            .replace("%2", reads)
        )

    @property
    def highlighted(self) -> bool:
        return self._highlight

    def set_highlight(self, on: bool) -> None:
        if on != self._highlight:
            self._highlight = on
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        rect = QRectF(self.rect()).adjusted(12, 12, -12, -12)
        pen = QPen()
        pen.setDashPattern(DASH_LINE)
        if self._highlight:
            fill = QColor(palette.color(QPalette.ColorRole.Highlight))
            fill.setAlpha(40)
            painter.setBrush(fill)
            pen.setColor(palette.color(QPalette.ColorRole.Highlight))
            pen.setWidth(3)
            painter.setPen(pen)
            painter.drawRoundedRect(rect, 16, 16)
        else:
            # The first frame paints this: the same pixels as setPen + drawRoundedRect, but
            # setPen's overloads would make PySide6 load the Qt namespace (~12 ms, see
            # ui.rows.USER_ROLE), and strokePath has one signature.
            pen.setColor(palette.color(QPalette.ColorRole.Mid))
            pen.setWidth(2)
            painter.strokePath(rounded_rect_path(rect, 16), pen)
        painter.end()


class DropOverlay(QWidget):
    """A see-through highlight over the table while files are dragged over the window."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAccessibleName(translate("DropArea", "Drop to add these documents"))
        self.hide()
        parent.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        parent = self.parentWidget()
        if parent is not None and watched is parent and event.type() == QEvent.Type.Resize:
            self.setGeometry(parent.rect())
        return False

    def show_over(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.raise_()
        self.show()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        fill = QColor(palette.color(QPalette.ColorRole.Highlight))
        fill.setAlpha(45)
        painter.setBrush(fill)
        pen = QPen(palette.color(QPalette.ColorRole.Highlight), 3)
        pen.setDashPattern(DASH_LINE)
        painter.setPen(pen)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(6, 6, -6, -6), 12, 12)
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(
            self.rect(),
            int(QtCore.Qt.AlignmentFlag.AlignCenter),
            translate("DropArea", "Drop to add"),
        )
        painter.end()
