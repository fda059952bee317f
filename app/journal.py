"""The write-ahead journal: every document's state, every remote id, every idempotency key.

SQLite in WAL mode in the platform data dir. The pipeline writes here *before* each next
network step, so a crash, a kill or a closed laptop lid costs nothing: on the next start the
job resumes from what is written here. Secrets are never stored (not even presigned URLs:
an unfinished upload is re-reserved instead).

All methods are synchronous and short; they are called from the event-loop thread only.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from app.models import DocumentState, Failure

SCHEMA_VERSION = 2

# Columns added after a journal may already exist on people's machines: (table, column,
# declaration). Opening an older journal adds them; nothing is ever dropped.
_ADDED_COLUMNS = (
    ("batches", "notes", "TEXT NOT NULL DEFAULT '{}'"),
    ("documents", "duplicate_of", "TEXT"),
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    base_url TEXT,
    options TEXT NOT NULL DEFAULT '{}',
    fingerprint TEXT,
    status TEXT NOT NULL,              -- waiting | active | finished | cancelling | cancelled
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL UNIQUE,
    remote_id TEXT,
    status TEXT,
    notes TEXT NOT NULL DEFAULT '{}',  -- provider notes (e.g. an uploaded URL list's id)
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_job ON batches(job_id);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER,
    sha256 TEXT,
    content_type TEXT,
    filename TEXT,
    state TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    error_detail TEXT,
    remote_file_id TEXT,
    uploaded INTEGER NOT NULL DEFAULT 0,
    batch_id INTEGER REFERENCES batches(id),
    remote_item_id TEXT,
    page_count INTEGER,
    pages_done INTEGER,
    result_path TEXT,
    duplicate_of TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS documents_job ON documents(job_id, position);
CREATE INDEX IF NOT EXISTS documents_batch ON documents(batch_id);
"""


@dataclass(frozen=True)
class JobRecord:
    id: str
    provider: str
    base_url: str | None
    options: dict[str, Any]
    fingerprint: str | None
    status: str
    created_at: float


@dataclass(frozen=True)
class BatchRecord:
    id: int
    job_id: str
    idempotency_key: str
    remote_id: str | None
    status: str | None
    notes: dict[str, str]


class DocumentProgress(NamedTuple):
    state: DocumentState
    page_count: int | None
    pages_done: int | None


@dataclass(frozen=True)
class DocumentRecord:
    id: str
    job_id: str
    position: int
    path: str
    name: str
    size: int | None
    sha256: str | None
    content_type: str | None
    filename: str | None
    state: DocumentState
    error_code: str | None
    error_message: str | None
    error_detail: str | None
    remote_file_id: str | None
    uploaded: bool
    batch_id: int | None
    remote_item_id: str | None
    page_count: int | None
    pages_done: int | None
    result_path: str | None
    duplicate_of: str | None
    created_at: float
    updated_at: float
    finished_at: float | None


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


