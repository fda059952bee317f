"""The core's vocabulary: document states, failures in plain words, and events."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class DocumentState(enum.StrEnum):
    """A document's life: each arrow between these is a journal write."""

    QUEUED = "queued"
    PREPARING = "preparing"
    UPLOADING = "uploading"
    SUBMITTED = "submitted"
    PROCESSING = "processing"
    FETCHING = "fetching"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DUPLICATE = "duplicate"
    """Same content as a document already in the list: not sent again."""

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES

    @property
    def label(self) -> str:
        """A plain-language label for people (the UI wraps these for translation)."""
        return STATE_LABELS[self]


TERMINAL_STATES = frozenset(
    {DocumentState.DONE, DocumentState.FAILED, DocumentState.CANCELLED, DocumentState.DUPLICATE}
)
RETRYABLE_STATES = frozenset({DocumentState.FAILED, DocumentState.CANCELLED})

STATE_LABELS: dict[DocumentState, str] = {
    DocumentState.QUEUED: "Waiting",
    DocumentState.PREPARING: "Checking file",
    DocumentState.UPLOADING: "Uploading",
    DocumentState.SUBMITTED: "Sent",
    DocumentState.PROCESSING: "Extracting",
    DocumentState.FETCHING: "Downloading result",
    DocumentState.DONE: "Done",
    DocumentState.FAILED: "Failed",
    DocumentState.CANCELLED: "Cancelled",
    DocumentState.DUPLICATE: "Already in the list",
}


class ErrorCode(enum.StrEnum):
    """Machine codes for why a document failed (tests and exports use these)."""

    FILE_MISSING = "file_missing"
    FILE_UNREADABLE = "file_unreadable"
    FILE_EMPTY = "file_empty"
    FILE_CHANGED = "file_changed"
    UNSUPPORTED_TYPE = "unsupported_type"
    TOO_LARGE = "too_large"
    AUTH = "auth"
    QUOTA = "quota"
    NETWORK = "network"
    SERVICE = "service"
    BAD_RESPONSE = "bad_response"
    REMOTE = "remote"
    RESULT_EXPIRED = "result_expired"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Failure:
    """Why a document failed: ``message`` is for people, ``detail`` is the technical part."""

    code: ErrorCode | str
    message: str
    detail: str = ""


@dataclass(frozen=True)
class DocumentEvent:
    """Something changed about one document. Consumers (CLI, UI) render these."""

    job_id: str
    doc_id: str
    state: DocumentState
    bytes_sent: int = 0
    bytes_total: int = 0
    pages_done: int | None = None
    page_count: int | None = None
    failure: Failure | None = None
    notice: str = ""
    """A transient, plain-language note such as "Rate limited: retrying in 4 s"."""


@dataclass(frozen=True)
class JobEvent:
    """Something changed about a whole job (all its documents have settled, a notice...)."""

    job_id: str
    finished: bool = False
    notice: str = ""
    counts: dict[str, int] = field(default_factory=dict)
