"""The presigned storage URLs: S3-like refusals, streaming uploads and result downloads."""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import psutil

from app.server.launcher import LocalServer
from tests.server.helpers import (
    all_items,
    create_file,
    make_pdf,
    s3_code,
    start_batch,
    upload,
    wait_for_batch,
    wait_until,
)

MISMATCH = "SignatureDoesNotMatch"


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _status(api: httpx.Client, file_id: str) -> str:
    return str(api.get(f"/v1/files/{file_id}").json()["status"])


def test_upload_refusals(api: httpx.Client, storage: httpx.Client) -> None:
    data = b"%PDF-1.4 not really"
    created = create_file(api, len(data), content_type="application/pdf")
    url = created["upload"]["url"]
    pdf = {"content-type": "application/pdf"}

    response = storage.put(url, content=data + b"!", headers=pdf)
    assert (response.status_code, s3_code(response)[0]) == (403, MISMATCH)
    response = storage.put(url, content=data[:-1], headers=pdf)
    assert (response.status_code, s3_code(response)[0]) == (403, MISMATCH)
    response = storage.put(url, content=data, headers={"content-type": "application/octet-stream"})
    assert (response.status_code, s3_code(response)[0]) == (403, MISMATCH)
    response = storage.put(url, content=data)  # declared a content type, sent none
    assert (response.status_code, s3_code(response)[0]) == (403, MISMATCH)

    signature = parse_qs(urlsplit(url).query)["sig"][0]
    tampered = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    for bad in (
        _with_query(url, sig=tampered),
        _with_query(url, expires=str(int(parse_qs(urlsplit(url).query)["expires"][0]) + 60)),
        url.split("?")[0],
        url.replace(created["id"], create_file(api, len(data))["id"]),
    ):
        response = storage.put(bad, content=data, headers=pdf)
        assert (response.status_code, s3_code(response)[0]) == (403, MISMATCH), bad

    def chunked() -> Iterator[bytes]:
        yield data

    response = storage.put(url, content=chunked(), headers=pdf)
    assert response.status_code == 411
    assert s3_code(response)[0] == "MissingContentLength"

    assert _status(api, created["id"]) == "pending_upload"
    response = storage.put(url, content=data, headers=pdf)
    assert response.status_code == 200
    assert response.headers["etag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert response.content == b""
    assert _status(api, created["id"]) == "uploaded"


def test_any_content_type_when_none_was_declared(api: httpx.Client, storage: httpx.Client) -> None:
    for content_type in ("application/octet-stream", "text/plain", None):
        created = create_file(api, 3)
        headers = {"content-type": content_type} if content_type else {}
        assert (
            storage.put(created["upload"]["url"], content=b"abc", headers=headers).status_code
            == 200
        )


def test_re_put_overwrites(api: httpx.Client, storage: httpx.Client) -> None:
    created = create_file(api, 4)
    url = created["upload"]["url"]
    assert storage.put(url, content=b"AAAA").status_code == 200
    assert storage.put(url, content=b"BBBB").status_code == 200
    record = api.get(f"/v1/files/{created['id']}").json()
    assert record["sha256"] == hashlib.md5(b"BBBB").hexdigest()


def test_uploads_carry_exact_length_and_never_the_api_key(
    api: httpx.Client, storage: httpx.Client, control: httpx.Client, pdf_bytes: bytes
) -> None:
    file_id = upload(api, storage, pdf_bytes)
    log = control.get("/_test/requests").json()
    (put,) = [r for r in log if r["method"] == "PUT"]
    assert put["path"] == f"/_storage/uploads/{file_id}"
    assert put["content_length"] == len(pdf_bytes)
    assert put["body_bytes_received"] == len(pdf_bytes)
    names = [name for name, _ in put["headers"]]
    assert "x-api-key" not in names
    assert "authorization" not in names
    assert "transfer-encoding" not in names
    (post,) = [r for r in log if r["method"] == "POST"]
    assert ["x-api-key", "<redacted>"] in post["headers"]


def test_cut_short_upload_leaves_nothing_behind(
    api: httpx.Client, server: LocalServer, data_dir: Path
) -> None:
    created = create_file(api, 100)
    url = urlsplit(created["upload"]["url"])
    head = (
        f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Length: 100\r\n\r\n"
    ).encode()
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(head + b"x" * 40)
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(10)
        while sock.recv(4096):
            pass

    def clean() -> bool:
        return not any((data_dir / "uploads").glob(f".{created['id']}*"))

    wait_until(clean, what="the partial upload to be removed")
    assert _status(api, created["id"]) == "pending_upload"
    assert not (data_dir / "uploads" / created["id"]).exists()


def test_large_upload_streams_to_disk(
    api: httpx.Client, storage: httpx.Client, server: LocalServer, data_dir: Path
) -> None:
    size = 256 * 1024 * 1024
    block = os.urandom(1024 * 1024)
    digest = hashlib.md5()
    for _ in range(size // len(block)):
        digest.update(block)
    created = create_file(api, size)
    process = psutil.Process(server.pid)
    before = process.memory_info().rss

    def body() -> Iterator[bytes]:
        for _ in range(size // len(block)):
            yield block

    response = storage.put(
        created["upload"]["url"], content=body(), headers={"content-length": str(size)}
    )
    assert response.status_code == 200
    grown = process.memory_info().rss - before
    assert grown < 96 * 1024 * 1024, f"server memory grew by {grown / 2**20:.0f} MiB"
    assert response.headers["etag"] == f'"{digest.hexdigest()}"'
    stored = data_dir / "uploads" / created["id"]
    assert stored.stat().st_size == size
    stored.unlink()  # keep the temporary directory small


def test_result_urls(
    api: httpx.Client, storage: httpx.Client, control: httpx.Client, pdf_bytes: bytes
) -> None:
    batch = start_batch(api, [upload(api, storage, make_pdf("Result"))])
    wait_for_batch(api, batch["id"])
    (item,) = all_items(api, batch["id"])
    location = api.get(item["result_url"]).headers["location"]
    assert storage.get(location).status_code == 200
    signature = parse_qs(urlsplit(location).query)["sig"][0]
    for bad in (
        _with_query(location, sig=signature[::-1]),
        location.replace(item["id"], "item_other"),
        location.split("?")[0],
    ):
        response = storage.get(bad)
        assert (response.status_code, s3_code(response)[0]) == (403, MISMATCH)
    log = control.get("/_test/requests").json()
    downloads = [r for r in log if r["path"].startswith("/_storage/results/")]
    assert downloads
    assert all("x-api-key" not in [n for n, _ in r["headers"]] for r in downloads)
