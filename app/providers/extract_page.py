"""extract.page's async batch lane (shared/apis/services.md §1.3).

POST /v1/files → PUT upload.url → POST /v1/batches (Idempotency-Key) → GET /v1/batches/{id}
(cursor paging) → GET …/result (302 to a presigned GET, followed without credentials).

The same client drives the embedded local engine, which speaks the same protocol.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from app import doctypes, http
from app.http import ApiError, BadResponse, RetryPolicy
from app.providers.base import (
    BatchEntry,
    BatchSnapshot,
    ByteProgress,
    FilesNotFound,
    FilesNotUploaded,
    ItemSnapshot,
    Note,
    RemoteFile,
    ResultGone,
    ResultNotReady,
    RetryCallback,
    Unsupported,
    UploadUrlExpired,
)
from app.providers.client import ServiceClient
from app.providers.extract_page_models import (
    BATCH_TERMINAL,
    BatchList,
    BatchPage,
    BatchResource,
    CreateBatchRequest,
    CreateFileRequest,
    CreateFileResponse,
    ExtractResponse,
    FileResource,
    FilesSource,
    FlatError,
)
from app.uploads import PreparedFile, file_chunks

DEFAULT_BASE_URL = "https://api.extract.page"
CLOUD_TYPES = frozenset(
    t.mime
    for t in (
        doctypes.PDF,
        doctypes.DOCX,
        doctypes.PPTX,
        doctypes.PNG,
        doctypes.JPEG,
        doctypes.WEBP,
        doctypes.TIFF,
        doctypes.BMP,
        doctypes.HEIC,
    )
)
"""What the hosted service reads (PDF, PPTX, DOCX per its docs; images per its code)."""
ALL_TYPES = frozenset(t.mime for t in doctypes.ALL_TYPES)
ITEMS_PAGE_LIMIT = 500
MAX_BATCH_ITEMS = 10_000


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], data: Any, service: str, what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]
        )
        raise BadResponse(
            f"{service} sent {what} that Extractdesk could not understand.", detail=problems
        ) from exc


class ExtractPageClient(ServiceClient):
    """One client per job; the key goes only to the API origin, never to presigned URLs."""

    max_batch_items = MAX_BATCH_ITEMS
    accepts_files = True
    accepts_urls = False

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        service_name: str = "extract.page",
        policy: RetryPolicy = http.DEFAULT_POLICY,
        on_retry: RetryCallback | None = None,
        extract_text: bool = True,
        extract_images: bool = True,
        accepted_types: frozenset[str] = CLOUD_TYPES,
    ) -> None:
        super().__init__(base_url, {"X-API-KEY": api_key}, policy=policy, on_retry=on_retry)
        self.service_name = service_name
        self.accepted_types = accepted_types
        self.extract_text = extract_text
        self.extract_images = extract_images

    def _fail(self, response: httpx.Response) -> ApiError:
        return http.error_for_response(response, self.service_name)

    # ------------------------------------------------------------------ files

    def check_document(self, prepared: PreparedFile) -> None:
        if prepared.content_type not in self.accepted_types:
            raise Unsupported(
                f"{self.service_name} does not read {prepared.doctype.label} files. "
                "Choose another service for this file."
            )

    async def reserve(self, prepared: PreparedFile) -> RemoteFile:
        """POST /v1/files: reserve a slot and get its presigned upload URL."""
        body = CreateFileRequest(
            filename=prepared.filename,
            content_type=prepared.content_type,
            size_bytes=prepared.size,
        ).model_dump(exclude_none=True)
        # Not idempotent, but a retry only reserves a spare slot that expires on its own.
        response = await self._call("POST", "/v1/files", json=body)
        if response.status_code != 200:
            raise self._fail(response)
        created = _parse(
            CreateFileResponse, self._json(response), self.service_name, "a file reservation"
        )
        if created.upload.method.upper() != "PUT":
            raise BadResponse(
                f"{self.service_name} asked for an upload method Extractdesk does not support.",
                detail=f"upload.method = {created.upload.method!r}",
            )
        return RemoteFile(created.id, created.upload.url, "PUT", created.upload.expires_at)

    async def file_uploaded(self, file_id: str) -> bool:
        response = await self._call("GET", f"/v1/files/{file_id}")
        if response.status_code == 404:
            return False
        if response.status_code != 200:
            raise self._fail(response)
        resource = _parse(FileResource, self._json(response), self.service_name, "a file status")
        return resource.status == "uploaded"

    async def recover_upload(self, doc_id: str) -> str | None:
        """Nothing to recover: a reserved slot is checked with :meth:`file_uploaded`."""
        return None

    async def upload(
        self,
        remote: RemoteFile | None,
        prepared: PreparedFile,
        progress: ByteProgress | None = None,
        *,
        doc_id: str = "",
    ) -> str:
        """PUT the bytes to the presigned URL: exact Content-Length, the declared
        Content-Type, and no credentials of any kind."""

        if remote is None:
            remote = await self.reserve(prepared)
        target = remote.upload_url
        bodies: list[AsyncGenerator[bytes, None]] = []

        def build() -> httpx.Request:
            bodies.append(file_chunks(prepared.path, prepared.size, progress))
            return self._bare.build_request(
                "PUT",
                target,
                content=bodies[-1],
                headers={
                    "Content-Length": str(prepared.size),
                    "Content-Type": prepared.content_type,
                },
            )

        try:
            response = await http.send(
                self._bare,
                build,
                service=self.service_name,
                policy=self.policy,
                on_retry=self.on_retry,
            )
            await response.aread()
        finally:
            for body in bodies:  # an attempt cut short leaves its file open until closed
                await body.aclose()
        if response.status_code in (200, 201, 204):
            return remote.id
        text = response.text
        if response.status_code == 403 and ("expired" in text.lower()):
            raise UploadUrlExpired(
                "The upload link expired before the file was sent.",
                status=403,
                body=text[:500],
            )
        raise http.error_for_response(response, "The upload storage")

    # ------------------------------------------------------------------ batches

    async def create_batch(
        self,
        entries: list[BatchEntry],
        idempotency_key: str,
        metadata: dict[str, Any],
        notes: dict[str, str] | None = None,
        note: Note | None = None,
    ) -> BatchSnapshot:
        file_ids = [e.file_id for e in entries if e.file_id]
        body = CreateBatchRequest(
            source=FilesSource(file_ids=file_ids),
            extract_text=self.extract_text,
            extract_images=self.extract_images,
            metadata=metadata,
        ).model_dump(exclude_none=True)
        # Safe to retry: the key was journaled before the first attempt.
        response = await self._call(
            "POST", "/v1/batches", json=body, headers={"Idempotency-Key": idempotency_key}
        )
        if response.status_code in (404, 409):
            payload = response.json() if _is_json(response) else None
            flat = _flat_error(payload)
            if flat is not None and flat.error == "file_not_uploaded":
                raise FilesNotUploaded(
                    "Some files had not finished uploading.",
                    flat.file_ids,
                    status=response.status_code,
                    body=payload,
                )
            if flat is not None and flat.error == "file_not_found":
                raise FilesNotFound(
                    "Some uploaded files had expired on the service.",
                    flat.file_ids,
                    status=response.status_code,
                    body=payload,
                )
        if response.status_code != 200:
            raise self._fail(response)
        batch = _parse(BatchResource, self._json(response), self.service_name, "a batch")
        return _snapshot(batch, [])

    async def poll(
        self, batch_id: str, entries: list[BatchEntry] | None = None, *, with_items: bool
    ) -> BatchSnapshot:
        """The batch's status and counts; with ``with_items`` every item, following
        ``next_cursor`` to the end."""
        limit = ITEMS_PAGE_LIMIT if with_items else 1
        page = await self._batch_page(batch_id, None, limit)
        # Items come in (updated_at, id) order, so one that changes while we page shows up
        # again further on: the later sighting is the newer one.
        latest = {i.id: i for i in page.items}
        while with_items and page.next_cursor:
            page = await self._batch_page(batch_id, page.next_cursor, limit)
            latest.update((i.id, i) for i in page.items)
        items = list(latest.values())
        snapshots = (
            [
                ItemSnapshot(
                    item_id=i.id,
                    file_id=i.file_id,
                    status=i.status,
                    page_count=i.page_count,
                    pages_done=i.pages_done,
                    result_url=i.result_url,
                    error_code=i.error.code if i.error else None,
                    error_message=describe_item_error(
                        i.error.code, i.error.message, self.service_name
                    )
                    if i.error
                    else None,
                    error_detail=i.error.message if i.error else None,
                )
                for i in items
            ]
            if with_items
            else []
        )
        return _snapshot(page, snapshots)

    async def _batch_page(self, batch_id: str, cursor: str | None, limit: int) -> BatchPage:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = await self._call("GET", f"/v1/batches/{batch_id}", params=params)
        if response.status_code != 200:
            raise self._fail(response)
        return _parse(BatchPage, self._json(response), self.service_name, "a batch status")

    async def cancel_batch(
        self, batch_id: str, entries: list[BatchEntry] | None = None
    ) -> BatchSnapshot:
        response = await self._call("POST", f"/v1/batches/{batch_id}/cancel")
        if response.status_code != 200:
            raise self._fail(response)
        batch = _parse(BatchResource, self._json(response), self.service_name, "a batch")
        return _snapshot(batch, [])

    async def finished(self, entries: list[BatchEntry]) -> None:
        """Nothing to clean up: extract.page expires uploads after 3 days by itself."""

    async def list_batches(
        self, *, status: str | None = None, cursor: str | None = None, limit: int = 50
    ) -> BatchList:
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        if cursor:
            params["cursor"] = cursor
        response = await self._call("GET", "/v1/batches", params=params)
        if response.status_code != 200:
            raise self._fail(response)
        return _parse(BatchList, self._json(response), self.service_name, "a batch list")

    async def check_connection(self) -> None:
        """A cheap authenticated request: raises :class:`ApiError` with the reason."""
        await self.list_batches(limit=1)

    # ------------------------------------------------------------------ results

    async def fetch_result(self, item: ItemSnapshot) -> dict[str, Any]:
        """GET the item's result: the API answers 302 to a presigned URL, which is
        fetched with the bare client so the key never leaves the API origin."""
        if not item.result_url:
            raise BadResponse(
                f"{self.service_name} reported a finished item without a result link.",
                detail=f"item {item.item_id}",
            )
        response = await self._call("GET", item.result_url)
        if response.is_redirect and "Location" in response.headers:
            # A presigned URL: fetched without credentials even on the API's own origin.
            location = response.url.join(response.headers["Location"])
            response = await http.get_following_redirects(
                self._bare,
                str(location),
                service=self.service_name,
                policy=self.policy,
                on_retry=self.on_retry,
            )
            await response.aread()
        if response.status_code == 409:
            raise ResultNotReady(
                "The result is not ready yet.", status=409, body=_maybe_json(response)
            )
        if response.status_code == 410:
            raise ResultGone(
                "The result expired on the service (results are kept for 3 days).",
                status=410,
                body=_maybe_json(response),
            )
        if response.status_code != 200:
            raise self._fail(response)
        data = self._json(response)
        _parse(ExtractResponse, data, self.service_name, "a result")
        if not isinstance(data, dict):  # pragma: no cover - ExtractResponse requires an object
            raise BadResponse(f"{self.service_name} sent a result that is not an object.")
        return data


_ITEM_ERRORS = {
    "unsupported_input": "{service} could not read this file: {detail}",
    "extraction_failed": "Extraction failed: {detail}",
    "document_too_large": "The document is too large for {service}.",
    "page_limit_exceeded": "The document has more pages than {service} accepts.",
    "upload_missing": "The uploaded file expired before {service} processed it. Retry it.",
    "url_fetch_failed": "{service} could not fetch the document: {detail}",
    "payment_required": "Your {service} quota is used up: check your plan, then retry.",
    "ocr_provider_error": "{service} had a temporary problem reading this document. Retry it.",
    "billing_unavailable": "{service} had a temporary problem. Retry this document later.",
    "internal_error": "{service} had an internal problem with this document. Retry it later.",
}


def describe_item_error(code: str, message: str, service: str) -> str:
    """A failed item's reason in plain words that say what to do next."""
    detail = (message or "no reason given").strip().rstrip(".") + "."
    template = _ITEM_ERRORS.get(code, "{service} could not process this document: {detail}")
    return template.format(service=service, detail=detail)


def _is_json(response: httpx.Response) -> bool:
    return "json" in response.headers.get("Content-Type", "")


def _maybe_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


def _flat_error(payload: Any) -> FlatError | None:
    if not isinstance(payload, dict) or "error" not in payload:
        return None
    try:
        return FlatError.model_validate(payload)
    except ValidationError:
        return None


def _snapshot(batch: BatchResource, items: list[ItemSnapshot]) -> BatchSnapshot:
    return BatchSnapshot(
        batch_id=batch.id,
        status=batch.status,
        terminal=batch.status in BATCH_TERMINAL,
        counts=batch.counts.model_dump(),
        items=items,
    )