class Journal:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a process crash loses nothing; only a power cut can lose the
        # last few commits, never corrupt the file.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Bring a journal written by an older Extractdesk up to this schema."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row["value"]) if row else SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"This journal was written by a newer Extractdesk (schema {version}); "
                "update Extractdesk to open it."
            )
        with self._tx() as db:
            for table, column, declaration in _ADDED_COLUMNS:
                existing = {r["name"] for r in db.execute(f"PRAGMA table_info({table})")}
                if column not in existing:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ------------------------------------------------------------------ jobs

    def create_job(
        self,
        provider: str,
        paths: Sequence[Path | str],
        *,
        base_url: str | None = None,
        options: dict[str, Any] | None = None,
        fingerprint: str | None = None,
        batch_size: int = 10_000,
        status: str = "active",
    ) -> str:
        """Journal a new job with its documents (queued) and its batches, each with an
        idempotency key, before anything touches the network."""
        job_id = new_id("job")
        now = time.time()
        with self._tx() as db:
            db.execute(
                "INSERT INTO jobs(id, provider, base_url, options, fingerprint, status,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job_id,
                    provider,
                    base_url,
                    json.dumps(options or {}),
                    fingerprint,
                    status,
                    now,
                    now,
                ),
            )
            batch_id: int | None = None
            rows = []
            for position, path in enumerate(paths):
                if position % batch_size == 0:
                    cur = db.execute(
                        "INSERT INTO batches(job_id, idempotency_key, created_at, updated_at)"
                        " VALUES (?, ?, ?, ?)",
                        (job_id, f"extractdesk-{uuid.uuid4()}", now, now),
                    )
                    batch_id = cur.lastrowid
                name = path if isinstance(path, str) else path.name
                rows.append(
                    (
                        new_id("doc"),
                        job_id,
                        position,
                        str(path),
                        name,
                        DocumentState.QUEUED.value,
                        batch_id,
                        now,
                        now,
                    )
                )
            db.executemany(
                "INSERT INTO documents(id, job_id, position, path, name, state, batch_id,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return job_id

    def job(self, job_id: str) -> JobRecord:
        row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise KeyError(job_id)
        return _job(row)

    def jobs(self, *, statuses: Iterable[str] | None = None) -> list[JobRecord]:
        if statuses is None:
            rows = self._db.execute("SELECT * FROM jobs ORDER BY created_at").fetchall()
        else:
            wanted = list(statuses)
            marks = ",".join("?" * len(wanted))
            rows = self._db.execute(
                f"SELECT * FROM jobs WHERE status IN ({marks}) ORDER BY created_at",  # noqa: S608
                wanted,
            ).fetchall()
        return [_job(r) for r in rows]

    def unfinished_jobs(self) -> list[JobRecord]:
        return self.jobs(statuses=("active", "cancelling"))

    def find_unfinished(self, fingerprint: str) -> JobRecord | None:
        row = self._db.execute(
            "SELECT * FROM jobs WHERE fingerprint = ? AND status IN ('active', 'cancelling')"
            " ORDER BY created_at DESC LIMIT 1",
            (fingerprint,),
        ).fetchone()
        return _job(row) if row else None

    def set_job_status(self, job_id: str, status: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET status = ?, updated_at = ? WHERE id = ?",
                (status, time.time(), job_id),
            )

    def delete_job(self, job_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM documents WHERE job_id = ?", (job_id,))
            db.execute("DELETE FROM batches WHERE job_id = ?", (job_id,))
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    # ------------------------------------------------------------------ batches

    def batches(self, job_id: str) -> list[BatchRecord]:
        rows = self._db.execute(
            "SELECT * FROM batches WHERE job_id = ? ORDER BY id", (job_id,)
        ).fetchall()
        return [_batch(r) for r in rows]

    def batch(self, batch_id: int) -> BatchRecord:
        row = self._db.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone()
        if row is None:
            raise KeyError(batch_id)
        return _batch(row)

    def set_batch_remote(self, batch_id: int, remote_id: str, status: str) -> None:
        """The remote batch exists: store its id, and mark its documents submitted."""
        now = time.time()
        with self._tx() as db:
            db.execute(
                "UPDATE batches SET remote_id = ?, status = ?, updated_at = ? WHERE id = ?",
                (remote_id, status, now, batch_id),
            )
            db.execute(
                "UPDATE documents SET state = ?, updated_at = ? WHERE batch_id = ? AND"
                " uploaded = 1 AND state NOT IN ('done', 'failed', 'cancelled')",
                (DocumentState.SUBMITTED.value, now, batch_id),
            )

    def add_batch_note(self, batch_id: int, key: str, value: str) -> None:
        with self._tx() as db:
            row = db.execute("SELECT notes FROM batches WHERE id = ?", (batch_id,)).fetchone()
            notes = json.loads(row["notes"] or "{}") if row else {}
            notes[key] = value
            db.execute(
                "UPDATE batches SET notes = ?, updated_at = ? WHERE id = ?",
                (json.dumps(notes), time.time(), batch_id),
            )

    def set_batch_status(self, batch_id: int, status: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE batches SET status = ?, updated_at = ? WHERE id = ?",
                (status, time.time(), batch_id),
            )

    # ------------------------------------------------------------------ documents

    def documents(
        self, job_id: str | None = None, *, batch_id: int | None = None
    ) -> list[DocumentRecord]:
        if batch_id is not None:
            rows = self._db.execute(
                "SELECT * FROM documents WHERE batch_id = ? ORDER BY position", (batch_id,)
            ).fetchall()
        elif job_id is not None:
            rows = self._db.execute(
                "SELECT * FROM documents WHERE job_id = ? ORDER BY position", (job_id,)
            ).fetchall()
        else:
            rows = self._db.execute(
                "SELECT * FROM documents ORDER BY created_at, position"
            ).fetchall()
        return [_document(r) for r in rows]

    def progress(self, batch_id: int) -> dict[str, DocumentProgress]:
        """Each document of a batch's state and page counts, by id: what a poll compares
        with the service's answer. (A poll may carry 10,000 items: whole records cost
        ~11 µs each to build, these ~1 µs.)"""
        rows = self._db.execute(
            "SELECT id, state, page_count, pages_done FROM documents WHERE batch_id = ?",
            (batch_id,),
        ).fetchall()
        return {r[0]: DocumentProgress(DocumentState(r[1]), r[2], r[3]) for r in rows}

    def document(self, doc_id: str) -> DocumentRecord:
        row = self._db.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise KeyError(doc_id)
        return _document(row)

    def update_document(self, doc_id: str, **fields: Any) -> None:
        """Write a document's changed fields in one transaction."""
        self.update_documents([doc_id], **fields)

    def update_documents(self, doc_ids: Sequence[str], **fields: Any) -> None:
        if not doc_ids:
            return
        allowed = _DOC_FIELDS
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown document fields: {sorted(unknown)}")
        now = time.time()
        values: dict[str, Any] = {}
        for key, value in fields.items():
            if isinstance(value, DocumentState):
                value = value.value
            elif isinstance(value, bool):
                value = int(value)
            values[key] = value
        if "state" in fields and DocumentState(values["state"]).terminal:
            values["finished_at"] = now
        values["updated_at"] = now
        assignments = ", ".join(f"{k} = :{k}" for k in values)
        sql = f"UPDATE documents SET {assignments} WHERE id = :__id"  # noqa: S608
        if len(doc_ids) == 1:  # one statement is its own atomic transaction
            self._db.execute(sql, {**values, "__id": doc_ids[0]})
            return
        with self._tx() as db:
            db.executemany(sql, [{**values, "__id": d} for d in doc_ids])

    def fail_document(self, doc_id: str, failure: Failure) -> None:
        self.update_documents(
            [doc_id],
            state=DocumentState.FAILED,
            error_code=str(failure.code),
            error_message=failure.message,
            error_detail=failure.detail,
        )

    def find_twin(self, doc_id: str, sha256: str) -> DocumentRecord | None:
        """An earlier document with the same content that is (or will be) extracted."""
        row = self._db.execute(
            "SELECT * FROM documents WHERE sha256 = ? AND id != ? AND state NOT IN"
            " ('failed', 'cancelled', 'duplicate') ORDER BY created_at, position LIMIT 1",
            (sha256, doc_id),
        ).fetchone()
        return _document(row) if row else None

    def requeue(self, doc_ids: Sequence[str]) -> dict[str, int]:
        """Send failed or cancelled documents again: each job gets a new batch with a new
        idempotency key, and the documents start over. Returns {job_id: new batch id}."""
        docs = [self.document(d) for d in doc_ids]
        by_job: dict[str, list[str]] = {}
        for doc in docs:
            if doc.state in (DocumentState.FAILED, DocumentState.CANCELLED):
                by_job.setdefault(doc.job_id, []).append(doc.id)
        now = time.time()
        batches: dict[str, int] = {}
        with self._tx() as db:
            for job_id, ids in by_job.items():
                cur = db.execute(
                    "INSERT INTO batches(job_id, idempotency_key, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?)",
                    (job_id, f"extractdesk-{uuid.uuid4()}", now, now),
                )
                assert cur.lastrowid is not None
                batches[job_id] = cur.lastrowid
                db.executemany(
                    "UPDATE documents SET state = 'queued', error_code = NULL,"
                    " error_message = NULL, error_detail = NULL, remote_file_id = NULL,"
                    " uploaded = 0, batch_id = ?, remote_item_id = NULL, page_count = NULL,"
                    " pages_done = NULL, result_path = NULL, finished_at = NULL,"
                    " updated_at = ? WHERE id = ?",
                    [(cur.lastrowid, now, d) for d in ids],
                )
                db.execute(
                    "UPDATE jobs SET status = CASE WHEN status = 'waiting' THEN 'waiting'"
                    " ELSE 'active' END, updated_at = ? WHERE id = ?",
                    (now, job_id),
                )
        return batches

    def remove_documents(self, doc_ids: Sequence[str]) -> list[str]:
        """Forget documents that were never sent (queued in a waiting job) or that have
        finished. Returns the ids removed; jobs left empty are removed too."""
        removed: list[str] = []
        with self._tx() as db:
            for doc_id in doc_ids:
                row = db.execute(
                    "SELECT d.state, d.job_id, j.status FROM documents d JOIN jobs j"
                    " ON j.id = d.job_id WHERE d.id = ?",
                    (doc_id,),
                ).fetchone()
                if row is None:
                    continue
                state = DocumentState(row["state"])
                if state.terminal or (state is DocumentState.QUEUED and row["status"] == "waiting"):
                    db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
                    removed.append(doc_id)
            db.execute(
                "DELETE FROM batches WHERE job_id NOT IN (SELECT DISTINCT job_id FROM documents)"
            )
            db.execute("DELETE FROM jobs WHERE id NOT IN (SELECT DISTINCT job_id FROM documents)")
        return removed

    def counts(self, job_id: str) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT state, COUNT(*) AS n FROM documents WHERE job_id = ? GROUP BY state",
            (job_id,),
        ).fetchall()
        return {r["state"]: r["n"] for r in rows}


_DOC_FIELDS = frozenset(
    {
        "size",
        "sha256",
        "content_type",
        "filename",
        "state",
        "error_code",
        "error_message",
        "error_detail",
        "remote_file_id",
        "uploaded",
        "remote_item_id",
        "page_count",
        "pages_done",
        "result_path",
        "path",
        "name",
        "duplicate_of",
    }
)


def _job(row: sqlite3.Row) -> JobRecord:
    return JobRecord(
        id=row["id"],
        provider=row["provider"],
        base_url=row["base_url"],
        options=json.loads(row["options"] or "{}"),
        fingerprint=row["fingerprint"],
        status=row["status"],
        created_at=row["created_at"],
    )


def _batch(row: sqlite3.Row) -> BatchRecord:
    return BatchRecord(
        id=row["id"],
        job_id=row["job_id"],
        idempotency_key=row["idempotency_key"],
        remote_id=row["remote_id"],
        status=row["status"],
        notes=json.loads(row["notes"] or "{}"),
    )


def _document(row: sqlite3.Row) -> DocumentRecord:
    return DocumentRecord(
        id=row["id"],
        job_id=row["job_id"],
        position=row["position"],
        path=row["path"],
        name=row["name"],
        size=row["size"],
        sha256=row["sha256"],
        content_type=row["content_type"],
        filename=row["filename"],
        state=DocumentState(row["state"]),
        error_code=row["error_code"],
        error_message=row["error_message"],
        error_detail=row["error_detail"],
        remote_file_id=row["remote_file_id"],
        uploaded=bool(row["uploaded"]),
        batch_id=row["batch_id"],
        remote_item_id=row["remote_item_id"],
        page_count=row["page_count"],
        pages_done=row["pages_done"],
        result_path=row["result_path"],
        duplicate_of=row["duplicate_of"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        finished_at=row["finished_at"],
    )
