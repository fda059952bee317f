"""pydantic v2 models mirroring extract.page's OpenAPI (shared/specs/000, 001; services.md §1).

Unknown extra fields are tolerated everywhere (the hosted service and its open-source code
differ); a missing required field is a validation error the client turns into a clear
per-document failure.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class CreateFileRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str | None = Field(default=None, max_length=512)
    content_type: str | None = Field(default=None, max_length=128)
    size_bytes: int = Field(gt=0)


class UploadDescriptor(_Model):
    method: str
    url: str
    expires_at: str


class FileResource(_Model):
    object: str = "file"
    id: str
    customer_id: str | None = None
    status: str
    filename: str | None = None
    content_type: str | None = None
    size_bytes: int
    sha256: str | None = None
    """Despite its name this is the storage ETag (an MD5): never compare it with a SHA-256."""
    created_at: str | None = None
    expires_at: str | None = None


class CreateFileResponse(FileResource):
    customer_id: str
    created_at: str
    expires_at: str
    upload: UploadDescriptor


class FilesSource(BaseModel):
    type: Literal["files"] = "files"
    file_ids: list[str] = Field(min_length=1, max_length=10_000)


class CreateBatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: FilesSource
    extract_text: bool = True
    extract_images: bool = True
    metadata: dict[str, Any] | None = None


class BatchCounts(_Model):
    pending: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0


class ItemError(_Model):
    code: str
    message: str = ""


class BatchItemResource(_Model):
    object: str = "batch_item"
    id: str
    batch_id: str | None = None
    file_id: str | None = None
    position: int | None = None
    status: str
    page_count: int | None = None
    pages_done: int | None = None
    """Extension sent by the local engine: pages extracted so far."""
    attempts: int | None = None
    result_url: str | None = None
    error: ItemError | None = None


class BatchResource(_Model):
    object: str = "batch"
    id: str
    status: str
    counts: BatchCounts
    total_items: int
    engine: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] | None = None
    created_at: str
    started_at: str | None = None
    completed_at: str | None = None
    expires_at: str


class BatchPage(BatchResource):
    """``GET /v1/batches/{id}``: the batch plus one page of its items."""

    items: list[BatchItemResource] = Field(default_factory=list)
    next_cursor: str | None = None


class BatchList(_Model):
    object: str = "list"
    data: list[BatchResource]
    next_cursor: str | None = None


class FlatError(_Model):
    """The flat error bodies of the batch lane: file_not_found, file_not_uploaded,
    result_not_ready."""

    error: str
    file_ids: list[str] = Field(default_factory=list)
    status: str | None = None


class ValidationErrorItem(_Model):
    loc: list[str | int]
    msg: str
    type: str


class HTTPValidationError(_Model):
    detail: list[ValidationErrorItem] = Field(default_factory=list)


class Cell(_Model):
    text: str = ""
    row: int
    col: int
    row_span: int = 1
    col_span: int = 1


class Chunk(_Model):
    page_content: str = ""
    page_no: int | None = None
    bbox: list[float] | None = None
    chunk_type: str
    confidence: float | None = None
    cells: list[Cell] | None = None
    n_rows: int | None = None
    n_cols: int | None = None
    image_b64: str | None = None
    image_url: str | None = None
    image_mime: str | None = None
    image_width: int | None = None
    image_height: int | None = None


class ExtractResponse(_Model):
    chunks: list[Chunk]


BATCH_TERMINAL = frozenset({"completed", "partially_failed", "failed", "cancelled", "expired"})
ITEM_TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
