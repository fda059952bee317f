"""Test-mode fault injection, each kind observed with raw httpx, and idempotent retries."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.server.helpers import (
    all_items,
    create_batch,
    create_file,
    s3_code,
    start_batch,
    upload,
    wait_for_batch,
)


def _faults(control: httpx.Client, *rules: dict[str, Any]) -> None:
    response = control.post("/_test/faults", json={"rules": list(rules)})
    assert response.status_code == 200, response.text


def _batches_tagged(api: httpx.Client, tag: str) -> list[dict[str, Any]]:
    listing = api.get("/v1/batches", params={"limit": 200}).json()["data"]
    return [b for b in listing if (b["metadata"] or {}).get("tag") == tag]


def test_429_is_answered_without_processing(api: httpx.Client, control: httpx.Client) -> None:
    _faults(
        control, {"method": "GET", "path": "/v1/batches/[^/]+", "fault": "429", "retry_after": 3}
    )
    response = api.get("/v1/batches/batch_nope")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.json()["detail"].startswith("Polling rate limit exceeded.")
    assert api.get("/v1/batches/batch_nope").status_code == 404  # times defaults to 1


def test_times_and_method_matching(api: httpx.Client, control: httpx.Client) -> None:
    _faults(
        control,
        {"method": "POST", "path": "/v1/files", "fault": "5xx_before", "times": 2, "status": 502},
    )
    assert api.get("/v1/files/file_x").status_code == 404  # other method: untouched
    statuses = [api.post("/v1/files", json={"size_bytes": 1}).status_code for _ in range(3)]
    assert statuses == [502, 502, 200]
    assert control.get("/_test/faults").json() == {"rules": []}


def test_5xx_before_does_not_create(
    api: httpx.Client, storage: httpx.Client, control: httpx.Client, pdf_bytes: bytes
) -> None:
    file_id = upload(api, storage, pdf_bytes)
    tag = uuid.uuid4().hex
    _faults(
        control, {"method": "POST", "path": "/v1/batches", "fault": "5xx_before", "status": 503}
    )
    response = create_batch(api, [file_id], key=tag, metadata={"tag": tag})
    assert response.status_code == 503
    assert _batches_tagged(api, tag) == []
    retry = create_batch(api, [file_id], key=tag, metadata={"tag": tag})
    assert retry.status_code == 200
    assert [b["id"] for b in _batches_tagged(api, tag)] == [retry.json()["id"]]
    wait_for_batch(api, retry.json()["id"])


@pytest.mark.parametrize("fault", ["5xx_after", "drop"])
def test_retry_with_the_same_key_after_a_lost_answer_creates_one_batch(
    api: httpx.Client, storage: httpx.Client, control: httpx.Client, pdf_bytes: bytes, fault: str
) -> None:
    file_id = upload(api, storage, pdf_bytes)
    tag = uuid.uuid4().hex
    _faults(control, {"method": "POST", "path": "/v1/batches", "fault": fault, "status": 500})
    if fault == "drop":
        with pytest.raises(httpx.RemoteProtocolError):
            create_batch(api, [file_id], key=tag, metadata={"tag": tag})
    else:
        assert create_batch(api, [file_id], key=tag, metadata={"tag": tag}).status_code == 500
    (created,) = _batches_tagged(api, tag)  # the request was processed
    retry = create_batch(api, [file_id], key=tag, metadata={"tag": tag})
    assert retry.status_code == 200
    assert retry.json()["id"] == created["id"]
    again = create_batch(api, [file_id], key=tag, metadata={"tag": "different body"})
    assert again.json()["id"] == created["id"]
    assert len(_batches_tagged(api, tag)) == 1
    wait_for_batch(api, created["id"])


def test_drop_on_a_get_is_a_transport_error(api: httpx.Client, control: httpx.Client) -> None:
    _faults(control, {"path": "/v1/batches", "fault": "drop"})
    with pytest.raises(httpx.TransportError) as caught:
        api.get("/v1/batches")
    assert isinstance(caught.value, httpx.RemoteProtocolError)
    assert api.get("/v1/batches").status_code == 200
    (dropped, ok) = control.get("/_test/requests").json()
    assert dropped["fault"] == "drop"
    assert ok["fault"] is None


def test_slow(api: httpx.Client, control: httpx.Client) -> None:
    _faults(control, {"method": "GET", "path": "/v1/files/.*", "fault": "slow", "delay": 0.6})
    started = time.perf_counter()
    assert api.get("/v1/files/file_slow").status_code == 404
    assert time.perf_counter() - started >= 0.6
    started = time.perf_counter()
    api.get("/v1/files/file_fast")
    assert time.perf_counter() - started < 0.6


def test_expire_url_on_upload(
    api: httpx.Client, storage: httpx.Client, control: httpx.Client
) -> None:
    _faults(control, {"method": "POST", "path": "/v1/files", "fault": "expire_url"})
    expired = create_file(api, 3)
    assert datetime.fromisoformat(expired["upload"]["expires_at"]) < datetime.now(UTC)
    response = storage.put(expired["upload"]["url"], content=b"abc")
    assert response.status_code == 403
    assert s3_code(response) == ("AccessDenied", "Request has expired")
    fresh = create_file(api, 3)
    assert storage.put(fresh["upload"]["url"], content=b"abc").status_code == 200


def test_expire_url_on_result(
    api: httpx.Client, storage: httpx.Client, control: httpx.Client, pdf_bytes: bytes
) -> None:
    batch = start_batch(api, [upload(api, storage, pdf_bytes)])
    wait_for_batch(api, batch["id"])
    (item,) = all_items(api, batch["id"])
    _faults(control, {"method": "GET", "path": r"/v1/batches/.+/result", "fault": "expire_url"})
    response = storage.get(api.get(item["result_url"]).headers["location"])
    assert response.status_code == 403
    assert s3_code(response) == ("AccessDenied", "Request has expired")
    assert storage.get(api.get(item["result_url"]).headers["location"]).status_code == 200


def test_faults_on_presigned_routes(
    api: httpx.Client, storage: httpx.Client, control: httpx.Client
) -> None:
    throttled = create_file(api, 3)
    _faults(
        control,
        {"method": "PUT", "path": "/_storage/uploads/.*", "fault": "429"},
        {"method": "PUT", "path": "/_storage/uploads/.*", "fault": "5xx_after", "status": 503},
    )
    assert storage.put(throttled["upload"]["url"], content=b"abc").status_code == 429
    assert api.get(f"/v1/files/{throttled['id']}").json()["status"] == "pending_upload"
    assert storage.put(throttled["upload"]["url"], content=b"abc").status_code == 503
    assert api.get(f"/v1/files/{throttled['id']}").json()["status"] == "uploaded"
    log = control.get("/_test/requests").json()
    assert [(r["status"], r["fault"]) for r in log if r["method"] == "PUT"] == [
        (429, "429"),
        (503, "5xx_after"),
    ]


def test_drop_on_result_download(
    api: httpx.Client, storage: httpx.Client, control: httpx.Client, pdf_bytes: bytes
) -> None:
    batch = start_batch(api, [upload(api, storage, pdf_bytes)])
    wait_for_batch(api, batch["id"])
    (item,) = all_items(api, batch["id"])
    location = api.get(item["result_url"]).headers["location"]
    _faults(control, {"method": "GET", "path": "/_storage/results/.*", "fault": "drop"})
    with pytest.raises(httpx.RemoteProtocolError):
        storage.get(location)
    assert storage.get(location).json()["chunks"]


def test_fault_rule_validation(control: httpx.Client) -> None:
    for rule in (
        {"path": "(", "fault": "429"},
        {"path": "/v1/files", "fault": "explode"},
        {"path": "/v1/files", "fault": "5xx_before", "status": 404},
        {"path": "/v1/files", "fault": "429", "times": 0},
        {"fault": "429"},
    ):
        response = control.post("/_test/faults", json={"rules": [rule]})
        assert response.status_code == 422, rule
    assert control.post("/_test/faults", content=b"nope").status_code == 422
    _faults(control, {"path": "/v1/files", "fault": "429"})
    assert len(control.get("/_test/faults").json()["rules"]) == 1
    assert control.delete("/_test/faults").json() == {"rules": []}


def test_request_log_records_failures_too(
    api: httpx.Client, control: httpx.Client, server: Any
) -> None:
    with httpx.Client(base_url=server.url) as anonymous:
        assert anonymous.get("/v1/batches", params={"limit": 3}).status_code == 401
    assert api.post("/v1/files", content=b"{").status_code == 422
    log = control.get("/_test/requests").json()
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("GET", "/v1/batches", 401),
        ("POST", "/v1/files", 422),
    ]
    assert log[0]["query_string"] == "limit=3"
    assert log[1]["content_length"] == 1
    assert log[1]["body_bytes_received"] == 1
    assert control.delete("/_test/requests").json() == []
    assert control.get("/_test/requests").json() == []
