"""What the pipeline needs from a service that works in batches.

A provider module knows only its own wire format. The pipeline drives every provider
through the same steps (reserve a remote file, upload it, submit a batch under a journaled
idempotency key, poll, fetch each result), journaling each step before the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.http import ApiError
from app.uploads import PreparedFile


@dataclass(frozen=True)
class RemoteFile:
    id: str
    upload_url: str
    upload_method: str
    upload_expires_at: str


@dataclass(frozen=True)
class ItemSnapshot:
    item_id: str
    file_id: str | None
    status: str
    """pending | running | succeeded | failed | cancelled"""
    page_count: int | None = None
    pages_done: int | None = None
    result_url: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    """In plain words, for people."""
    error_detail: str | None = None
    """What the service said, verbatim."""


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


ByteProgress = Callable[[int], None]
RetryCallback = Callable[[int, float, str], None]


class BatchLane(Protocol):
    """The async batch lane, as the pipeline drives it."""

    service_name: str
    max_batch_items: int

    async def create_file(self, prepared: PreparedFile) -> RemoteFile: ...

    async def upload(
        self, remote: RemoteFile, prepared: PreparedFile, progress: ByteProgress | None = None
    ) -> None: ...

    async def file_uploaded(self, file_id: str) -> bool: ...

    async def create_batch(
        self, file_ids: list[str], idempotency_key: str, metadata: dict[str, Any] | None = None
    ) -> BatchSnapshot: ...

    async def poll(self, batch_id: str, *, with_items: bool) -> BatchSnapshot: ...

    async def fetch_result(self, item: ItemSnapshot) -> dict[str, Any]: ...

    async def cancel_batch(self, batch_id: str) -> BatchSnapshot: ...

    async def check_connection(self) -> None: ...

    async def aclose(self) -> None: ...
