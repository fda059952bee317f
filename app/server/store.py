"""SQLite state of the local server: files, batches and their items.

One connection in WAL mode, shared by the request threads and the dispatcher threads
under a lock. Timestamps are stored as fixed-width UTC ISO-8601 strings, so they sort
as text and are returned to clients unchanged.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

RETENTION = timedelta(days=3)
"""How long uploads, batches and results are kept (extract.page's 3-day window)."""

ITEM_STATUSES = ("pending", "running", "succeeded", "failed", "cancelled")
TERMINAL_BATCH_STATUSES = frozenset(
    {"completed", "partially_failed", "failed", "cancelled", "expired"}
)
BATCH_STATUSES = frozenset({"pending", "running"}) | TERMINAL_BATCH_STATUSES

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY,
    filename TEXT,
    content_type TEXT,
    size_bytes INTEGER NOT NULL,
    status TEXT NOT NULL,
    sha256 TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT UNIQUE,
    status TEXT NOT NULL,
    total_items INTEGER NOT NULL,
    options TEXT NOT NULL,
    metadata TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    completed_at TEXT,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_by_created ON batches (created_at, id);
CREATE INDEX IF NOT EXISTS batches_by_status ON batches (status, created_at, id);
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES batches (id),
    file_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    status TEXT NOT NULL,
    page_count INTEGER,
    pages_done INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    started_at TEXT,
    completed_at TEXT,
    updated_at TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT
);
CREATE INDEX IF NOT EXISTS items_by_update ON items (batch_id, updated_at, id);
CREATE INDEX IF NOT EXISTS items_by_status ON items (status, batch_id, position);
CREATE INDEX IF NOT EXISTS items_by_batch_status ON items (batch_id, status);
"""


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Fixed-width ISO-8601 with offset, e.g. ``2025-01-02T03:04:05.000006+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def new_id(prefix: str) -> str:
    """A public identifier such as ``file_3f2a…``."""
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass(frozen=True)
class FileRow:
    """One uploaded (or pending) source document."""

    id: str
    filename: str | None
    content_type: str | None
    size_bytes: int
    status: str
    sha256: str | None
    created_at: str
    expires_at: str


@dataclass(frozen=True)
class BatchRow:
    """One batch, with its per-status item counts."""

    id: str
    status: str
    total_items: int
    options: dict[str, Any]
    metadata: dict[str, Any] | None
    created_at: str
    started_at: str | None
    completed_at: str | None
    expires_at: str
    counts: dict[str, int]


@dataclass(frozen=True)
class ItemRow:
    """One document of a batch."""

    id: str
    batch_id: str
    file_id: str
    position: int
    status: str
    page_count: int | None
    pages_done: int
    attempts: int
    started_at: str | None
    completed_at: str | None
    updated_at: str
    error_code: str | None
    error_message: str | None


@dataclass(frozen=True)
class Claim:
    """An item the dispatcher has just moved to ``running``."""

    item_id: str
    batch_id: str
    file_id: str
    filename: str | None
    content_type: str | None
    extract_text: bool
    extract_images: bool


@dataclass(frozen=True)
class Expired:
    """What a retention sweep expired: upload and result files to delete."""

    file_ids: list[str]
    item_ids: list[str]


def derive_batch_status(counts: dict[str, int], *, current: str) -> str:
    """The batch status implied by its item counts (terminal states never change)."""
    if current in TERMINAL_BATCH_STATUSES:
        return current
    if counts["pending"] == 0 and counts["running"] == 0:
        if counts["failed"] == 0 and counts["cancelled"] == 0:
            return "completed"
        if counts["succeeded"] > 0:
            return "partially_failed"
        return "cancelled" if counts["cancelled"] > 0 else "failed"
    if counts["running"] > 0:
        return "running"
    return current


def _file_row(row: sqlite3.Row) -> FileRow:
    return FileRow(
        id=row["id"],
        filename=row["filename"],
        content_type=row["content_type"],
        size_bytes=row["size_bytes"],
        status=row["status"],
        sha256=row["sha256"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
    )


def _item_row(row: sqlite3.Row) -> ItemRow:
    return ItemRow(
        id=row["id"],
        batch_id=row["batch_id"],
        file_id=row["file_id"],
        position=row["position"],
        status=row["status"],
        page_count=row["page_count"],
        pages_done=row["pages_done"],
        attempts=row["attempts"],
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        updated_at=row["updated_at"],
        error_code=row["error_code"],
        error_message=row["error_message"],
    )


class Store:
    """All reads and writes of the server's state. Thread-safe."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # Files ---------------------------------------------------------------

    def create_file(self, *, filename: str | None, content_type: str | None, size: int) -> FileRow:
        """Reserve an upload slot."""
        now = utcnow()
        row = FileRow(
            id=new_id("file"),
            filename=filename,
            content_type=content_type,
            size_bytes=size,
            status="pending_upload",
            sha256=None,
            created_at=iso(now),
            expires_at=iso(now + RETENTION),
        )
        with self._transaction() as db:
            db.execute(
                "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row.id,
                    row.filename,
                    row.content_type,
                    row.size_bytes,
                    row.status,
                    row.sha256,
                    row.created_at,
                    row.expires_at,
                ),
            )
        return row

    def get_file(self, file_id: str) -> FileRow | None:
        """One file, or None."""
        with self._lock:
            row = self._conn.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()
        return None if row is None else _file_row(row)

    def get_files(self, file_ids: Sequence[str]) -> dict[str, FileRow]:
        """The files that exist among ``file_ids``, by id."""
        found: dict[str, FileRow] = {}
        with self._lock:
            for file_id in file_ids:
                row = self._conn.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()
                if row is not None:
                    found[file_id] = _file_row(row)
        return found

    def mark_uploaded(self, file_id: str, etag: str) -> None:
        """Record a completed upload and its MD5 (reported as ``sha256``, like S3's ETag)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE files SET status = 'uploaded', sha256 = ? "
                "WHERE id = ? AND status != 'expired'",
                (etag, file_id),
            )

    # Batches -------------------------------------------------------------

    def find_batch_by_key(self, idempotency_key: str) -> BatchRow | None:
        """The batch created earlier with this ``Idempotency-Key``, if any."""
        with self._lock:
            row = self._conn.execute(
                "SELECT id FROM batches WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
            return None if row is None else self.get_batch(row["id"])

    def create_batch(
        self,
        *,
        idempotency_key: str | None,
        file_ids: Sequence[str],
        options: dict[str, Any],
        metadata: dict[str, Any] | None,
    ) -> BatchRow:
        """Create a pending batch with one pending item per file (or return the keyed one)."""
        now = utcnow()
        batch_id = new_id("batch")
        stamp = iso(now)
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO batches (id, idempotency_key, status, total_items, options,"
                    " metadata, created_at, expires_at) VALUES (?, ?, 'pending', ?, ?, ?, ?, ?)",
                    (
                        batch_id,
                        idempotency_key,
                        len(file_ids),
                        json.dumps(options),
                        None if metadata is None else json.dumps(metadata),
                        stamp,
                        iso(now + RETENTION),
                    ),
                )
                db.executemany(
                    "INSERT INTO items (id, batch_id, file_id, position, status, updated_at)"
                    " VALUES (?, ?, ?, ?, 'pending', ?)",
                    [
                        (new_id("item"), batch_id, file_id, position, stamp)
                        for position, file_id in enumerate(file_ids)
                    ],
                )
        except sqlite3.IntegrityError:
            # Another request with the same key won the race: answer with its batch.
            existing = None if idempotency_key is None else self.find_batch_by_key(idempotency_key)
            if existing is None:
                raise
            return existing
        batch = self.get_batch(batch_id)
        assert batch is not None
        return batch

    def get_batch(self, batch_id: str) -> BatchRow | None:
        """One batch with its counts, or None."""
        rows = self._batches("SELECT * FROM batches WHERE id = ?", (batch_id,))
        return rows[0] if rows else None

    def list_batches(
        self, *, status: str | None, before: tuple[str, str] | None, limit: int
    ) -> list[BatchRow]:
        """Batches newest first, strictly after the ``(created_at, id)`` cursor."""
        clauses: list[str] = []
        params: list[Any] = []
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if before is not None:
            clauses.append("(created_at, id) < (?, ?)")
            params.extend(before)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        params.append(limit)
        return self._batches(
            f"SELECT * FROM batches {where} ORDER BY created_at DESC, id DESC LIMIT ?",  # noqa: S608
            params,
        )

    def _batches(self, sql: str, params: Sequence[Any]) -> list[BatchRow]:
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
            counts = self._counts([row["id"] for row in rows])
        return [
            BatchRow(
                id=row["id"],
                status=row["status"],
                total_items=row["total_items"],
                options=json.loads(row["options"]),
                metadata=None if row["metadata"] is None else json.loads(row["metadata"]),
                created_at=row["created_at"],
                started_at=row["started_at"],
                completed_at=row["completed_at"],
                expires_at=row["expires_at"],
                counts=counts[row["id"]],
            )
            for row in rows
        ]

    def _counts(self, batch_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        counts = {batch_id: dict.fromkeys(ITEM_STATUSES, 0) for batch_id in batch_ids}
        if batch_ids:
            marks = ", ".join("?" * len(batch_ids))
            for row in self._conn.execute(
                f"SELECT batch_id, status, COUNT(*) AS n FROM items"  # noqa: S608
                f" WHERE batch_id IN ({marks}) GROUP BY batch_id, status",
                list(batch_ids),
            ):
                counts[row["batch_id"]][row["status"]] = row["n"]
        return counts

    def cancel_batch(self, batch_id: str) -> BatchRow | None:
        """Cancel the batch's pending items; running items finish. None if unknown."""
        now = iso(utcnow())
        with self._transaction() as db:
            found = db.execute("SELECT 1 FROM batches WHERE id = ?", (batch_id,)).fetchone()
            if found is None:
                return None
            db.execute(
                "UPDATE items SET status = 'cancelled', completed_at = ?, updated_at = ?"
                " WHERE batch_id = ? AND status = 'pending'",
                (now, now, batch_id),
            )
            self._refresh_batch(batch_id, now)
        return self.get_batch(batch_id)

    def _refresh_batch(self, batch_id: str, now: str) -> None:
        """Re-derive a batch's status after its items changed (inside a transaction)."""
        current = self._conn.execute(
            "SELECT status FROM batches WHERE id = ?", (batch_id,)
        ).fetchone()["status"]
        status = derive_batch_status(self._counts([batch_id])[batch_id], current=current)
        if status == current:
            return
        if status in TERMINAL_BATCH_STATUSES:
            done = utcnow()
            self._conn.execute(
                "UPDATE batches SET status = ?, completed_at = ?, expires_at = ? WHERE id = ?",
                (status, iso(done), iso(done + RETENTION), batch_id),
            )
        else:
            self._conn.execute(
                "UPDATE batches SET status = ?, started_at = COALESCE(started_at, ?) WHERE id = ?",
                (status, now, batch_id),
            )

    # Items ---------------------------------------------------------------

    def list_items(
        self, batch_id: str, *, after: tuple[str, str] | None, limit: int
    ) -> list[ItemRow]:
        """A batch's items in ascending ``(updated_at, id)`` order, after the cursor."""
        sql = "SELECT * FROM items WHERE batch_id = ?"
        params: list[Any] = [batch_id]
        if after is not None:
            sql += " AND (updated_at, id) > (?, ?)"
            params.extend(after)
        sql += " ORDER BY updated_at, id LIMIT ?"
        params.append(limit)
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [_item_row(row) for row in rows]

    def get_item(self, batch_id: str, item_id: str) -> ItemRow | None:
        """One item of a batch, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM items WHERE id = ? AND batch_id = ?", (item_id, batch_id)
            ).fetchone()
        return None if row is None else _item_row(row)

    def claim_next(self) -> Claim | None:
        """Move the oldest pending item of the oldest open batch to ``running``."""
        now = iso(utcnow())
        with self._transaction() as db:
            batch = db.execute(
                "SELECT id FROM batches AS b WHERE status IN ('pending', 'running') AND EXISTS"
                " (SELECT 1 FROM items WHERE batch_id = b.id AND status = 'pending')"
                " ORDER BY created_at, id LIMIT 1"
            ).fetchone()
            if batch is None:
                return None
            row = db.execute(
                "SELECT i.id, i.batch_id, i.file_id, f.filename, f.content_type, b.options"
                " FROM items AS i JOIN batches AS b ON b.id = i.batch_id"
                " LEFT JOIN files AS f ON f.id = i.file_id"
                " WHERE i.batch_id = ? AND i.status = 'pending' ORDER BY i.position LIMIT 1",
                (batch["id"],),
            ).fetchone()
            db.execute(
                "UPDATE items SET status = 'running', attempts = attempts + 1, pages_done = 0,"
                " started_at = ?, updated_at = ? WHERE id = ?",
                (now, now, row["id"]),
            )
            self._refresh_batch(row["batch_id"], now)
        options = json.loads(row["options"])
        return Claim(
            item_id=row["id"],
            batch_id=row["batch_id"],
            file_id=row["file_id"],
            filename=row["filename"],
            content_type=row["content_type"],
            extract_text=bool(options["extract_text"]),
            extract_images=bool(options["extract_images"]),
        )

    def report_progress(self, item_id: str, *, pages_done: int, page_count: int) -> None:
        """Record how far a running item has got."""
        now = iso(utcnow())
        with self._transaction() as db:
            db.execute(
                "UPDATE items SET pages_done = ?, page_count = ?, updated_at = ?"
                " WHERE id = ? AND status = 'running'",
                (pages_done, page_count, now, item_id),
            )

    def finish_item(
        self,
        item_id: str,
        *,
        page_count: int | None = None,
        error: tuple[str, str] | None = None,
    ) -> None:
        """Mark a running item succeeded (``error`` None) or failed, and update its batch."""
        now = iso(utcnow())
        with self._transaction() as db:
            row = db.execute("SELECT batch_id FROM items WHERE id = ?", (item_id,)).fetchone()
            if error is None:
                db.execute(
                    "UPDATE items SET status = 'succeeded', page_count = ?, pages_done = ?,"
                    " completed_at = ?, updated_at = ?, error_code = NULL, error_message = NULL"
                    " WHERE id = ? AND status = 'running'",
                    (page_count, page_count or 0, now, now, item_id),
                )
            else:
                db.execute(
                    "UPDATE items SET status = 'failed', completed_at = ?, updated_at = ?,"
                    " error_code = ?, error_message = ? WHERE id = ? AND status = 'running'",
                    (now, now, error[0], error[1], item_id),
                )
            self._refresh_batch(row["batch_id"], now)

    def requeue_running(self) -> int:
        """After a restart: items left ``running`` go back to ``pending``."""
        now = iso(utcnow())
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE items SET status = 'pending', pages_done = 0, updated_at = ?"
                " WHERE status = 'running'",
                (now,),
            )
            return cursor.rowcount

    def expire(self) -> Expired:
        """Apply the retention window: expire old files and finished batches."""
        now = iso(utcnow())
        with self._transaction() as db:
            file_ids = [
                row["id"]
                for row in db.execute(
                    "SELECT id FROM files WHERE status != 'expired' AND expires_at <= ?", (now,)
                )
            ]
            db.execute(
                "UPDATE files SET status = 'expired' WHERE status != 'expired' AND expires_at <= ?",
                (now,),
            )
            item_ids = [
                row["id"]
                for row in db.execute(
                    "SELECT i.id FROM items AS i JOIN batches AS b ON b.id = i.batch_id"
                    " WHERE b.status IN ('completed', 'partially_failed', 'failed', 'cancelled')"
                    " AND b.expires_at <= ?",
                    (now,),
                )
            ]
            db.execute(
                "UPDATE batches SET status = 'expired'"
                " WHERE status IN ('completed', 'partially_failed', 'failed', 'cancelled')"
                " AND expires_at <= ?",
                (now,),
            )
        return Expired(file_ids=file_ids, item_ids=item_ids)
