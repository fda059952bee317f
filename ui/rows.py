"""The documents list's rows, columns, roles and filters: everything about the table that
needs no Qt class, so the window can be built (and shown) before :mod:`ui.jobs_model` loads.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from app.models import DocumentState
from ui.text import state_label, translate

if TYPE_CHECKING:
    from app.journal import DocumentRecord


class Column(enum.IntEnum):
    NAME = 0
    SIZE = 1
    PAGES = 2
    STATE = 3
    PROGRESS = 4
    ELAPSED = 5
    ERROR = 6


USER_ROLE = 0x0100
"""``Qt.ItemDataRole.UserRole``. Start-up speed: this module is imported before the first
frame, which never needs the ``Qt`` namespace (PySide6 builds its ~90 Python enums, ~12 ms, on
first access), so it is used as ``QtCore.Qt`` inside methods only."""
DISPLAY_ROLE = 0
"""``Qt.ItemDataRole.DisplayRole`` (for default arguments, evaluated at import)."""


class Role(enum.IntEnum):
    ROW = USER_ROLE
    """The :class:`Row` object itself."""
    SORT = USER_ROLE + 1
    STATE = USER_ROLE + 2
    """The state's machine code (``"done"``...)."""
    PROGRESS = USER_ROLE + 3
    """A fraction 0..1, ``-1.0`` for "busy, amount unknown", or None for no bar."""
    DOC_ID = USER_ROLE + 4


STATE_ORDER = {state: i for i, state in enumerate(DocumentState)}
ACTIVE_STATES = frozenset(
    {
        DocumentState.PREPARING,
        DocumentState.UPLOADING,
        DocumentState.SUBMITTED,
        DocumentState.PROCESSING,
        DocumentState.FETCHING,
    }
)


class JournalLike(Protocol):
    def documents(self, job_id: str | None = None) -> list[DocumentRecord]: ...

    def document(self, doc_id: str) -> DocumentRecord: ...


@dataclass(slots=True, eq=False)
class Row:
    doc_id: str
    job_id: str
    name: str
    path: str
    size: int | None
    state: DocumentState
    created_at: float
    finished_at: float | None = None
    started_at: float | None = None
    bytes_sent: int = 0
    bytes_total: int = 0
    pages_done: int | None = None
    page_count: int | None = None
    error: str = ""
    detail: str = ""
    notice: str = ""
    result_path: str | None = None
    """Known for rows read from the journal; for rows finished in this session it is read
    when the result is shown (see :meth:`JobsModel.result_path`)."""

    @classmethod
    def from_record(cls, doc: DocumentRecord) -> Row:
        return cls(
            doc_id=doc.id,
            job_id=doc.job_id,
            name=doc.name,
            path=doc.path,
            size=doc.size,
            state=doc.state,
            created_at=doc.created_at,
            finished_at=doc.finished_at,
            bytes_total=doc.size or 0,
            bytes_sent=(doc.size or 0) if doc.uploaded else 0,
            pages_done=doc.pages_done,
            page_count=doc.page_count,
            error=doc.error_message or "",
            detail=doc.error_detail or "",
            result_path=doc.result_path,
        )

    def progress(self) -> float | None:
        state = self.state
        if state is DocumentState.UPLOADING:
            if self.bytes_total > 0:
                return min(1.0, self.bytes_sent / self.bytes_total)
            return -1.0
        if state is DocumentState.PROCESSING:
            if self.page_count:
                return min(1.0, (self.pages_done or 0) / self.page_count)
            return -1.0
        if state in ACTIVE_STATES:
            return -1.0
        return None  # waiting or finished: the State column says it, no bar needed

    def elapsed(self, now: float) -> float | None:
        if self.state is DocumentState.QUEUED:
            return None
        start = self.started_at if self.started_at is not None else self.created_at
        end = self.finished_at if self.finished_at is not None else now
        return max(0.0, end - start)


def merge_ranges(sorted_rows: Sequence[int], gap: int = 1) -> list[tuple[int, int]]:
    """``[1, 2, 3, 7, 8]`` → ``[(1, 3), (7, 8)]``; rows closer than ``gap`` are merged."""
    ranges: list[tuple[int, int]] = []
    for row in sorted_rows:
        if ranges and row - ranges[-1][1] <= gap:
            ranges[-1] = (ranges[-1][0], row)
        else:
            ranges.append((row, row))
    return ranges


def progress_text(row: Row) -> str:
    state = row.state
    if state is DocumentState.UPLOADING and row.bytes_total > 0:
        percent = int(100 * min(1.0, row.bytes_sent / row.bytes_total))
        return translate("JobsModel", "%1 %").replace("%1", str(percent))
    if state is DocumentState.PROCESSING and row.page_count:
        return (
            translate("JobsModel", "page %1 of %2")
            .replace("%1", str(row.pages_done or 0))
            .replace("%2", str(row.page_count))
        )
    if state is DocumentState.PROCESSING and row.notice:
        return row.notice  # the service's own words for its step ("Reading the document")
    if state in ACTIVE_STATES:
        return state_label(state)
    return ""


class StateFilter(enum.Enum):
    ALL = "all"
    ACTIVE = "active"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DUPLICATE = "duplicate"

    def states(self) -> frozenset[DocumentState] | None:
        return {
            StateFilter.ALL: None,
            StateFilter.ACTIVE: ACTIVE_STATES | {DocumentState.QUEUED},
            StateFilter.DONE: frozenset({DocumentState.DONE}),
            StateFilter.FAILED: frozenset({DocumentState.FAILED}),
            StateFilter.CANCELLED: frozenset({DocumentState.CANCELLED}),
            StateFilter.DUPLICATE: frozenset({DocumentState.DUPLICATE}),
        }[self]

    def label(self) -> str:
        return {
            StateFilter.ALL: translate("StateFilter", "All documents"),
            StateFilter.ACTIVE: translate("StateFilter", "Waiting or in progress"),
            StateFilter.DONE: translate("StateFilter", "Done"),
            StateFilter.FAILED: translate("StateFilter", "Failed"),
            StateFilter.CANCELLED: translate("StateFilter", "Cancelled"),
            StateFilter.DUPLICATE: translate("StateFilter", "Already in the list"),
        }[self]
