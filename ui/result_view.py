"""The results viewer: the text (rendered Markdown, searchable), the tables (grid, copy as
TSV, CSV and Excel files), the pictures (thumbnails, save) and the raw JSON as a tree.

Privacy rule: the viewer never fetches anything named in a result. :class:`SafeTextBrowser`
refuses every resource except the pictures we decoded from the result ourselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QDesktopServices,
    QGuiApplication,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QPixmap,
    QShortcut,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.export import safe_stem
from app.models import DocumentState
from ui import dialogs, icons
from ui.async_qt import TaskSet
from ui.drop_area import without_user_info
from ui.messages import Level, show_message
from ui.results import (
    IMAGE_SCHEME,
    ImageData,
    LoadedResult,
    TableData,
    grid_to_tsv,
    load_result,
    write_csv,
)
from ui.rows import Row
from ui.text import state_label, translate

ModelIndex = QModelIndex | QPersistentModelIndex
THUMB = 160


# ---------------------------------------------------------------------------- text


class SafeTextBrowser(QTextBrowser):
    """A QTextBrowser that loads nothing but the pictures put into its document.

    ``refused`` records every URL a result tried to make it load (tests read it). Links
    are not followed inside the viewer; a click on a web link opens the browser, which is
    the person's own action."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.refused: list[str] = []
        self.images: dict[str, Any] = {}
        self._placeholder: Any = None
        """Our own pictures by URL (``extractdesk-image:N``): the only thing ever loaded."""
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setSearchPaths([])
        self.setAcceptDrops(False)
        self.anchorClicked.connect(self._open_link)

    def loadResource(self, kind: int, url: QUrl | str) -> Any:
        qurl = QUrl(url) if isinstance(url, str) else url
        if qurl.scheme() == IMAGE_SCHEME:
            return self.images.get(qurl.toString())
        shown = without_user_info(qurl)
        if shown not in self.refused:
            self.refused.append(shown)
        if kind == QTextDocument.ResourceType.ImageResource:
            return self._not_loaded()  # a quiet "not loaded" mark, not a broken picture
        return None

    def _not_loaded(self) -> Any:
        if self._placeholder is None:
            self._placeholder = icons.icon("remote-off").pixmap(20, 20).toImage()
        return self._placeholder

    def _open_link(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)


class FindBar(QWidget):
    """Ctrl+F: find in the text. Enter finds the next match, Shift+Enter the previous one,
    Escape closes the bar."""

    def __init__(self, browser: QTextBrowser, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = browser
        self.field = QLineEdit()
        self.field.setPlaceholderText(translate("FindBar", "Find in the text"))
        self.field.setAccessibleName(translate("FindBar", "Find in the text"))
        self.field.setClearButtonEnabled(True)
        self.field.setAcceptDrops(False)
        self.field.returnPressed.connect(self.find_next)
        self.field.textChanged.connect(lambda _text: self.search(from_start=True))
        self.previous = QToolButton()
        self.previous.setIcon(icons.icon("previous"))
        self.previous.setToolTip(translate("FindBar", "Previous match (Shift+Enter)"))
        self.previous.setAccessibleName(translate("FindBar", "Previous match"))
        self.previous.clicked.connect(self.find_previous)
        self.next = QToolButton()
        self.next.setIcon(icons.icon("next"))
        self.next.setToolTip(translate("FindBar", "Next match (Enter)"))
        self.next.setAccessibleName(translate("FindBar", "Next match"))
        self.next.clicked.connect(self.find_next)
        self.status = QLabel()
        self.status.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        close = QToolButton()
        close.setIcon(icons.icon("close"))
        close.setToolTip(translate("FindBar", "Close the find bar (Esc)"))
        close.setAccessibleName(translate("FindBar", "Close find bar"))
        close.clicked.connect(self.close_bar)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.previous)
        layout.addWidget(self.next)
        layout.addWidget(self.status)
        layout.addWidget(close)
        self.hide()

    def open_bar(self) -> None:
        self.show()
        cursor_text = self.browser.textCursor().selectedText()
        if cursor_text and "\u2029" not in cursor_text:
            self.field.setText(cursor_text)
        self.field.setFocus()
        self.field.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.browser.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close_bar()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.find_previous()
            return
        super().keyPressEvent(event)

    def find_next(self) -> bool:
        return self.search()

    def find_previous(self) -> bool:
        return self.search(backward=True)

    def search(self, *, backward: bool = False, from_start: bool = False) -> bool:
        text = self.field.text()
        if not text:
            self.status.setText("")
            return False
        flags = QTextDocument.FindFlag(0)
        if backward:
            flags |= QTextDocument.FindFlag.FindBackward
        if from_start:
            cursor = self.browser.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.Start)
            self.browser.setTextCursor(cursor)
        found = self.browser.find(text, flags)
        if not found:  # wrap around
            cursor = self.browser.textCursor()
            cursor.movePosition(
                QTextCursor.MoveOperation.End if backward else QTextCursor.MoveOperation.Start
            )
            self.browser.setTextCursor(cursor)
            found = self.browser.find(text, flags)
        self.status.setText("" if found else translate("FindBar", "Not found"))
        return found


