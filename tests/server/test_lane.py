"""The batch lane end to end against a real server: upload, batch, poll, page, download."""

from __future__ import annotations

import hashlib
from datetime import datetime

import httpx

from tests.server.helpers import (
    all_items,
    get_batch,
    make_pdf,
    start_batch,
    upload,
    wait_for_batch,
)


def test_whole_lane(api: httpx.Client, storage: httpx.Client, control: httpx.Client) -> None:
    documents = {f"Doc{n}": make_pdf(f"Doc{n}", pages=n) for n in (1, 2, 3, 4)}
    file_ids = {}
    for label, data in documents.items():
        file_ids[label] = upload(api, storage, data, filename=f"{label}.pdf")
        record = api.get(f"/v1/files/{file_ids[label]}").json()
        assert record["status"] == "uploaded"
        assert record["sha256"] == hashlib.md5(data).hexdigest()  # an S3 ETag, as in the cloud
        assert "upload" not in record

    batch = start_batch(
        api, list(file_ids.values()), key="lane-1", metadata={"job": "lane"}, extract_images=False
    )
    assert batch["object"] == "batch"
    assert batch["id"].startswith("batch_")
    assert batch["status"] == "pending"
    assert batch["total_items"] == 4
    assert batch["engine"] is None
    assert batch["options"]["extract_text"] is True
    assert batch["options"]["extract_images"] is False
    assert batch["metadata"] == {"job": "lane"}
    assert batch["counts"] == {
        "pending": 4,
        "running": 0,
        "succeeded": 0,
        "failed": 0,
        "cancelled": 0,
    }
    for stamp in ("created_at", "expires_at"):
        assert datetime.fromisoformat(batch[stamp]).utcoffset() is not None

    done = wait_for_batch(api, batch["id"])
    assert done["status"] == "completed"
    assert done["counts"]["succeeded"] == 4
    assert done["started_at"] is not None
    assert done["completed_at"] is not None

    # Page with limit=1: ascending (updated_at, id), a cursor until the last page.
    seen = []
    cursor = None
    while True:
        page = get_batch(api, batch["id"], limit=1, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) == 1
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 4
    assert len({item["id"] for item in seen}) == 4
    keys = [(item["updated_at"], item["id"]) for item in seen]
    assert keys == sorted(keys)
    assert get_batch(api, batch["id"], limit=4)["next_cursor"] is None
    assert get_batch(api, batch["id"], limit=3)["next_cursor"] is not None

    by_file = {item["file_id"]: item for item in seen}
    control.delete("/_test/requests")
    for label, file_id in file_ids.items():
        item = by_file[file_id]
        pages = int(label.removeprefix("Doc"))
        assert item["object"] == "batch_item"
        assert item["status"] == "succeeded"
        assert item["page_count"] == pages
        assert item["pages_done"] == pages
        assert item["attempts"] == 1
        assert item["error"] is None
        assert item["result_url"] == f"/v1/batches/{batch['id']}/items/{item['id']}/result"
        redirect = api.get(item["result_url"])
        assert redirect.status_code == 302
        location = redirect.headers["location"]
        assert location.startswith(str(api.base_url).rstrip("/") + "/")
        result = storage.get(location)
        assert result.status_code == 200
        assert result.headers["content-type"].startswith("application/json")
        chunks = result.json()["chunks"]
        assert [chunk["page_no"] for chunk in chunks] == list(range(1, pages + 1))
        assert chunks[-1]["page_content"] == f"{label} page {pages}"
        assert chunks[0]["chunk_type"] == "text"

    storage_gets = [
        r for r in control.get("/_test/requests").json() if r["path"].startswith("/_storage/")
    ]
    assert len(storage_gets) == 4
    for request in storage_gets:
        assert "x-api-key" not in [name for name, _ in request["headers"]]


def test_follow_redirects_with_an_http_client(
    api: httpx.Client, storage: httpx.Client, pdf_bytes: bytes
) -> None:
    batch = start_batch(api, [upload(api, storage, pdf_bytes)])
    wait_for_batch(api, batch["id"])
    (item,) = all_items(api, batch["id"])
    result = api.get(item["result_url"], follow_redirects=True)
    assert result.status_code == 200
    assert len(result.json()["chunks"]) == 3


def test_duplicate_file_ids_are_dropped_keeping_order(
    api: httpx.Client, storage: httpx.Client
) -> None:
    first = upload(api, storage, make_pdf("First"))
    second = upload(api, storage, make_pdf("Second"))
    batch = start_batch(api, [second, first, second, first])
    assert batch["total_items"] == 2
    items = all_items(api, batch["id"])
    assert [(item["position"], item["file_id"]) for item in items] == [(0, second), (1, first)]
    wait_for_batch(api, batch["id"])


def test_list_batches_newest_first_with_cursor_and_filter(
    api: httpx.Client, storage: httpx.Client, pdf_bytes: bytes
) -> None:
    file_id = upload(api, storage, pdf_bytes)
    created = [start_batch(api, [file_id], metadata={"n": n})["id"] for n in range(3)]
    for batch_id in created:
        wait_for_batch(api, batch_id)

    first = api.get("/v1/batches", params={"limit": 2}).json()
    assert first["object"] == "list"
    assert [b["id"] for b in first["data"]] == created[::-1][:2]
    assert first["next_cursor"] is not None
    second = api.get("/v1/batches", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert second["data"][0]["id"] == created[0]

    completed = api.get("/v1/batches", params={"status": "completed", "limit": 200}).json()
    assert set(created) <= {b["id"] for b in completed["data"]}
    assert all(b["status"] == "completed" for b in completed["data"])
    pending = api.get("/v1/batches", params={"status": "pending"}).json()
    assert not set(created) & {b["id"] for b in pending["data"]}


def test_unknown_request_fields_are_ignored(
    api: httpx.Client, storage: httpx.Client, pdf_bytes: bytes
) -> None:
    file_id = upload(api, storage, pdf_bytes)
    response = api.post(
        "/v1/batches",
        json={
            "source": {"type": "files", "file_ids": [file_id], "extra": 1},
            "chunking": "semantic",
            "webhook": {"mode": "svix"},
            "ocr": "never",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["options"]["ocr"] == "never"
    wait_for_batch(api, response.json()["id"])
