"""The main window: drop documents in, watch them go, read and export the results.

Everything long-running happens in owned asyncio tasks (:class:`ui.async_qt.TaskSet`) on the
qasync loop; nothing here blocks (folder walks and exports run in worker threads, dialogs
are opened with ``open()``, never ``exec()``).

Start-up speed: what the first frame does not need (asyncio, the pipeline and its HTTP
stack, pydantic settings, the settings dialog) is imported on first use, after the window
is on screen.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6 import QtCore
from PySide6.QtCore import QByteArray, QEvent, QSettings, QSize, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app import paths, providers
from app.models import RETRYABLE_STATES, DocumentState
from ui import icons
from ui.async_qt import TaskSet
from ui.drop_area import DropArea, DropOverlay, can_accept, paths_from_mime
from ui.messages import Level, bridge, message_box, show_message
from ui.rows import ACTIVE_STATES, Column, Role, Row, StateFilter
from ui.text import translate

if TYPE_CHECKING:  # imported when first needed, after the window is on screen
    from PySide6.QtCore import QModelIndex, QPoint, QUrl
    from PySide6.QtGui import (
        QCloseEvent,
        QDragEnterEvent,
        QDragLeaveEvent,
        QDragMoveEvent,
        QDropEvent,
        QKeySequence,
    )
    from PySide6.QtWidgets import QMessageBox, QToolButton

    from app.journal import Journal
    from app.pipeline import Pipeline, PipelineConfig
    from app.settings import Settings
    from ui.jobs_model import JobsModel, JobsProxy
    from ui.pipeline_host import PipelineHost
    from ui.results import ExportReport
    from ui.settings_dialog import SettingsDialog

DEFAULT_SIZE = QSize(1180, 780)
TOOLTIP_ROLE = 3
"""``Qt.ItemDataRole.ToolTipRole``.

