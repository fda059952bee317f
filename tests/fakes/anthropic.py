"""A strict fake of Anthropic's Files API (beta) and Message Batches API.

Routes (base URL :attr:`AnthropicFake.url` stands for ``https://api.anthropic.com``):

* ``POST /v1/files``, ``GET /v1/files``, ``GET /v1/files/{id}``,
  ``GET /v1/files/{id}/content``, ``DELETE /v1/files/{id}``
* ``POST /v1/messages/batches``, ``GET /v1/messages/batches``,
  ``GET /v1/messages/batches/{id}``, ``POST /v1/messages/batches/{id}/cancel``,
  ``DELETE /v1/messages/batches/{id}``, ``GET /v1/messages/batches/{id}/results``

Spec choices (services.md section 3; [nc] = not confirmed there):

* Every request needs ``x-api-key`` and ``anthropic-version: 2023-06-01``. A missing key is a
  violation (401); a well-formed wrong key is a plain 401 (clients must handle it). A
  missing or other version is a violation (400). The query ``beta=true`` that the official
  SDK appends is accepted everywhere.
* Files API calls need ``anthropic-beta`` listing ``files-api-2025-04-14`` (comma-separated
  lists and repeated headers both work). A batch create whose params reference a
  ``file_id`` needs it too [nc: inference in the notes]; without it the create is refused
  at once (400 + violation) rather than per request.
* ``POST /v1/files``: exactly one part, ``file``, with a filename (1-255 characters, none of
  ``< > : " | ? * \\ /`` or control characters) and a part Content-Type among PDF, plain
  text, JPEG, PNG, GIF, WebP (parameters such as ``; charset=utf-8`` are ignored). Larger
  than :attr:`AnthropicFake.max_file_bytes` gives 413 ``request_too_large``, which is not a
  violation (a test may lower the cap below what the client can know).
* Uploaded files are not downloadable (``downloadable: false``): ``GET …/content`` is a
  violation (400).
* Batch create: the top level is checked at once (400 + violation): ``requests`` is a list of
  1-100,000 objects with exactly ``custom_id`` (1-64 of ``[A-Za-z0-9_-]``, unique) and
  ``params`` (an object). The params are checked asynchronously, like the real service:
  a bad request becomes an ``errored`` result (and a violation is recorded at create time).
  Checked: model (non-empty string), max_tokens (int > 0), messages (non-empty, roles
  user/assistant, content a string or blocks), no ``stream: true``, no unknown keys,
  system/tools/tool_choice shapes, content blocks (text, image, document, ...). A file
  block must name an uploaded, undeleted file (else ``not_found_error``); a ``document``
  needs a PDF or text file and an ``image`` an image file (else ``invalid_request_error``
  "Invalid file type").
* Batches advance one step per ``GET /v1/messages/batches/{id}`` (``steps_to_finish``,
  default 2). Counts other than ``processing`` stay 0 until the batch ends. Once ended,
  ``results_url`` is the absolute URL of ``…/results`` (same auth headers needed), which
  streams JSONL (``application/x-jsonl`` [nc]) in an order different from the request
  order (a hash order; reversed if that happened to be the request order). Asking for
  results before the end is a violation (400).
* Cancel moves the batch to ``canceling``; the next poll ends it. Requests that were
  already processed by then (the first ``ceil(n * polls / steps)`` in request order)
  keep their outcome; the rest are ``canceled``. Cancelling an ended batch is a 400 that is
  not a violation (a race the client must handle); cancelling a canceling batch returns it.
* Lists (files, batches): newest first; ``limit`` 1-1000 (default 20), ``after_id`` or
  ``before_id`` (not both); an unknown cursor id gives an empty page.
* A succeeded result's message content is ``[text]`` plus, when the request has tools, a
  ``tool_use`` of the ``tool_choice`` tool (or the first custom tool) whose input is filled
  from the tool's ``input_schema`` (string properties named like text/markdown/content/
  body get the markdown text). With ``tool_choice`` ``any``/``tool`` the text block is
  left out: the real API prefills the turn so the model emits no text before the tool
  call. ``tool_choice: none`` gives text only. The text is :meth:`AnthropicFake.markdown_for`
  of every referenced file, joined by blank lines.

Outcome controls: ``outcome_for[custom_id]`` = ``"succeeded"`` | ``"errored"`` (api_error)
| ``"errored:<error type>"`` | ``"canceled"`` | ``"expired"``. A request whose params are
invalid is errored whatever its forced outcome. Forced outcomes are not violations.

Extra fault kind: ``"529"`` (``overloaded_error``). ``expire_url`` is not available (the
service hands out no presigned URLs).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from tests.fakes.base import (
    COMMON_FAULT_KINDS,
    FakeService,
    MultipartError,
    new_id,
    paginate_by_id,
    parse_multipart,
    rfc3339,
)

__all__ = [
    "ANTHROPIC_VERSION",
    "DOCUMENT_MIME_TYPES",
    "FILES_BETA",
    "IMAGE_MIME_TYPES",
    "AnthropicFake",
]

ANTHROPIC_VERSION = "2023-06-01"
FILES_BETA = "files-api-2025-04-14"
DOCUMENT_MIME_TYPES = frozenset({"application/pdf", "text/plain"})
IMAGE_MIME_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
UPLOAD_MIME_TYPES = DOCUMENT_MIME_TYPES | IMAGE_MIME_TYPES
MAX_FILE_BYTES = 500 * 1024 * 1024
MAX_BATCH_REQUESTS = 100_000
CUSTOM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
FORBIDDEN_FILENAME = re.compile(r'[<>:"|?*\\/\x00-\x1f\x7f]')
TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,128}")
TEXTY_NAME = re.compile(r"markdown|text|content|body", re.IGNORECASE)

PARAM_KEYS = frozenset(
    {
        "model",
        "max_tokens",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "metadata",
        "thinking",
        "service_tier",
        "stream",
        "container",
        "mcp_servers",
    }
)
BLOCK_TYPES = frozenset(
    {
        "text",
        "image",
        "document",
        "tool_use",
        "tool_result",
        "thinking",
        "redacted_thinking",
        "search_result",
        "container_upload",
    }
)
OUTCOMES = ("succeeded", "errored", "canceled", "expired")

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


class _ParamError(Exception):
    """An invalid batch request (becomes an errored result)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


