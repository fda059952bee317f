"""The progress table's model: it adapts the pipeline's events to Qt, throttled.

The pipeline calls :meth:`JobsModel.on_event` for every change (every upload chunk, every
page). The model only updates its row objects and remembers which rows changed; a timer
(~200 ms) then emits **one** ``dataChanged`` per changed range of rows, so a busy job costs
a handful of repaints per second whatever the number of events (DESIGN.md, qutebrowser's
``downloads.py``). Documents the model does not know yet (a new job) are read from the
journal in one query per job at the next flush, and inserted with one ``beginInsertRows``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from app.models import DocumentEvent, DocumentState, JobEvent
from ui import icons
from ui.rows import (
    ACTIVE_STATES,
    DISPLAY_ROLE,
    STATE_ORDER,
    Column,
    JournalLike,
    Role,
    Row,
    StateFilter,
    merge_ranges,
    progress_text,
)
from ui.text import format_duration, format_size, state_label, translate

if TYPE_CHECKING:
    from app.journal import DocumentRecord

__all__ = ["ACTIVE_STATES", "Column", "JobsModel", "JobsProxy", "Role", "Row", "StateFilter"]

FLUSH_INTERVAL_MS = 200
ELAPSED_INTERVAL_S = 1.0
MERGE_GAP = 32
"""Changed rows closer than this are merged into one range (one signal, one repaint)."""

ModelIndex = QModelIndex | QPersistentModelIndex


class JobsModel(QAbstractTableModel):
    """One row per document, in the order they were added.

    Signals:
        countsChanged: the number of documents per state may have changed.
        notice(str): a job-level notice in plain words ("Rate limited: retrying in 4 s").
        jobFinished(str): every document of that job has settled.
    """

    countsChanged = Signal()
    notice = Signal(str)
    jobFinished = Signal(str)

    def __init__(self, journal: JournalLike | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._journal = journal
        self._rows: list[Row] = []
        self._index: dict[str, int] = {}
        self._dirty: set[int] = set()
        self._unknown: dict[str, set[str]] = {}
        self._refresh: set[str] = set()
        self._active: set[str] = set()
        self._counts: Counter[DocumentState] | None = None
        self._last_elapsed = 0.0
        self.flushes = 0
        """How many flushes emitted something (tests and benchmarks read it)."""
        self.signals_emitted = 0
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self.flush)

        self._headers = {
            Column.NAME: translate("JobsModel", "Name"),
            Column.SIZE: translate("JobsModel", "Size"),
            Column.PAGES: translate("JobsModel", "Pages"),
            Column.STATE: translate("JobsModel", "State"),
            Column.PROGRESS: translate("JobsModel", "Progress"),
            Column.ELAPSED: translate("JobsModel", "Time"),
            Column.ERROR: translate("JobsModel", "Problem"),
        }
        self._header_tips = {
            Column.ELAPSED: translate(
                "JobsModel", "How long the document has been (or was) in the works"
            ),
            Column.ERROR: translate("JobsModel", "Why a document did not succeed, and what to do"),
        }

    # ------------------------------------------------------------------ Qt model API

    def set_journal(self, journal: JournalLike) -> None:
        self._journal = journal

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: QtCore.Qt.Orientation, role: int = DISPLAY_ROLE
    ) -> Any:
        if orientation != QtCore.Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return self._headers[Column(section)]
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return self._header_tips.get(Column(section))
        return None

    def flags(self, index: ModelIndex) -> QtCore.Qt.ItemFlag:
        if not index.isValid():
            return QtCore.Qt.ItemFlag.NoItemFlags
        return QtCore.Qt.ItemFlag.ItemIsEnabled | QtCore.Qt.ItemFlag.ItemIsSelectable

    def data(self, index: ModelIndex, role: int = DISPLAY_ROLE) -> Any:
        if not index.isValid():
            return None
        row_no = index.row()
        if not 0 <= row_no < len(self._rows) or not 0 <= index.column() < len(Column):
            return None
        row = self._rows[row_no]
        column = Column(index.column())
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Role.ROW:
            return row
        if role == Role.SORT:
            return self._sort_key(row, column)
        if role == Role.STATE:
            return row.state.value
        if role == Role.PROGRESS:
            return row.progress()
        if role == Role.DOC_ID:
            return row.doc_id
        if role == QtCore.Qt.ItemDataRole.DecorationRole and column == Column.STATE:
            return icons.state_icon(row.state)
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == QtCore.Qt.ItemDataRole.AccessibleTextRole:
            if column == Column.PROGRESS:
                return progress_text(row)
            return self._display(row, column)
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole and column in (
            Column.SIZE,
            Column.PAGES,
            Column.ELAPSED,
        ):
            return int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        if role == QtCore.Qt.ItemDataRole.ForegroundRole and column == Column.ERROR:
            if row.state is DocumentState.FAILED:
                return error_color()
            return muted_color()
        return None

    def _display(self, row: Row, column: Column) -> str:
        if column == Column.NAME:
            return row.name
        if column == Column.SIZE:
            return format_size(row.size)
        if column == Column.PAGES:
            if row.page_count is None:
                return ""
            return str(row.page_count)
        if column == Column.STATE:
            return state_label(row.state)
        if column == Column.PROGRESS:
            return progress_text(row)
        if column == Column.ELAPSED:
            return format_duration(row.elapsed(time.time()))
        if row.state in (DocumentState.FAILED, DocumentState.DUPLICATE):
            return row.error
        return row.notice if row.state in ACTIVE_STATES else ""

    def _sort_key(self, row: Row, column: Column) -> Any:
        if column == Column.NAME:
            return row.name.casefold()
        if column == Column.SIZE:
            return row.size if row.size is not None else -1
        if column == Column.PAGES:
            return row.page_count if row.page_count is not None else -1
        if column == Column.STATE:
            return STATE_ORDER[row.state]
        if column == Column.PROGRESS:
            value = row.progress()
            if value is None:
                return 2.0 if row.state is DocumentState.DONE else -2.0
            return value
        if column == Column.ELAPSED:
            elapsed = row.elapsed(time.time())
            return -1.0 if elapsed is None else elapsed
        return row.error.casefold()

    def _tooltip(self, row: Row, column: Column) -> str | None:
        if column == Column.NAME:
            return row.path
        if column == Column.ERROR and row.error:
            if row.detail:
                return f"{row.error}\n\n{translate('JobsModel', 'Details:')} {row.detail}"
            return row.error
        if column == Column.STATE:
            return row.notice or state_label(row.state)
        return None

    # ------------------------------------------------------------------ reading

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    def row_for(self, doc_id: str) -> Row | None:
        index = self._index.get(doc_id)
        return None if index is None else self._rows[index]

    def row_number(self, doc_id: str) -> int | None:
        return self._index.get(doc_id)

    def result_path(self, row: Row) -> str | None:
        """Where a finished document's result is stored (looked up once, when needed)."""
        if row.result_path is None and row.state is DocumentState.DONE and self._journal:
            try:
                row.result_path = self._journal.document(row.doc_id).result_path
            except KeyError:
                return None
        return row.result_path

    def rows(self) -> Sequence[Row]:
        return self._rows

    def ids_in(self, states: Iterable[DocumentState]) -> list[str]:
        wanted = set(states)
        return [r.doc_id for r in self._rows if r.state in wanted]

    def counts(self) -> Counter[DocumentState]:
        if self._counts is None:
            self._counts = Counter(r.state for r in self._rows)
        return self._counts

    def has_pending(self) -> bool:
        return bool(self._dirty or self._unknown or self._refresh)

    # ------------------------------------------------------------------ changing

    def add_records(self, records: Iterable[DocumentRecord]) -> int:
        """Append documents not in the table yet (one insert). Returns how many."""
        new = [Row.from_record(r) for r in records if r.id not in self._index]
        if not new:
            return 0
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        for offset, row in enumerate(new):
            self._index[row.doc_id] = first + offset
            self._rows.append(row)
            if row.state in ACTIVE_STATES:
                self._active.add(row.doc_id)
                row.started_at = time.time()
        self.endInsertRows()
        self._counts = None
        self.countsChanged.emit()
        if self._active:
            self._ensure_timer()
        return len(new)

    def remove_ids(self, doc_ids: Iterable[str]) -> int:
        """Remove rows (contiguous runs removed together, from the bottom up)."""
        numbers = sorted({self._index[d] for d in doc_ids if d in self._index}, reverse=True)
        if not numbers:
            return 0
        self.flush()  # row numbers in the dirty set must not go stale
        for start, end in _runs_descending(numbers):
            self.beginRemoveRows(QModelIndex(), start, end)
            for row in self._rows[start : end + 1]:
                self._active.discard(row.doc_id)
                self._refresh.discard(row.doc_id)
            del self._rows[start : end + 1]
            self.endRemoveRows()
        self._index = {row.doc_id: i for i, row in enumerate(self._rows)}
        self._counts = None
        self.countsChanged.emit()
        return len(numbers)

    def on_event(self, event: DocumentEvent | JobEvent) -> None:
        """The pipeline's event sink. Cheap: no signal is emitted here for documents."""
        if isinstance(event, JobEvent):
            if event.notice:
                self.notice.emit(event.notice)
            if event.finished:
                self.jobFinished.emit(event.job_id)
            return
        index = self._index.get(event.doc_id)
        if index is None:
            self._unknown.setdefault(event.job_id, set()).add(event.doc_id)
            self._ensure_timer()
            return
        row = self._rows[index]
        state = event.state
        if state is not row.state:
            self._counts = None
            if state is DocumentState.QUEUED:  # retried: a fresh start
                row.started_at = None
                row.finished_at = None
                row.result_path = None
                row.notice = ""
            elif row.started_at is None and not state.terminal:
                row.started_at = time.time()
            if state.terminal:
                row.finished_at = time.time()
                self._active.discard(row.doc_id)
                if state is DocumentState.DUPLICATE:  # its reason is only in the journal
                    self._refresh.add(row.doc_id)
            elif state in ACTIVE_STATES:
                self._active.add(row.doc_id)
            else:
                self._active.discard(row.doc_id)
            row.state = state
        if event.bytes_total:
            row.bytes_total = event.bytes_total
            row.size = event.bytes_total
        row.bytes_sent = event.bytes_sent
        if event.page_count is not None:
            row.page_count = event.page_count
        row.pages_done = event.pages_done
        if state is DocumentState.FAILED and event.failure is not None:
            row.error = event.failure.message
            row.detail = event.failure.detail
        elif state is not DocumentState.DUPLICATE:
            row.error = ""
            row.detail = ""
        if event.notice:
            row.notice = event.notice
        self._dirty.add(index)
        self._ensure_timer()

    def _ensure_timer(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Apply what changed since the last flush: new rows, then one ``dataChanged`` per
        changed range. Called by the timer; callers may call it to update at once."""
        emitted = False
        if self._unknown and self._journal is not None:
            unknown, self._unknown = self._unknown, {}
            for job_id in unknown:
                self.add_records(self._journal.documents(job_id))
            emitted = True
        elif self._unknown:
            self._unknown.clear()
        if self._refresh and self._journal is not None:
            for doc_id in self._refresh:
                index = self._index.get(doc_id)
                if index is None:
                    continue
                try:
                    doc = self._journal.document(doc_id)
                except KeyError:
                    continue
                row = self._rows[index]
                if row.state is doc.state:
                    row.result_path = doc.result_path
                    row.error = doc.error_message or row.error
                    row.detail = doc.error_detail or row.detail
                    row.page_count = (
                        doc.page_count if doc.page_count is not None else row.page_count
                    )
                    row.finished_at = doc.finished_at or row.finished_at
                self._dirty.add(index)
        self._refresh.clear()
        last = len(Column) - 1
        if self._dirty:
            dirty = sorted(i for i in self._dirty if i < len(self._rows))
            self._dirty.clear()
            for start, end in merge_ranges(dirty, MERGE_GAP):
                self.dataChanged.emit(self.index(start, 0), self.index(end, last))
                self.signals_emitted += 1
            self._counts = None
            self.countsChanged.emit()
            emitted = True
        now = time.monotonic()
        if self._active and now - self._last_elapsed >= ELAPSED_INTERVAL_S:
            self._last_elapsed = now
            numbers = [self._index[d] for d in self._active if d in self._index]
            if numbers:
                column = Column.ELAPSED
                self.dataChanged.emit(
                    self.index(min(numbers), column),
                    self.index(max(numbers), column),
                    [QtCore.Qt.ItemDataRole.DisplayRole],
                )
                self.signals_emitted += 1
        if emitted:
            self.flushes += 1
        if not self._active and not self.has_pending():
            self._timer.stop()


def _runs_descending(numbers: Sequence[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in numbers:  # descending
        if runs and runs[-1][0] == n + 1:
            runs[-1] = (n, runs[-1][1])
        else:
            runs.append((n, n))
    return runs


def error_color() -> QColor:
    """A red that reads on the current palette's base colour (light or dark)."""
    base = QGuiApplication.palette().color(QPalette.ColorRole.Base)
    return QColor("#ff8a80") if base.lightness() < 128 else QColor("#b3261e")


def muted_color() -> QColor:
    return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)


# ---------------------------------------------------------------------------- filtering


class JobsProxy(QSortFilterProxyModel):
    """Sorts by :data:`Role.SORT` and filters by state group and by name."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._states: frozenset[DocumentState] | None = None
        self._text = ""
        self.setSortRole(Role.SORT)
        self.setDynamicSortFilter(True)

    def set_state_filter(self, which: StateFilter) -> None:
        self._change_filter(lambda: setattr(self, "_states", which.states()))

    def set_text_filter(self, text: str) -> None:
        self._change_filter(lambda: setattr(self, "_text", text.strip().casefold()))

    def _change_filter(self, change: Callable[[], None]) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+; invalidateFilter is deprecated
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - older Qt
            change()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        if self._states is None and not self._text:
            return True
        model = self.sourceModel()
        if not isinstance(model, JobsModel) or source_row >= model.rowCount():
            return True
        row = model.row_at(source_row)
        if self._states is not None and row.state not in self._states:
            return False
        return not self._text or self._text in row.name.casefold()
