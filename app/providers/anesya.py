"""Anesya extractions, API 0.8.1 (shared/specs/004, shared/apis/services.md §4.1).

One ``POST /extract/`` per document (multipart: the document, the server region, optional
schema and classifier ids, metadata carrying our document id), then ``GET /extract/{id}/``
until FINISHED or ERROR, showing ``extraction_step`` as progress. The ``Authorization``
header carries the bare token, and every path keeps its trailing slash.

Anesya has no idempotency, so a create whose body was sent is never sent again: after an
unclear failure (or a crash mid-upload) the extraction is looked up by its metadata.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from typing import Any

import httpx

from app import doctypes, http
from app.http import ApiError, AuthFailed, BadResponse, QuotaExceeded, RetryPolicy
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
from app.uploads import MultipartFile, PreparedFile

DEFAULT_BASE_URL = "https://api.anesya.app"
SERVERS = ("EU-1", "FR-1", "FR-2", "FR-3")
ACCEPTED = {doctypes.PDF.mime: ".pdf", doctypes.PNG.mime: ".png", doctypes.JPEG.mime: ".jpg"}
META_KEY = "extractdesk_doc"
POLL_CONCURRENCY = 4

STEPS = {
    "OCR": "Reading the document",
    "CLASSIFICATION": "Classifying the document",
    "IMAGES": "Analysing images",
    "PARSING": "Extracting the data",
    "LOCATION": "Locating the data on the pages",
}


@dataclass
class AnesyaOptions:
    server: str = "EU-1"
    schema: str | None = None
    classifier: str | None = None
    page_start: int | None = None
    page_end: int | None = None


class AnesyaClient(ServiceClient):
    service_name = "Anesya"
    max_batch_items = 1_000
    accepts_files = True
    accepts_urls = False

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        options: AnesyaOptions | None = None,
        policy: RetryPolicy = http.DEFAULT_POLICY,
        on_retry: RetryCallback | None = None,
    ) -> None:
        # The bare token, no "Bearer" prefix: that is what Anesya's docs show.
        super().__init__(
            base_url,
            {"Authorization": token},
            policy=policy,
            on_retry=on_retry,
            timeout=http.TRANSFER_TIMEOUT,
        )
        self.options = options or AnesyaOptions()
        if self.options.server not in SERVERS:
            raise ValueError(f"unknown Anesya server {self.options.server!r}")
        self._settled: dict[str, ItemSnapshot] = {}

    def _fail(self, response: httpx.Response) -> ApiError:
        status = response.status_code
        body = _json(response)
        if status == 401:
            return AuthFailed(
                "Your Anesya token has expired or is invalid: open Settings and paste a new one.",
                status=401,
                body=body,
                detail=http.describe_body(body),
            )
        if status == 403:
            return QuotaExceeded(
                "Your Anesya account is out of credits: top it up, then retry.",
                status=403,
                body=body,
                detail=json.dumps(body)[:300],
            )
        if status == 400 and isinstance(body, dict):
            problems = "; ".join(
                f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                for k, v in body.items()
            )
            return http.Rejected(
                f"Anesya refused the document: {problems}", status=400, body=body, detail=problems
            )
        return http.error_for_response(response, self.service_name)

    # ------------------------------------------------------------------ files

    def check_document(self, prepared: PreparedFile) -> None:
        if prepared.content_type not in ACCEPTED:
            raise Unsupported(
                f"Anesya reads PDF, PNG and JPEG files, not {prepared.doctype.label} files. "
                "Choose another service for this file."
            )

    async def reserve(self, prepared: PreparedFile) -> RemoteFile | None:
        return None  # the create call carries the document

    async def file_uploaded(self, file_id: str) -> bool:
        return True  # an extraction that exists has its document

    async def recover_upload(self, doc_id: str) -> str | None:
        """Find the extraction an interrupted create made, by our document id."""
        response = await self._call(
            "GET", "/extract/", params={"meta_key": META_KEY, "meta_value": doc_id, "size": 5}
        )
        if response.status_code != 200:
            raise self._fail(response)
        data = _json(response)
        results = data.get("results", []) if isinstance(data, dict) else []
        for found in results:
            if isinstance(found, dict) and isinstance(found.get("id"), str):
                return str(found["id"])
        return None

    async def upload(
        self,
        remote: RemoteFile | None,
        prepared: PreparedFile,
        progress: ByteProgress | None = None,
        *,
        doc_id: str = "",
    ) -> str:
        """POST /extract/: creates the extraction. Sent at most once (no idempotency)."""
        fields: list[tuple[str, str]] = [("server", self.options.server)]
        if self.options.schema:
            fields.append(("schema", self.options.schema))
        if self.options.classifier:
            fields.append(("classifier", self.options.classifier))
        fields.append(("metadata", json.dumps({META_KEY: doc_id})))
        params: dict[str, int] = {}
        if prepared.content_type == doctypes.PDF.mime:
            if self.options.page_start:
                params["pdf_page_start"] = self.options.page_start
            if self.options.page_end:
                params["pdf_page_end"] = self.options.page_end
        filename = _with_extension(prepared.filename, ACCEPTED[prepared.content_type])
        form = MultipartFile(prepared, "document", filename, tuple(fields))

        for attempt in range(1, self.policy.max_attempts + 1):
            stream = form.body(progress)
            request = self._api.build_request(
                "POST", "/extract/", params=params, content=stream, headers=form.headers
            )
            try:
                response = await self._api.send(request)
                await response.aread()
            except httpx.ConnectError as exc:
                # Nothing was sent: safe to try again.
                if attempt == self.policy.max_attempts:
                    raise http.ConnectionFailed(
                        "Could not reach Anesya: check your connection, then retry.",
                        detail=str(exc),
                    ) from exc
                await self._pause(attempt, None, "connection problem")
                continue
            except httpx.TransportError as exc:
                return await self._settle_unclear(doc_id, f"{type(exc).__name__}: {exc}")
            finally:
                await stream.aclose()
            if response.status_code == 201 or response.status_code == 200:
                data = _json(response)
                if not isinstance(data, dict) or not isinstance(data.get("id"), str):
                    raise BadResponse(
                        "Anesya sent an extraction without an id.", detail=str(data)[:200]
                    )
                return str(data["id"])
            if response.status_code in (429,) and attempt < self.policy.max_attempts:
                # Refused before any work: waiting and sending again is safe.
                retry_after = http.parse_retry_after(response.headers.get("Retry-After"))
                await self._pause(attempt, retry_after, "rate limited")
                continue
            if response.status_code >= 500 or response.status_code == 408:
                return await self._settle_unclear(doc_id, f"HTTP {response.status_code}")
            raise self._fail(response)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _settle_unclear(self, doc_id: str, what: str) -> str:
        """The create may or may not have happened: look, never send it twice."""
        found = await self.recover_upload(doc_id)
        if found is not None:
            return found
        raise ApiError(
            "Anesya did not confirm receiving this document, and it is not in your Anesya "
            "account. Retry it.",
            detail=f"unclear create ({what}); no extraction with our id was found",
        )

    # ------------------------------------------------------------------ "batches"

    async def create_batch(
        self,
        entries: list[BatchEntry],
        idempotency_key: str,
        metadata: dict[str, Any],
        notes: dict[str, str] | None = None,
        note: Note | None = None,
    ) -> BatchSnapshot:
        """Anesya has no batches: each extraction started when its document was sent.
        The batch is ours, named after its idempotency key."""
        return BatchSnapshot(
            batch_id=f"anesya:{idempotency_key}",
            status="running",
            terminal=False,
            counts={"running": len(entries)},
        )

    async def poll(
        self, batch_id: str, entries: list[BatchEntry], *, with_items: bool
    ) -> BatchSnapshot:
        gate = asyncio.Semaphore(POLL_CONCURRENCY)

        async def one(entry: BatchEntry) -> ItemSnapshot:
            assert entry.file_id is not None
            if entry.file_id in self._settled:
                return self._settled[entry.file_id]
            async with gate:
                response = await self._call("GET", f"/extract/{entry.file_id}/")
            if response.status_code == 404:
                item = ItemSnapshot(
                    entry.file_id,
                    entry.file_id,
                    "failed",
                    doc_id=entry.doc_id,
                    error_code="not_found",
                    error_message="Anesya no longer has this extraction. Retry the document.",
                )
            elif response.status_code != 200:
                raise self._fail(response)
            else:
                item = self._item(entry, _json(response))
            if item.status in ("succeeded", "failed", "cancelled"):
                self._settled[entry.file_id] = item
            return item

        items = list(await asyncio.gather(*(one(e) for e in entries if e.file_id)))
        counts: dict[str, int] = {}
        for item in items:
            counts[item.status] = counts.get(item.status, 0) + 1
        terminal = all(i.status in ("succeeded", "failed", "cancelled") for i in items)
        return BatchSnapshot(
            batch_id=batch_id,
            status="completed" if terminal else "running",
            terminal=terminal,
            counts=counts,
            items=items,
        )

    def _item(self, entry: BatchEntry, data: Any) -> ItemSnapshot:
        if not isinstance(data, dict) or "status" not in data:
            raise BadResponse(
                "Anesya sent an extraction Extractdesk could not read.", detail=str(data)[:200]
            )
        status = data["status"]
        file_id = entry.file_id or ""
        if status == "FINISHED":
            return ItemSnapshot(file_id, file_id, "succeeded", doc_id=entry.doc_id, payload=data)
        if status == "ERROR":
            return ItemSnapshot(
                file_id,
                file_id,
                "failed",
                doc_id=entry.doc_id,
                error_code="anesya_error",
                error_message="Anesya could not extract this document. Check that it is "
                "readable, then retry.",
                error_detail=json.dumps(data)[:500],
            )
        step = STEPS.get(str(data.get("extraction_step") or ""), "")
        state = "pending" if status == "CREATED" else "running"
        return ItemSnapshot(file_id, file_id, state, doc_id=entry.doc_id, progress_text=step)

    async def fetch_result(self, item: ItemSnapshot) -> dict[str, Any]:
        """The extraction as received, plus its images (fetched with the same header)."""
        extraction = item.payload
        if not isinstance(extraction, dict):
            raise BadResponse(
                "Anesya's result for this document went missing.", detail=item.item_id
            )
        images = []
        for image in extraction.get("content_images") or []:
            url = image.get("url") if isinstance(image, dict) else None
            if not isinstance(url, str):
                continue
            target = httpx.URL(self.base_url).join(url)
            if http.origin(target) != http.origin(self.base_url):
                continue  # never send the token elsewhere
            response = await self._call("GET", str(target))
            if response.status_code != 200:
                raise self._fail(response)
            images.append(
                {
                    "name": image.get("name") or target.path.rsplit("/", 2)[-2],
                    "mime": response.headers.get("content-type", "application/octet-stream"),
                    "b64": base64.b64encode(response.content).decode(),
                }
            )
        return {"extraction": extraction, "images": images}

    async def cancel_batch(self, batch_id: str, entries: list[BatchEntry]) -> BatchSnapshot:
        """Anesya cannot stop an extraction; we simply stop waiting for it."""
        return BatchSnapshot(batch_id=batch_id, status="cancelled", terminal=True, counts={})

    async def finished(self, entries: list[BatchEntry]) -> None:
        return None

    async def check_connection(self) -> None:
        response = await self._call("GET", "/extract/", params={"page": 1, "size": 1})
        if response.status_code != 200:
            raise self._fail(response)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


def _with_extension(name: str, extension: str) -> str:
    """Anesya checks the extension: make sure the name carries the real one."""
    return (
        name
        if name.lower().endswith(extension)
        or (extension == ".jpg" and name.lower().endswith(".jpeg"))
        else name + extension
    )
