"""In-process checks of the server's building blocks (no server process needed)."""

from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path
from typing import Any

import pytest

from app.engine import EngineError
from app.server import worker
from app.server.resources import decode_cursor, encode_cursor
from app.server.signing import UrlSigner, Verdict, load_or_create_secret
from app.server.store import Store, derive_batch_status
from tests.server.helpers import make_pdf


def _job(tmp_path: Path, data: bytes, filename: str = "doc.pdf") -> worker.Job:
    source = tmp_path / "source"
    source.write_bytes(data)
    return worker.Job(
        item_id="item_1",
        source_path=str(source),
        result_path=str(tmp_path / "result.json"),
        content_type=None,
        filename=filename,
        extract_text=True,
        extract_images=True,
    )


def _run(job: worker.Job) -> tuple[list[Any], Any]:
    parent, child = multiprocessing.Pipe()
    with parent, child:
        final = worker.run_job(job, child, test_mode=True)
        messages = []
        while parent.poll():
            messages.append(parent.recv())
    return messages, final


def test_worker_reports_progress_and_writes_the_result(tmp_path: Path) -> None:
    job = _job(tmp_path, make_pdf("Progress", pages=5))
    messages, final = _run(job)
    assert final == ("succeeded", 5)
    assert messages[0][0] == "progress"
    assert messages[-1] == ("progress", 5, 5)
    result = json.loads(Path(job.result_path).read_text(encoding="utf-8"))
    assert [chunk["page_no"] for chunk in result["chunks"]] == [1, 2, 3, 4, 5]
    assert not list(tmp_path.glob("*.part"))


def test_worker_maps_engine_errors_and_bugs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, final = _run(_job(tmp_path, b"plain text", filename="notes.txt"))
    assert final[:2] == ("failed", "unsupported_input")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("page tree")

    monkeypatch.setattr(worker, "extract_document", broken)
    _, final = _run(_job(tmp_path, make_pdf("Bug")))
    assert final[:2] == ("failed", "internal_error")
    assert "KeyError" in final[2]

    def refuses(*args: Any, **kwargs: Any) -> Any:
        raise EngineError("document_too_large", "Too big.")

    monkeypatch.setattr(worker, "extract_document", refuses)
    assert _run(_job(tmp_path, make_pdf("Big")))[1] == ("failed", "document_too_large", "Too big.")


@pytest.mark.parametrize(
    ("counts", "current", "expected"),
    [
        ({"pending": 2}, "pending", "pending"),
        ({"pending": 1, "running": 1}, "pending", "running"),
        ({"pending": 1, "succeeded": 1}, "running", "running"),
        ({"succeeded": 2}, "running", "completed"),
        ({"succeeded": 1, "failed": 1}, "running", "partially_failed"),
        ({"succeeded": 1, "cancelled": 1}, "running", "partially_failed"),
        ({"failed": 2}, "running", "failed"),
        ({"failed": 1, "cancelled": 1}, "running", "cancelled"),
        ({"cancelled": 2}, "pending", "cancelled"),
        ({"pending": 2}, "cancelled", "cancelled"),
        ({"succeeded": 2}, "expired", "expired"),
    ],
)
def test_batch_status_derivation(counts: dict[str, int], current: str, expected: str) -> None:
    full = dict.fromkeys(("pending", "running", "succeeded", "failed", "cancelled"), 0) | counts
    assert derive_batch_status(full, current=current) == expected


def test_store_progress_and_restart_requeue(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.sqlite3")
    try:
        row = store.create_file(filename="a.pdf", content_type=None, size=1)
        store.mark_uploaded(row.id, "etag")
        batch = store.create_batch(
            idempotency_key="k",
            file_ids=[row.id],
            options={"extract_text": True, "extract_images": False},
            metadata=None,
        )
        claim = store.claim_next()
        assert claim is not None
        assert (claim.extract_text, claim.extract_images) == (True, False)
        assert store.claim_next() is None
        store.report_progress(claim.item_id, pages_done=3, page_count=40)
        (item,) = store.list_items(batch.id, after=None, limit=10)
        assert (item.status, item.pages_done, item.page_count) == ("running", 3, 40)
        assert store.requeue_running() == 1
        (item,) = store.list_items(batch.id, after=None, limit=10)
        assert (item.status, item.pages_done) == ("pending", 0)
        again = store.create_batch(
            idempotency_key="k", file_ids=[row.id], options={}, metadata=None
        )
        assert again.id == batch.id
    finally:
        store.close()


def test_cursors_round_trip_and_reject_junk() -> None:
    stamp = "2025-01-02T03:04:05.000006+00:00"
    assert decode_cursor(encode_cursor(stamp, "item_1")) == (stamp, "item_1")
    for junk in ("", "!!!", encode_cursor("yesterday", "x"), encode_cursor(stamp, "")):
        with pytest.raises(ValueError, match="Invalid cursor"):
            decode_cursor(junk)


def test_signatures(tmp_path: Path) -> None:
    secret = load_or_create_secret(tmp_path / "key")
    assert load_or_create_secret(tmp_path / "key") == secret
    assert (tmp_path / "key").stat().st_mode & 0o777 == 0o600
    signer = UrlSigner(secret)
    target, expires = signer.sign("PUT", "/p", ttl=60, signed=("a", "1"))
    assert expires > time.time()
    query = dict(part.split("=") for part in target.split("?")[1].split("&"))

    def verify(
        method: str = "PUT", path: str = "/p", signed: tuple[str, ...] = ("a", "1")
    ) -> Verdict:
        return signer.verify(
            method, path, expires=query["expires"], signature=query["sig"], signed=signed
        )

    assert verify() is Verdict.OK
    assert verify(method="GET") is Verdict.BAD_SIGNATURE
    assert verify(path="/q") is Verdict.BAD_SIGNATURE
    assert verify(signed=("a", "2")) is Verdict.BAD_SIGNATURE
    assert (
        UrlSigner(b"x" * 32).verify(
            "PUT", "/p", expires=query["expires"], signature=query["sig"], signed=("a", "1")
        )
        is Verdict.BAD_SIGNATURE
    )
    old, _ = signer.sign("GET", "/r", ttl=0)
    old_query = dict(part.split("=") for part in old.split("?")[1].split("&"))
    assert (
        signer.verify("GET", "/r", expires=old_query["expires"], signature=old_query["sig"])
        is Verdict.EXPIRED
    )
