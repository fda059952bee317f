"""The extract.page client against the real local server, over real HTTP."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import http
from app.providers import extract_page
from app.providers.base import (
    BatchEntry,
    BatchSnapshot,
    FilesNotFound,
    FilesNotUploaded,
    ItemSnapshot,
    ResultNotReady,
)
from app.providers.extract_page import ExtractPageClient
from app.providers.extract_page_models import CreateFileResponse
from app.uploads import prepare_sync
from tests.documents import make_pdf
from tests.local_server import ServerControl


def entries(file_ids: list[str]) -> list[BatchEntry]:
    return [
        BatchEntry(doc_id=f"doc_{i}", file_id=f, name=f"{f}.pdf") for i, f in enumerate(file_ids)
    ]


FAST = http.RetryPolicy(max_attempts=4, base_delay=0.05, max_delay=0.2, max_retry_after=2)


def client_for(engine: ServerControl, **kwargs: Any) -> ExtractPageClient:
    kwargs.setdefault("policy", FAST)
    return ExtractPageClient(engine.api_key, engine.url, **kwargs)


async def wait_terminal(client: ExtractPageClient, batch_id: str) -> BatchSnapshot:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        snap = await client.poll(batch_id, with_items=True)
        if snap.terminal:
            return snap
        await asyncio.sleep(0.1)
    raise AssertionError("batch never finished")


async def upload_pdfs(client: ExtractPageClient, tmp_path: Path, n: int) -> list[str]:
    ids = []
    for i in range(n):
        prepared = prepare_sync(make_pdf(tmp_path / f"p{i}.pdf", [f"hello number {i}"]))
        remote = await client.reserve(prepared)
        await client.upload(remote, prepared)
        assert await client.file_uploaded(remote.id)
        ids.append(remote.id)
    return ids


async def test_the_whole_lane(engine: ServerControl, tmp_path: Path) -> None:
    client = client_for(engine)
    try:
        ids = await upload_pdfs(client, tmp_path, 3)
        created = await client.create_batch(entries(ids), "key-whole-lane", {})
        assert created.status == "pending" and not created.terminal
        done = await wait_terminal(client, created.batch_id)
        assert done.status == "completed"
        assert sorted(i.file_id or "" for i in done.items) == sorted(ids)
        for item in done.items:
            result = await client.fetch_result(item)
            text = " ".join(c["page_content"] for c in result["chunks"])
            assert "hello number" in text
            assert item.page_count == 1
    finally:
        await client.aclose()


async def test_cursor_paging_reaches_every_item(
    engine: ServerControl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extract_page, "ITEMS_PAGE_LIMIT", 2)
    client = client_for(engine)
    try:
        ids = await upload_pdfs(client, tmp_path, 5)
        created = await client.create_batch(entries(ids), "key-paging", {})
        done = await wait_terminal(client, created.batch_id)
        assert len(done.items) == 5
        pages = [
            r
            for r in engine.requests()
            if r["path"] == f"/v1/batches/{created.batch_id}" and "cursor=" in r["query_string"]
        ]
        assert pages, "the client never followed next_cursor"
    finally:
        await client.aclose()


async def test_error_bodies_map_to_typed_errors(engine: ServerControl, tmp_path: Path) -> None:
    client = client_for(engine)
    try:
        prepared = prepare_sync(make_pdf(tmp_path / "a.pdf", ["x"]))
        pending = await client.reserve(prepared)  # reserved, never uploaded
        with pytest.raises(FilesNotUploaded) as not_uploaded:
            await client.create_batch(entries([pending.id]), "key-409", {})
        assert not_uploaded.value.file_ids == [pending.id]
        with pytest.raises(FilesNotFound) as not_found:
            await client.create_batch(entries(["file_doesnotexist"]), "key-404", {})
        assert not_found.value.file_ids == ["file_doesnotexist"]
        with pytest.raises(http.NotFound):
            await client.poll("batch_doesnotexist", with_items=False)

        engine.hold(True)
        await client.upload(pending, prepared)
        held = await client.create_batch(entries([pending.id]), "key-not-ready", {})
        snap = await client.poll(held.batch_id, with_items=True)
        item = snap.items[0]
        fake_ready = ItemSnapshot(
            item.item_id,
            item.file_id,
            "succeeded",
            result_url=f"/v1/batches/{held.batch_id}/items/{item.item_id}/result",
        )
        with pytest.raises(ResultNotReady):
            await client.fetch_result(fake_ready)
    finally:
        await client.aclose()


async def test_wrong_key_says_open_settings(engine: ServerControl) -> None:
    client = ExtractPageClient("not-the-key", engine.url, policy=FAST)
    try:
        with pytest.raises(http.AuthFailed) as info:
            await client.check_connection()
        assert "open Settings" in info.value.message
    finally:
        await client.aclose()


async def test_file_over_the_upload_cap_is_refused_in_words(
    engine: ServerControl, tmp_path: Path
) -> None:
    client = client_for(engine)
    prepared = prepare_sync(make_pdf(tmp_path / "big.pdf", ["x"]))
    huge = type(prepared)(
        prepared.path, prepared.filename, 50 * 2**30, prepared.sha256, prepared.doctype
    )
    try:
        with pytest.raises(http.PayloadTooLarge) as info:
            await client.reserve(huge)
        assert "too large" in info.value.message
    finally:
        await client.aclose()


def test_missing_fields_or_non_json_become_clear_errors() -> None:
    with pytest.raises(http.BadResponse) as info:
        extract_page._parse(
            CreateFileResponse,
            {"id": "file_1", "status": "pending_upload"},
            "extract.page",
            "a file reservation",
        )
    assert "could not understand" in info.value.message
    assert "customer_id: Field required" in info.value.detail
    not_json = httpx.Response(
        200, text="<html>gateway</html>", request=httpx.Request("GET", "https://x/v1/batches/b")
    )
    with pytest.raises(http.BadResponse) as info:
        http.json_or_error(not_json, "extract.page")
    assert "could not read" in info.value.message
    extra = {
        "id": "f",
        "customer_id": "c",
        "status": "pending_upload",
        "size_bytes": 3,
        "created_at": "t",
        "expires_at": "t",
        "new_field": [1, 2],
        "upload": {"method": "PUT", "url": "u", "expires_at": "t", "also_new": True},
    }
    assert extract_page._parse(CreateFileResponse, extra, "s", "w").id == "f"


async def test_retry_after_is_honoured_on_429(engine: ServerControl, tmp_path: Path) -> None:
    notices: list[tuple[int, float, str]] = []
    client = client_for(engine, on_retry=lambda a, d, r: notices.append((a, d, r)))
    try:
        ids = await upload_pdfs(client, tmp_path, 1)
        created = await client.create_batch(entries(ids), "key-429", {})
        engine.faults(
            {
                "method": "GET",
                "path": "/v1/batches/.*",
                "fault": "429",
                "retry_after": 1,
                "times": 2,
            }
        )
        started = time.monotonic()
        snap = await client.poll(created.batch_id, with_items=False)
        assert snap.batch_id == created.batch_id
        assert time.monotonic() - started >= 2.0  # two Retry-After: 1 waits
        assert [(a, d, r) for a, d, r in notices] == [
            (1, 1.0, "rate limited"),
            (2, 1.0, "rate limited"),
        ]
    finally:
        await client.aclose()


async def test_5xx_after_create_leaves_exactly_one_batch(
    engine: ServerControl, tmp_path: Path
) -> None:
    client = client_for(engine)
    try:
        ids = await upload_pdfs(client, tmp_path, 2)
        before = len(engine.batches())
        engine.faults(
            {
                "method": "POST",
                "path": "/v1/batches",
                "fault": "5xx_after",
                "status": 503,
                "times": 2,
            }
        )
        created = await client.create_batch(entries(ids), "key-5xx-after", {})
        assert len(engine.batches()) == before + 1
        posts = [
            r for r in engine.requests() if r["method"] == "POST" and r["path"] == "/v1/batches"
        ]
        assert len(posts) == 3
        keys = {dict(r["headers"]).get("idempotency-key") for r in posts}
        assert keys == {"key-5xx-after"}
        assert (await wait_terminal(client, created.batch_id)).status == "completed"
    finally:
        await client.aclose()


async def test_dropped_connections_are_retried(engine: ServerControl, tmp_path: Path) -> None:
    client = client_for(engine)
    try:
        engine.faults(
            {"method": "POST", "path": "/v1/files", "fault": "drop", "times": 1},
            {"method": "PUT", "path": "/.*", "fault": "drop", "times": 1},
        )
        ids = await upload_pdfs(client, tmp_path, 1)
        assert ids
    finally:
        await client.aclose()


async def test_slow_responses_time_out_and_are_retried(
    engine: ServerControl, tmp_path: Path
) -> None:
    client = client_for(engine)
    client._api.timeout = httpx.Timeout(1.0)
    try:
        engine.faults(
            {"method": "GET", "path": "/v1/batches", "fault": "slow", "delay": 3, "times": 1}
        )
        started = time.monotonic()
        await client.list_batches(limit=1)
        assert 1.0 <= time.monotonic() - started < 3.0
    finally:
        await client.aclose()


async def test_no_key_reaches_presigned_urls_and_uploads_have_exact_length(
    engine: ServerControl, tmp_path: Path
) -> None:
    client = client_for(engine)
    try:
        ids = await upload_pdfs(client, tmp_path, 2)
        created = await client.create_batch(entries(ids), "key-secrets", {})
        done = await wait_terminal(client, created.batch_id)
        for item in done.items:
            await client.fetch_result(item)
    finally:
        await client.aclose()
    log = engine.requests()
    api = [r for r in log if r["path"].startswith("/v1/")]
    presigned = [r for r in log if not r["path"].startswith(("/v1/", "/_test/"))]
    puts = [r for r in presigned if r["method"] == "PUT"]
    gets = [r for r in presigned if r["method"] == "GET"]
    assert len(puts) == 2 and len(gets) == 2
    assert all(dict(r["headers"]).get("x-api-key") == "<redacted>" for r in api)
    for r in presigned:
        headers = dict(r["headers"])
        assert "x-api-key" not in headers and "authorization" not in headers
    for r in puts:
        headers = dict(r["headers"])
        assert "transfer-encoding" not in headers
        assert int(headers["content-length"]) == r["body_bytes_received"] > 0
        assert headers["content-type"] == "application/pdf"
