"""Item outcomes: engine errors, crashes, timeouts, cancellation and the dispatch hold."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from app.server.launcher import LocalServer
from app.server.worker import CRASH_MARKER, HANG_MARKER
from tests.server.helpers import (
    all_items,
    get_batch,
    make_pdf,
    start_batch,
    upload,
    wait_for_batch,
    wait_for_item,
    wait_until,
    worker_processes,
)

ITEM_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def lone_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A test-mode server with a single worker and a short item timeout."""
    local = LocalServer(
        tmp_path_factory.mktemp("lone"), workers=1, test_mode=True, item_timeout=ITEM_TIMEOUT
    )
    local.start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture
def lone_api(lone_worker: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=lone_worker.url, headers={"X-API-KEY": lone_worker.api_key}, timeout=10
    ) as client:
        yield client


def test_engine_errors_fail_only_their_item(
    api: httpx.Client, storage: httpx.Client, pdf_bytes: bytes
) -> None:
    good = upload(api, storage, pdf_bytes)
    text = upload(
        api, storage, b"just some text\n", filename="notes.txt", content_type="text/plain"
    )
    batch = wait_for_batch(api, start_batch(api, [good, text])["id"])
    assert batch["status"] == "partially_failed"
    assert batch["counts"] == {
        "pending": 0,
        "running": 0,
        "succeeded": 1,
        "failed": 1,
        "cancelled": 0,
    }
    ok, bad = all_items(api, batch["id"])
    assert ok["status"] == "succeeded"
    assert bad["status"] == "failed"
    assert bad["error"]["code"] == "unsupported_input"
    assert "notes.txt" in bad["error"]["message"]
    assert bad["result_url"] is None
    response = api.get(f"/v1/batches/{batch['id']}/items/{bad['id']}/result")
    assert response.status_code == 409
    assert response.json() == {"error": "result_not_ready", "status": "failed"}

    damaged = upload(api, storage, b"%PDF-1.7\n garbage", filename="broken.pdf")
    failed = wait_for_batch(api, start_batch(api, [damaged, text])["id"])
    assert failed["status"] == "failed"
    codes = [item["error"]["code"] for item in all_items(api, failed["id"])]
    assert codes == ["extraction_failed", "unsupported_input"]


def test_hold_and_cancel(
    api: httpx.Client, storage: httpx.Client, control: httpx.Client, pdf_bytes: bytes
) -> None:
    assert control.post("/_test/hold", json={"hold": True}).json() == {"hold": True}
    file_ids = [upload(api, storage, make_pdf(f"Held{n}")) for n in range(3)]
    batch = start_batch(api, file_ids)
    assert get_batch(api, batch["id"])["status"] == "pending"

    cancelled = api.post(f"/v1/batches/{batch['id']}/cancel")
    assert cancelled.status_code == 200
    body = cancelled.json()
    assert body["status"] == "cancelled"
    assert body["counts"]["cancelled"] == 3
    assert body["completed_at"] is not None
    assert "items" not in body

    control.post("/_test/hold", json={"hold": False}).raise_for_status()
    other = wait_for_batch(api, start_batch(api, [file_ids[0]])["id"])
    assert other["status"] == "completed"  # the pool runs again…
    final = get_batch(api, batch["id"])
    assert final["status"] == "cancelled"  # …but a terminal batch never changes
    assert {item["status"] for item in final["items"]} == {"cancelled"}
    assert api.post(f"/v1/batches/{batch['id']}/cancel").json()["status"] == "cancelled"


def test_crash_and_timeout_fail_only_their_item(
    lone_worker: LocalServer, lone_api: httpx.Client, storage: httpx.Client, pdf_bytes: bytes
) -> None:
    crash = upload(lone_api, storage, CRASH_MARKER + b" boom", filename="crash.pdf")
    hang = upload(lone_api, storage, HANG_MARKER + b" zzz", filename="hang.pdf")
    good = upload(lone_api, storage, pdf_bytes)
    other = upload(lone_api, storage, make_pdf("Other"))
    before = {p.pid for p in worker_processes(lone_worker.pid)}
    assert len(before) == 1

    batch = wait_for_batch(lone_api, start_batch(lone_api, [crash, good, hang, other])["id"])
    assert batch["status"] == "partially_failed"
    crashed, ok, hung, ok_too = all_items(lone_api, batch["id"])
    assert crashed["status"] == "failed"
    assert crashed["error"]["code"] == "extraction_failed"
    assert "the extraction process crashed" in crashed["error"]["message"].lower()
    assert "exit code 3" in crashed["error"]["message"]
    assert hung["status"] == "failed"
    assert hung["error"]["code"] == "extraction_failed"
    assert f"{ITEM_TIMEOUT:g} s" in hung["error"]["message"]
    assert (ok["status"], ok_too["status"]) == ("succeeded", "succeeded")

    # The pool replaced its worker twice and is back to exactly one process.
    def replaced() -> bool:
        now = {p.pid for p in worker_processes(lone_worker.pid)}
        return len(now) == 1 and not now & before

    wait_until(replaced, what="the worker to be replaced")


def test_cancel_lets_the_running_item_finish(
    lone_api: httpx.Client, storage: httpx.Client, pdf_bytes: bytes
) -> None:
    hang = upload(lone_api, storage, HANG_MARKER, filename="hang.pdf")
    good = upload(lone_api, storage, pdf_bytes)
    batch = start_batch(lone_api, [hang, good])
    wait_for_item(lone_api, batch["id"], 0, "running")
    cancelled = lone_api.post(f"/v1/batches/{batch['id']}/cancel").json()
    assert cancelled["status"] == "running"
    assert cancelled["counts"]["running"] == 1
    assert cancelled["counts"]["cancelled"] == 1
    final = wait_for_batch(lone_api, batch["id"])
    assert final["status"] == "cancelled"  # none succeeded, one cancelled
    assert [item["status"] for item in all_items(lone_api, batch["id"])] == ["failed", "cancelled"]


def test_a_near_miss_of_a_test_marker_is_an_ordinary_document(
    api: httpx.Client, storage: httpx.Client
) -> None:
    almost = upload(api, storage, b"%EXTRACTDESK-CRAS", filename="almost.pdf")
    batch = wait_for_batch(api, start_batch(api, [almost])["id"])
    (item,) = all_items(api, batch["id"])
    assert item["error"]["code"] == "unsupported_input"