@dataclass
class StoredFile:
    """An uploaded file."""

    id: str
    filename: str
    mime_type: str
    data: bytes
    created_at: str

    @property
    def size_bytes(self) -> int:
        """Its size in bytes."""
        return len(self.data)

    def metadata(self) -> dict[str, Any]:
        """The ``FileMetadata`` object."""
        return {
            "id": self.id,
            "type": "file",
            "filename": self.filename,
            "mime_type": self.mime_type,
            "size_bytes": self.size_bytes,
            "created_at": self.created_at,
            "downloadable": False,
        }


@dataclass
class BatchRequest:
    """One request of a batch, as submitted."""

    custom_id: str
    params: dict[str, Any]
    error: _ParamError | None
    files: list[StoredFile]


@dataclass
class Batch:
    """A message batch and its progress."""

    id: str
    created: datetime
    requests: list[BatchRequest]
    steps_needed: int
    polls: int = 0
    processing_status: str = "in_progress"
    cancel_initiated_at: datetime | None = None
    ended_at: datetime | None = None
    done_before_cancel: int | None = None
    results: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else rfc3339(moment)


class AnthropicFake(FakeService):
    """Fake ``api.anthropic.com``: Files API (beta) and Message Batches."""

    service_name = "anthropic"
    fault_kinds: ClassVar[frozenset[str]] = (COMMON_FAULT_KINDS | {"529"}) - {"expire_url"}
    request_id_header = "request-id"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        steps_to_finish: int = 2,
        max_file_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        self.max_file_bytes = max_file_bytes
        """Upload cap; larger files get 413 ``request_too_large`` (default 500 MB)."""
        super().__init__(api_key=api_key, steps_to_finish=steps_to_finish)

    def reset_state(self) -> None:
        """Forget files, batches and outcome controls."""
        self.files: dict[str, StoredFile] = {}
        """Uploaded files that exist (deleted ones are removed), by id."""
        self.batches: dict[str, Batch] = {}
        """Every batch created, by id, in creation order."""
        self.outcome_for: dict[str, str] = {}
        """Forced outcome per ``custom_id`` (see the module docstring)."""
        self.uploads = 0
        """How many files were created (duplicates from retries included)."""

    def generate_api_key(self) -> str:
        """A key shaped like Anthropic's."""
        return new_id("sk-ant-api03-fake", 40)

    # Content helpers -------------------------------------------------------------------------

    @staticmethod
    def markdown_for(filename: str, size_bytes: int) -> str:
        """The deterministic markdown a succeeded request returns for one file."""
        return (
            f"# {filename}\n\nText extracted from {filename} ({size_bytes} bytes).\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |"
        )

    # Errors ----------------------------------------------------------------------------------

    def error_response(
        self, request: Request, status: int, code: str, message: str, **extra: Any
    ) -> Response:
        """``{"type":"error","error":{"type","message"},"request_id"}``; ``code`` is the
        error type (a generic ``not_found`` from the base is mapped by status)."""
        error_type = code if code.endswith("_error") or code == "request_too_large" else None
        body = {
            "type": "error",
            "error": {
                "type": error_type or _ERROR_TYPES.get(status, "invalid_request_error"),
                "message": message,
            },
            "request_id": self.request_id(request),
        }
        return JSONResponse(body, status, headers=extra.get("headers"))

    def fault_response(self, request: Request, kind: str, opts: dict[str, Any]) -> Response:
        """429 ``rate_limit_error``, 529 ``overloaded_error``, 5xx ``api_error``."""
        headers: dict[str, str] = {}
        if opts.get("retry_after") is not None:
            headers["retry-after"] = str(opts["retry_after"])
        if kind == "429":
            message = "Number of requests has exceeded your rate limit."
            return self.error_response(request, 429, "rate_limit_error", message, headers=headers)
        if kind == "529":
            return self.error_response(
                request, 529, "overloaded_error", "Overloaded", headers=headers
            )
        status = int(opts["status"])
        error_type = "timeout_error" if status == 504 else "api_error"
        return self.error_response(request, status, error_type, "Internal server error")

    # Checks ----------------------------------------------------------------------------------

    def _betas(self, request: Request) -> set[str]:
        values = request.headers.getlist("anthropic-beta")
        return {beta.strip() for value in values for beta in value.split(",") if beta.strip()}

    def _check_headers(
        self, request: Request, *, files_api: bool, allowed_query: tuple[str, ...] = ()
    ) -> Response | None:
        key = request.headers.get("x-api-key")
        if not key:
            return self.reject(request, 401, "authentication_error", "x-api-key header is required")
        if key != self.api_key:
            return self.error_response(request, 401, "authentication_error", "invalid x-api-key")
        version = request.headers.get("anthropic-version")
        if version is None:
            return self.reject(
                request, 400, "invalid_request_error", "anthropic-version: header is required"
            )
        if version != ANTHROPIC_VERSION:
            return self.reject(
                request,
                400,
                "invalid_request_error",
                f"anthropic-version: {version!r} is not {ANTHROPIC_VERSION}",
            )
        if files_api and FILES_BETA not in self._betas(request):
            return self.reject(
                request,
                400,
                "invalid_request_error",
                f"the Files API needs the header anthropic-beta: {FILES_BETA}",
            )
        unexpected = self.unexpected_query(request, (*allowed_query, "beta"))
        if unexpected:
            return self.reject(
                request, 400, "invalid_request_error", f"unexpected query parameter(s) {unexpected}"
            )
        return None

    def _list_params(self, request: Request) -> tuple[int, str | None, str | None] | Response:
        query = request.query_params
        raw_limit = query.get("limit", "20")
        try:
            limit = int(raw_limit)
        except ValueError:
            limit = 0
        if not 1 <= limit <= 1000:
            return self.reject(
                request, 400, "invalid_request_error", f"limit {raw_limit!r} is not in 1-1000"
            )
        after_id, before_id = query.get("after_id"), query.get("before_id")
        if after_id is not None and before_id is not None:
            return self.reject(
                request, 400, "invalid_request_error", "give after_id or before_id, not both"
            )
        return limit, after_id, before_id

    @staticmethod
    def _page(data: list[dict[str, Any]], has_more: bool) -> JSONResponse:
        return JSONResponse(
            {
                "data": data,
                "has_more": has_more,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
        )

    # Routes ----------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """The Files and Message Batches routes."""
        e = self.endpoint
        return [
            Route("/v1/files", e(self.upload_file), methods=["POST"]),
            Route("/v1/files", e(self.list_files), methods=["GET"]),
            Route("/v1/files/{file_id}", e(self.get_file), methods=["GET"]),
            Route("/v1/files/{file_id}", e(self.delete_file), methods=["DELETE"]),
            Route("/v1/files/{file_id}/content", e(self.file_content), methods=["GET"]),
            Route("/v1/messages/batches", e(self.create_batch), methods=["POST"]),
            Route("/v1/messages/batches", e(self.list_batches), methods=["GET"]),
            Route("/v1/messages/batches/{batch_id}", e(self.get_batch), methods=["GET"]),
            Route("/v1/messages/batches/{batch_id}", e(self.delete_batch), methods=["DELETE"]),
            Route("/v1/messages/batches/{batch_id}/cancel", e(self.cancel_batch), methods=["POST"]),
            Route(
                "/v1/messages/batches/{batch_id}/results", e(self.batch_results), methods=["GET"]
            ),
        ]

    async def unknown_route(self, request: Request) -> Response:
        """404 ``not_found_error`` + violation."""
        return self.reject(
            request,
            404,
            "not_found_error",
            f"no such route: {request.method} {request.url.path}",
        )

    # Files -----------------------------------------------------------------------------------

    async def upload_file(self, request: Request) -> Response:
        """``POST /v1/files`` (multipart, one ``file`` part)."""
        refused = self._check_headers(request, files_api=True)
        if refused:
            return refused
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        try:
            parts = parse_multipart(body, content_type)
        except MultipartError as exc:
            return self.reject(request, 400, "invalid_request_error", f"multipart body: {exc}")
        names = [part.name for part in parts]
        if names != ["file"]:
            return self.reject(
                request,
                400,
                "invalid_request_error",
                f"the body must have exactly one part named 'file', not {names}",
            )
        part = parts[0]
        if part.filename is None:
            return self.reject(request, 400, "invalid_request_error", "file: no filename given")
        if not 1 <= len(part.filename) <= 255 or FORBIDDEN_FILENAME.search(part.filename):
            return self.reject(
                request, 400, "invalid_request_error", f"invalid filename {part.filename!r}"
            )
        mime = part.base_content_type
        if mime not in UPLOAD_MIME_TYPES:
            return self.reject(
                request,
                400,
                "invalid_request_error",
                f"file: part Content-Type {part.content_type!r} is not one of "
                f"{sorted(UPLOAD_MIME_TYPES)}",
            )
        if len(part.data) > self.max_file_bytes:
            return self.error_response(
                request,
                413,
                "request_too_large",
                f"Request exceeds the maximum allowed number of bytes ({self.max_file_bytes}).",
            )
        stored = StoredFile(new_id("file_011C", 22), part.filename, mime, part.data, rfc3339())
        self.files[stored.id] = stored
        self.uploads += 1
        return JSONResponse(stored.metadata())

    async def list_files(self, request: Request) -> Response:
        """``GET /v1/files`` (newest first)."""
        refused = self._check_headers(
            request, files_api=True, allowed_query=("limit", "after_id", "before_id", "scope_id")
        )
        if refused:
            return refused
        params = self._list_params(request)
        if isinstance(params, Response):
            return params
        limit, after_id, before_id = params
        newest_first = list(reversed(self.files.values()))
        page, more = paginate_by_id(
            newest_first, lambda f: f.id, limit=limit, after_id=after_id, before_id=before_id
        )
        return self._page([f.metadata() for f in page], more)

    def _file_or_404(self, request: Request) -> StoredFile | Response:
        file_id = request.path_params["file_id"]
        stored = self.files.get(file_id)
        if stored is None:
            return self.error_response(
                request, 404, "not_found_error", f"File not found: {file_id}"
            )
        return stored

    async def get_file(self, request: Request) -> Response:
        """``GET /v1/files/{id}``."""
        refused = self._check_headers(request, files_api=True)
        if refused:
            return refused
        stored = self._file_or_404(request)
        return stored if isinstance(stored, Response) else JSONResponse(stored.metadata())

    async def delete_file(self, request: Request) -> Response:
        """``DELETE /v1/files/{id}`` → ``{"id", "type": "file_deleted"}``."""
        refused = self._check_headers(request, files_api=True)
        if refused:
            return refused
        stored = self._file_or_404(request)
        if isinstance(stored, Response):
            return stored
        del self.files[stored.id]
        return JSONResponse({"id": stored.id, "type": "file_deleted"})

    async def file_content(self, request: Request) -> Response:
        """``GET /v1/files/{id}/content``: uploaded files are not downloadable."""
        refused = self._check_headers(request, files_api=True)
        if refused:
            return refused
        stored = self._file_or_404(request)
        if isinstance(stored, Response):
            return stored
        return self.reject(
            request,
            400,
            "invalid_request_error",
            f"File {stored.id} is not downloadable (uploaded files never are)",
        )

    # Batches ---------------------------------------------------------------------------------

    async def create_batch(self, request: Request) -> Response:
        """``POST /v1/messages/batches``."""
        refused = self._check_headers(request, files_api=False)
        if refused:
            return refused
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return self.reject(
                request, 400, "invalid_request_error", "content-type must be application/json"
            )
        ok, body = self.parse_json(await request.body())
        if not ok or not isinstance(body, dict):
            return self.reject(
                request, 400, "invalid_request_error", "the body is not a JSON object"
            )
        problem = _check_top_level(body)
        if problem:
            return self.reject(request, 400, "invalid_request_error", problem)
        submitted: list[dict[str, Any]] = body["requests"]
        if any(_file_ids(item["params"]) for item in submitted) and (
            FILES_BETA not in self._betas(request)
        ):
            return self.reject(
                request,
                400,
                "invalid_request_error",
                f"params reference a file_id: send anthropic-beta: {FILES_BETA}",
            )
        requests: list[BatchRequest] = []
        for item in submitted:
            files: list[StoredFile] = []
            error: _ParamError | None = None
            try:
                files = self._check_params(item["params"])
            except _ParamError as exc:
                error = exc
                self.violation(request, f"requests[{item['custom_id']!r}].params: {exc.message}")
            requests.append(BatchRequest(item["custom_id"], item["params"], error, files))
        batch = Batch(new_id("msgbatch_01", 22), datetime.now(UTC), requests, self.steps_to_finish)
        self.batches[batch.id] = batch
        return JSONResponse(self._batch_json(batch))

    def _check_params(self, params: dict[str, Any]) -> list[StoredFile]:
        """Validate Messages params; the files they reference (raises _ParamError)."""

        def bad(message: str) -> _ParamError:
            return _ParamError("invalid_request_error", message)

        unknown = sorted(set(params) - PARAM_KEYS)
        if unknown:
            raise bad(f"{unknown[0]}: Extra inputs are not permitted")
        if params.get("stream") is True:
            raise bad("stream: streaming is not supported in message batches")
        model = params.get("model")
        if not isinstance(model, str) or not model:
            raise bad("model: Field required (a non-empty string)")
        max_tokens = params.get("max_tokens")
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise bad("max_tokens: must be an integer greater than 0")
        messages = params.get("messages")
        if not isinstance(messages, list) or not messages:
            raise bad("messages: must be a non-empty list")
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or set(message) - {"role", "content"}:
                raise bad(f"messages.{index}: must be an object with role and content only")
            if message.get("role") not in ("user", "assistant"):
                raise bad(f"messages.{index}.role: must be 'user' or 'assistant'")
            content = message.get("content")
            if isinstance(content, str):
                continue
            if not isinstance(content, list) or not content:
                raise bad(f"messages.{index}.content: must be a string or a non-empty list")
            for position, block in enumerate(content):
                _check_block(block, f"messages.{index}.content.{position}")
        system = params.get("system")
        if system is not None and not isinstance(system, str):
            if not isinstance(system, list):
                raise bad("system: must be a string or a list of text blocks")
            for position, block in enumerate(system):
                if not isinstance(block, dict) or block.get("type") != "text":
                    raise bad(f"system.{position}: must be a text block")
                _check_block(block, f"system.{position}")
        tool_names = _check_tools(params.get("tools"))
        _check_tool_choice(params.get("tool_choice"), tool_names)
        files: list[StoredFile] = []
        for kind, file_id in _file_ids(params):
            stored = self.files.get(file_id)
            if stored is None:
                raise _ParamError("not_found_error", f"File not found: {file_id}")
            wanted = DOCUMENT_MIME_TYPES if kind == "document" else IMAGE_MIME_TYPES
            if stored.mime_type not in wanted:
                raise bad(
                    f"Invalid file type: a {kind} block cannot use {file_id} ({stored.mime_type})"
                )
            files.append(stored)
        return files

    def _get_batch(self, request: Request) -> Batch | Response:
        batch_id = request.path_params["batch_id"]
        batch = self.batches.get(batch_id)
        if batch is None:
            return self.error_response(
                request, 404, "not_found_error", f"Message batch not found: {batch_id}"
            )
        return batch

    async def get_batch(self, request: Request) -> Response:
        """``GET /v1/messages/batches/{id}``: one step further per poll."""
        refused = self._check_headers(request, files_api=False)
        if refused:
            return refused
        batch = self._get_batch(request)
        if isinstance(batch, Response):
            return batch
        if batch.processing_status == "in_progress":
            batch.polls += 1
            if batch.polls >= batch.steps_needed:
                self._end(batch)
        elif batch.processing_status == "canceling":
            self._end(batch)
        return JSONResponse(self._batch_json(batch))

    async def list_batches(self, request: Request) -> Response:
        """``GET /v1/messages/batches`` (newest first; does not advance batches)."""
        refused = self._check_headers(
            request, files_api=False, allowed_query=("limit", "after_id", "before_id")
        )
        if refused:
            return refused
        params = self._list_params(request)
        if isinstance(params, Response):
            return params
        limit, after_id, before_id = params
        newest_first = list(reversed(self.batches.values()))
        page, more = paginate_by_id(
            newest_first, lambda b: b.id, limit=limit, after_id=after_id, before_id=before_id
        )
        return self._page([self._batch_json(b) for b in page], more)

    async def cancel_batch(self, request: Request) -> Response:
        """``POST /v1/messages/batches/{id}/cancel``."""
        refused = self._check_headers(request, files_api=False)
        if refused:
            return refused
        batch = self._get_batch(request)
        if isinstance(batch, Response):
            return batch
        if batch.processing_status == "ended":
            return self.error_response(
                request, 400, "invalid_request_error", f"Batch {batch.id} has already ended"
            )
        if batch.processing_status == "in_progress":
            batch.processing_status = "canceling"
            batch.cancel_initiated_at = datetime.now(UTC)
            total = len(batch.requests)
            steps = max(batch.steps_needed, 1)
            batch.done_before_cancel = min(total, math.ceil(total * batch.polls / steps))
        return JSONResponse(self._batch_json(batch))

    async def delete_batch(self, request: Request) -> Response:
        """``DELETE /v1/messages/batches/{id}`` (only once ended)."""
        refused = self._check_headers(request, files_api=False)
        if refused:
            return refused
        batch = self._get_batch(request)
        if isinstance(batch, Response):
            return batch
        if batch.processing_status != "ended":
            return self.reject(
                request,
                400,
                "invalid_request_error",
                f"Batch {batch.id} cannot be deleted before it ends; cancel it first",
            )
        del self.batches[batch.id]
        return JSONResponse({"id": batch.id, "type": "message_batch_deleted"})

    async def batch_results(self, request: Request) -> Response:
        """``GET /v1/messages/batches/{id}/results`` (JSONL, not in request order)."""
        refused = self._check_headers(request, files_api=False)
        if refused:
            return refused
        batch = self._get_batch(request)
        if isinstance(batch, Response):
            return batch
        if batch.processing_status != "ended":
            return self.reject(
                request,
                400,
                "invalid_request_error",
                f"Batch {batch.id} has not ended: use results_url once processing_status "
                "is 'ended'",
            )
        lines = [json.dumps(line) + "\n" for line in batch.results]

        async def stream() -> AsyncIterator[bytes]:
            for line in lines:
                yield line.encode()

        return StreamingResponse(stream(), media_type="application/x-jsonl")

    # Processing ------------------------------------------------------------------------------

    def _end(self, batch: Batch) -> None:
        counts = dict.fromkeys(("succeeded", "errored", "canceled", "expired"), 0)
        results: list[dict[str, Any]] = []
        for index, item in enumerate(batch.requests):
            cut = batch.done_before_cancel
            if cut is not None and index >= cut:
                result: dict[str, Any] = {"type": "canceled"}
            else:
                result = self._result(item)
            counts[result["type"]] += 1
            results.append({"custom_id": item.custom_id, "result": result})
        batch.results = _shuffled(results)
        batch.counts = counts
        batch.processing_status = "ended"
        batch.ended_at = datetime.now(UTC)

    def _result(self, item: BatchRequest) -> dict[str, Any]:
        if item.error is not None:
            return _errored(item.error.error_type, item.error.message)
        forced = self.outcome_for.get(item.custom_id, "succeeded")
        outcome, _, error_type = forced.partition(":")
        if outcome not in OUTCOMES:
            raise ValueError(
                f"outcome_for[{item.custom_id!r}] = {forced!r} is not one of {OUTCOMES}"
            )
        if outcome == "errored":
            error_type = error_type or "api_error"
            return _errored(error_type, f"Forced {error_type} (fake outcome_for).")
        if outcome in ("canceled", "expired"):
            return {"type": outcome}
        return {"type": "succeeded", "message": self._message(item)}

    def _message(self, item: BatchRequest) -> dict[str, Any]:
        params = item.params
        text = "\n\n".join(self.markdown_for(f.filename, f.size_bytes) for f in item.files)
        text = text or "# Response\n\nNo document was attached."
        tools = [t for t in params.get("tools") or [] if "input_schema" in t]
        choice = params.get("tool_choice") or {"type": "auto"}
        tool: dict[str, Any] | None = None
        if choice["type"] == "tool":
            tool = next((t for t in tools if t["name"] == choice["name"]), None)
        elif choice["type"] in ("auto", "any") and tools:
            tool = tools[0]
        content: list[dict[str, Any]] = []
        if choice["type"] not in ("any", "tool"):
            content.append({"type": "text", "text": text})
        if tool is not None:
            content.append(
                {
                    "type": "tool_use",
                    "id": new_id("toolu_01", 22),
                    "name": tool["name"],
                    "input": sample_value(tool["input_schema"], tool["name"], text),
                }
            )
        input_tokens = 20 + sum(max(1, f.size_bytes // 4) for f in item.files)
        return {
            "id": new_id("msg_01", 22),
            "type": "message",
            "role": "assistant",
            "model": params["model"],
            "content": content,
            "stop_reason": "tool_use" if tool is not None else "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": max(1, len(text) // 4),
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "service_tier": "batch",
            },
        }

    def _batch_json(self, batch: Batch) -> dict[str, Any]:
        ended = batch.processing_status == "ended"
        counts = {
            "processing": 0 if ended else len(batch.requests),
            "succeeded": batch.counts.get("succeeded", 0),
            "errored": batch.counts.get("errored", 0),
            "canceled": batch.counts.get("canceled", 0),
            "expired": batch.counts.get("expired", 0),
        }
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": batch.processing_status,
            "request_counts": counts,
            "ended_at": _time(batch.ended_at),
            "created_at": rfc3339(batch.created),
            "expires_at": rfc3339(batch.created + timedelta(hours=24)),
            "archived_at": None,
            "cancel_initiated_at": _time(batch.cancel_initiated_at),
            "results_url": (
                f"{self.url}/v1/messages/batches/{batch.id}/results" if ended else None
            ),
        }


# Validation helpers ---------------------------------------------------------------------------


def _check_top_level(body: dict[str, Any]) -> str | None:
    """Why the batch body is malformed at the top level (checked at submit time), or None."""
    if set(body) != {"requests"}:
        extra = sorted(set(body) - {"requests"})
        return (
            f"{extra[0]}: Extra inputs are not permitted" if extra else "requests: Field required"
        )
    requests = body["requests"]
    if not isinstance(requests, list) or not requests:
        return "requests: must be a non-empty list"
    if len(requests) > MAX_BATCH_REQUESTS:
        return f"requests: at most {MAX_BATCH_REQUESTS} requests per batch"
    seen: set[str] = set()
    for index, item in enumerate(requests):
        if not isinstance(item, dict) or set(item) != {"custom_id", "params"}:
            return f"requests.{index}: must be an object with exactly custom_id and params"
        custom_id = item["custom_id"]
        if not isinstance(custom_id, str) or not CUSTOM_ID.fullmatch(custom_id):
            return f"requests.{index}.custom_id: {custom_id!r} must be 1-64 of [A-Za-z0-9_-]"
        if custom_id in seen:
            return f"requests.{index}.custom_id: {custom_id!r} is not unique in the batch"
        seen.add(custom_id)
        if not isinstance(item["params"], dict):
            return f"requests.{index}.params: must be an object"
    return None


def _file_ids(value: Any) -> list[tuple[str, str]]:
    """``(block type, file_id)`` of every ``source: {type: file}`` block, in order."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        block_type = value.get("type")
        source = value.get("source")
        if (
            block_type in ("document", "image")
            and isinstance(source, dict)
            and source.get("type") == "file"
            and isinstance(source.get("file_id"), str)
        ):
            found.append((str(block_type), source["file_id"]))
        for child in value.values():
            if child is not source:
                found.extend(_file_ids(child))
    elif isinstance(value, list):
        for child in value:
            found.extend(_file_ids(child))
    return found


def _check_block(block: Any, where: str) -> None:
    def bad(message: str) -> _ParamError:
        return _ParamError("invalid_request_error", f"{where}: {message}")

    if not isinstance(block, dict):
        raise bad("a content block must be an object")
    block_type = block.get("type")
    if block_type not in BLOCK_TYPES:
        raise bad(f"unknown content block type {block_type!r}")
    if block_type == "text":
        if not isinstance(block.get("text"), str) or not block["text"]:
            raise bad("text blocks need a non-empty 'text' string")
    elif block_type in ("image", "document"):
        source = block.get("source")
        if not isinstance(source, dict):
            raise bad(f"{block_type} blocks need a 'source' object")
        source_type = source.get("type")
        allowed = {
            "image": {"base64", "url", "file"},
            "document": {"base64", "text", "url", "content", "file"},
        }[block_type]
        if source_type not in allowed:
            raise bad(f"source.type {source_type!r} is not one of {sorted(allowed)}")
        if source_type == "file":
            file_id = source.get("file_id")
            if not isinstance(file_id, str) or not file_id or set(source) != {"type", "file_id"}:
                raise bad("a file source is exactly {'type': 'file', 'file_id': <string>}")
        elif source_type in ("base64", "text"):
            if not isinstance(source.get("data"), str) or "media_type" not in source:
                raise bad(f"a {source_type} source needs media_type and data")
        elif source_type == "url" and not isinstance(source.get("url"), str):
            raise bad("a url source needs a 'url' string")
    elif block_type == "tool_result":
        if not isinstance(block.get("tool_use_id"), str):
            raise bad("tool_result blocks need a tool_use_id")
        inner = block.get("content")
        if isinstance(inner, list):
            for position, child in enumerate(inner):
                _check_block(child, f"{where}.content.{position}")
    elif block_type == "tool_use" and not (
        isinstance(block.get("id"), str)
        and isinstance(block.get("name"), str)
        and isinstance(block.get("input"), dict)
    ):
        raise bad("tool_use blocks need id, name and an input object")


def _check_tools(tools: Any) -> set[str]:
    if tools is None:
        return set()
    if not isinstance(tools, list):
        raise _ParamError("invalid_request_error", "tools: must be a list")
    names: set[str] = set()
    for index, tool in enumerate(tools):
        where = f"tools.{index}"
        if not isinstance(tool, dict):
            raise _ParamError("invalid_request_error", f"{where}: must be an object")
        name = tool.get("name")
        if not isinstance(name, str) or not TOOL_NAME.fullmatch(name):
            raise _ParamError(
                "invalid_request_error", f"{where}.name: must match [a-zA-Z0-9_-]{{1,128}}"
            )
        if name in names:
            raise _ParamError("invalid_request_error", f"{where}.name: {name!r} is not unique")
        names.add(name)
        if tool.get("type") in (None, "custom"):
            schema = tool.get("input_schema")
            if not isinstance(schema, dict) or schema.get("type") != "object":
                raise _ParamError(
                    "invalid_request_error",
                    f"{where}.input_schema: must be a JSON schema with type 'object'",
                )
            extra = sorted(
                set(tool) - {"name", "description", "input_schema", "type", "cache_control"}
            )
            if extra:
                raise _ParamError(
                    "invalid_request_error", f"{where}.{extra[0]}: Extra inputs are not permitted"
                )
    return names


def _check_tool_choice(choice: Any, tool_names: set[str]) -> None:
    if choice is None:
        return
    if not isinstance(choice, dict) or choice.get("type") not in ("auto", "any", "tool", "none"):
        raise _ParamError(
            "invalid_request_error", "tool_choice: type must be auto, any, tool or none"
        )
    if choice["type"] in ("any", "tool") and not tool_names:
        raise _ParamError("invalid_request_error", "tool_choice: needs tools")
    if choice["type"] == "tool" and choice.get("name") not in tool_names:
        raise _ParamError(
            "invalid_request_error", f"tool_choice.name: {choice.get('name')!r} is not a tool"
        )


def _errored(error_type: str, message: str) -> dict[str, Any]:
    return {
        "type": "errored",
        "error": {"type": "error", "error": {"type": error_type, "message": message}},
    }


def _shuffled(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A deterministic order that differs from the request order (when there are 2+)."""
    ordered = sorted(results, key=lambda r: hashlib.sha256(r["custom_id"].encode()).hexdigest())
    if len(ordered) > 1 and ordered == results:
        ordered.reverse()
    return ordered


def sample_value(schema: Any, name: str, text: str) -> Any:
    """A plausible value for a JSON schema (string properties named like text get ``text``)."""
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        options = schema.get(combinator)
        if isinstance(options, list) and options:
            usable = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
            return sample_value((usable or options)[0], name, text)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") or {}
        return {key: sample_value(sub, key, text) for key, sub in properties.items()}
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        return [sample_value(schema.get("items", {}), name, text) for _ in range(count)]
    if kind in ("integer", "number"):
        value: float = 42 if kind == "integer" else 42.5
        if "minimum" in schema:
            value = max(value, schema["minimum"])
        if "maximum" in schema:
            value = min(value, schema["maximum"])
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    formats = {
        "date": "2024-01-31",
        "date-time": "2024-01-31T12:00:00Z",
        "time": "12:00:00",
        "email": "info@example.com",
        "uri": "https://example.com/",
        "uuid": "00000000-0000-4000-8000-000000000000",
    }
    if schema.get("format") in formats:
        return formats[schema["format"]]
    if TEXTY_NAME.search(name):
        return text
    return f"Sample {name}"
