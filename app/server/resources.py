"""JSON shapes of extract.page's resources, and its opaque paging cursors."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from app.server.store import BatchRow, FileRow, ItemRow, iso

CUSTOMER_ID = "local"
"""The single account of the local server."""


def file_resource(row: FileRow) -> dict[str, Any]:
    """``FileResource`` (``CreateFileResponse`` without ``upload``)."""
    return {
        "object": "file",
        "id": row.id,
        "customer_id": CUSTOMER_ID,
        "status": row.status,
        "filename": row.filename,
        "content_type": row.content_type,
        "size_bytes": row.size_bytes,
        "sha256": row.sha256,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
    }


def batch_resource(row: BatchRow) -> dict[str, Any]:
    """``BatchResource``."""
    return {
        "object": "batch",
        "id": row.id,
        "status": row.status,
        "counts": dict(row.counts),
        "total_items": row.total_items,
        "engine": None,
        "options": dict(row.options),
        "metadata": row.metadata,
        "created_at": row.created_at,
        "started_at": row.started_at,
        "completed_at": row.completed_at,
        "expires_at": row.expires_at,
    }


def item_resource(row: ItemRow) -> dict[str, Any]:
    """``BatchItemResource``, plus the tolerated extension ``pages_done``."""
    succeeded = row.status == "succeeded"
    failed = row.status == "failed" and row.error_code is not None
    return {
        "object": "batch_item",
        "id": row.id,
        "batch_id": row.batch_id,
        "file_id": row.file_id,
        "position": row.position,
        "status": row.status,
        "page_count": row.page_count,
        "pages_done": row.pages_done,
        "attempts": row.attempts,
        "started_at": row.started_at,
        "completed_at": row.completed_at,
        "updated_at": row.updated_at,
        "result_url": (f"/v1/batches/{row.batch_id}/items/{row.id}/result" if succeeded else None),
        "error": ({"code": row.error_code, "message": row.error_message} if failed else None),
    }


def encode_cursor(moment: str, row_id: str) -> str:
    """An opaque cursor for a ``(timestamp, id)`` position."""
    raw = f"{moment}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The ``(timestamp, id)`` inside a cursor; ValueError if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, row_id = raw.split("|", 1)
        parsed = datetime.fromisoformat(moment)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("Invalid cursor") from exc
    if parsed.tzinfo is None or not row_id:
        raise ValueError("Invalid cursor")
    return iso(parsed), row_id
