"""Olostep: web pages as documents (shared/specs/002, shared/apis/services.md §2).

A job's web addresses go out in one batch (``custom_id`` = our document id). The URL list is
also uploaded as a JSON file through the Files API (purpose ``batch``: create, PUT to the
presigned URL within its 10 minutes, complete) and the file id is kept with the batch, so
the job's input is on record at Olostep. Then ``POST /v1/batches`` with an Idempotency-Key,
polling until completed, paging through completed and failed items, and each page's
Markdown from ``/v1/retrieve`` (or from the hosted copy when it is too large to inline).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from app import http
from app.http import ApiError, BadResponse, RetryPolicy
from app.providers.base import (
    BatchEntry,
    BatchSnapshot,
    ByteProgress,
    ItemSnapshot,
    Note,
    RemoteFile,
    RetryCallback,
    Unsupported,
)
from app.providers.client import ServiceClient
from app.uploads import PreparedFile

DEFAULT_BASE_URL = "https://api.olostep.com"
NEW_ACCOUNT_BATCH_LIMIT = 100
ITEMS_PAGE = 50


class OlostepClient(ServiceClient):
    service_name = "Olostep"
    accepts_files = False
    accepts_urls = True

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        max_batch_items: int = NEW_ACCOUNT_BATCH_LIMIT,
        policy: RetryPolicy = http.DEFAULT_POLICY,
        on_retry: RetryCallback | None = None,
    ) -> None:
        super().__init__(
            base_url, {"Authorization": f"Bearer {api_key}"}, policy=policy, on_retry=on_retry
        )
        self.max_batch_items = max_batch_items

    def _fail(self, response: httpx.Response) -> ApiError:
        error = http.error_for_response(response, self.service_name)
        code = _code(response)
        if code == "credits_exhausted":
            error.message = "Your Olostep credits are used up: top them up, then retry."
        elif code == "invalid_api_key":
            error.message = "Olostep rejected your API key: open Settings and check it."
        return error

    # ------------------------------------------------------------------ files (unused)

    def check_document(self, prepared: PreparedFile) -> None:
        raise Unsupported("Olostep reads web pages, not files.")

    async def reserve(self, prepared: PreparedFile) -> RemoteFile | None:
        raise Unsupported("Olostep reads web pages, not files.")

    async def upload(
        self,
        remote: RemoteFile | None,
        prepared: PreparedFile,
        progress: ByteProgress | None = None,
        *,
        doc_id: str = "",
    ) -> str:
        raise Unsupported("Olostep reads web pages, not files.")

    async def file_uploaded(self, file_id: str) -> bool:
        return True

    async def recover_upload(self, doc_id: str) -> str | None:
        return None

    # ------------------------------------------------------------------ the URL list file

    async def _upload_url_list(
        self, entries: list[BatchEntry], key: str, notes: dict[str, str], note: Note | None
    ) -> str:
        """Create, PUT and complete the job's URL list as a JSON file (purpose batch)."""
        if notes.get("url_list_complete"):
            return notes["url_list_file"]
        payload = json.dumps(
            [{"custom_id": e.doc_id, "url": e.url} for e in entries], ensure_ascii=False
        ).encode()
        file_id = notes.get("url_list_file")
        if file_id is not None and await self._complete(file_id):
            if note is not None:
                note("url_list_complete", "1")
            return file_id
        for _ in range(3):  # a fresh file when the 10-minute upload link expired
            file_id = await self._put_url_list(payload, key, note)
            if file_id is None:
                continue
            if not await self._complete(file_id):
                raise ApiError(
                    "Olostep did not accept the list of web addresses. Retry.",
                    detail=f"complete of {file_id} reported the upload missing",
                )
            if note is not None:
                note("url_list_complete", "1")
            return file_id
        raise ApiError(
            "Olostep's upload links kept expiring. Check your computer's clock, then retry.",
            detail="url list upload URL expired on every attempt",
        )

    async def _put_url_list(self, payload: bytes, key: str, note: Note | None) -> str | None:
        """Create the file and PUT the list. None when the upload link had expired."""
        response = await self._call(
            "POST", "/v1/files", json={"filename": f"extractdesk-{key}.json", "purpose": "batch"}
        )
        if response.status_code != 200:
            raise self._fail(response)
        created = self._json_object(response)
        file_id, upload_url = created.get("id"), created.get("upload_url")
        if not isinstance(file_id, str) or not isinstance(upload_url, str):
            raise BadResponse(
                "Olostep sent a file upload without an id or link.", detail=str(created)[:200]
            )
        if note is not None:
            note("url_list_file", file_id)

        def build() -> httpx.Request:
            return self._bare.build_request(
                "PUT", upload_url, content=payload, headers={"Content-Type": "application/json"}
            )

        put = await http.send(
            self._bare,
            build,
            service=self.service_name,
            policy=self.policy,
            on_retry=self.on_retry,
        )
        await put.aread()
        if put.status_code == 403 and "expired" in put.text.lower():
            return None
        if put.status_code not in (200, 201, 204):
            raise http.error_for_response(put, "Olostep's file storage")
        return file_id

    async def _complete(self, file_id: str) -> bool:
        """POST /v1/files/{id}/complete: True once completed (also when it already was)."""
        response = await self._call("POST", f"/v1/files/{file_id}/complete")
        if response.status_code == 200:
            return True
        if response.status_code == 404:
            return False  # the PUT never landed
        if response.status_code == 400:
            status = await self._call("GET", f"/v1/files/{file_id}")
            if status.status_code == 200 and self._json_object(status).get("status") == "completed":
                return True
        raise self._fail(response)

    # ------------------------------------------------------------------ batches

    async def create_batch(
        self,
        entries: list[BatchEntry],
        idempotency_key: str,
        metadata: dict[str, Any],
        notes: dict[str, str] | None = None,
        note: Note | None = None,
    ) -> BatchSnapshot:
        notes = notes or {}
        list_file = await self._upload_url_list(entries, idempotency_key, notes, note)
        body = {
            "items": [{"custom_id": e.doc_id, "url": e.url} for e in entries if e.url],
            "metadata": {**{k: str(v) for k, v in metadata.items()}, "url_list_file": list_file},
        }
        for attempt in range(1, self.policy.max_attempts + 1):
            response = await self._call(
                "POST", "/v1/batches", json=body, headers={"Idempotency-Key": idempotency_key}
            )
            if response.status_code == 409 and _code(response) == "idempotency_key_in_progress":
                # The first request is still being handled: wait for its answer.
                await self._pause(attempt, None, "waiting for Olostep")
                continue
            if response.status_code != 200:
                raise self._fail(response)
            return self._snapshot(self._json_object(response), [])
        raise ApiError("Olostep kept the batch request pending. Retry later.")

    async def poll(
        self, batch_id: str, entries: list[BatchEntry], *, with_items: bool
    ) -> BatchSnapshot:
        response = await self._call("GET", f"/v1/batches/{batch_id}")
        if response.status_code != 200:
            raise self._fail(response)
        batch = self._json_object(response)
        items: list[ItemSnapshot] = []
        if batch.get("status") == "completed":
            items = await self._items(batch_id, "completed") + await self._items(batch_id, "failed")
        elif with_items:
            items = [ItemSnapshot(e.doc_id, None, "running", doc_id=e.doc_id) for e in entries]
        return self._snapshot(batch, items)

    async def _items(self, batch_id: str, status: str) -> list[ItemSnapshot]:
        found: list[ItemSnapshot] = []
        cursor: Any = None
        while True:
            params: dict[str, Any] = {"status": status, "limit": ITEMS_PAGE}
            if cursor is not None:
                params["cursor"] = cursor
            response = await self._call("GET", f"/v1/batches/{batch_id}/items", params=params)
            if response.status_code != 200:
                raise self._fail(response)
            page = self._json_object(response)
            for item in page.get("items") or []:
                custom_id = str(item.get("custom_id", ""))
                if status == "completed":
                    found.append(
                        ItemSnapshot(
                            str(item.get("retrieve_id") or custom_id),
                            None,
                            "succeeded",
                            doc_id=custom_id,
                            payload=item,
                        )
                    )
                else:
                    found.append(
                        ItemSnapshot(
                            custom_id,
                            None,
                            "failed",
                            doc_id=custom_id,
                            error_code="failed",
                            error_message="Olostep could not load this web page. Check the address "
                            "in a browser, then retry.",
                            error_detail=json.dumps(item)[:300],
                        )
                    )
            cursor = page.get("cursor")
            if cursor is None:
                return found

    def _snapshot(self, batch: dict[str, Any], items: list[ItemSnapshot]) -> BatchSnapshot:
        status = str(batch.get("status", "in_progress"))
        total = int(batch.get("total_urls") or 0)
        done = int(batch.get("completed_urls") or 0)
        return BatchSnapshot(
            batch_id=str(batch.get("id")),
            status=status,
            terminal=status == "completed",
            counts={"completed": done, "pending": max(total - done, 0)},
            items=items,
        )

    async def fetch_result(self, item: ItemSnapshot) -> dict[str, Any]:
        response = await self._call(
            "GET", "/v1/retrieve", params={"retrieve_id": item.item_id, "formats": "markdown"}
        )
        if response.status_code != 200:
            raise self._fail(response)
        result = self._json_object(response)
        if result.get("size_exceeded") and isinstance(result.get("markdown_hosted_url"), str):
            hosted = await http.get_following_redirects(
                self._bare,
                result["markdown_hosted_url"],
                service=self.service_name,
                policy=self.policy,
                on_retry=self.on_retry,
            )
            await hosted.aread()
            if hosted.status_code != 200:
                raise http.error_for_response(hosted, "Olostep's content storage")
            result["markdown_content"] = hosted.text
        if isinstance(item.payload, dict):
            result.setdefault("url", item.payload.get("url"))
        return result

    async def cancel_batch(self, batch_id: str, entries: list[BatchEntry]) -> BatchSnapshot:
        """Olostep documents no way to stop a batch; we simply stop waiting for it."""
        return BatchSnapshot(batch_id=batch_id, status="cancelled", terminal=True, counts={})

    async def finished(self, entries: list[BatchEntry]) -> None:
        return None

    async def check_connection(self) -> None:
        response = await self._call("GET", "/v1/batches/recent", params={"limit": 1})
        if response.status_code != 200:
            raise self._fail(response)


def _code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    nested = body.get("error")
    if isinstance(nested, dict) and nested.get("code"):
        return str(nested["code"])
    return str(body.get("code") or "")
