"""Anthropic: the Files API with Message Batches (shared/apis/services.md §3).

Each PDF or image is uploaded with ``POST /v1/files``; one Message Batch then asks the model,
per document, for its text as Markdown in reading order (tables as Markdown tables) and,
when the person defined fields in Settings, for those fields through a tool. Results come as
JSONL once the batch has ended, matched to documents by ``custom_id`` (our document id).

Anthropic has no idempotency key for batches, so a batch create is sent once; after an
unclear failure the client looks for the batch it may have created (same size, created
after the attempt started) instead of sending it again.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from app import doctypes, http
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
from app.uploads import MultipartFile, PreparedFile

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
FILES_BETA = "files-api-2025-04-14"
MAX_FILE_BYTES = 500 * 1000 * 1000
MAX_BATCH_REQUESTS = 100_000
MODELS = ("claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5")
DEFAULT_MODEL = MODELS[0]
DOCUMENT_TYPES = frozenset({doctypes.PDF.mime})
IMAGE_TYPES = frozenset({doctypes.PNG.mime, doctypes.JPEG.mime, doctypes.WEBP.mime, "image/gif"})
FIELDS_TOOL = "record_fields"
BETA = {"anthropic-beta": FILES_BETA}

PROMPT = (
    "Transcribe this document as Markdown, in reading order. Use # and ## headings where the "
    "document has headings, keep paragraphs, render every table as a Markdown table, and "
    "describe each figure in one short italic line. Return only the Markdown."
)
FIELDS_PROMPT = (
    "After the Markdown, call the record_fields tool once with the values of the requested "
    "fields as they appear in the document (null when a field is absent)."
)

FIELD_TYPES = {"text": "string", "number": "number", "date": "string", "yes/no": "boolean"}


@dataclass(frozen=True)
class FieldSpec:
    """A field the person wants pulled out of every document (Settings → Anthropic)."""

    name: str
    type: str = "text"
    description: str = ""

    def schema(self) -> dict[str, Any]:
        kind = FIELD_TYPES.get(self.type, "string")
        description = self.description or self.name
        if self.type == "date":
            description += " (as YYYY-MM-DD)"
        return {"type": [kind, "null"], "description": description}


@dataclass
class AnthropicOptions:
    model: str = DEFAULT_MODEL
    max_tokens: int = 16_000
    fields: list[FieldSpec] = field(default_factory=list)
    delete_files_when_done: bool = False


def safe_filename(name: str) -> str:
    """Anthropic refuses < > : " | ? * \\ / and control characters; 1–255 characters."""
    cleaned = re.sub(r'[<>:"|?*\\/\x00-\x1f\x7f]', "_", name).strip() or "document"
    if len(cleaned) > 255:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = (stem[: 254 - len(ext)] + "." + ext) if dot and len(ext) <= 10 else cleaned[:255]
    return cleaned