Start-up speed: the first frame (this window's toolbar, menus and drop area) never touches
PySide6's ``Qt`` namespace, whose ~90 enums take ~12 ms to build on first access: enum
properties are set by name (``setProperty("orientation", "Vertical")``), roles are numbers,
and later code uses ``QtCore.Qt``. The same goes for what is imported before the window is
shown (``app.credentials``, ``app.doctypes``, ``ui.dialogs`` are imported on first use)."""


class EngineLike(Protocol):
    """What the window needs from the local engine (LocalEngine, or a test server)."""

    async def ensure_started(self) -> tuple[str, str]: ...

    def stop(self) -> None: ...


@dataclass
class Services:
    """What the window works on; :func:`ui.app.build_services` makes the real ones."""

    journal: Journal | None
    """None: opened from ``journal_path`` on first use (after the window is shown)."""
    results_dir: Path
    engine: EngineLike | None
    settings: Settings | None
    """None: read from the settings file on first use (after the window is shown)."""
    save_settings: Callable[[Settings], None] | None = None
    pipeline_config: PipelineConfig | None = None
    """Overrides the settings' concurrency (tests use quick polling)."""
    window_state_file: Path | None = None
    journal_path: Path | None = None
    provider_hint: str | None = None
    """The provider to preselect while the settings are not read yet."""
    extra: dict[str, Any] = field(default_factory=dict)


class MainWindow(QMainWindow):
    """Signals:
    shutdownFinished: the window has stopped its work and closed; the app may quit.
    """

    shutdownFinished = Signal()
    model: JobsModel
    """The documents (made with the table, by :meth:`ensure_views`)."""
    proxy: JobsProxy

    def __init__(
        self, services: Services, parent: QWidget | None = None, *, lazy_views: bool = False
    ) -> None:
        """``lazy_views``: build the table and the results viewer after the first frame
        (:meth:`start_up` does it), for a quicker start."""
        super().__init__(parent)
        self._views_built = False
        self.services = services
        self._journal = services.journal
        self._settings = services.settings
        self._host: PipelineHost | None = None
        self.engine = services.engine
        self.tasks = TaskSet()
        self.messages: list[tuple[int, str, str]] = []
        self.open_url: Callable[[QUrl], bool] = _open_with_system
        """Opens folders and files in the system's apps (tests replace it)."""
        self._awaiting_key: set[str] = set()
        self._waiting_jobs: set[str] = set()
        self._closing = False
        self._auto_selected = False
        self._asking = False
        self._closed = False
        self.removed_count = 0
        self._pipeline_outdated = False
        self.last_export: ExportReport | None = None
        self.close_question: QMessageBox | None = None
        self.settings_dialog: SettingsDialog | None = None
        self._shown_state: DocumentState | None = None
        self._icon_actions: list[tuple[QAction | QToolButton, str]] = []

        self.setWindowTitle(translate("Extractdesk", "Extractdesk"))
        self.setWindowIcon(icons.app_icon())
        self.setAcceptDrops(True)
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_central()
        self._build_status_bar()
        bridge().shown.connect(self._show)
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(lambda _scheme: self._refresh_icons())
        self._restore_window_state()
        if not lazy_views:
            self.ensure_views()
        self._counts_changed()

    # ------------------------------------------------------------------ building

    @property
    def journal(self) -> Journal:
        """The journal, opened on first use."""
        if self._journal is None:
            from app.journal import Journal

            path = self.services.journal_path or paths.journal_path()
            self._journal = Journal(path)
            self.services.journal = self._journal
            if self._views_built:
                self.model.set_journal(self._journal)
        return self._journal

    @property
    def settings(self) -> Settings:
        """The preferences, read from the settings file on first use."""
        if self._settings is None:
            from app import settings as settings_store

            self._settings = settings_store.load()
            self.services.settings = self._settings
        return self._settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self._settings = value
        self.services.settings = value

    @property
    def host(self) -> PipelineHost:
        """The pipeline, made on first use (the start-up turn after the window shows)."""
        if self._host is None:
            from ui.pipeline_host import PipelineHost

            self._host = PipelineHost(
                self.journal,
                self.services.results_dir,
                self.services.engine,
                self._pipeline_config(),
                self.model.on_event,
            )
        return self._host

    def _pipeline_config(self) -> PipelineConfig:
        from app.pipeline import PipelineConfig

        return self.services.pipeline_config or PipelineConfig(
            upload_concurrency=self.settings.upload_concurrency
        )

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        *,
        icon: str | None = None,
        tip: str = "",
    ) -> QAction:
        """(Shortcuts are set by :meth:`_set_shortcuts`, after the first frame.)"""
        action = QAction(text, self)
        if icon:
            action.setIcon(icons.icon(icon))
            self._icon_actions.append((action, icon))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.act_add_files = self._action(
            self.tr("Add files…"),
            self.ask_files,
            icon="add-file",
            tip=self.tr("Choose documents to extract (Ctrl+O)"),
        )
        self.act_add_folder = self._action(
            self.tr("Add folder…"),
            self.ask_folder,
            icon="add-folder",
            tip=self.tr("Choose a folder: every document inside it is added"),
        )
        self.act_paste = self._action(
            self.tr("Paste files"),
            self.paste,
            icon="paste",
            tip=self.tr("Add the files you copied in your file manager (Ctrl+V)"),
        )
        self.act_start = self._action(
            self.tr("Start"),
            self.start_waiting,
            icon="start",
            tip=self.tr("Send the waiting documents now"),
        )
        self.act_retry_failed = self._action(
            self.tr("Retry failed"),
            self.retry_failed,
            icon="retry",
            tip=self.tr("Send every failed document again (F5)"),
        )
        self.act_cancel_all = self._action(
            self.tr("Cancel all"),
            self.cancel_all,
            icon="cancel",
            tip=self.tr("Stop every document that is waiting or in progress"),
        )
        self.act_export = self._action(
            self.tr("Export…"),
            self.export_clicked,
            icon="export",
            tip=self.tr("Save results as Markdown, JSON and CSV files in a folder (Ctrl+E)"),
        )
        self.act_export_selected = self._action(
            self.tr("Export selected…"), lambda: self.ask_export(self.selected_done_ids())
        )
        self.act_export_all = self._action(
            self.tr("Export all finished…"),
            lambda: self.ask_export(self.model.ids_in([DocumentState.DONE])),
        )
        self.act_settings = self._action(
            self.tr("Settings…"),
            self.open_settings,
            icon="settings",
            tip=self.tr("API keys, addresses and preferences"),
        )
        self.act_find = self._action(
            self.tr("Find in text"),
            self.find_in_text,
            icon="find",
            tip=self.tr("Find words in the selected document's text (Ctrl+F)"),
        )
        self.act_quit = self._action(
            self.tr("Quit"),
            self.close,
            tip=self.tr("Close Extractdesk"),
        )
        # per-row actions (context menu; Delete works in the table)
        self.act_open_result = self._action(self.tr("Show result"), self.show_selected_result)
        self.act_retry = self._action(self.tr("Retry"), self.retry_selected, icon="retry")
        self.act_cancel = self._action(self.tr("Cancel"), self.cancel_selected, icon="cancel")
        self.act_reveal = self._action(
            self.tr("Show file in folder"), self.reveal_selected, icon="folder-open"
        )
        self.act_copy_error = self._action(self.tr("Copy problem"), self.copy_error, icon="copy")
        self.act_remove = self._action(
            self.tr("Remove from list"),
            self.remove_selected,
            icon="remove",
            tip=self.tr("Remove the selected documents that are waiting or finished (Delete)"),
        )
        self.act_remove.setProperty("shortcutContext", "WidgetWithChildrenShortcut")
        self.removeAction(self.act_remove)
        self.act_clear_finished = self._action(
            self.tr("Remove finished from list"), self.clear_finished, icon="clear"
        )
        self.act_about = self._action(self.tr("About Extractdesk"), self.about)

    def _set_shortcuts(self) -> None:
        """The keyboard shortcuts, set by :meth:`ensure_views` (right after the first frame:
        ``QKeySequence`` and its standard keys take ~1 ms to load). A standard key brings
        every binding the platform has for it (Paste: Ctrl+V and Shift+Insert on Linux)."""
        from PySide6.QtGui import QKeySequence

        standard = QKeySequence.StandardKey
        for action, keys in (
            (self.act_add_files, [standard.Open]),
            (self.act_add_folder, ["Ctrl+Shift+O"]),
            (self.act_paste, [standard.Paste]),
            (self.act_retry_failed, ["F5", standard.Refresh]),  # F5 everywhere
            (self.act_export, ["Ctrl+E"]),
            (self.act_settings, ["Ctrl+,"]),
            (self.act_find, [standard.Find]),
            (self.act_quit, [standard.Quit, "Ctrl+Q"]),
            (self.act_remove, [standard.Delete, "Backspace"]),
        ):
            # setShortcuts, not setShortcut: the same, without loading the Qt namespace
            # (PySide6 builds it to check setShortcut's implicit conversions; see TOOLTIP_ROLE)
            action.setShortcuts(_key_sequences(keys))

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu(self.tr("&File"))
        file_menu.addActions([self.act_add_files, self.act_add_folder, self.act_paste])
        file_menu.addSeparator()
        file_menu.addActions([self.act_export_selected, self.act_export_all])
        file_menu.addSeparator()
        file_menu.addAction(self.act_settings)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit_menu = menu.addMenu(self.tr("&Edit"))
        edit_menu.addActions([self.act_find, self.act_copy_error])
        docs_menu = menu.addMenu(self.tr("&Documents"))
        docs_menu.addActions(
            [self.act_start, self.act_retry_failed, self.act_cancel_all, self.act_retry]
        )
        docs_menu.addAction(self.act_cancel)
        docs_menu.addSeparator()
        docs_menu.addActions([self.act_remove, self.act_clear_finished])
        help_menu = menu.addMenu(self.tr("&Help"))
        help_menu.addAction(self.act_about)

    def _build_toolbar(self) -> None:
        bar = QToolBar(self.tr("Main"))
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setProperty("toolButtonStyle", "ToolButtonTextBesideIcon")
        bar.setIconSize(QSize(20, 20))
        bar.addAction(self.act_add_files)
        bar.addAction(self.act_add_folder)
        bar.addSeparator()
        send_to = QLabel(self.tr("Send to:"))
        send_to.setContentsMargins(6, 0, 4, 0)
        bar.addWidget(send_to)
        self.provider_combo = QComboBox()
        self.provider_combo.setAccessibleName(self.tr("Where documents are extracted"))
        self.provider_combo.setToolTip(self.tr("Where new documents are sent for extraction"))
        for info in providers.REGISTRY.values():
            self.provider_combo.addItem(info.name, info.id)
            self.provider_combo.setItemData(
                self.provider_combo.count() - 1, info.description, TOOLTIP_ROLE
            )
        known = self.services.settings
        wanted = known.provider if known is not None else self.services.provider_hint
        current = self.provider_combo.findData(wanted or providers.LOCAL.id)
        self.provider_combo.setCurrentIndex(max(0, current))
        self.provider_combo.currentIndexChanged.connect(self._provider_changed)
        send_to.setBuddy(self.provider_combo)
        bar.addWidget(self.provider_combo)
        bar.addAction(self.act_start)
        bar.addSeparator()
        bar.addAction(self.act_retry_failed)
        bar.addAction(self.act_cancel_all)
        bar.addSeparator()
        export_menu = QMenu(self)
        export_menu.addActions([self.act_export_selected, self.act_export_all])
        self.act_export.setMenu(export_menu)
        bar.addAction(self.act_export)
        # (the toolbar gives an action with a menu a split button: MenuButtonPopup)
        spacer = QWidget()
        spacer.setSizePolicy(
            spacer.sizePolicy().Policy.Expanding, spacer.sizePolicy().Policy.Preferred
        )
        bar.addWidget(spacer)
        bar.addAction(self.act_settings)
        self.toolbar = bar
        self.addToolBar(bar)

    def _build_central(self) -> None:
        """The first frame: the drop target, in the splitter that will hold the table and
        the results (built by :meth:`ensure_views`, right away or after the first frame)."""
        current = self.current_provider()
        self.drop_area = DropArea(reader=(current.name, current.reads))
        self.drop_area.addFiles.connect(self.ask_files)
        self.drop_area.addFolder.connect(self.ask_folder)
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.drop_area)
        self.result_holder = QWidget()
        self.result_holder.setVisible(False)
        QVBoxLayout(self.result_holder).setContentsMargins(8, 4, 8, 4)
        self.splitter = QSplitter()
        self.splitter.setProperty("orientation", "Vertical")
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.list_stack)
        self.splitter.addWidget(self.result_holder)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

    def ensure_views(self) -> None:
        """Build what the first frame leaves out (once): the documents model and table, the
        results viewer, the keyboard shortcuts."""
        if self._views_built:
            return
        self._views_built = True
        from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLineEdit, QTableView

        from ui.jobs_model import JobsModel, JobsProxy
        from ui.progress_delegate import ElideRightDelegate, ProgressDelegate
        from ui.result_view import ResultView

        self.model = JobsModel(self._journal, self)
        self.proxy = JobsProxy(self)
        self.proxy.setSourceModel(self.model)
        self.model.countsChanged.connect(self._counts_changed)
        self.model.notice.connect(lambda text: show_message(Level.INFO, text))
        self.model.jobFinished.connect(self._job_finished)

        self.filter_combo = QComboBox()
        self.filter_combo.setAccessibleName(self.tr("Show documents"))
        self.filter_combo.setToolTip(self.tr("Show only the documents in one state"))
        for which in StateFilter:
            self.filter_combo.addItem(which.label(), which.value)
        self.filter_combo.currentIndexChanged.connect(self._filter_changed)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Filter by name"))
        self.search.setAccessibleName(self.tr("Filter by name"))
        self.search.setClearButtonEnabled(True)
        self.search.setAcceptDrops(False)
        self.search.textChanged.connect(self.proxy.set_text_filter)
        show_label = QLabel(self.tr("Show:"))
        show_label.setBuddy(self.filter_combo)
        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.addWidget(show_label)
        filters.addWidget(self.filter_combo)
        filters.addWidget(self.search, 1)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName(self.tr("Documents"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(QtCore.Qt.TextElideMode.ElideMiddle)
        self.table.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.setItemDelegateForColumn(Column.PROGRESS, ProgressDelegate(self.table))
        self.table.setItemDelegateForColumn(Column.ERROR, ElideRightDelegate(self.table))
        self.table.addAction(self.act_remove)
        vertical = self.table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(max(26, self.fontMetrics().height() + 10))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        for column, width in (
            (Column.NAME, 260),
            (Column.SIZE, 80),
            (Column.PAGES, 60),
            (Column.STATE, 170),
            (Column.PROGRESS, 160),
            (Column.ELAPSED, 70),
        ):
            header.resizeSection(column, width)
        state = self._window_state()
        columns = state.value("columns") if "columns" in state.childKeys() else None
        if isinstance(columns, QByteArray) and not columns.isEmpty():
            header.restoreState(columns)
        header.setSortIndicator(-1, QtCore.Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)  # sorts by the indicator: -1 keeps the added order
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.doubleClicked.connect(lambda _index: self.show_selected_result())

        table_page = QWidget()
        table_layout = QVBoxLayout(table_page)
        table_layout.setContentsMargins(8, 6, 8, 0)
        table_layout.addLayout(filters)
        table_layout.addWidget(self.table, 1)
        self.overlay = DropOverlay(table_page)
        self.list_stack.addWidget(table_page)

        self.result_view = ResultView()
        self.result_view.export_dir = lambda: self.settings.export_dir
        self.result_view.exportRequested.connect(lambda doc_id: self.ask_export([doc_id]))
        layout = self.result_holder.layout()
        assert layout is not None
        layout.addWidget(self.result_view)
        self._set_shortcuts()
        self._counts_changed()

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.counts_label = QLabel()
        self.counts_label.setAccessibleName(self.tr("Document counts"))
        self.overall = QProgressBar()
        self.overall.setMaximumWidth(180)
        self.overall.setMaximumHeight(16)
        self.overall.setTextVisible(True)
        self.overall.setAccessibleName(self.tr("Overall progress"))
        status.addPermanentWidget(self.counts_label)
        status.addPermanentWidget(self.overall)

    # ------------------------------------------------------------------ start-up

    def start_up(self, files: Sequence[Path] = ()) -> None:
        """After the window is shown: read the settings, list every journaled document,
        continue kept jobs, and queue the files named on the command line."""
        self.ensure_views()
        index = self.provider_combo.findData(self.settings.provider)
        if index >= 0 and index != self.provider_combo.currentIndex():
            self.provider_combo.blockSignals(True)
            self.provider_combo.setCurrentIndex(index)
            self.provider_combo.blockSignals(False)
            current = self.current_provider()
            self.drop_area.set_reader(current.name, current.reads)
        self.model.add_records(self.journal.documents())
        self._waiting_jobs = {j.id for j in self.journal.jobs(statuses=("waiting",))}
        self._counts_changed()
        self.tasks.spawn(self._resume(list(files)), name="resume")

    def receive_files(self, files: Sequence[str]) -> None:
        """Files from a later start (a file manager's "Open with" while this window is
        open): bring the window forward and add them."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()
        if files:
            self.add_paths([Path(f) for f in files])

    async def _resume(self, files: list[Path]) -> None:
        resumed = set(await self.host.call(lambda p: p.resume_all()))
        if resumed:
            count = sum(
                1 for r in self.model.rows() if r.job_id in resumed and not r.state.terminal
            )
            show_message(
                Level.INFO,
                self.tr("Continuing %1 documents from last time.").replace("%1", str(count)),
            )
        if files:
            self.add_paths(files)

    # ------------------------------------------------------------------ adding documents

    def ask_files(self) -> None:
        from ui import dialogs

        dialogs.choose_files(self, self.settings.export_dir, self.add_paths)

    def ask_folder(self) -> None:
        from ui import dialogs

        dialogs.choose_folder(
            self,
            self.tr("Add a folder of documents"),
            None,
            lambda folder: self.add_paths([folder]),
        )

    def paste(self) -> None:
        found = paths_from_mime(QGuiApplication.clipboard().mimeData())
        if not found.paths and not found.urls and not found.rejected:
            show_message(
                Level.INFO,
                self.tr(
                    "The clipboard holds no files. Copy files in your file manager, then paste "
                    "them here."
                ),
            )
            return
        self.add_paths(found.paths, found.urls)

    def add_paths(self, paths: Sequence[Path | str], urls: Sequence[str] = ()) -> None:
        """Queue dropped, pasted or chosen paths and web addresses (folders are walked,
        and link lists read, in a worker thread)."""
        self.tasks.spawn(self._add([*paths, *urls]), name="add documents")

    async def _add(self, items: list[Path | str]) -> None:
        provider = self.current_provider()
        import asyncio

        from app import doctypes

        sources = await asyncio.to_thread(
            doctypes.collect_sources, items, accepts_urls=provider.accepts_urls
        )
        skipped = [f"{item} — {reason}" for item, reason in sources.skipped]
        documents: list[Path | str] = []
        if provider.accepts_files:
            documents += sources.files
        else:
            reason = self.tr("%1 reads web addresses, not files").replace("%1", provider.name)
            skipped += [f"{path} — {reason}" for path in sources.files]
        if provider.accepts_urls:
            documents += sources.urls
        else:
            reason = self.tr(
                "a web address: %1 reads files (download it first, or choose a service that "
                "reads web pages)"
            ).replace("%1", provider.name)
            skipped += [f"{url} — {reason}" for url in sources.urls]
        if not documents:
            show_message(
                Level.INFO,
                self.tr("Nothing was added: %1 reads %2.")
                .replace("%1", provider.name)
                .replace("%2", provider.reads),
                detail="\n".join(skipped),
                box=bool(skipped),
            )
            return
        await self.queue_files(documents)
        added = self.tr("Added %1 documents.").replace("%1", str(len(documents)))
        if skipped:
            show_message(
                Level.INFO,
                added
                + " "
                + self.tr("%1 items were skipped (see Show Details).").replace(
                    "%1", str(len(skipped))
                ),
                detail="\n".join(skipped),
                box=True,
            )
        else:
            show_message(Level.INFO, added)

    def current_provider(self) -> providers.ProviderInfo:
        provider_id = self.provider_combo.currentData() or providers.LOCAL.id
        return providers.REGISTRY.get(provider_id, providers.LOCAL)

    async def queue_files(self, files: Sequence[Path | str]) -> str:
        """Journal a job for ``files`` (paths or web addresses) with the selected provider;
        the rows appear at once."""
        provider = self.current_provider()
        missing_key = provider.needs_key and not _get_key(provider.id)
        start = self.settings.start_automatically and not missing_key
        base_url = self.settings.base_url(provider.id) or provider.default_base_url
        options = {**self.settings.job_options(provider.id), "skip_duplicates": True}
        from ui.pipeline_host import BATCH_SIZE

        own_limit = (options.get(provider.id) or {}).get("max_batch_items")
        batch_size = min(BATCH_SIZE, int(own_limit or provider.max_batch_items))
        paths = list(files)
        job_id = await self.host.call(
            lambda p: p.start_job(
                paths,
                provider.id,
                base_url=base_url,
                options=options,
                batch_size=batch_size,
                start=start,
            )
        )
        if not start:
            self._waiting_jobs.add(job_id)
        import asyncio

        await asyncio.sleep(0)  # let the loop breathe between journaling and listing
        self.model.flush()  # the rows appear now
        if missing_key:
            self._awaiting_key.add(job_id)
            self.open_settings(
                explanation=self.tr(
                    "To send documents to %1, paste your API key below and press Save. %2"
                )
                .replace("%1", provider.name)
                .replace("%2", provider.key_help),
                provider_id=provider.id,
            )
        return job_id

    # ------------------------------------------------------------------ drag and drop

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if can_accept(event.mimeData()):
            event.setDropAction(QtCore.Qt.DropAction.CopyAction)  # never move the person's files
            event.accept()
            self._set_drag_highlight(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if can_accept(event.mimeData()):
            event.setDropAction(QtCore.Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_drag_highlight(False)
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_drag_highlight(False)
        if not can_accept(event.mimeData()):
            event.ignore()
            return
        found = paths_from_mime(event.mimeData())
        event.setDropAction(QtCore.Qt.DropAction.CopyAction)
        event.accept()
        # the real work happens outside the drop handler
        QTimer.singleShot(0, lambda: self.add_paths(found.paths, found.urls))

    def _set_drag_highlight(self, on: bool) -> None:
        self.drop_area.set_highlight(on)
        if on and self._views_built and self.list_stack.currentIndex() == 1:
            self.overlay.show_over()
        elif self._views_built:
            self.overlay.hide()

    @property
    def drag_highlighted(self) -> bool:
        overlay = self._views_built and self.overlay.isVisible()
        return self.drop_area.highlighted or overlay

    # ------------------------------------------------------------------ selection

    def selected_rows(self) -> list[Row]:
        rows = []
        selection = self.table.selectionModel()
        for index in selection.selectedRows():
            row = index.data(Role.ROW)
            if isinstance(row, Row):
                rows.append(row)
        return rows

    def selected_ids(self, states: Iterable[DocumentState] | None = None) -> list[str]:
        wanted = set(states) if states is not None else None
        return [r.doc_id for r in self.selected_rows() if wanted is None or r.state in wanted]

    def selected_done_ids(self) -> list[str]:
        return self.selected_ids([DocumentState.DONE])

    def select_doc(self, doc_id: str) -> bool:
        from PySide6.QtCore import QItemSelectionModel

        number = self.model.row_number(doc_id)
        if number is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(number, 0))
        if not index.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        return True

    def _filter_changed(self, index: int) -> None:
        self.proxy.set_state_filter(StateFilter(self.filter_combo.itemData(index)))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = current.data(Role.ROW) if current.isValid() else None
        self._show_result(row if isinstance(row, Row) else None)

    def _show_result(self, row: Row | None) -> None:
        self._shown_state = row.state if row else None
        provider = providers.LOCAL.id
        if row is not None:
            self.model.result_path(row)
            provider = self._provider_of(row.job_id)
        self.result_view.show_row(row, provider)

    def _provider_of(self, job_id: str) -> str:
        try:
            return self.journal.job(job_id).provider
        except KeyError:
            return providers.LOCAL.id

    def show_selected_result(self) -> None:
        rows = self.selected_rows()
        if rows:
            self._show_result(rows[0])
            self.result_view.tabs.setFocus()

    def find_in_text(self) -> None:
        if not self.result_view.show_find():
            show_message(
                Level.INFO, self.tr("Select a finished document first, then search its text.")
            )

    # ------------------------------------------------------------------ row actions

    def _context_menu(self, pos: QPoint) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        states = {r.state for r in rows}
        self.act_open_result.setEnabled(len(rows) == 1 and DocumentState.DONE in states)
        self.act_retry.setEnabled(bool(states & RETRYABLE_STATES))
        self.act_cancel.setEnabled(any(not s.terminal for s in states))
        from app import doctypes

        self.act_reveal.setEnabled(len(rows) == 1 and not doctypes.is_url(rows[0].path))
        self.act_copy_error.setEnabled(any(r.error for r in rows))
        self.act_remove.setEnabled(any(s.terminal or s is DocumentState.QUEUED for s in states))
        menu = QMenu(self)
        menu.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addAction(self.act_open_result)
        menu.addAction(self.act_export_selected)
        menu.addSeparator()
        menu.addActions([self.act_retry, self.act_cancel])
        menu.addSeparator()
        menu.addActions([self.act_reveal, self.act_copy_error])
        menu.addSeparator()
        menu.addAction(self.act_remove)
        self.context_menu = menu
        menu.popup(self.table.viewport().mapToGlobal(pos))  # popup(), never exec()

    def retry_selected(self) -> None:
        self._retry(self.selected_ids(RETRYABLE_STATES))

    def retry_failed(self) -> None:
        self._retry(self.model.ids_in([DocumentState.FAILED]))

    def _retry(self, doc_ids: list[str]) -> None:
        if not doc_ids:
            show_message(Level.INFO, self.tr("Nothing to retry."))
            return
        self.tasks.spawn(self._send_again(doc_ids), name="retry")

    async def _send_again(self, doc_ids: list[str]) -> None:
        requeued = await self.host.call(lambda p: p.retry(doc_ids))
        self.model.flush()
        show_message(
            Level.INFO, self.tr("Sending %1 documents again.").replace("%1", str(len(requeued)))
        )

    def cancel_selected(self) -> None:
        ids = [r.doc_id for r in self.selected_rows() if not r.state.terminal]
        if ids:
            self.tasks.spawn(self.host.call(lambda p: p.cancel_documents(ids)), name="cancel")

    def cancel_all(self) -> None:
        self.tasks.spawn(self._cancel_all(), name="cancel all")

    async def _cancel_all(self) -> None:
        jobs = {j.id for j in self.journal.unfinished_jobs()} | set(self._waiting_jobs)
        if not jobs:
            show_message(Level.INFO, self.tr("Nothing is waiting or in progress."))
            return
        before = sum(1 for r in self.model.rows() if not r.state.terminal)
        for job_id in jobs:
            try:
                await self.host.run(functools.partial(_cancel_job, job_id=job_id))
            except KeyError:
                pass  # removed meanwhile
        self._waiting_jobs.clear()
        self._awaiting_key.clear()
        self.model.flush()
        show_message(Level.INFO, self.tr("Cancelled %1 documents.").replace("%1", str(before)))

    def start_waiting(self) -> None:
        jobs = list(self._waiting_jobs)
        self._waiting_jobs.clear()
        ready = []
        for job_id in jobs:
            try:
                job = self.journal.job(job_id)
            except KeyError:
                continue  # its documents were all removed
            info = providers.REGISTRY.get(job.provider)
            if info is not None and info.needs_key and not _get_key(info.id):
                self._waiting_jobs.add(job_id)
                self._awaiting_key.add(job_id)
                self.open_settings(
                    explanation=self.tr(
                        "%1 needs an API key before documents can be sent."
                    ).replace("%1", info.name),
                    provider_id=info.id,
                )
                continue
            ready.append(job_id)
        self._awaiting_key -= set(ready)
        if ready:
            self.tasks.spawn(self._start_jobs(ready), name="start")
        self._counts_changed()

    async def _start_jobs(self, job_ids: list[str]) -> None:
        def start(pipeline: Pipeline) -> None:
            for job_id in job_ids:
                pipeline.start(job_id)

        await self.host.call(start)

    def remove_selected(self) -> None:
        rows = self.selected_rows()
        removable = [r for r in rows if r.state.terminal or r.state is DocumentState.QUEUED]
        waiting = self._waiting_jobs
        to_cancel = [
            r.doc_id
            for r in removable
            if r.state is DocumentState.QUEUED and r.job_id not in waiting
        ]
        kept = len(rows) - len(removable)
        if kept:
            show_message(
                Level.INFO,
                self.tr(
                    "%1 documents are being processed and stay in the list: cancel them first."
                ).replace("%1", str(kept)),
            )
        if removable:
            self.tasks.spawn(self._remove([r.doc_id for r in removable], to_cancel), name="remove")

    async def _remove(self, doc_ids: list[str], cancel_first: list[str]) -> None:
        def remove(pipeline: Pipeline) -> list[str]:
            if cancel_first:
                pipeline.cancel_documents(cancel_first)
            return pipeline.remove_documents(doc_ids)

        removed = await self.host.call(remove)
        self.model.remove_ids(removed)
        self.removed_count = len(removed)

    def clear_finished(self) -> None:
        ids = [r.doc_id for r in self.model.rows() if r.state.terminal]
        if ids:
            self.tasks.spawn(self._remove(ids, []), name="clear finished")

    def reveal_selected(self) -> None:
        rows = self.selected_rows()
        if rows:
            self.open_url(_file_url(Path(rows[0].path).parent))

    def copy_error(self) -> None:
        lines = []
        for row in self.selected_rows():
            if row.error:
                text = f"{row.name}: {row.error}"
                if row.detail:
                    text += f" ({row.detail})"
                lines.append(text)
        if lines:
            QGuiApplication.clipboard().setText("\n".join(lines))
            show_message(Level.INFO, self.tr("The problem description was copied."))

    # ------------------------------------------------------------------ export

    def export_clicked(self) -> None:
        selected = self.selected_done_ids()
        self.ask_export(selected or self.model.ids_in([DocumentState.DONE]))

    def ask_export(self, doc_ids: Sequence[str]) -> None:
        if not doc_ids:
            show_message(Level.INFO, self.tr("No finished documents to export yet."))
            return
        ids = list(doc_ids)
        from ui import dialogs

        dialogs.choose_folder(
            self,
            self.tr("Export to which folder?"),
            self.settings.export_dir,
            lambda folder: self.export_to(ids, folder),
        )

    def export_to(self, doc_ids: Sequence[str], folder: Path) -> None:
        self.tasks.spawn(self._export(list(doc_ids), folder), name="export")

    async def _export(self, doc_ids: list[str], folder: Path) -> ExportReport:
        from ui.results import ExportItem, export_documents

        items = []
        for doc_id in doc_ids:
            try:
                doc = self.journal.document(doc_id)
            except KeyError:
                continue
            if doc.state is DocumentState.DONE and doc.result_path:
                items.append(ExportItem(doc.name, doc.result_path, self._provider_of(doc.job_id)))
        import asyncio

        report = await asyncio.to_thread(export_documents, items, folder)
        if report.failed:
            show_message(
                Level.WARNING,
                self.tr(
                    "%1 documents could not be exported. Check that the folder is writable."
                ).replace("%1", str(len(report.failed))),
                detail="\n".join(f"{name}: {reason}" for name, reason in report.failed),
                box=True,
            )
        if report.documents:
            show_message(
                Level.INFO,
                self.tr("Exported %1 documents to %2.")
                .replace("%1", str(report.documents))
                .replace("%2", str(folder)),
            )
            if self.settings.open_folder_after_export:
                self.open_url(_file_url(folder))
        self.last_export = report
        return report

    # ------------------------------------------------------------------ settings

    def _provider_changed(self, _index: int) -> None:
        provider = self.current_provider()
        self.drop_area.set_reader(provider.name, provider.reads)
        self.settings.provider = provider.id
        self._save_settings()
        if provider.needs_key and not _get_key(provider.id):
            show_message(
                Level.INFO,
                self.tr("%1 needs an API key: add it in Settings.").replace("%1", provider.name),
            )

    def _save_settings(self) -> None:
        if self.services.save_settings is not None:
            try:
                self.services.save_settings(self.settings)
            except OSError as exc:
                show_message(
                    Level.WARNING,
                    self.tr("Your preferences could not be saved (%1).").replace(
                        "%1", exc.strerror or str(exc)
                    ),
                    detail=str(exc),
                )

    def open_settings(self, explanation: str = "", provider_id: str | None = None) -> None:
        if self.settings_dialog is not None:
            self.settings_dialog.raise_()
            self.settings_dialog.activateWindow()
            if explanation:
                self.settings_dialog.explanation.setText(explanation)
                self.settings_dialog.explanation.show()
            return
        from ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(
            self.settings,
            self,
            explanation=explanation,
            focus_provider=provider_id,
            save_settings=self.services.save_settings,
        )
        dialog.saved.connect(lambda: self._settings_saved(dialog))
        dialog.finished.connect(self._settings_closed)
        self.settings_dialog = dialog
        dialog.open()  # window-modal, never exec()

    def _settings_closed(self, _result: int) -> None:
        if self.settings_dialog is not None:
            self.settings_dialog.deleteLater()
        self.settings_dialog = None

    def _settings_saved(self, dialog: SettingsDialog) -> None:
        old_concurrency = self.settings.upload_concurrency
        self.settings = dialog.settings
        self.services.settings = self.settings
        if self.settings.upload_concurrency != old_concurrency:
            self._pipeline_outdated = True
            self.tasks.spawn(self._reconfigure(), name="reconfigure")
        ready = []
        for job_id in list(self._awaiting_key):
            try:
                job = self.journal.job(job_id)
            except KeyError:
                self._awaiting_key.discard(job_id)
                continue
            if _get_key(job.provider):
                ready.append(job_id)
        if ready and self.settings.start_automatically:
            for job_id in ready:
                self._awaiting_key.discard(job_id)
                self._waiting_jobs.discard(job_id)
            self.tasks.spawn(self._start_jobs(ready), name="start after key")
            show_message(Level.INFO, self.tr("The key is saved: sending your documents."))
        self._counts_changed()

    async def _reconfigure(self) -> None:
        """New concurrency applies as soon as nothing is running."""
        if await self.host.reconfigure(self._pipeline_config()):
            self._pipeline_outdated = False

    # ------------------------------------------------------------------ status

    def _counts_changed(self) -> None:
        if not self._views_built:
            return
        counts = self.model.counts()
        total = sum(counts.values())
        self.list_stack.setCurrentIndex(1 if total else 0)
        self.result_holder.setVisible(bool(total))
        done = counts[DocumentState.DONE]
        failed = counts[DocumentState.FAILED]
        active = sum(counts[s] for s in ACTIVE_STATES)
        waiting = counts[DocumentState.QUEUED]
        cancelled = counts[DocumentState.CANCELLED]
        duplicate = counts[DocumentState.DUPLICATE]
        parts = []
        for number, text in (
            (done, self.tr("%1 done")),
            (failed, self.tr("%1 failed")),
            (active, self.tr("%1 in progress")),
            (waiting, self.tr("%1 waiting")),
            (cancelled, self.tr("%1 cancelled")),
            (duplicate, self.tr("%1 already in the list")),
        ):
            if number:
                parts.append(text.replace("%1", str(number)))
        self.counts_label.setText(" · ".join(parts))
        unfinished = active + waiting
        settled = total - unfinished
        self.overall.setVisible(unfinished > 0)
        self.overall.setRange(0, max(1, total))
        self.overall.setValue(settled)
        self.overall.setFormat(
            self.tr("%1 of %2").replace("%1", str(settled)).replace("%2", str(total))
        )
        if unfinished:
            title = self.tr("Extractdesk — %1 of %2 done").replace("%1", str(done))
            title = title.replace("%2", str(total))
        else:
            title = self.tr("Extractdesk")
        if self.windowTitle() != title:
            self.setWindowTitle(title)
        self.act_retry_failed.setEnabled(failed > 0)
        self.act_cancel_all.setEnabled(unfinished > 0)
        self.act_export.setEnabled(done > 0)
        self.act_export_all.setEnabled(done > 0)
        self.act_clear_finished.setEnabled(settled > 0)
        self.act_start.setVisible(bool(self._waiting_jobs))
        self.act_start.setEnabled(bool(self._waiting_jobs))
        # the first document to finish is shown right away (once: then the person chooses)
        current = self.table.currentIndex()
        if not current.isValid() and done and not self._auto_selected:
            self._auto_selected = True
            first = next(r for r in self.model.rows() if r.state is DocumentState.DONE)
            self.select_doc(first.doc_id)
            current = self.table.currentIndex()
        # the viewer follows a selected document that just finished
        row = current.data(Role.ROW) if current.isValid() else None
        if isinstance(row, Row) and row.state is not self._shown_state:
            self._show_result(row)

    def _job_finished(self, job_id: str) -> None:
        self._waiting_jobs.discard(job_id)
        if self._pipeline_outdated:
            self.tasks.spawn(self._reconfigure(), name="reconfigure")
        if not any(r for r in self.model.rows() if not r.state.terminal):
            QTimer.singleShot(0, self._all_finished)

    def _all_finished(self) -> None:
        self.model.flush()
        counts = self.model.counts()
        if any(counts[s] for s in ACTIVE_STATES) or counts[DocumentState.QUEUED]:
            return
        failed = counts[DocumentState.FAILED]
        text = self.tr("All documents are finished.")
        if failed:
            text += " " + self.tr(
                "%1 failed: see the Problem column, fix it, then press Retry failed (F5)."
            ).replace("%1", str(failed))
        show_message(Level.INFO, text)

    def _show(self, level: int, text: str, detail: str, box: bool) -> None:
        self.messages.append((level, text, detail))
        self.statusBar().showMessage(text, 15000 if level >= Level.WARNING else 8000)
        if box:
            message_box(self, Level(level), text, detail)

    def about(self) -> None:
        from app.cli import version

        message_box(
            self,
            Level.INFO,
            self.tr(
                "Extractdesk %1\n\nTurns PDFs, scans, photos and office files into text, tables "
                "and pictures."
            ).replace("%1", version()),
            title=self.tr("About Extractdesk"),
        )

    # ------------------------------------------------------------------ look and feel

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._refresh_icons()
        super().changeEvent(event)

    def _refresh_icons(self) -> None:
        icons.clear_cache()
        for action, name in getattr(self, "_icon_actions", []):
            action.setIcon(icons.icon(name))
        if self._views_built:
            self.table.viewport().update()

    def _window_state(self) -> QSettings:
        path = self.services.window_state_file or paths.config_dir() / "window.ini"
        return QSettings(str(path), QSettings.Format.IniFormat)

    def _restore_window_state(self) -> None:
        state = self._window_state()  # one read of window.ini
        # (asking for a missing key would hand back an empty QVariant: look first)
        keys = set(state.childKeys())
        geometry = state.value("geometry") if "geometry" in keys else None
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(DEFAULT_SIZE)
        splitter = state.value("splitter") if "splitter" in keys else None
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([340, 400])

    def save_window_state(self) -> None:
        state = self._window_state()
        state.setValue("geometry", self.saveGeometry())
        state.setValue("splitter", self.splitter.saveState())
        if self._views_built:
            state.setValue("columns", self.table.horizontalHeader().saveState())
        state.sync()

    # ------------------------------------------------------------------ closing

    async def running_jobs(self) -> list[str]:
        if self._host is None or self._host.stopped:
            return []
        return await self.host.running_jobs()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closed:
            event.accept()
            return
        event.ignore()
        if self._closing or self._asking:
            return
        if self.close_question is not None:
            self.close_question.raise_()
            return
        self._asking = True
        self.tasks.spawn(self._ask_before_closing(), name="close")

    async def _ask_before_closing(self) -> None:
        try:
            running = await self.running_jobs()
        finally:
            self._asking = False
        if not running:
            self.tasks.spawn(self._shutdown(cancel=False), name="shutdown")
            return
        from PySide6.QtWidgets import QMessageBox

        jobs = set(running)
        pending = sum(1 for r in self.model.rows() if r.job_id in jobs and not r.state.terminal)
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Documents are still in progress"))
        box.setText(self.tr("%1 documents are still being processed.").replace("%1", str(pending)))
        box.setInformativeText(
            self.tr(
                "Keep them, and Extractdesk picks them up where they stopped the next time it "
                "starts. Finished results are kept either way."
            )
        )
        keep = box.addButton(self.tr("Keep for next start"), QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(self.tr("Cancel them"), QMessageBox.ButtonRole.DestructiveRole)
        stay = box.addButton(self.tr("Stay open"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(stay)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.close_question = box
        self.close_buttons = {"keep": keep, "cancel": cancel, "stay": stay}

        def answered() -> None:
            clicked = box.clickedButton()
            self.close_question = None
            if clicked is keep:
                self.tasks.spawn(self._shutdown(cancel=False), name="shutdown")
            elif clicked is cancel:
                self.tasks.spawn(self._shutdown(cancel=True), name="shutdown")

        box.finished.connect(lambda _result: answered())
        box.open()  # window-modal, no nested event loop

    async def _shutdown(self, *, cancel: bool) -> None:
        self._closing = True
        self.setEnabled(False)
        self.statusBar().showMessage(self.tr("Stopping…"))
        try:
            await self.tasks.cancel_all()  # adding, exporting… (never this task)
            if self._host is not None:
                if cancel and not self._host.stopped:
                    for job_id in await self.running_jobs():
                        await self._host.run(functools.partial(_cancel_job, job_id=job_id))
                await self._host.stop()  # kept jobs stay journaled: the next start resumes
            await self.result_view.tasks.cancel_all()
            if self.settings_dialog is not None:
                self.settings_dialog.tasks_cancel()
            if self.engine is not None:
                import asyncio

                await asyncio.to_thread(self.engine.stop)
            self.model.flush()
            self.save_window_state()
        finally:
            self._closed = True
            self.close()
            self.shutdownFinished.emit()


def _key_sequences(keys: Iterable[QKeySequence.StandardKey | str]) -> list[QKeySequence]:
    """Every binding of the platform's standard keys, and the portable texts ("F5"), without
    repeats. (Not ``QKeySequence(standard_key)``: PySide6 loads the ``Qt`` namespace to pick
    that constructor's overload, see :data:`TOOLTIP_ROLE`.)"""
    from PySide6.QtGui import QKeySequence

    sequences: dict[str, QKeySequence] = {}
    for key in keys:
        found = [QKeySequence(key)] if isinstance(key, str) else QKeySequence.keyBindings(key)
        for sequence in found:
            if not sequence.isEmpty():
                sequences.setdefault(sequence.toString(), sequence)
    return list(sequences.values())


def _file_url(path: Path) -> QUrl:
    from PySide6.QtCore import QUrl

    return QUrl.fromLocalFile(str(path))


def _get_key(provider_id: str) -> str | None:
    """The saved API key (``app.credentials`` is imported after the first frame)."""
    from app import credentials

    return credentials.get_key(provider_id)


async def _cancel_job(pipeline: Pipeline, *, job_id: str) -> None:
    await pipeline.cancel(job_id)


def _open_with_system(url: QUrl) -> bool:
    """Open a folder, file or web page in the person's own apps."""
    from PySide6.QtGui import QDesktopServices

    return bool(QDesktopServices.openUrl(url))