# ---------------------------------------------------------------------------- tables


class TableGridModel(QAbstractTableModel):
    """One extracted table as a read-only grid (columns A, B, C… like a spreadsheet)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._grid: list[list[str]] = []
        self._width = 0

    def set_grid(self, grid: list[list[str]]) -> None:
        self.beginResetModel()
        self._grid = grid
        self._width = max((len(r) for r in grid), default=0)
        self.endResetModel()

    def grid(self) -> list[list[str]]:
        return self._grid

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._grid)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._width

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.EditRole,
        ):
            return None
        r, c = index.row(), index.column()
        if not (0 <= r < len(self._grid) and 0 <= c < self._width):
            return None
        row = self._grid[r]
        return row[c] if c < len(row) else ""

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or section < 0:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return _column_letter(section) if section < self._width else None
        return str(section + 1) if section < len(self._grid) else None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def selection_grid(self, indexes: list[QModelIndex]) -> list[list[str]]:
        """The selected cells as a rectangle (empty where not selected)."""
        if not indexes:
            return self._grid
        rows = sorted({i.row() for i in indexes})
        cols = sorted({i.column() for i in indexes})
        chosen = {(i.row(), i.column()) for i in indexes}
        return [
            [str(self.data(self.index(r, c)) or "") if (r, c) in chosen else "" for c in cols]
            for r in rows
        ]


def _column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (as spreadsheets name columns)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


# ---------------------------------------------------------------------------- raw JSON


class JsonNode:
    __slots__ = ("_children", "key", "parent", "row", "value")

    def __init__(self, key: str, value: Any, parent: JsonNode | None, row: int) -> None:
        self.key = key
        self.value = value
        self.parent = parent
        self.row = row
        self._children: list[JsonNode] | None = None

    @property
    def children(self) -> list[JsonNode]:
        if self._children is None:
            if isinstance(self.value, dict):
                items = list(self.value.items())
                self._children = [JsonNode(str(k), v, self, i) for i, (k, v) in enumerate(items)]
            elif isinstance(self.value, list):
                self._children = [JsonNode(f"[{i}]", v, self, i) for i, v in enumerate(self.value)]
            else:
                self._children = []
        return self._children


class JsonTreeModel(QAbstractItemModel):
    """A result's JSON as a tree: key, value (shortened), type. Children are built when
    first shown, so a large result opens at once."""

    COLUMNS = 3

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = JsonNode("", {}, None, 0)
        self._headers = (
            translate("JsonTreeModel", "Key"),
            translate("JsonTreeModel", "Value"),
            translate("JsonTreeModel", "Type"),
        )

    def set_data(self, value: Any) -> None:
        self.beginResetModel()
        self._root = JsonNode("", value, None, 0)
        self.endResetModel()

    def _node(self, index: ModelIndex) -> JsonNode:
        if index.isValid():
            node = index.internalPointer()
            if isinstance(node, JsonNode):
                return node
        return self._root

    def index(self, row: int, column: int, parent: ModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        node = self._node(parent)
        children = node.children
        if not 0 <= row < len(children):
            return QModelIndex()
        return self.createIndex(row, column, children[row])

    def parent(self, index: ModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        node = self._node(index)
        parent = node.parent
        if parent is None or parent is self._root:
            return QModelIndex()
        return self.createIndex(parent.row, 0, parent)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return self.COLUMNS

    def hasChildren(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return False
        value = self._node(parent).value
        return isinstance(value, dict | list) and len(value) > 0

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return node.key
            if column == 1:
                return _preview(node.value, 200)
            return _type_name(node.value)
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return _preview(node.value, 1000)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < self.COLUMNS
        ):
            return self._headers[section]
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def _preview(value: Any, limit: int) -> str:
    if isinstance(value, dict):
        return translate("JsonTreeModel", "%1 fields").replace("%1", str(len(value)))
    if isinstance(value, list):
        return translate("JsonTreeModel", "%1 items").replace("%1", str(len(value)))
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if len(text) > limit:
        return (
            text[:limit]
            + "…"
            + translate("JsonTreeModel", " (%1 characters)").replace("%1", str(len(text)))
        )
    return text


def _type_name(value: Any) -> str:
    if isinstance(value, dict):
        return translate("JsonTreeModel", "object")
    if isinstance(value, list):
        return translate("JsonTreeModel", "list")
    if isinstance(value, bool):
        return translate("JsonTreeModel", "yes/no")
    if isinstance(value, int | float):
        return translate("JsonTreeModel", "number")
    if value is None:
        return translate("JsonTreeModel", "empty")
    return translate("JsonTreeModel", "text")


# ---------------------------------------------------------------------------- the viewer


class ResultView(QWidget):
    """Shows one document's result in tabs, or a plain sentence when there is none.

    Signals:
        exportRequested(str): the person asked to export this document (doc id).
        loaded(str): a result finished loading (doc id); tests wait for it.
    """

    exportRequested = Signal(str)
    loaded = Signal(str)

    TEXT, TABLES, IMAGES, RAW = range(4)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = TaskSet()
        self.row: Row | None = None
        self.provider = "local"
        self.result: LoadedResult | None = None
        self._token = 0
        self.export_dir: Callable[[], str | None] = lambda: None

        self.title = QLabel()
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_file_button = QPushButton(icons.icon("folder-open"), self.tr("Open original"))
        self.open_file_button.setToolTip(self.tr("Open the original document"))
        self.open_file_button.clicked.connect(self._open_original)
        self.export_button = QPushButton(icons.icon("export"), self.tr("Export…"))
        self.export_button.setToolTip(
            self.tr("Save this document's text, tables and pictures to a folder")
        )
        self.export_button.clicked.connect(self._export_clicked)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.open_file_button)
        header.addWidget(self.export_button)

        self.placeholder = QLabel(
            self.tr("Select a finished document to see its text, tables and pictures.")
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.placeholder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setAccessibleName(self.tr("Result"))
        self.tabs.addTab(self._build_text_tab(), self.tr("Text"))
        self.tabs.addTab(self._build_tables_tab(), self.tr("Tables"))
        self.tabs.addTab(self._build_images_tab(), self.tr("Pictures"))
        self.tabs.addTab(self._build_raw_tab(), self.tr("Raw data"))

        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.tabs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        self.show_row(None)

    # -- tabs

    def _build_text_tab(self) -> QWidget:
        page = QWidget()
        self.browser = SafeTextBrowser()
        self.browser.setAccessibleName(self.tr("Extracted text"))
        self.find_bar = FindBar(self.browser)
        find = QPushButton(icons.icon("find"), self.tr("Find…"))
        find.setToolTip(self.tr("Find words in the text (Ctrl+F)"))
        find.clicked.connect(self.show_find)
        copy = QPushButton(icons.icon("copy"), self.tr("Copy all text"))
        copy.setToolTip(self.tr("Copy the whole text, ready to paste elsewhere"))
        copy.clicked.connect(self.copy_text)
        bar = QHBoxLayout()
        bar.addWidget(find)
        bar.addWidget(copy)
        bar.addStretch(1)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 6, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.browser, 1)
        layout.addWidget(self.find_bar)
        shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.FindNext), page)
        shortcut.activated.connect(self.find_bar.find_next)
        return page

    def _build_tables_tab(self) -> QWidget:
        page = QWidget()
        self.table_choice = QComboBox()
        self.table_choice.setAccessibleName(self.tr("Table"))
        self.table_choice.setToolTip(self.tr("Which table to show"))
        self.table_choice.currentIndexChanged.connect(self._show_table)
        self.table_model = TableGridModel(self)
        self.table_view = QTableView()
        self.table_view.setModel(self.table_model)
        self.table_view.setAccessibleName(self.tr("Table cells"))
        self.table_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table_view.horizontalHeader().setDefaultSectionSize(140)
        self.table_view.setWordWrap(True)
        copy = QPushButton(icons.icon("copy"), self.tr("Copy"))
        copy.setToolTip(self.tr("Copy the selected cells (or the whole table) for a spreadsheet"))
        copy.clicked.connect(self.copy_table)
        csv_button = QPushButton(icons.icon("save"), self.tr("Save as CSV…"))
        csv_button.setToolTip(self.tr("Save this table as a CSV file"))
        csv_button.clicked.connect(self._ask_csv)
        xlsx_button = QPushButton(icons.icon("save"), self.tr("Save as Excel…"))
        xlsx_button.setToolTip(self.tr("Save every table of this document in one Excel workbook"))
        xlsx_button.clicked.connect(self._ask_xlsx)
        self.table_buttons = [copy, csv_button, xlsx_button]
        self.no_tables = QLabel(self.tr("No tables were found in this document."))
        self.no_tables.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        bar = QHBoxLayout()
        bar.addWidget(self.table_choice, 1)
        for button in self.table_buttons:
            bar.addWidget(button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 6, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.no_tables)
        layout.addWidget(self.table_view, 1)
        return page

    def _build_images_tab(self) -> QWidget:
        page = QWidget()
        self.image_list = QListWidget()
        self.image_list.setViewMode(QListWidget.ViewMode.IconMode)
        self.image_list.setIconSize(QSize(THUMB, THUMB))
        self.image_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.image_list.setMovement(QListWidget.Movement.Static)
        self.image_list.setSpacing(8)
        self.image_list.setGridSize(QSize(THUMB + 40, THUMB + 48))
        self.image_list.setWordWrap(True)
        self.image_list.setAccessibleName(self.tr("Pictures"))
        self.image_list.itemDoubleClicked.connect(lambda _item: self._ask_save_image())
        save = QPushButton(icons.icon("save"), self.tr("Save picture…"))
        save.setToolTip(self.tr("Save the selected picture as a file"))
        save.clicked.connect(self._ask_save_image)
        copy = QPushButton(icons.icon("copy"), self.tr("Copy picture"))
        copy.setToolTip(self.tr("Copy the selected picture, ready to paste elsewhere"))
        copy.clicked.connect(self.copy_image)
        self.image_note = QLabel()
        self.image_note.setWordWrap(True)
        self.image_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        bar = QHBoxLayout()
        bar.addWidget(self.image_note, 1)
        bar.addWidget(save)
        bar.addWidget(copy)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 6, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.image_list, 1)
        return page

    def _build_raw_tab(self) -> QWidget:
        page = QWidget()
        self.json_model = JsonTreeModel(self)
        self.json_view = QTreeView()
        self.json_view.setModel(self.json_model)
        self.json_view.setAccessibleName(self.tr("Raw data"))
        self.json_view.setUniformRowHeights(True)
        self.json_view.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.json_view.header().resizeSection(0, 220)
        self.json_view.header().setStretchLastSection(False)
        self.json_view.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        copy = QPushButton(icons.icon("copy"), self.tr("Copy JSON"))
        copy.setToolTip(self.tr("Copy the result exactly as the service sent it"))
        copy.clicked.connect(self.copy_json)
        bar = QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(copy)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 6, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.json_view, 1)
        return page

    # -- showing a document

    def show_row(self, row: Row | None, provider: str = "local") -> None:
        """Show ``row``'s result (loaded off the event loop), or why there is none.
        ``provider`` says how to read it (every service answers in its own shape)."""
        self._token += 1
        self.row = row
        self.provider = provider
        self.result = None
        has_doc = row is not None
        self.open_file_button.setEnabled(has_doc)
        self.export_button.setEnabled(bool(row and row.state is DocumentState.DONE))
        if row is None:
            self.title.setText(self.tr("Results"))
            self._placeholder(
                self.tr("Select a finished document to see its text, tables and pictures.")
            )
            return
        self.title.setText(row.name)
        if row.state is DocumentState.DONE and row.result_path:
            self._placeholder(self.tr("Opening the result…"))
            self.tasks.spawn(self._load(row, self._token), name="load result")
            return
        self._placeholder(self._why_no_result(row))

    def _why_no_result(self, row: Row) -> str:
        if row.state is DocumentState.FAILED:
            text = self.tr("This document did not succeed: %1").replace("%1", row.error)
            return text + "\n\n" + self.tr("Fix the problem, then choose Retry (F5).")
        if row.state is DocumentState.DUPLICATE:
            return row.error or self.tr("The same document is already in the list.")
        if row.state is DocumentState.CANCELLED:
            return self.tr("This document was cancelled. Choose Retry to send it again.")
        if row.state is DocumentState.DONE:
            return self.tr("The result of this document is no longer stored.")
        return self.tr("Not finished yet (%1). The result appears here when it is done.").replace(
            "%1", state_label(row.state)
        )

    def _placeholder(self, text: str) -> None:
        self.placeholder.setText(text)
        self.stack.setCurrentWidget(self.placeholder)

    async def _load(self, row: Row, token: int) -> None:
        import asyncio

        assert row.result_path is not None
        try:
            result = await asyncio.to_thread(load_result, Path(row.result_path), self.provider)
        except (OSError, ValueError, TypeError) as exc:
            if token == self._token:
                self._placeholder(
                    self.tr("The result could not be opened (%1). Retry the document.").replace(
                        "%1", str(exc)
                    )
                )
            return
        if token != self._token:
            return  # another row was selected meanwhile
        self.result = result
        self._fill(result)
        self.stack.setCurrentWidget(self.tabs)
        self.loaded.emit(row.doc_id)

    def _fill(self, result: LoadedResult) -> None:
        self.browser.images = {
            f"{IMAGE_SCHEME}:{image.number}": _fit(image, 640) for image in result.images
        }
        if result.markdown.strip():
            # raw HTML in a result is shown as text, never interpreted
            features = QTextDocument.MarkdownFeature
            self.browser.document().setMarkdown(
                result.markdown, features.MarkdownDialectGitHub | features.MarkdownNoHTML
            )
        else:
            self.browser.setPlainText(self.tr("No text was found in this document."))
        self.browser.moveCursor(QTextCursor.MoveOperation.Start)
        self.browser.verticalScrollBar().setValue(0)
        self.find_bar.hide()
        # tables
        self.table_choice.blockSignals(True)
        self.table_choice.clear()
        for table in result.tables:
            self.table_choice.addItem(_table_title(table))
        self.table_choice.blockSignals(False)
        has_tables = bool(result.tables)
        self.no_tables.setVisible(not has_tables)
        self.table_view.setVisible(has_tables)
        self.table_choice.setEnabled(has_tables)
        for button in self.table_buttons:
            button.setEnabled(has_tables)
        self._show_table(0)
        # pictures
        self.image_list.clear()
        for image in result.images:
            item = QListWidgetItem(
                QIcon(QPixmap.fromImage(_fit(image, THUMB))), _image_title(image)
            )
            item.setData(Qt.ItemDataRole.UserRole, image.number)
            item.setToolTip(image.caption or _image_title(image))
            self.image_list.addItem(item)
        notes = []
        if not result.images:
            notes.append(self.tr("No pictures were found in this document."))
        if result.remote_images:
            notes.append(
                self.tr(
                    "Kept online by the service, and not downloaded: %1 more pictures."
                ).replace("%1", str(result.remote_images))
            )
        self.image_note.setText(" ".join(notes))
        if result.images:
            self.image_list.setCurrentRow(0)
        # raw
        self.json_model.set_data(result.raw)
        self.json_view.expandToDepth(0)
        self.tabs.setTabText(
            self.TABLES, self.tr("Tables (%1)").replace("%1", str(len(result.tables)))
        )
        self.tabs.setTabText(
            self.IMAGES, self.tr("Pictures (%1)").replace("%1", str(len(result.images)))
        )

    def _show_table(self, number: int) -> None:
        tables = self.result.tables if self.result else []
        grid = tables[number].grid if 0 <= number < len(tables) else []
        self.table_model.set_grid(grid)

    def current_table(self) -> TableData | None:
        tables = self.result.tables if self.result else []
        number = self.table_choice.currentIndex()
        return tables[number] if 0 <= number < len(tables) else None

    # -- actions

    def show_find(self) -> bool:
        if self.stack.currentWidget() is not self.tabs:
            return False
        self.tabs.setCurrentIndex(self.TEXT)
        self.find_bar.open_bar()
        return True

    def copy_text(self) -> None:
        QGuiApplication.clipboard().setText(self.browser.toPlainText())
        show_message(Level.INFO, self.tr("The text was copied."))

    def copy_table(self) -> None:
        if self.current_table() is None:
            return
        indexes = self.table_view.selectionModel().selectedIndexes()
        QGuiApplication.clipboard().setText(grid_to_tsv(self.table_model.selection_grid(indexes)))
        show_message(Level.INFO, self.tr("The table was copied: paste it into a spreadsheet."))

    def copy_json(self) -> None:
        if self.result is not None:
            QGuiApplication.clipboard().setText(
                json.dumps(self.result.raw, ensure_ascii=False, indent=2)
            )
            show_message(Level.INFO, self.tr("The raw data was copied."))

    def copy_image(self) -> None:
        image = self.current_image()
        if image is not None:
            QGuiApplication.clipboard().setImage(image.image)
            show_message(Level.INFO, self.tr("The picture was copied."))

    def current_image(self) -> ImageData | None:
        if self.result is None:
            return None
        item: QListWidgetItem | None = self.image_list.currentItem()
        if item is None:
            return None
        number = item.data(Qt.ItemDataRole.UserRole)
        return next((i for i in self.result.images if i.number == number), None)

    def _stem(self) -> str:
        return safe_stem(self.row.name) if self.row else "document"

    def _start_dir(self) -> Path:
        return Path(self.export_dir() or Path.home())

    def _ask_csv(self) -> None:
        table = self.current_table()
        if table is None:
            return
        suggested = self._start_dir() / f"{self._stem()}_table{table.number}.csv"
        dialogs.choose_save_file(
            self,
            self.tr("Save the table as CSV"),
            suggested,
            self.tr("CSV files (*.csv)"),
            self.save_table_csv,
        )

    def _ask_xlsx(self) -> None:
        if self.current_table() is None:
            return
        suggested = self._start_dir() / f"{self._stem()}_tables.xlsx"
        dialogs.choose_save_file(
            self,
            self.tr("Save the tables as an Excel workbook"),
            suggested,
            self.tr("Excel workbooks (*.xlsx)"),
            self.save_tables_xlsx,
        )

    def _ask_save_image(self) -> None:
        image = self.current_image()
        if image is None:
            return
        suggested = self._start_dir() / f"{self._stem()}_picture{image.number}{image.extension}"
        dialogs.choose_save_file(
            self,
            self.tr("Save the picture"),
            suggested,
            self.tr("Pictures (*%1)").replace("%1", image.extension),
            lambda path: self.save_image(image, path),
        )

    def save_table_csv(self, path: Path) -> None:
        table = self.current_table()
        if table is not None:
            self._write(lambda: write_csv(path, table.grid), path)

    def save_tables_xlsx(self, path: Path) -> None:
        if self.result is None or not self.result.tables:
            return
        from ui.xlsx import write_xlsx

        sheets = [(_table_title(t), t.grid) for t in self.result.tables]
        self._write(lambda: write_xlsx(path, sheets), path)

    def save_image(self, image: ImageData, path: Path) -> None:
        self._write(lambda: path.write_bytes(image.data), path)

    def _write(self, write: Callable[[], object], path: Path) -> None:
        try:
            write()
        except OSError as exc:
            show_message(
                Level.ERROR,
                self.tr("“%1” could not be saved: %2. Choose another folder.")
                .replace("%1", path.name)
                .replace("%2", exc.strerror or str(exc)),
                detail=str(exc),
                box=True,
            )
            return
        show_message(Level.INFO, self.tr("Saved “%1”.").replace("%1", str(path)))

    def _export_clicked(self) -> None:
        if self.row is not None:
            self.exportRequested.emit(self.row.doc_id)

    def _open_original(self) -> None:
        if self.row is not None:
            path = self.row.path
            web = path.startswith(("http://", "https://"))
            QDesktopServices.openUrl(QUrl(path) if web else QUrl.fromLocalFile(path))


def _fit(image: ImageData, size: int) -> Any:
    if image.image.width() <= size and image.image.height() <= size:
        return image.image
    return image.image.scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def _table_title(table: TableData) -> str:
    rows, cols = len(table.grid), max((len(r) for r in table.grid), default=0)
    if table.page is not None:
        text = translate("ResultView", "Table %1 · page %2 · %3 × %4").replace(
            "%2", str(table.page)
        )
    else:
        text = translate("ResultView", "Table %1 · %3 × %4")
    return text.replace("%1", str(table.number)).replace("%3", str(rows)).replace("%4", str(cols))


def _image_title(image: ImageData) -> str:
    if image.page is not None:
        return (
            translate("ResultView", "Picture %1 · page %2")
            .replace("%1", str(image.number))
            .replace("%2", str(image.page))
        )
    return translate("ResultView", "Picture %1").replace("%1", str(image.number))
