"""The journal keeps everything needed to resume, and nothing secret."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.journal import Journal
from app.models import DocumentState, ErrorCode, Failure


def test_job_survives_reopening_with_keys_written_before_any_network(tmp_path: Path) -> None:
    db = tmp_path / "j.sqlite3"
    journal = Journal(db)
    files = [tmp_path / f"f{i}.pdf" for i in range(25)]
    job_id = journal.create_job("local", files, batch_size=10, fingerprint="fp")
    journal.close()

    reopened = Journal(db)
    assert reopened.find_unfinished("fp") is not None
    batches = reopened.batches(job_id)
    assert len(batches) == 3  # 25 files split at 10
    assert len({b.idempotency_key for b in batches}) == 3
    assert all(b.remote_id is None for b in batches)
    docs = reopened.documents(job_id)
    assert [d.name for d in docs] == [f.name for f in files]
    assert [len(reopened.documents(batch_id=b.id)) for b in batches] == [10, 10, 5]
    assert all(d.state is DocumentState.QUEUED for d in docs)
    mode = sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_state_changes_and_failures_are_recorded(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    job_id = journal.create_job("local", [tmp_path / "a.pdf", tmp_path / "b.pdf"])
    a, b = journal.documents(job_id)
    journal.update_document(a.id, state=DocumentState.UPLOADING, remote_file_id="file_1")
    journal.fail_document(b.id, Failure(ErrorCode.FILE_EMPTY, "“b.pdf” is empty", "0 bytes"))
    batch = journal.batches(job_id)[0]
    journal.update_document(a.id, uploaded=True)
    journal.set_batch_remote(batch.id, "batch_9", "pending")
    a, b = journal.documents(job_id)
    assert a.state is DocumentState.SUBMITTED and a.remote_file_id == "file_1"
    assert b.state is DocumentState.FAILED and b.error_message == "“b.pdf” is empty"
    assert b.finished_at is not None
    assert journal.batch(batch.id).remote_id == "batch_9"
    assert journal.counts(job_id) == {"submitted": 1, "failed": 1}


def test_a_journal_from_an_older_version_is_upgraded_in_place(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    old = sqlite3.connect(db)
    old.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '1');
        CREATE TABLE jobs (id TEXT PRIMARY KEY, provider TEXT NOT NULL, base_url TEXT,
            options TEXT NOT NULL DEFAULT '{}', fingerprint TEXT, status TEXT NOT NULL,
            created_at REAL NOT NULL, updated_at REAL NOT NULL);
        CREATE TABLE batches (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL,
            idempotency_key TEXT NOT NULL UNIQUE, remote_id TEXT, status TEXT,
            created_at REAL NOT NULL, updated_at REAL NOT NULL);
        CREATE TABLE documents (id TEXT PRIMARY KEY, job_id TEXT NOT NULL,
            position INTEGER NOT NULL, path TEXT NOT NULL, name TEXT NOT NULL, size INTEGER,
            sha256 TEXT, content_type TEXT, filename TEXT, state TEXT NOT NULL,
            error_code TEXT, error_message TEXT, error_detail TEXT, remote_file_id TEXT,
            uploaded INTEGER NOT NULL DEFAULT 0, batch_id INTEGER, remote_item_id TEXT,
            page_count INTEGER, pages_done INTEGER, result_path TEXT,
            created_at REAL NOT NULL, updated_at REAL NOT NULL, finished_at REAL);
        INSERT INTO jobs VALUES ('job_1', 'local', NULL, '{}', NULL, 'active', 1, 1);
        INSERT INTO batches VALUES (1, 'job_1', 'key-1', 'batch_9', 'running', 1, 1);
        INSERT INTO documents (id, job_id, position, path, name, state, batch_id, created_at,
            updated_at) VALUES ('doc_1', 'job_1', 0, '/x/a.pdf', 'a.pdf', 'submitted', 1, 1, 1);
    """)
    old.commit()
    old.close()
    journal = Journal(db)
    assert journal.batches("job_1")[0].notes == {}
    assert journal.batches("job_1")[0].remote_id == "batch_9"  # the old job resumes as it was
    assert journal.document("doc_1").duplicate_of is None
    journal.add_batch_note(1, "k", "v")
    assert journal.batch(1).notes == {"k": "v"}
    journal.close()
    version = (
        sqlite3.connect(db)
        .execute("SELECT value FROM meta WHERE key = 'schema_version'")
        .fetchone()[0]
    )
    assert version == "2"


def test_a_poll_reads_its_batch_s_progress_in_one_go(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    job = journal.create_job("local", [f"/docs/{i}.pdf" for i in range(5)], batch_size=3)
    docs = journal.documents(job)
    first, second = (b.id for b in journal.batches(job))
    journal.update_document(docs[1].id, state=DocumentState.PROCESSING, page_count=12, pages_done=4)
    progress = journal.progress(first)
    assert set(progress) == {d.id for d in docs[:3]}  # that batch's documents only
    assert progress[docs[1].id] == (DocumentState.PROCESSING, 12, 4)
    assert progress[docs[0].id] == (DocumentState.QUEUED, None, None)
    assert set(journal.progress(second)) == {d.id for d in docs[3:]}
    journal.close()
