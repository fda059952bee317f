"""Anthropic, Anesya and Olostep end to end: the real pipeline, journal and provider clients
against spec-faithful fakes (tests/fakes) that fail the test on any request that breaks the
service's spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app import http, lanes, results
from app.journal import JobRecord, Journal
from app.models import DocumentEvent, DocumentState
from app.pipeline import Event, Pipeline, PipelineConfig
from app.providers.base import BatchLane, RetryCallback
from app.settings import FieldSetting, Settings
from tests.documents import make_pdf
from tests.fakes.anesya import DEFAULT_SCHEMA_ID, AnesyaFake
from tests.fakes.anthropic import AnthropicFake
from tests.fakes.base import FakeService, png_bytes
from tests.fakes.fixtures import anesya_fake, anthropic_fake, olostep_fake
from tests.fakes.olostep import OlostepFake

__all__ = ["anesya_fake", "anthropic_fake", "olostep_fake"]

QUICK = PipelineConfig(poll_initial=0.02, poll_max=0.1)
FAST = http.RetryPolicy(max_attempts=4, base_delay=0.02, max_delay=0.1, max_retry_after=1.5)


class Run:
    """A pipeline for one provider, opened through app.lanes like the CLI and the window."""

    def __init__(
        self,
        provider: str,
        fake: FakeService,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        settings: Settings | None = None,
    ) -> None:
        monkeypatch.setenv(f"EXTRACTDESK_{provider.upper()}_API_KEY", fake.api_key)
        monkeypatch.setattr(http, "DEFAULT_POLICY", FAST)
        self.provider = provider
        self.fake = fake
        self.settings = settings or Settings()
        self.journal = Journal(tmp_path / "journal.sqlite3")
        self.events: list[Event] = []
        self.pipeline = Pipeline(
            self.journal,
            tmp_path / "results",
            self.open_lane,
            config=QUICK,
            on_event=self.events.append,
        )

    async def open_lane(self, job: JobRecord, on_retry: RetryCallback) -> BatchLane:
        lane = await lanes.open_job_lane(job, on_retry, None)
        lane.policy = FAST  # type: ignore[attr-defined]
        return lane

    async def run(self, items: list[Path | str]) -> str:
        job_id = self.pipeline.start_job(
            items,
            self.provider,
            base_url=self.fake.url,
            options=self.settings.job_options(self.provider),
        )
        await self.pipeline.wait(job_id)
        return job_id

    def docs(self, job_id: str) -> dict[str, Any]:
        return {d.name: d for d in self.journal.documents(job_id)}

    def result(self, doc: Any) -> results.Normalised:
        raw = json.loads(Path(doc.result_path).read_text())
        return results.normalise(self.provider, raw)


def pdf(tmp_path: Path, name: str, text: str = "hello") -> Path:
    return make_pdf(tmp_path / name, [text])


def png(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(png_bytes(8, 8))
    return path


# ------------------------------------------------------------------------------- Anthropic


async def test_anthropic_pdfs_and_images_become_markdown_and_fields(
    anthropic_fake: AnthropicFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    settings.anthropic.fields = [
        FieldSetting(name="total", type="number"),
        FieldSetting(name="invoice_date", type="date"),
    ]
    run = Run("anthropic", anthropic_fake, tmp_path, monkeypatch, settings)
    job = await run.run([pdf(tmp_path, "a.pdf"), png(tmp_path, "scan.png")])
    docs = run.docs(job)
    assert {d.state for d in docs.values()} == {DocumentState.DONE}
    text = run.result(docs["a.pdf"])
    assert text.markdown.startswith("# a.pdf")
    assert text.tables[0].grid == [["a", "b"], ["1", "2"]]
    assert set(text.fields or {}) == {"total", "invoice_date"}
    created = anthropic_fake.requests_to("POST", "/v1/messages/batches")
    blocks = [r["params"]["messages"][0]["content"][0]["type"] for r in created[0].json["requests"]]
    assert sorted(blocks) == ["document", "image"]
    assert {r["custom_id"] for r in created[0].json["requests"]} == {d.id for d in docs.values()}


async def test_anthropic_errored_expired_and_canceled_requests_say_why(
    anthropic_fake: AnthropicFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Run("anthropic", anthropic_fake, tmp_path, monkeypatch)
    files = [pdf(tmp_path, f"{n}.pdf") for n in ("ok", "bad", "late", "stopped")]
    job_id = run.pipeline.start_job(files, "anthropic", base_url=anthropic_fake.url)
    ids = {d.name: d.id for d in run.journal.documents(job_id)}
    anthropic_fake.outcome_for[ids["bad.pdf"]] = "errored:invalid_request_error"
    anthropic_fake.outcome_for[ids["late.pdf"]] = "expired"
    anthropic_fake.outcome_for[ids["stopped.pdf"]] = "canceled"
    await run.pipeline.wait(job_id)
    docs = run.docs(job_id)
    assert docs["ok.pdf"].state is DocumentState.DONE
    assert "Anthropic could not use this document" in docs["bad.pdf"].error_message
    assert "within 24 hours" in docs["late.pdf"].error_message
    assert docs["stopped.pdf"].state is DocumentState.CANCELLED


async def test_anthropic_refuses_word_files_before_uploading(
    anthropic_fake: AnthropicFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docx = tmp_path / "letter.docx"
    docx.write_bytes(b"PK\x03\x04" + b"\0" * 64)
    run = Run("anthropic", anthropic_fake, tmp_path, monkeypatch)
    job = await run.run([docx])
    doc = run.docs(job)["letter.docx"]
    assert doc.state is DocumentState.FAILED
    assert "Save it as PDF first" in doc.error_message
    assert anthropic_fake.requests_to("POST", "/v1/files") == []


async def test_anthropic_429_and_529_are_waited_out_and_a_dropped_create_is_not_repeated(
    anthropic_fake: AnthropicFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    anthropic_fake.fault("POST", "/v1/files", "429", retry_after=1)
    anthropic_fake.fault("POST", "/v1/messages/batches", "529")
    anthropic_fake.fault("POST", "/v1/messages/batches", "drop")
    run = Run("anthropic", anthropic_fake, tmp_path, monkeypatch)
    job = await run.run([pdf(tmp_path, "a.pdf"), pdf(tmp_path, "b.pdf")])
    assert {d.state for d in run.docs(job).values()} == {DocumentState.DONE}
    assert len(anthropic_fake.batches) == 1  # the dropped create had worked: adopted
    notices = [e.notice for e in run.events if not isinstance(e, DocumentEvent) and e.notice]
    assert any(n.startswith("Rate limited: retrying in 1 s") for n in notices)


async def test_anthropic_deletes_uploads_when_asked_and_reports_size_refusals(
    anthropic_fake: AnthropicFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    settings.anthropic.delete_files_when_done = True
    big = make_pdf(tmp_path / "big.pdf", ["x" * 80] * 40)
    anthropic_fake.max_file_bytes = big.stat().st_size - 1
    run = Run("anthropic", anthropic_fake, tmp_path, monkeypatch, settings)
    job = await run.run([pdf(tmp_path, "small.pdf"), big])
    docs = run.docs(job)
    assert docs["small.pdf"].state is DocumentState.DONE
    assert "too large" in docs["big.pdf"].error_message
    assert len(anthropic_fake.requests_to("DELETE", "/v1/files/.*")) == 1


# ------------------------------------------------------------------------------- Anesya


@pytest.mark.parametrize("anesya_fake", [{"steps_to_finish": 6}], indirect=True)
async def test_anesya_extracts_with_schema_progress_steps_and_images(
    anesya_fake: AnesyaFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    settings.anesya.server = "FR-2"
    settings.anesya.schema_id = DEFAULT_SCHEMA_ID
    run = Run("anesya", anesya_fake, tmp_path, monkeypatch, settings)
    job = await run.run([pdf(tmp_path, "invoice.pdf"), png(tmp_path, "receipt.png")])
    docs = run.docs(job)
    assert {d.state for d in docs.values()} == {DocumentState.DONE}
    result = run.result(docs["invoice.pdf"])
    assert result.markdown.strip() and result.fields and result.images
    steps = {e.notice for e in run.events if isinstance(e, DocumentEvent) and e.notice}
    assert {"Reading the document", "Extracting the data"} <= steps
    forms = [r.form for r in anesya_fake.requests_to("POST", "/extract/")]
    assert all(f["server"] == "FR-2" and f["schema"] == DEFAULT_SCHEMA_ID for f in forms)
    sent = {json.loads(f["metadata"])["extractdesk_doc"] for f in forms}
    assert sent == {d.id for d in docs.values()}
    assert anesya_fake.creates == 2


async def test_anesya_expired_token_and_no_credits_are_explained(
    anesya_fake: AnesyaFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Run("anesya", anesya_fake, tmp_path, monkeypatch)
    anesya_fake.expire_token()
    job = await run.run([pdf(tmp_path, "a.pdf")])
    assert "token has expired or is invalid: open Settings" in run.docs(job)["a.pdf"].error_message
    monkeypatch.setenv("EXTRACTDESK_ANESYA_API_KEY", anesya_fake.new_token())
    anesya_fake.credits = 0
    job = await run.run([pdf(tmp_path, "b.pdf")])
    assert "out of credits" in run.docs(job)["b.pdf"].error_message


async def test_anesya_never_creates_twice_after_an_unclear_failure(
    anesya_fake: AnesyaFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    anesya_fake.fault("POST", "/extract/", "5xx_after", status=502)
    anesya_fake.fault("POST", "/extract/", "drop")
    run = Run("anesya", anesya_fake, tmp_path, monkeypatch)
    job = await run.run([pdf(tmp_path, "a.pdf"), pdf(tmp_path, "b.pdf")])
    assert {d.state for d in run.docs(job).values()} == {DocumentState.DONE}
    assert anesya_fake.creates == 2


async def test_anesya_resume_after_a_crash_mid_upload_finds_the_extraction(
    anesya_fake: AnesyaFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Run("anesya", anesya_fake, tmp_path, monkeypatch)
    job_id = run.journal.create_job("anesya", [pdf(tmp_path, "a.pdf")], base_url=anesya_fake.url)
    doc = run.journal.documents(job_id)[0]
    # The earlier run sent the document, then died before journaling the answer.
    lane = await run.open_lane(run.journal.job(job_id), lambda *_: None)
    from app.uploads import prepare_sync

    await lane.upload(None, prepare_sync(Path(doc.path)), doc_id=doc.id)
    await lane.aclose()
    run.journal.update_document(doc.id, state=DocumentState.UPLOADING)
    run.pipeline.resume(job_id)
    await run.pipeline.wait(job_id)
    assert run.journal.document(doc.id).state is DocumentState.DONE
    assert anesya_fake.creates == 1


async def test_anesya_error_status_fails_only_that_document(
    anesya_fake: AnesyaFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    anesya_fake.outcome_for["broken.pdf"] = "error"
    run = Run("anesya", anesya_fake, tmp_path, monkeypatch)
    job = await run.run([pdf(tmp_path, "broken.pdf"), pdf(tmp_path, "fine.pdf")])
    docs = run.docs(job)
    assert docs["fine.pdf"].state is DocumentState.DONE
    assert "Anesya could not extract this document" in docs["broken.pdf"].error_message


# ------------------------------------------------------------------------------- Olostep


async def test_olostep_pages_become_markdown_with_the_url_list_on_file(
    olostep_fake: OlostepFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = [
        "https://example.com/a",
        "https://example.com/b",
        "https://example.com/big",
        "https://example.com/gone",
    ]
    olostep_fake.large["https://example.com/big"] = True
    olostep_fake.outcome_for["https://example.com/gone"] = "failed"
    run = Run("olostep", olostep_fake, tmp_path, monkeypatch)
    job = await run.run(urls)
    docs = run.docs(job)
    assert [docs[u].state for u in urls] == [DocumentState.DONE] * 3 + [DocumentState.FAILED]
    assert run.result(docs[urls[0]]).markdown.startswith("# Page at https://example.com/a")
    assert "Content of https://example.com/big" in run.result(docs[urls[2]]).markdown
    assert "could not load this web page" in docs[urls[3]].error_message
    (listing,) = olostep_fake.files.values()
    assert listing.status == "completed" and listing.purpose == "batch"
    assert json.loads(listing.data or b"") == [{"custom_id": docs[u].id, "url": u} for u in urls]
    batch = olostep_fake.requests_to("POST", "/v1/batches")[0]
    assert batch.json["metadata"]["url_list_file"] == listing.id
    assert batch.headers["idempotency-key"]


async def test_olostep_retry_of_a_batch_create_reuses_the_idempotency_key(
    olostep_fake: OlostepFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    olostep_fake.fault("POST", "/v1/batches", "5xx_after", status=503)
    olostep_fake.fault("POST", "/v1/files", "expire_url")
    run = Run("olostep", olostep_fake, tmp_path, monkeypatch)
    job = await run.run(["https://example.com/x"])
    assert run.docs(job)["https://example.com/x"].state is DocumentState.DONE
    assert len(olostep_fake.batches) == 1 and olostep_fake.idempotent_replays == 1


@pytest.mark.parametrize("olostep_fake", [{"max_items": 2}], indirect=True)
async def test_olostep_batches_respect_the_account_limit_and_files_are_refused(
    olostep_fake: OlostepFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    settings.olostep.max_batch_items = 2
    run = Run("olostep", olostep_fake, tmp_path, monkeypatch, settings)
    urls = [f"https://example.com/{i}" for i in range(5)]
    job = await run.run([*urls, pdf(tmp_path, "a.pdf")])
    docs = run.docs(job)
    assert all(docs[u].state is DocumentState.DONE for u in urls)
    assert len(olostep_fake.batches) == 3
    assert "reads web pages, not files" in docs["a.pdf"].error_message
