"""Error statuses and bodies of the /v1 routes, as extract.page returns them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from app.server.launcher import LocalServer
from tests.server.conftest import SESSION_MAX_UPLOAD
from tests.server.helpers import (
    all_items,
    create_batch,
    create_file,
    start_batch,
    upload,
    wait_for_batch,
)

V1_ROUTES = [
    ("POST", "/v1/files"),
    ("GET", "/v1/files/file_x"),
    ("POST", "/v1/batches"),
    ("GET", "/v1/batches"),
    ("GET", "/v1/batches/batch_x"),
    ("POST", "/v1/batches/batch_x/cancel"),
    ("GET", "/v1/batches/batch_x/items/item_x/result"),
    ("GET", "/v1/nothing-here"),
]


@pytest.mark.parametrize(("method", "path"), V1_ROUTES)
@pytest.mark.parametrize("key", [None, "wrong-key", ""])
def test_every_v1_route_needs_the_api_key(
    server: LocalServer, control: httpx.Client, method: str, path: str, key: str | None
) -> None:
    headers = {} if key is None else {"X-API-KEY": key}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        response = client.request(method, path, json={"size_bytes": 1})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or missing API key."}


def _detail(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    detail: list[dict[str, Any]] = response.json()["detail"]
    assert all({"loc", "msg", "type"} <= set(error) for error in detail)
    return detail


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        ({}, ["body", "size_bytes"], "missing"),
        ({"size_bytes": 0}, ["body", "size_bytes"], "greater_than"),
        ({"size_bytes": -5}, ["body", "size_bytes"], "greater_than"),
        ({"size_bytes": "many"}, ["body", "size_bytes"], "int_parsing"),
        ({"size_bytes": 1.5}, ["body", "size_bytes"], "int_from_float"),
        ({"size_bytes": 1, "filename": "x" * 513}, ["body", "filename"], "string_too_long"),
        ({"size_bytes": 1, "content_type": "x" * 129}, ["body", "content_type"], "string_too_long"),
        ([1, 2], ["body"], "model_type"),
    ],
)
def test_create_file_validation(api: httpx.Client, body: Any, loc: list[Any], kind: str) -> None:
    detail = _detail(api.post("/v1/files", json=body))
    assert (detail[0]["loc"], detail[0]["type"]) == (loc, kind)


def test_create_file_accepts_the_longest_allowed_strings(api: httpx.Client) -> None:
    created = create_file(api, 10, filename="f" * 512, content_type="c" * 128)
    assert created["status"] == "pending_upload"
    assert created["upload"]["method"] == "PUT"
    assert created["sha256"] is None


def test_create_file_non_json_and_empty_bodies(api: httpx.Client) -> None:
    detail = _detail(api.post("/v1/files", content=b"{not json"))
    assert detail[0]["type"] == "json_invalid"
    assert detail[0]["loc"][0] == "body"
    detail = _detail(api.post("/v1/files"))
    assert detail == [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]


def test_create_file_over_the_cap_is_413(api: httpx.Client) -> None:
    too_big = SESSION_MAX_UPLOAD + 1
    response = api.post("/v1/files", json={"size_bytes": too_big})
    assert response.status_code == 413
    assert response.json() == {
        "detail": f"size_bytes {too_big} exceeds maximum of {SESSION_MAX_UPLOAD}."
    }
    assert api.post("/v1/files", json={"size_bytes": SESSION_MAX_UPLOAD}).status_code == 200


def test_unknown_file_is_404(api: httpx.Client) -> None:
    response = api.get("/v1/files/file_doesnotexist")
    assert response.status_code == 404
    assert response.json() == {"detail": "File not found"}


def test_create_batch_refusals(api: httpx.Client, storage: httpx.Client, pdf_bytes: bytes) -> None:
    uploaded = upload(api, storage, pdf_bytes)
    pending = create_file(api, 10)["id"]

    response = create_batch(api, [uploaded, "file_nope", "file_nada", pending])
    assert response.status_code == 404
    assert response.json() == {"error": "file_not_found", "file_ids": ["file_nope", "file_nada"]}

    response = create_batch(api, [pending, uploaded])
    assert response.status_code == 409
    assert response.json() == {"error": "file_not_uploaded", "file_ids": [pending]}

    response = create_batch(api, [])
    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "source"]),
        ({"source": {"type": "urls", "file_ids": ["file_a"]}}, ["body", "source", "type"]),
        ({"source": {"file_ids": "file_a"}}, ["body", "source", "file_ids"]),
        ({"source": {"file_ids": ["f"] * 10_001}}, ["body", "source", "file_ids"]),
        ({"source": {"file_ids": ["f"]}, "ocr": "sometimes"}, ["body", "ocr"]),
        ({"source": {"file_ids": ["f"]}, "engine": "e" * 65}, ["body", "engine"]),
        ({"source": {"file_ids": ["f"]}, "metadata": {"k": "v" * 17_000}}, ["body", "metadata"]),
        ({"source": {"file_ids": ["f"]}, "extract_text": "perhaps"}, ["body", "extract_text"]),
    ],
)
def test_create_batch_validation(api: httpx.Client, body: dict[str, Any], loc: list[Any]) -> None:
    detail = _detail(api.post("/v1/batches", json=body, headers={"Idempotency-Key": "never-used"}))
    assert detail[0]["loc"] == loc
    assert api.get("/v1/batches", params={"limit": 1}).status_code == 200


def test_batch_lookups(api: httpx.Client) -> None:
    for path in ("/v1/batches/batch_nope", "/v1/batches/batch_nope/cancel"):
        method = "POST" if path.endswith("cancel") else "GET"
        response = api.request(method, path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Batch not found"}
    response = api.get("/v1/batches/batch_nope/items/item_nope/result")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/v1/batches", {"status": "finished"}, 400),
        ("/v1/batches", {"cursor": "not-a-cursor"}, 400),
        ("/v1/batches", {"limit": 0}, 422),
        ("/v1/batches", {"limit": 201}, 422),
        ("/v1/batches", {"limit": "ten"}, 422),
        ("/v1/batches", {"limit": 200}, 200),
        ("/v1/batches", {"status": "expired"}, 200),
    ],
)
def test_list_batches_parameters(
    api: httpx.Client, path: str, params: dict[str, Any], status: int
) -> None:
    assert api.get(path, params=params).status_code == status


def test_get_batch_parameters(api: httpx.Client, storage: httpx.Client, pdf_bytes: bytes) -> None:
    batch = start_batch(api, [upload(api, storage, pdf_bytes)])
    base = f"/v1/batches/{batch['id']}"
    for limit, status in ((0, 422), (501, 422), (500, 200), (1, 200)):
        assert api.get(base, params={"limit": limit}).status_code == status
    detail = _detail(api.get(base, params={"limit": 501}))
    assert detail[0]["loc"] == ["query", "limit"]
    for cursor in ("%%%", "bm90IGEgY3Vyc29y", "MjAyNS0wMS0wMXxpdGVt"):
        response = api.get(base, params={"cursor": cursor})
        assert response.status_code == 400, cursor
        assert response.json() == {"detail": "Invalid cursor"}
    wait_for_batch(api, batch["id"])


def test_result_not_ready_then_gone(
    api: httpx.Client,
    storage: httpx.Client,
    control: httpx.Client,
    data_dir: Path,
    pdf_bytes: bytes,
) -> None:
    control.post("/_test/hold", json={"hold": True}).raise_for_status()
    batch = start_batch(api, [upload(api, storage, pdf_bytes)])
    (item,) = all_items(api, batch["id"])
    path = f"/v1/batches/{batch['id']}/items/{item['id']}/result"
    response = api.get(path)
    assert response.status_code == 409
    assert response.json() == {"error": "result_not_ready", "status": "pending"}
    assert api.get(f"/v1/batches/{batch['id']}/items/item_other/result").status_code == 404

    control.post("/_test/hold", json={"hold": False}).raise_for_status()
    wait_for_batch(api, batch["id"])
    assert api.get(path).status_code == 302
    (data_dir / "results" / f"{item['id']}.json").unlink()
    response = api.get(path)
    assert response.status_code == 410
    assert response.json() == {"detail": "Result no longer available"}


def test_unknown_routes_are_json_404(api: httpx.Client) -> None:
    response = api.get("/v1/unknown")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    response = api.delete("/v1/batches")
    assert response.status_code == 405
