"""Helpers shared by the local-server tests: documents, uploads and polling."""

from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import psutil
from reportlab.pdfgen import canvas

TERMINAL = {"completed", "partially_failed", "failed", "cancelled", "expired"}

T = TypeVar("T")


def make_pdf(label: str, pages: int = 1) -> bytes:
    """A small real PDF whose page N reads ``{label} page N``."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for number in range(1, pages + 1):
        pdf.drawString(72, 720, f"{label} page {number}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def wait_until(probe: Callable[[], T | None], *, timeout: float = 20.0, what: str = "") -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or probe}")
        time.sleep(0.05)


def create_file(
    api: httpx.Client, size: int, *, filename: str = "doc.pdf", content_type: str | None = None
) -> dict[str, Any]:
    """``POST /v1/files``; returns the CreateFileResponse."""
    body: dict[str, Any] = {"size_bytes": size, "filename": filename}
    if content_type is not None:
        body["content_type"] = content_type
    response = api.post("/v1/files", json=body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def upload(
    api: httpx.Client,
    storage: httpx.Client,
    data: bytes,
    *,
    filename: str = "doc.pdf",
    content_type: str | None = "application/pdf",
) -> str:
    """Create a file and PUT its bytes; returns the file id."""
    created = create_file(api, len(data), filename=filename, content_type=content_type)
    headers = {"content-type": content_type} if content_type else {}
    response = storage.put(created["upload"]["url"], content=data, headers=headers)
    assert response.status_code == 200, response.text
    return str(created["id"])


def create_batch(
    api: httpx.Client, file_ids: list[str], *, key: str | None = None, **fields: Any
) -> httpx.Response:
    """``POST /v1/batches`` from uploaded files."""
    headers = {"Idempotency-Key": key} if key else {}
    body = {"source": {"type": "files", "file_ids": file_ids}, **fields}
    return api.post("/v1/batches", json=body, headers=headers)


def start_batch(api: httpx.Client, file_ids: list[str], **fields: Any) -> dict[str, Any]:
    """Create a batch and return its BatchResource (asserting success)."""
    response = create_batch(api, file_ids, **fields)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def get_batch(api: httpx.Client, batch_id: str, **params: Any) -> dict[str, Any]:
    response = api.get(f"/v1/batches/{batch_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def wait_for_batch(
    api: httpx.Client, batch_id: str, *, timeout: float = 30.0, statuses: set[str] = TERMINAL
) -> dict[str, Any]:
    """Poll a batch until its status is one of ``statuses``."""

    def probe() -> dict[str, Any] | None:
        batch = get_batch(api, batch_id)
        return batch if batch["status"] in statuses else None

    return wait_until(probe, timeout=timeout, what=f"batch {batch_id} to reach {statuses}")


def wait_for_item(
    api: httpx.Client, batch_id: str, position: int, status: str, *, timeout: float = 20.0
) -> dict[str, Any]:
    """Poll until the item at ``position`` has ``status``."""

    def probe() -> dict[str, Any] | None:
        items = all_items(api, batch_id)
        item = next(item for item in items if item["position"] == position)
        return item if item["status"] == status else None

    return wait_until(probe, timeout=timeout, what=f"item {position} to be {status}")


def all_items(api: httpx.Client, batch_id: str, *, limit: int = 500) -> list[dict[str, Any]]:
    """Every item of a batch, following ``next_cursor``; sorted by position."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        page = get_batch(api, batch_id, **params)
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return sorted(items, key=lambda item: item["position"])


def s3_code(response: httpx.Response) -> tuple[str, str]:
    """``(Code, Message)`` of an S3-style XML error body."""
    assert response.headers["content-type"].startswith("application/xml"), response.text
    root = ET.fromstring(response.text)
    return root.findtext("Code") or "", root.findtext("Message") or ""


def worker_processes(server_pid: int) -> list[psutil.Process]:
    """The server's extraction worker processes (not multiprocessing's resource tracker)."""
    found = []
    for child in psutil.Process(server_pid).children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def _alive(process: psutil.Process) -> bool:
    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def assert_all_gone(processes: list[psutil.Process], timeout: float = 10.0) -> None:
    """Every process in ``processes`` exits (zombies count as gone) within ``timeout`` s."""
    wait_until(
        lambda: not any(_alive(p) for p in processes),
        timeout=timeout,
        what=f"processes {[p.pid for p in processes]} to exit",
    )
