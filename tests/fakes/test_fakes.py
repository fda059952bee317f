"""Quick self-checks of the service fakes, with raw httpx.

Per fake: the happy path, one violation per rule family, and each fault kind observable.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from typing import Any

import httpx
import pytest

from tests.fakes.anesya import DEFAULT_SCHEMA_ID, AnesyaFake
from tests.fakes.anthropic import ANTHROPIC_VERSION, FILES_BETA, AnthropicFake
from tests.fakes.base import MultipartError, parse_multipart, png_bytes
from tests.fakes.fixtures import anesya_fake, anthropic_fake, olostep_fake
from tests.fakes.olostep import OlostepFake

__all__ = ["anesya_fake", "anthropic_fake", "olostep_fake"]  # the fixtures, used by name

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _violated(fake: Any, *needles: str) -> None:
    """Exactly the expected violations happened (each needle in one line); forget them."""
    found = fake.take_violations()
    assert len(found) == len(needles), found
    for needle, line in zip(needles, found, strict=True):
        assert needle in line, (needle, line)


# Base ----------------------------------------------------------------------------------------


def test_start_stop_leaves_no_thread_or_port() -> None:
    before = {t.name for t in threading.enumerate()}
    fake = OlostepFake().start()
    port = int(fake.url.rsplit(":", 1)[1])
    assert (
        httpx.get(fake.url + "/v1/files", headers={"Authorization": "Bearer x"}).status_code == 401
    )
    fake.stop()
    fake.stop()  # idempotent
    assert {t.name for t in threading.enumerate()} <= before
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


def test_multipart_parser_is_strict() -> None:
    ok = b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--b--\r\n'
    assert parse_multipart(ok, "multipart/form-data; boundary=b")[0].data == b"x"
    with pytest.raises(MultipartError, match="closing"):
        parse_multipart(ok[:-8], "multipart/form-data; boundary=b")
    with pytest.raises(MultipartError, match="boundary"):
        parse_multipart(ok, "multipart/form-data")


def test_fault_rejects_unknown_kinds_and_options() -> None:
    fake = AnesyaFake()
    with pytest.raises(ValueError, match="expire_url"):
        fake.fault("GET", "/x/", "expire_url")
    with pytest.raises(TypeError):
        fake.fault("GET", "/x/", "slow", seconds=1)
    with pytest.raises(ValueError, match="529"):
        fake.fault("GET", "/x/", "529")


# Anthropic -----------------------------------------------------------------------------------


def _an_headers(fake: AnthropicFake, beta: bool = True) -> dict[str, str]:
    headers = {"x-api-key": fake.api_key, "anthropic-version": ANTHROPIC_VERSION}
    if beta:
        headers["anthropic-beta"] = f"other-beta,{FILES_BETA}"
    return headers


def _an_upload(
    client: httpx.Client, name: str = "a.pdf", data: bytes = PDF, mime: str = "application/pdf"
) -> httpx.Response:
    return client.post("/v1/files", files={"file": (name, data, mime)})


def _an_request(
    custom_id: str, file_id: str, kind: str = "document", **extra: Any
) -> dict[str, Any]:
    block = {"type": kind, "source": {"type": "file", "file_id": file_id}}
    params = {
        "model": "claude-test",
        "max_tokens": 1000,
        "messages": [{"role": "user", "content": [block, {"type": "text", "text": "Extract."}]}],
        **extra,
    }
    return {"custom_id": custom_id, "params": params}


def test_anthropic_happy_path(anthropic_fake: AnthropicFake) -> None:
    fake = anthropic_fake
    with httpx.Client(base_url=fake.url, headers=_an_headers(fake)) as client:
        uploaded = _an_upload(client)
        assert uploaded.status_code == 200 and uploaded.headers["request-id"].startswith("req_")
        meta = uploaded.json()
        assert meta["type"] == "file" and meta["mime_type"] == "application/pdf"
        assert meta["size_bytes"] == len(PDF) and meta["downloadable"] is False
        image = _an_upload(client, "p.png", png_bytes(), "image/png").json()
        tool = {
            "name": "record_fields",
            "input_schema": {
                "type": "object",
                "properties": {
                    "total": {"type": "number"},
                    "date": {"type": "string", "format": "date"},
                    "markdown": {"type": "string"},
                    "lines": {"type": "array", "items": {"type": "integer"}},
                },
            },
        }
        body = {
            "requests": [
                _an_request("doc-1", meta["id"], tools=[tool]),
                _an_request("doc-2", image["id"], kind="image"),
                _an_request("doc-3", meta["id"]),
            ]
        }
        created = client.post("/v1/messages/batches", json=body).json()
        assert created["processing_status"] == "in_progress" and created["results_url"] is None
        assert created["request_counts"]["processing"] == 3
        fake.outcome_for["doc-3"] = "expired"
        first = client.get(f"/v1/messages/batches/{created['id']}").json()
        assert first["processing_status"] == "in_progress"
        ended = client.get(f"/v1/messages/batches/{created['id']}").json()
        assert ended["processing_status"] == "ended" and ended["ended_at"]
        assert ended["request_counts"] == {
            "processing": 0,
            "succeeded": 2,
            "errored": 0,
            "canceled": 0,
            "expired": 1,
        }
        assert ended["results_url"] == f"{fake.url}/v1/messages/batches/{created['id']}/results"
        lines = [json.loads(x) for x in client.get(ended["results_url"]).text.splitlines()]
    assert [x["custom_id"] for x in lines] != ["doc-1", "doc-2", "doc-3"]
    by_id = {x["custom_id"]: x["result"] for x in lines}
    assert by_id["doc-3"] == {"type": "expired"}
    message = by_id["doc-1"]["message"]
    assert message["content"][0]["text"] == fake.markdown_for("a.pdf", len(PDF))
    assert message["stop_reason"] == "tool_use"
    tool_input = message["content"][1]["input"]
    assert tool_input["date"] == "2024-01-31" and isinstance(tool_input["total"], float)
    assert tool_input["markdown"].startswith("# a.pdf") and tool_input["lines"] == [42]
    assert by_id["doc-2"]["message"]["content"] == [
        {"type": "text", "text": fake.markdown_for("p.png", len(png_bytes()))}
    ]


def test_anthropic_violations(anthropic_fake: AnthropicFake) -> None:
    fake = anthropic_fake
    url = fake.url
    missing = httpx.get(
        url + "/v1/messages/batches", headers={"anthropic-version": ANTHROPIC_VERSION}
    )
    assert missing.status_code == 401
    assert missing.json()["error"]["type"] == "authentication_error"
    assert missing.json()["request_id"] == missing.headers["request-id"]
    wrong = httpx.get(url + "/v1/messages/batches", headers={**_an_headers(fake), "x-api-key": "k"})
    assert wrong.status_code == 401  # a wrong key is not a violation
    no_version = httpx.get(url + "/v1/messages/batches", headers={"x-api-key": fake.api_key})
    assert no_version.status_code == 400
    _violated(fake, "x-api-key", "anthropic-version")

    with httpx.Client(base_url=url, headers=_an_headers(fake, beta=False)) as client:
        assert _an_upload(client).status_code == 400  # Files API without the beta header
        _violated(fake, FILES_BETA)
        client.headers.update(_an_headers(fake))
        assert _an_upload(client, mime="application/msword").status_code == 400
        assert _an_upload(client, name="a/b.pdf").status_code == 400
        _violated(fake, "Content-Type", "invalid filename")
        pdf = _an_upload(client).json()["id"]
        image = _an_upload(client, "i.png", png_bytes(), "image/png").json()["id"]
        without_beta = {k: v for k, v in _an_headers(fake).items() if k != "anthropic-beta"}
        refused = client.post(
            "/v1/messages/batches",
            json={"requests": [_an_request("a", pdf)]},
            headers={"anthropic-beta": ""} | without_beta,
        )
        assert refused.status_code == 400
        bad_id = client.post("/v1/messages/batches", json={"requests": [_an_request("a b", pdf)]})
        assert bad_id.status_code == 400
        _violated(fake, "reference a file_id", "custom_id")

        body = {
            "requests": [
                _an_request("wrong-type", image),
                _an_request("unknown", "file_nope"),
                _an_request("streaming", pdf, stream=True),
            ]
        }
        batch = client.post("/v1/messages/batches", json=body).json()  # async validation
        _violated(fake, "Invalid file type", "File not found", "stream")
        for _ in range(2):
            client.get(f"/v1/messages/batches/{batch['id']}")
        lines = [
            json.loads(x) for x in client.get(batch_results(fake, batch["id"])).text.splitlines()
        ]
    errors = {x["custom_id"]: x["result"]["error"]["error"] for x in lines}
    assert errors["wrong-type"]["type"] == "invalid_request_error"
    assert "Invalid file type" in errors["wrong-type"]["message"]
    assert errors["unknown"]["type"] == "not_found_error"
    assert errors["streaming"]["type"] == "invalid_request_error"
    unknown_route = httpx.get(url + "/v1/nothing", headers=_an_headers(fake))
    assert unknown_route.status_code == 404
    _violated(fake, "no such route")


def batch_results(fake: AnthropicFake, batch_id: str) -> str:
    return f"{fake.url}/v1/messages/batches/{batch_id}/results"


def test_anthropic_cancel_list_outcomes_and_limits(anthropic_fake: AnthropicFake) -> None:
    fake = anthropic_fake
    fake.max_file_bytes = 10
    with httpx.Client(base_url=fake.url, headers=_an_headers(fake)) as client:
        too_big = _an_upload(client)
        assert too_big.status_code == 413
        assert too_big.json()["error"]["type"] == "request_too_large"
        fake.max_file_bytes = 1000
        pdf = _an_upload(client).json()["id"]
        fake.outcome_for["x2"] = "errored:overloaded_error"
        ids = []
        for _ in range(3):
            body = {"requests": [_an_request(f"x{i}", pdf) for i in range(4)]}
            ids.append(client.post("/v1/messages/batches", json=body).json()["id"])
        page = client.get("/v1/messages/batches", params={"limit": 2}).json()
        assert [b["id"] for b in page["data"]] == [ids[2], ids[1]] and page["has_more"]
        rest = client.get("/v1/messages/batches", params={"after_id": page["last_id"]}).json()
        assert [b["id"] for b in rest["data"]] == [ids[0]] and not rest["has_more"]
        client.get(f"/v1/messages/batches/{ids[0]}")  # one of two steps: half processed
        canceling = client.post(f"/v1/messages/batches/{ids[0]}/cancel").json()
        assert canceling["processing_status"] == "canceling" and canceling["cancel_initiated_at"]
        ended = client.get(f"/v1/messages/batches/{ids[0]}").json()
        assert ended["processing_status"] == "ended"
        assert ended["request_counts"] == {
            "processing": 0,
            "succeeded": 2,
            "errored": 0,
            "canceled": 2,
            "expired": 0,
        }
        assert client.post(f"/v1/messages/batches/{ids[0]}/cancel").status_code == 400
        for _ in range(2):
            client.get(f"/v1/messages/batches/{ids[1]}")
        lines = client.get(batch_results(fake, ids[1])).text.splitlines()
    results = {json.loads(x)["custom_id"]: json.loads(x)["result"] for x in lines}
    assert results["x2"]["error"]["error"]["type"] == "overloaded_error"
    assert fake.violations == []


def test_anthropic_faults(anthropic_fake: AnthropicFake) -> None:
    fake = anthropic_fake
    with httpx.Client(base_url=fake.url, headers=_an_headers(fake)) as client:
        rule = fake.fault("POST", "/v1/files", "429", retry_after=3)
        limited = _an_upload(client)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
        assert limited.json()["error"]["type"] == "rate_limit_error"
        assert rule.hits == 1 and rule.remaining == 0 and fake.faults == []
        fake.fault("*", "/v1/files", "529")
        assert _an_upload(client).json()["error"]["type"] == "overloaded_error"
        fake.fault("POST", "/v1/files", "5xx_before", status=503)
        assert _an_upload(client).status_code == 503 and fake.uploads == 0
        fake.fault("POST", "/v1/files", "5xx_after")
        assert _an_upload(client).status_code == 500 and fake.uploads == 1  # duplicate risk
        fake.fault("POST", "/v1/files", "drop")
        with pytest.raises(httpx.TransportError):
            _an_upload(client)
        assert fake.uploads == 2
        fake.fault("POST", "/v1/files", "slow", delay=0.3)
        started = time.monotonic()
        assert _an_upload(client).status_code == 200
        assert time.monotonic() - started >= 0.3
    assert [r.fault for r in fake.requests] == [
        "429",
        "529",
        "5xx_before",
        "5xx_after",
        "drop",
        "slow",
    ]
    assert [r.status for r in fake.requests] == [429, 529, 503, 500, None, 200]


# Anesya --------------------------------------------------------------------------------------


def _as_create(
    client: httpx.Client,
    name: str = "invoice.pdf",
    data: bytes = PDF,
    params: dict[str, Any] | None = None,
    **fields: str,
) -> httpx.Response:
    form = {"server": "EU-1", **fields}
    return client.post("/extract/", data=form, files={"document": (name, data)}, params=params)


def test_anesya_happy_path(anesya_fake: AnesyaFake) -> None:
    fake = anesya_fake
    fake.steps_to_finish = 3
    with httpx.Client(base_url=fake.url, headers={"Authorization": fake.api_key}) as client:
        created = _as_create(
            client,
            schema=DEFAULT_SCHEMA_ID,
            metadata=json.dumps({"doc_id": "d-1"}),
            params={"pdf_page_start": 1, "pdf_page_end": 2},
        )
        assert created.status_code == 201, created.text
        extract = created.json()
        assert extract["status"] == "CREATED" and extract["extraction_step"] == "OCR"
        assert extract["content"] is None and extract["content_images"] == []
        assert extract["document_url"].startswith("/document/")
        assert extract["metadata"] == {"doc_id": "d-1"} and fake.creates == 1
        _as_create(client, "photo.jpg", b"\xff\xd8\xff", metadata='{"doc_id": "d-2"}')
        path = f"/extract/{extract['id']}/"
        steps = [client.get(path).json() for _ in range(3)]
        assert [(s["status"], s["extraction_step"]) for s in steps[:2]] == [
            ("IN_PROGRESS", "OCR"),
            ("IN_PROGRESS", "CLASSIFICATION"),
        ]
        done = steps[2]
        assert done["status"] == "FINISHED"
        assert done["content"] == fake.content_for("invoice.pdf", len(PDF), 1, 2)
        assert done["extracted_data"]["invoice_number"] == "invoice_number of invoice.pdf"
        assert done["credit_used"] == 3 and done["extraction_time"] > 0
        image = client.get(done["content_images"][0]["url"])
        assert image.headers["content-type"] == "image/png" and image.content.startswith(b"\x89PNG")
        assert client.get(done["document_url"]).content == PDF
        found = client.get("/extract/", params={"meta_key": "doc_id", "meta_value": "d-1"}).json()
        assert found["count"] == 1 and found["results"][0]["id"] == extract["id"]
        assert found["results"][0]["schema"]["name"] == "Invoice"
        page = client.get("/extract/", params={"size": 1}).json()
        assert page["count"] == 2 and page["results"][0]["document_name"] == "photo.jpg"
        assert page["next"] == f"{fake.url}/extract/?size=1&page=2" and page["previous"] is None


def test_anesya_violations(anesya_fake: AnesyaFake) -> None:
    fake = anesya_fake
    bearer = httpx.get(fake.url + "/extract/", headers={"Authorization": f"Bearer {fake.api_key}"})
    assert bearer.status_code == 401 and bearer.json()["code"] == "token_not_valid"
    assert httpx.get(fake.url + "/extract/").status_code == 401
    wrong = httpx.get(fake.url + "/extract/", headers={"Authorization": "nope"})
    assert wrong.json()["messages"][0]["token_class"] == "AccessToken"  # not a violation
    _violated(fake, "bare token", "not provided")
    with httpx.Client(base_url=fake.url, headers={"Authorization": fake.api_key}) as client:
        no_slash = client.get("/extract")
        assert no_slash.status_code == 404 and "<h1>Not Found</h1>" in no_slash.text
        assert client.put("/extract/").status_code == 405
        _violated(fake, "trailing slash", "not allowed")
        docx = _as_create(client, "a.docx")
        assert docx.status_code == 400 and "docx" in docx.json()["document"][0]
        assert _as_create(client, server="EU1").json() == {
            "server": ['"EU1" is not a valid choice.']
        }
        assert "metadata" in _as_create(client, metadata="{not json").json()
        assert _as_create(client, "a.png", params={"pdf_page_start": 2}).status_code == 400
        assert "schema" in _as_create(client, schema="12").json()
        _violated(fake, "docx", "server", "metadata", "pdf_page_start", "schema")
        unknown = _as_create(client, schema="3f25b8af-eb35-4caf-8f3f-5edd3a79beee")
        assert unknown.status_code == 400 and fake.violations == []  # maybe deleted: no violation
    assert fake.creates == 0


def test_anesya_token_credits_outcome_and_faults(anesya_fake: AnesyaFake) -> None:
    fake = anesya_fake
    fake.steps_to_finish = 1
    with httpx.Client(base_url=fake.url, headers={"Authorization": fake.api_key}) as client:
        fake.outcome_for["bad.pdf"] = "error"
        bad = _as_create(client, "bad.pdf").json()
        failed = client.get(f"/extract/{bad['id']}/").json()
        assert failed["status"] == "ERROR" and failed["content"] is None
        fake.fault("POST", "/extract/", "5xx_after")
        lost = _as_create(client, metadata='{"doc_id": "lost"}')
        assert lost.status_code == 500 and "Server Error (500)" in lost.text
        assert fake.creates == 2  # processed: look it up instead of creating again
        found = client.get("/extract/", params={"meta_key": "doc_id", "meta_value": "lost"}).json()
        assert found["count"] == 1
        fake.fault("POST", "/extract/", "5xx_before")
        assert _as_create(client).status_code == 500 and fake.creates == 2
        fake.fault("GET", r"/extract/.*/", "429", retry_after=2)
        throttled = client.get(f"/extract/{bad['id']}/")
        assert throttled.status_code == 429 and throttled.headers["retry-after"] == "2"
        fake.fault("POST", "/extract/", "drop", process=False)
        with pytest.raises(httpx.TransportError):
            _as_create(client)
        assert fake.creates == 2
        fake.credits = 2
        assert _as_create(client).json() == {"non_field_errors": ["Insufficient credits"]}
        fake.expire_token()
        expired = client.get("/extract/")
        assert expired.status_code == 401
        assert expired.json()["messages"][0]["message"] == "Token is expired"
        client.headers["Authorization"] = fake.new_token()
        assert client.get("/extract/").status_code == 200


# Olostep -------------------------------------------------------------------------------------


def _ol_client(fake: OlostepFake) -> httpx.Client:
    return httpx.Client(base_url=fake.url, headers={"Authorization": f"Bearer {fake.api_key}"})


def _ol_items(n: int) -> list[dict[str, Any]]:
    return [{"custom_id": f"c{i}", "url": f"https://example.com/{i}"} for i in range(n)]


def test_olostep_files(olostep_fake: OlostepFake) -> None:
    fake = olostep_fake
    with _ol_client(fake) as client:
        upload = client.post("/v1/files", json={"filename": "ctx.json", "purpose": "batch"}).json()
        assert upload["object"] == "file.upload" and upload["expires_in"] == 600
        assert client.post(f"/v1/files/{upload['id']}/complete").status_code == 404  # not PUT yet
        put = httpx.put(
            upload["upload_url"], content=b'{"a": 1}', headers={"Content-Type": "application/json"}
        )
        assert put.status_code == 200
        done = client.post(f"/v1/files/{upload['id']}/complete").json()
        assert done == {**done, "status": "completed", "bytes": 8, "object": "file"}
        again = client.post(f"/v1/files/{upload['id']}/complete")
        assert again.status_code == 400
        assert again.headers["content-type"] == "application/problem+json"
        assert client.get(f"/v1/files/{upload['id']}").json()["status"] == "completed"
        content = client.get(f"/v1/files/{upload['id']}/content").json()
        assert httpx.get(content["download_url"]).content == b'{"a": 1}'
        assert fake.violations == []

        assert (
            client.post("/v1/files", json={"filename": "a.txt"}).json()["code"]
            == "validation_error"
        )
        with_auth = httpx.put(
            upload["upload_url"],
            content=b"{}",
            headers={"Content-Type": "application/json", "Authorization": "Bearer x"},
        )
        assert with_auth.status_code == 400 and b"InvalidArgument" in with_auth.content
        tampered = httpx.put(
            upload["upload_url"] + "0", content=b"{}", headers={"Content-Type": "application/json"}
        )
        assert tampered.status_code == 403
        assert httpx.put(upload["upload_url"], content=b"{}").status_code == 403  # no content type
        _violated(fake, "filename", "InvalidArgument", "SignatureDoesNotMatch", "Content-Type")

        fake.fault("POST", "/v1/files", "expire_url")
        stale = client.post("/v1/files", json={"filename": "x.json"}).json()
        expired = httpx.put(
            stale["upload_url"], content=b"{}", headers={"Content-Type": "application/json"}
        )
        assert expired.status_code == 403 and b"Request has expired" in expired.content
    assert httpx.get(fake.url + "/v1/files").json()["code"] == "invalid_api_key"
    _violated(fake, "Authorization header is missing")


def test_olostep_batch_happy_path(olostep_fake: OlostepFake) -> None:
    fake = olostep_fake
    fake.outcome_for["https://example.com/2"] = "failed"
    fake.large["https://example.com/1"] = True
    with _ol_client(fake) as client:
        body = {"items": _ol_items(5), "parser": {"id": "@olostep/test"}, "metadata": {"n": 1}}
        created = client.post("/v1/batches", json=body, headers={"Idempotency-Key": "k1"}).json()
        assert created["status"] == "in_progress" and created["total_urls"] == 5
        assert created["created"] > 10**12 and created["metadata"] == {"n": "1"}
        replay = client.post("/v1/batches", json=body, headers={"Idempotency-Key": "k1"}).json()
        assert replay["id"] == created["id"] and fake.idempotent_replays == 1
        half = client.get(f"/v1/batches/{created['id']}").json()
        assert half["status"] == "in_progress" and half["completed_urls"] == 2
        done = client.get(f"/v1/batches/{created['id']}").json()
        assert done["status"] == "completed" and done["completed_urls"] == 4
        items, cursor = [], None
        while True:
            params: dict[str, Any] = {"status": "completed", "limit": 3}
            if cursor is not None:
                params["cursor"] = cursor
            page = client.get(f"/v1/batches/{created['id']}/items", params=params).json()
            items += page["items"]
            cursor = page.get("cursor")
            if cursor is None:
                break
        assert [i["custom_id"] for i in items] == ["c0", "c1", "c3", "c4"]
        failed = client.get(
            f"/v1/batches/{created['id']}/items", params={"status": "failed"}
        ).json()
        assert [i["custom_id"] for i in failed["items"]] == ["c2"]
        first = client.get(
            "/v1/retrieve",
            params={"retrieve_id": items[0]["retrieve_id"], "formats": "markdown,json"},
        ).json()
        assert first["markdown_content"] == fake.markdown_for("https://example.com/0")
        assert first["html_content"] is None and json.loads(first["json_content"])["url"]
        big = client.get(
            "/v1/retrieve",
            params=[
                ("retrieve_id", items[1]["retrieve_id"]),
                ("formats", "markdown"),
                ("formats", "html"),
            ],
        ).json()
        assert big["size_exceeded"] and big["markdown_content"] is None
        hosted = httpx.get(big["markdown_hosted_url"])
        assert hosted.text == fake.markdown_for("https://example.com/1")


async def test_olostep_idempotency_and_batch_rules(olostep_fake: OlostepFake) -> None:
    fake = olostep_fake
    fake.max_items = 3
    headers = {"Authorization": f"Bearer {fake.api_key}", "Idempotency-Key": "k"}
    async with httpx.AsyncClient(base_url=fake.url, headers=headers) as client:
        body = {"items": _ol_items(2)}
        fake.fault("POST", "/v1/batches", "slow", delay=0.5)
        first = asyncio.create_task(client.post("/v1/batches", json=body))
        await asyncio.sleep(0.2)
        busy = await client.post("/v1/batches", json=body)
        assert busy.status_code == 409 and busy.json()["code"] == "idempotency_key_in_progress"
        assert (await first).status_code == 200
        reuse = await client.post("/v1/batches", json={"items": _ol_items(1)})
        assert reuse.status_code == 422 and reuse.json()["code"] == "idempotency_key_reuse"
        _violated(fake, "different request body")
        del client.headers["Idempotency-Key"]
        fake.fault("POST", "/v1/batches", "drop")
        with pytest.raises(httpx.TransportError):
            await client.post("/v1/batches", json=body)
        assert len(fake.batches) == 2
        too_many = await client.post("/v1/batches", json={"items": _ol_items(4)})
        assert too_many.status_code == 400 and fake.violations == []  # account cap: no violation
        bad = await client.post(
            "/v1/batches", json={"items": [{"custom_id": "x", "url": "ftp://a"}], "extra": 1}
        )
        assert bad.status_code == 400
        assert {tuple(e["loc"]) for e in bad.json()["errors"]} == {
            ("body", "extra"),
            ("body", "items", 0, "url"),
        }
        _violated(fake, "url")
        fake.fault("GET", "/v1/batches/.*", "429", retry_after=7)
        limited = await client.get("/v1/batches/batch_x")
        assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
        assert limited.json()["code"] == "rate_limit_exceeded"
