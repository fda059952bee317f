"""What the pipeline needs from a service that works in batches.

A provider module knows only its own wire format. The pipeline drives every provider
through the same steps, journaling each one before the next:

1. ``reserve`` a remote file (extract.page hands out a presigned upload URL; services whose
   upload call creates the file return None here),
2. ``upload`` the bytes, which yields the remote file id,
3. ``create_batch`` for the uploaded documents under a journaled idempotency key,
4. ``poll`` the batch until it is terminal, then ``fetch_result`` for every success.

Documents are files, or web addresses for services that read web pages
(``accepts_urls``). A provider may keep small notes about a batch (for instance the id of
an uploaded URL list); the pipeline journals them through ``note`` and hands them back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.http import ApiError, RetryNotice
from app.uploads import PreparedFile


@dataclass(frozen=True)
class RemoteFile:
    id: str
    upload_url: str
    upload_method: str
    upload_expires_at: str


@dataclass(frozen=True)
class BatchEntry:
    """One document as a batch sees it."""

    doc_id: str
    file_id: str | None
    """The uploaded file's id (None for web addresses)."""
    name: str
    content_type: str | None = None
    url: str | None = None
    """The web address, for documents that are pages on the web."""


@dataclass(frozen=True)
class ItemSnapshot:
    item_id: str
    file_id: str | None
    status: str
    """pending | running | succeeded | failed | cancelled"""
    doc_id: str | None = None
    """Our document id when the service echoes it (custom_id / metadata)."""
    page_count: int | None = None
    pages_done: int | None = None
    result_url: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    """In plain words, for people."""
    error_detail: str | None = None
    """What the service said, verbatim."""
    progress_text: str | None = None
    """A service's own words for what it is doing ("Document parsing")."""
    payload: Any = None
    """Provider data needed to fetch the result (e.g. an inline result)."""


@dataclass(frozen=True)
class BatchSnapshot:
    batch_id: str
    status: str
    terminal: bool
    counts: dict[str, int]
    items: list[ItemSnapshot] = field(default_factory=list)


class FilesRejected(ApiError):
    """A submit named files the service cannot use; ``file_ids`` says which."""

    def __init__(self, message: str, file_ids: list[str], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.file_ids = file_ids


class FilesNotUploaded(FilesRejected):
    """409 file_not_uploaded: the bytes never arrived; upload them again."""


class FilesNotFound(FilesRejected):
    """404 file_not_found: the file slots are unknown or expired; create them again."""


class UploadUrlExpired(ApiError):
    """The presigned upload URL is no longer valid; reserve a new file."""


class ResultNotReady(ApiError):
    pass


class ResultGone(ApiError):
    """The result passed its retention period."""


class Unsupported(ApiError):
    """The document is not something this service reads; ``message`` says what it needs."""


ByteProgress = Callable[[int], None]
RetryCallback = RetryNotice
Note = Callable[[str, str], None]
"""``note(key, value)``: journal a provider note about the batch before going on."""


class BatchLane(Protocol):
    """The async batch lane, as the pipeline drives it."""

    service_name: str
    max_batch_items: int
    accepts_files: bool
    accepts_urls: bool

    def check_document(self, prepared: PreparedFile) -> None:
        """Raise :class:`Unsupported` for a file this service cannot take (type, size)."""
        ...

    async def reserve(self, prepared: PreparedFile) -> RemoteFile | None: ...

    async def upload(
        self,
        remote: RemoteFile | None,
        prepared: PreparedFile,
        progress: ByteProgress | None = None,
        *,
        doc_id: str,
    ) -> str: ...

    async def file_uploaded(self, file_id: str) -> bool: ...

    async def recover_upload(self, doc_id: str) -> str | None:
        """After a crash mid-upload: the id of what the interrupted upload created, if the
        service can tell (services without idempotency look it up by our document id)."""
        ...

    async def create_batch(
        self,
        entries: list[BatchEntry],
        idempotency_key: str,
        metadata: dict[str, Any],
        notes: dict[str, str],
        note: Note,
    ) -> BatchSnapshot: ...

    async def poll(
        self, batch_id: str, entries: list[BatchEntry], *, with_items: bool
    ) -> BatchSnapshot: ...

    async def fetch_result(self, item: ItemSnapshot) -> dict[str, Any]: ...

    async def cancel_batch(self, batch_id: str, entries: list[BatchEntry]) -> BatchSnapshot: ...

    async def finished(self, entries: list[BatchEntry]) -> None:
        """Called once a batch has settled: a chance to clean up (delete uploads)."""
        ...

    async def check_connection(self) -> None: ...

    async def aclose(self) -> None: ...