class AnthropicClient(ServiceClient):
    service_name = "Anthropic"
    max_batch_items = MAX_BATCH_REQUESTS
    accepts_files = True
    accepts_urls = False

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        options: AnthropicOptions | None = None,
        policy: RetryPolicy = http.DEFAULT_POLICY,
        on_retry: RetryCallback | None = None,
    ) -> None:
        super().__init__(
            base_url,
            {"x-api-key": api_key},
            policy=policy,
            on_retry=on_retry,
            timeout=http.TRANSFER_TIMEOUT,
            headers={"anthropic-version": API_VERSION},
        )
        self.options = options or AnthropicOptions()
        self._results: dict[str, list[ItemSnapshot]] = {}

    def _fail(self, response: httpx.Response) -> ApiError:
        error = http.error_for_response(response, self.service_name)
        kind = _error_type(response)
        if kind == "permission_error" and "storage" in error.detail.lower():
            error.message = (
                "Your Anthropic file storage is full: delete old files in the Anthropic "
                "console, or turn on “Delete uploaded files when done”."
            )
        return error

    # ------------------------------------------------------------------ files

    def check_document(self, prepared: PreparedFile) -> None:
        if prepared.content_type not in DOCUMENT_TYPES | IMAGE_TYPES:
            raise Unsupported(
                f"Anthropic reads PDFs and images (PNG, JPEG, WebP, GIF), not "
                f"{prepared.doctype.label} files. Save it as PDF first, or choose another "
                "service."
            )
        if prepared.size > MAX_FILE_BYTES:
            raise Unsupported(
                f"“{prepared.filename}” is larger than the 500 MB Anthropic accepts per file."
            )

    async def reserve(self, prepared: PreparedFile) -> RemoteFile | None:
        return None  # the upload itself creates the file

    async def recover_upload(self, doc_id: str) -> str | None:
        return None  # a second upload only leaves a spare file, cleaned up with the batch

    async def file_uploaded(self, file_id: str) -> bool:
        response = await self._call("GET", f"/v1/files/{file_id}", headers=BETA)
        if response.status_code == 404:
            return False
        if response.status_code != 200:
            raise self._fail(response)
        return True

    async def upload(
        self,
        remote: RemoteFile | None,
        prepared: PreparedFile,
        progress: ByteProgress | None = None,
        *,
        doc_id: str = "",
    ) -> str:
        """POST /v1/files as multipart with one part ``file`` carrying the right MIME type,
        streamed from disk with an exact Content-Length."""
        form = MultipartFile(prepared, "file", safe_filename(prepared.filename))
        bodies: list[AsyncGenerator[bytes, None]] = []

        def build() -> httpx.Request:
            bodies.append(form.body(progress))
            return self._api.build_request(
                "POST",
                "/v1/files",
                content=bodies[-1],
                headers={"anthropic-beta": FILES_BETA, **form.headers},
            )

        try:
            response = await http.send(
                self._api,
                build,
                service=self.service_name,
                policy=self.policy,
                on_retry=self.on_retry,
            )
            await response.aread()
        finally:
            for started in bodies:
                await started.aclose()
        if response.status_code != 200:
            raise self._fail(response)
        data = self._json(response)
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise BadResponse("Anthropic sent a file record without an id.", detail=str(data)[:200])
        return str(data["id"])

    async def delete_file(self, file_id: str) -> None:
        response = await self._call("DELETE", f"/v1/files/{file_id}", headers=BETA)
        if response.status_code not in (200, 404):
            raise self._fail(response)

    # ------------------------------------------------------------------ batches

    def _request(self, entry: BatchEntry) -> dict[str, Any]:
        kind = "image" if entry.content_type in IMAGE_TYPES else "document"
        block: dict[str, Any] = {"type": kind, "source": {"type": "file", "file_id": entry.file_id}}
        prompt = PROMPT + (" " + FIELDS_PROMPT if self.options.fields else "")
        params: dict[str, Any] = {
            "model": self.options.model,
            "max_tokens": self.options.max_tokens,
            "messages": [{"role": "user", "content": [block, {"type": "text", "text": prompt}]}],
        }
        if self.options.fields:
            params["tools"] = [
                {
                    "name": FIELDS_TOOL,
                    "description": "Record the requested fields found in the document.",
                    "input_schema": {
                        "type": "object",
                        "properties": {f.name: f.schema() for f in self.options.fields},
                        "required": [f.name for f in self.options.fields],
                    },
                }
            ]
        return {"custom_id": entry.doc_id, "params": params}

    async def create_batch(
        self,
        entries: list[BatchEntry],
        idempotency_key: str,
        metadata: dict[str, Any],
        notes: dict[str, str] | None = None,
        note: Note | None = None,
    ) -> BatchSnapshot:
        notes = notes or {}
        if "submit_started" in notes:
            # An earlier attempt may have created the batch: adopt it rather than pay twice.
            found = await self._find_batch(float(notes["submit_started"]), len(entries))
            if found is not None:
                return found
        started = time.time()
        if note is not None:
            note("submit_started", repr(started))
        body = {"requests": [self._request(e) for e in entries]}
        for attempt in range(1, self.policy.max_attempts + 1):
            # No idempotency key exists for batches: each attempt is sent once, and an
            # unclear outcome is settled by looking for the batch before trying again.
            try:
                response = await self._call(
                    "POST", "/v1/messages/batches", json=body, headers=BETA, retry=False
                )
            except http.ConnectionFailed:
                if attempt == self.policy.max_attempts:
                    raise
                retry_after = None
            else:
                status = response.status_code
                if status == 200:
                    data = self._json(response)
                    return self._snapshot(data, entries, [])
                if not http.is_retryable_status(status) or attempt == self.policy.max_attempts:
                    raise self._fail(response)
                retry_after = http.parse_retry_after(response.headers.get("retry-after"))
                if status in (429, 529):  # refused before any work was done
                    await self._pause(attempt, retry_after, "rate limited")
                    continue
            found = await self._find_batch(started, len(entries))
            if found is not None:
                return found
            await self._pause(attempt, retry_after, "connection problem")
        raise AssertionError("unreachable")  # pragma: no cover

    async def _find_batch(self, since: float, size: int) -> BatchSnapshot | None:
        """The batch an unclear create made: created after ``since``, with ``size`` requests."""
        response = await self._call("GET", "/v1/messages/batches", params={"limit": 20})
        if response.status_code != 200:
            return None
        data = self._json(response)
        for batch in data.get("data", []) if isinstance(data, dict) else []:
            created = _timestamp(batch.get("created_at"))
            counts = batch.get("request_counts") or {}
            total = sum(int(v) for v in counts.values() if isinstance(v, int))
            if created is not None and created >= since - 5 and total == size:
                return self._snapshot(batch, [], [])
        return None

    async def poll(
        self, batch_id: str, entries: list[BatchEntry], *, with_items: bool
    ) -> BatchSnapshot:
        response = await self._call("GET", f"/v1/messages/batches/{batch_id}")
        if response.status_code != 200:
            raise self._fail(response)
        batch = self._json(response)
        if not isinstance(batch, dict) or "processing_status" not in batch:
            raise BadResponse(
                "Anthropic sent a batch status Extractdesk could not read.", detail=str(batch)[:200]
            )
        items: list[ItemSnapshot] = []
        if batch["processing_status"] == "ended":
            if batch_id not in self._results:
                self._results[batch_id] = await self._read_results(batch)
            items = self._results[batch_id]
        elif with_items:
            items = [
                ItemSnapshot(item_id=e.doc_id, file_id=e.file_id, status="running", doc_id=e.doc_id)
                for e in entries
            ]
        return self._snapshot(batch, entries, items)

    async def _read_results(self, batch: dict[str, Any]) -> list[ItemSnapshot]:
        url = batch.get("results_url") or f"/v1/messages/batches/{batch['id']}/results"
        response = await self._call("GET", url, stream=True)
        items: list[ItemSnapshot] = []
        try:
            if response.status_code != 200:
                await response.aread()
                raise self._fail(response)
            async for line in response.aiter_lines():
                if line.strip():
                    items.append(self._item(line))
        finally:
            await response.aclose()
        return items

    def _item(self, line: str) -> ItemSnapshot:
        try:
            data = json.loads(line)
            custom_id = str(data["custom_id"])
            result = data["result"]
            kind = result["type"]
        except (ValueError, KeyError, TypeError) as exc:
            raise BadResponse(
                "Anthropic sent results Extractdesk could not read.", detail=line[:200]
            ) from exc
        if kind == "succeeded":
            return ItemSnapshot(custom_id, None, "succeeded", doc_id=custom_id, payload=data)
        if kind == "errored":
            error = (result.get("error") or {}).get("error") or result.get("error") or {}
            etype = str(error.get("type", "api_error"))
            detail = str(error.get("message", ""))
            return ItemSnapshot(
                custom_id,
                None,
                "failed",
                doc_id=custom_id,
                error_code=etype,
                error_message=describe_error(etype, detail),
                error_detail=detail,
            )
        if kind == "expired":
            return ItemSnapshot(
                custom_id,
                None,
                "failed",
                doc_id=custom_id,
                error_code="expired",
                error_message="Anthropic did not get to this document within 24 hours. Retry it.",
                error_detail="expired",
            )
        return ItemSnapshot(custom_id, None, "cancelled", doc_id=custom_id)

    def _snapshot(
        self, batch: dict[str, Any], entries: list[BatchEntry], items: list[ItemSnapshot]
    ) -> BatchSnapshot:
        status = str(batch.get("processing_status", "in_progress"))
        counts = {
            k: int(v) for k, v in (batch.get("request_counts") or {}).items() if isinstance(v, int)
        }
        return BatchSnapshot(
            batch_id=str(batch["id"]),
            status=status,
            terminal=status == "ended",
            counts=counts,
            items=items,
        )

    async def fetch_result(self, item: ItemSnapshot) -> dict[str, Any]:
        if not isinstance(item.payload, dict):
            raise BadResponse(
                "Anthropic's result for this document went missing.", detail=item.item_id
            )
        return item.payload

    async def cancel_batch(self, batch_id: str, entries: list[BatchEntry]) -> BatchSnapshot:
        response = await self._call("POST", f"/v1/messages/batches/{batch_id}/cancel")
        if response.status_code != 200:
            raise self._fail(response)
        return self._snapshot(self._json_object(response), entries, [])

    async def finished(self, entries: list[BatchEntry]) -> None:
        if not self.options.delete_files_when_done:
            return
        await asyncio.gather(*(self.delete_file(e.file_id) for e in entries if e.file_id))

    async def check_connection(self) -> None:
        response = await self._call("GET", "/v1/messages/batches", params={"limit": 1})
        if response.status_code != 200:
            raise self._fail(response)


def describe_error(error_type: str, message: str) -> str:
    detail = (message or "no reason given").rstrip(".") + "."
    if error_type == "invalid_request_error":
        return f"Anthropic could not use this document: {detail}"
    if error_type == "not_found_error":
        return "Anthropic no longer has the uploaded file. Retry the document."
    if error_type in ("overloaded_error", "api_error", "timeout_error", "rate_limit_error"):
        return "Anthropic was too busy to finish this document. Retry it later."
    return f"Anthropic could not process this document: {detail}"


def _error_type(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("type", "")) if isinstance(error, dict) else ""


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
