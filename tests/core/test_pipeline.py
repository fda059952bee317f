"""The pipeline end to end against the real local server: states, failures, repair,
cancel and resume, all journaled."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.journal import JobRecord, Journal
from app.models import DocumentEvent, DocumentState, JobEvent
from app.pipeline import Event, Pipeline, PipelineConfig
from app.providers.base import BatchLane, RetryCallback
from app.providers.extract_page import ExtractPageClient
from tests.core.test_extract_page_client import FAST
from tests.documents import make_pdf, make_pdfs
from tests.local_server import ServerControl

QUICK = PipelineConfig(poll_initial=0.05, poll_max=0.3)


class Harness:
    def __init__(self, engine: ServerControl, tmp_path: Path) -> None:
        self.engine = engine
        self.journal = Journal(tmp_path / "journal.sqlite3")
        self.results = tmp_path / "results"
        self.events: list[Event] = []
        self.opened = 0

    async def open_lane(self, job: JobRecord, on_retry: RetryCallback) -> BatchLane:
        self.opened += 1
        return ExtractPageClient(
            self.engine.api_key, self.engine.url, policy=FAST, on_retry=on_retry
        )

    def pipeline(self, config: PipelineConfig = QUICK) -> Pipeline:
        return Pipeline(
            self.journal, self.results, self.open_lane, config=config, on_event=self.events.append
        )

    def states(self, doc_id: str) -> list[DocumentState]:
        seen: list[DocumentState] = []
        for e in self.events:
            if (
                isinstance(e, DocumentEvent)
                and e.doc_id == doc_id
                and (not seen or seen[-1] is not e.state)
            ):
                seen.append(e.state)
        return seen


@pytest.fixture
def harness(engine: ServerControl, tmp_path: Path) -> Harness:
    h = Harness(engine, tmp_path)
    yield h  # type: ignore[misc]
    h.journal.close()


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_documents_reach_done_and_bad_input_fails_alone(
    harness: Harness, tmp_path: Path
) -> None:
    good = make_pdfs(tmp_path / "in", 3)
    empty = tmp_path / "in" / "empty.pdf"
    empty.write_bytes(b"")
    exe = tmp_path / "in" / "tool.exe"
    exe.write_bytes(b"MZ\x90\x00binary")
    missing = tmp_path / "in" / "gone.pdf"
    corrupt = tmp_path / "in" / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n this is not really a pdf at all \n")
    pipeline = harness.pipeline()
    job_id = pipeline.start_job([*good, empty, exe, missing, corrupt], "local")
    await pipeline.wait(job_id)

    docs = {d.name: d for d in harness.journal.documents(job_id)}
    for path in good:
        doc = docs[path.name]
        assert doc.state is DocumentState.DONE
        result = json.loads(Path(doc.result_path or "").read_text())
        assert f"Document {path.stem} says hello" in result["chunks"][0]["page_content"]
        assert doc.page_count == 2
        order = harness.states(doc.id)
        expected = [
            DocumentState.QUEUED,
            DocumentState.PREPARING,
            DocumentState.UPLOADING,
            DocumentState.SUBMITTED,
            DocumentState.FETCHING,
            DocumentState.DONE,
        ]
        assert [s for s in order if s in expected] == expected
    assert "is empty" in (docs["empty.pdf"].error_message or "")
    assert "not a document type" in (docs["tool.exe"].error_message or "")
    assert "no longer exists" in (docs["gone.pdf"].error_message or "")
    corrupt_doc = docs["corrupt.pdf"]
    assert corrupt_doc.state is DocumentState.FAILED
    assert corrupt_doc.error_code == "extraction_failed"
    assert "Extraction failed" in (corrupt_doc.error_message or "")
    # partially_failed is "results ready": the batch finished and its successes arrived
    assert [b.status for b in harness.journal.batches(job_id)] == ["partially_failed"]
    assert harness.journal.job(job_id).status == "finished"
    finished = [e for e in harness.events if isinstance(e, JobEvent) and e.finished]
    assert finished[-1].counts == {"done": 3, "failed": 4}


async def test_uploads_stream_progress_in_bytes(harness: Harness, tmp_path: Path) -> None:
    big = tmp_path / "big.pdf"
    make_pdf(big, ["padding"])
    with big.open("ab") as fh:  # trailing bytes after %%EOF are legal in a PDF
        fh.write(b"%" + b"x" * (3 * 1024 * 1024))
    pipeline = harness.pipeline()
    job_id = pipeline.start_job([big], "local")
    await pipeline.wait(job_id)
    sent = [
        e.bytes_sent
        for e in harness.events
        if isinstance(e, DocumentEvent) and e.state is DocumentState.UPLOADING and e.bytes_sent
    ]
    size = big.stat().st_size
    assert len(sent) >= 3 and sent[-1] == size and sent == sorted(sent)
    assert harness.journal.documents(job_id)[0].state is DocumentState.DONE


async def test_409_file_not_uploaded_puts_the_file_again(harness: Harness, tmp_path: Path) -> None:
    files = make_pdfs(tmp_path / "in", 2)
    journal = harness.journal
    job_id = journal.create_job("local", files)
    # A journal that believes doc 0 landed while the server never got its bytes.
    client = await harness.open_lane(journal.job(job_id), lambda *a: None)
    from app.uploads import prepare_sync

    prepared = prepare_sync(files[0])
    remote = await client.reserve(prepared)
    await client.aclose()
    doc = journal.documents(job_id)[0]
    journal.update_document(
        doc.id,
        remote_file_id=remote.id,
        uploaded=True,
        state=DocumentState.UPLOADING,
        size=prepared.size,
        sha256=prepared.sha256,
        content_type=prepared.content_type,
        filename=prepared.filename,
    )
    pipeline = harness.pipeline()
    pipeline.resume(job_id)
    await pipeline.wait(job_id)
    assert [d.state for d in journal.documents(job_id)] == [DocumentState.DONE] * 2
    posts = [
        r for r in harness.engine.requests() if r["method"] == "POST" and r["path"] == "/v1/batches"
    ]
    assert len(posts) == 2  # refused with 409, then accepted with the same key
    assert len({dict(r["headers"])["idempotency-key"] for r in posts}) == 1
    assert len(harness.engine.batches()) >= 1


async def test_404_file_not_found_reserves_new_files(harness: Harness, tmp_path: Path) -> None:
    files = make_pdfs(tmp_path / "in", 1)
    journal = harness.journal
    job_id = journal.create_job("local", files)
    from app.uploads import prepare_sync

    prepared = prepare_sync(files[0])
    doc = journal.documents(job_id)[0]
    journal.update_document(
        doc.id,
        remote_file_id="file_expiredlongago",
        uploaded=True,
        size=prepared.size,
        sha256=prepared.sha256,
        content_type=prepared.content_type,
        filename=prepared.filename,
    )
    pipeline = harness.pipeline()
    pipeline.resume(job_id)
    await pipeline.wait(job_id)
    doc = journal.documents(job_id)[0]
    assert doc.state is DocumentState.DONE
    assert doc.remote_file_id != "file_expiredlongago"


async def test_expired_upload_url_gets_a_fresh_file(harness: Harness, tmp_path: Path) -> None:
    files = make_pdfs(tmp_path / "in", 1)
    harness.engine.faults(
        {"method": "POST", "path": "/v1/files", "fault": "expire_url", "times": 1}
    )
    pipeline = harness.pipeline()
    job_id = pipeline.start_job(files, "local")
    await pipeline.wait(job_id)
    assert harness.journal.documents(job_id)[0].state is DocumentState.DONE
    creates = [
        r for r in harness.engine.requests() if r["method"] == "POST" and r["path"] == "/v1/files"
    ]
    assert len(creates) == 2


async def test_cancel_stops_the_job_and_the_remote_batch(harness: Harness, tmp_path: Path) -> None:
    harness.engine.hold(True)
    files = make_pdfs(tmp_path / "in", 3)
    pipeline = harness.pipeline()
    job_id = pipeline.start_job(files, "local")
    await until(lambda: harness.journal.batches(job_id)[0].remote_id is not None)
    await pipeline.cancel(job_id)
    remote_id = harness.journal.batches(job_id)[0].remote_id
    batch = harness.engine.api("GET", f"/v1/batches/{remote_id}").json()
    assert batch["status"] == "cancelled"
    assert all(d.state is DocumentState.CANCELLED for d in harness.journal.documents(job_id))
    assert harness.journal.job(job_id).status == "cancelled"


async def test_restart_resumes_the_same_batch_without_uploading_twice(
    harness: Harness, tmp_path: Path
) -> None:
    harness.engine.hold(True)
    files = make_pdfs(tmp_path / "in", 4)
    first = harness.pipeline()
    job_id = first.start_job(files, "local")
    await until(lambda: harness.journal.batches(job_id)[0].remote_id is not None)
    await first.aclose()  # the app closes, keeping the job
    remote_id = harness.journal.batches(job_id)[0].remote_id

    harness.engine.hold(False)
    second = harness.pipeline()
    assert second.resume_all() == [job_id]
    await second.wait(job_id)
    assert all(d.state is DocumentState.DONE for d in harness.journal.documents(job_id))
    log = harness.engine.requests()
    assert len([r for r in log if r["method"] == "PUT"]) == 4
    assert len([r for r in log if r["method"] == "POST" and r["path"] == "/v1/batches"]) == 1
    polled = {
        r["path"] for r in log if r["method"] == "GET" and r["path"].startswith("/v1/batches/")
    }
    assert polled == {f"/v1/batches/{remote_id}"} | {
        p for p in polled if p.startswith(f"/v1/batches/{remote_id}/items/")
    }


async def test_large_jobs_are_split_into_batches(harness: Harness, tmp_path: Path) -> None:
    files = make_pdfs(tmp_path / "in", 5)
    pipeline = harness.pipeline()
    job_id = pipeline.start_job(files, "local", batch_size=2)
    await pipeline.wait(job_id)
    batches = harness.journal.batches(job_id)
    assert len(batches) == 3 and len({b.remote_id for b in batches}) == 3
    assert all(d.state is DocumentState.DONE for d in harness.journal.documents(job_id))


async def test_rate_limits_are_announced_in_words(harness: Harness, tmp_path: Path) -> None:
    files = make_pdfs(tmp_path / "in", 1)
    harness.engine.faults(
        {"method": "GET", "path": "/v1/batches/.*", "fault": "429", "retry_after": 1, "times": 1}
    )
    pipeline = harness.pipeline()
    job_id = pipeline.start_job(files, "local")
    await pipeline.wait(job_id)
    notices = [e.notice for e in harness.events if isinstance(e, JobEvent) and e.notice]
    assert "Rate limited: retrying in 1 s" in notices
    assert harness.journal.documents(job_id)[0].state is DocumentState.DONE


async def test_the_key_is_rejected_for_the_whole_job(harness: Harness, tmp_path: Path) -> None:
    files = make_pdfs(tmp_path / "in", 2)

    async def wrong_key(job: JobRecord, on_retry: RetryCallback) -> BatchLane:
        return ExtractPageClient("wrong-key", harness.engine.url, policy=FAST)

    pipeline = Pipeline(harness.journal, harness.results, wrong_key, config=QUICK)
    job_id = pipeline.start_job(files, "extract-page")
    await pipeline.wait(job_id)
    for doc in harness.journal.documents(job_id):
        assert doc.state is DocumentState.FAILED
        assert "rejected your API key: open Settings" in (doc.error_message or "")


async def test_retry_sends_failed_documents_again_in_place(
    harness: Harness, tmp_path: Path
) -> None:
    later = tmp_path / "in" / "later.pdf"
    files = [*make_pdfs(tmp_path / "in", 1), later]
    pipeline = harness.pipeline()
    job_id = pipeline.start_job(files, "local")
    await pipeline.wait(job_id)
    docs = harness.journal.documents(job_id)
    assert [d.state for d in docs] == [DocumentState.DONE, DocumentState.FAILED]
    make_pdf(later, ["now it exists"])  # the person fixes the problem, then retries
    assert pipeline.retry([d.id for d in docs]) == [docs[1].id]  # only the failed one
    await until(
        lambda: not pipeline.running(job_id) and harness.journal.document(docs[1].id).state.terminal
    )
    again = harness.journal.document(docs[1].id)
    assert again.state is DocumentState.DONE and again.error_message is None
    assert "now it exists" in Path(again.result_path or "").read_text()
    keys = [b.idempotency_key for b in harness.journal.batches(job_id)]
    assert len(keys) == 2 and len(set(keys)) == 2


async def test_cancel_one_document_leaves_the_rest_running(
    harness: Harness, tmp_path: Path
) -> None:
    harness.engine.faults(
        {"method": "PUT", "path": "/.*", "fault": "slow", "delay": 20, "times": 1}
    )
    files = make_pdfs(tmp_path / "in", 3)
    pipeline = harness.pipeline(
        PipelineConfig(upload_concurrency=1, poll_initial=0.05, poll_max=0.3)
    )
    job_id = pipeline.start_job(files, "local")
    first = harness.journal.documents(job_id)[0]
    await until(lambda: any(r["method"] == "PUT" for r in harness.engine.requests()))
    pipeline.cancel_documents([first.id])
    await pipeline.wait(job_id)
    states = [d.state for d in harness.journal.documents(job_id)]
    assert states == [DocumentState.CANCELLED, DocumentState.DONE, DocumentState.DONE]


async def test_waiting_jobs_start_on_request_and_unsent_files_can_be_removed(
    harness: Harness, tmp_path: Path
) -> None:
    files = make_pdfs(tmp_path / "in", 3)
    pipeline = harness.pipeline()
    job_id = pipeline.start_job(files, "local", start=False)
    assert not pipeline.running(job_id)
    assert pipeline.resume_all() == []  # waiting jobs wait for the person
    docs = harness.journal.documents(job_id)
    assert pipeline.remove_documents([docs[0].id]) == [docs[0].id]
    pipeline.start(job_id)
    await pipeline.wait(job_id)
    assert [d.state for d in harness.journal.documents(job_id)] == [DocumentState.DONE] * 2
    assert not [
        r
        for r in harness.engine.requests()
        if r["method"] == "PUT" and r["body_bytes_received"] == files[0].stat().st_size and False
    ]


async def test_same_content_twice_is_flagged_not_sent(harness: Harness, tmp_path: Path) -> None:
    original = make_pdf(tmp_path / "a.pdf", ["same words"])
    copy = tmp_path / "copy of a.pdf"
    copy.write_bytes(original.read_bytes())
    pipeline = harness.pipeline()
    job_id = pipeline.start_job([original, copy], "local", options={"skip_duplicates": True})
    await pipeline.wait(job_id)
    a, b = harness.journal.documents(job_id)
    assert a.state is DocumentState.DONE
    assert b.state is DocumentState.DUPLICATE and b.duplicate_of == a.id
    assert "Same content as “a.pdf”" in (b.error_message or "")
    assert len([r for r in harness.engine.requests() if r["method"] == "PUT"]) == 1
