"""A strict fake of Olostep's Files, Batches and Retrieve APIs (``https://api.olostep.com``).

API routes (``Authorization: Bearer <key>``):

* ``POST /v1/files``, ``POST /v1/files/{id}/complete``, ``GET /v1/files``,
  ``GET /v1/files/{id}``, ``GET /v1/files/{id}/content``, ``DELETE /v1/files/{id}``
* ``POST /v1/batches``, ``GET /v1/batches/recent``, ``GET /v1/batches/{id}``,
  ``PATCH /v1/batches/{id}``, ``GET /v1/batches/{id}/items``
* ``GET /v1/retrieve``

Presigned routes (no auth; they stand for S3): ``PUT /olostep-files/upload/{file_id}``
(the ``upload_url``), ``GET /olostep-files/download/{file_id}`` (``download_url``),
``GET /olostep-hosted/{retrieve_id}/{html|markdown|json}`` (``*_hosted_url``).

Spec choices (services.md section 2; [nc] = not confirmed there):

* Errors everywhere use the RFC 7807-style body of the Batches API with
  ``Content-Type: application/problem+json`` (the Files API documents no body [nc]):
  ``{object:"error", id, code, type, status, title, detail, created, metadata, errors?}``.
  A missing or non-Bearer ``Authorization`` is a violation (401); a well-formed wrong key
  is a plain 401 ``invalid_api_key``.
* ``POST /v1/files``: JSON ``{"filename" (must end in .json, case-sensitive like the
  pattern), "purpose"?: "context"|"batch"}``, nothing else. ``upload_url`` is an absolute
  presigned URL on the fake, valid 600 s. The PUT must carry ``Content-Type:
  application/json`` (treated as signed: otherwise 403 SignatureDoesNotMatch + violation)
  and no ``Authorization`` (S3 refuses two auth mechanisms: 400 InvalidArgument +
  violation). An expired URL is a 403 AccessDenied that is not a violation. S3 errors are
  XML. A PUT overwrites.
* ``POST …/complete`` takes no body (a body is a violation). 404 when nothing was PUT, 400
  when already completed (not violations: a retried complete can meet it), 400 + violation
  when the upload is not JSON, 400 when over :attr:`OlostepFake.max_file_bytes`.
* ``POST /v1/batches``: ``items`` 1-10,000 of ``{custom_id (non-empty string), url (http or
  https with a host), metadata?}``; optional ``country`` (2 letters), ``parser``
  (``{"id": str}``), ``links_on_page``, ``metadata`` (≤50 keys of ≤40 characters without
  ``[``/``]``, values string/number/boolean ≤500 characters, stored as strings),
  ``webhook``/``webhook_url`` (http(s)). Unknown keys and malformed values: 400
  ``validation_error`` with ``errors[{loc,msg,type}]`` + violation. More items than
  :attr:`OlostepFake.max_items` (default 100, a new account) but ≤10,000: 400
  ``validation_error`` that is not a violation (the client cannot know the account's cap).
* ``Idempotency-Key``: remembered for :attr:`OlostepFake.idempotency_window` seconds (24 h)
  with the body's canonical JSON. Same key + same body: the cached 200 response is replayed
  (counted in :attr:`OlostepFake.idempotent_replays`); same key + other body: 422
  ``idempotency_key_reuse`` + violation; same key while the first request is still running
  (hold it with a ``slow`` fault): 409 ``idempotency_key_in_progress``. Only 200 answers are
  cached; an error frees the key. Note that ``5xx_after`` and ``drop`` process the request,
  so the key is cached and a retry gets the original batch.
* Batches advance one step per ``GET /v1/batches/{id}``; after step k of
  ``steps_to_finish`` the first ``ceil(total * k / steps)`` items (in order) are processed,
  and at the last step the status becomes ``completed``. ``completed_urls`` counts the
  processed items that succeeded (failed ones are not counted [nc]), so a batch with failures
  ends with ``completed_urls < total_urls``: rely on ``status``. ``created`` is in
  milliseconds, as in the batch examples.
* ``GET …/items``: the processed items, optionally filtered by ``status`` (completed|failed);
  ``cursor`` is an integer offset; ``limit`` defaults to 50 and is capped at 50 [nc]; no
  ``cursor`` in the last page; ``items_count`` is the number of items in this page [nc];
  ``status`` is the batch's status. Failed items have a retrieve_id too.
* ``GET /v1/retrieve``: ``retrieve_id`` required; ``formats`` repeated
  (``formats=html&formats=markdown``) or comma-separated (``formats=html,markdown``), both
  accepted, default all; unrequested formats are null. ``json_content`` is a JSON string
  only when the batch had a ``parser``. A failed item retrieves with all contents null
  [nc]. For ``large[url]`` the answer has ``size_exceeded: true``, null contents and
  presigned ``*_hosted_url`` (no auth, valid 7 days); otherwise the hosted URLs are null.

Outcome controls: ``outcome_for[url] = "failed"`` (or ``"completed"``), decided when the item
is processed; ``large[url] = True``, read at retrieve time. :meth:`OlostepFake.markdown_for`
gives the expected markdown.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.base import FakeService, canonical_json, new_id

__all__ = ["MAX_BATCH_ITEMS", "OlostepFake"]

UPLOAD_TTL_S = 600
HOSTED_TTL_S = 7 * 24 * 3600
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_BATCH_ITEMS = 10_000
ITEMS_PAGE_MAX = 50
FORMATS = ("html", "markdown", "json")
BATCH_KEYS = frozenset(
    {"items", "country", "parser", "links_on_page", "metadata", "webhook", "webhook_url"}
)

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


@dataclass
class OlostepFile:
    """A file created through ``POST /v1/files``."""

    id: str
    filename: str
    purpose: str
    created: int
    data: bytes | None = None
    status: str = "pending"

    def json(self) -> dict[str, Any]:
        """The ``file`` object."""
        return {
            "id": self.id,
            "object": "file",
            "created": self.created,
            "filename": self.filename,
            "bytes": len(self.data or b""),
            "purpose": self.purpose,
            "status": self.status,
        }


@dataclass
class OlostepItem:
    """One URL of a batch."""

    custom_id: str
    url: str
    metadata: dict[str, Any] | None
    retrieve_id: str
    outcome: str | None = None
    """None until processed, then ``completed`` or ``failed``."""


@dataclass
class OlostepBatch:
    """A batch and its progress."""

    id: str
    created_ms: int
    items: list[OlostepItem]
    steps_needed: int
    parser: Any = None
    country: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    webhook: str | None = None
    polls: int = 0

    @property
    def processed(self) -> list[OlostepItem]:
        """The items processed so far, in order."""
        return [item for item in self.items if item.outcome is not None]

    @property
    def status(self) -> str:
        """``in_progress`` or ``completed``."""
        return "completed" if all(i.outcome is not None for i in self.items) else "in_progress"


@dataclass
class _Idempotency:
    fingerprint: str
    created: float
    response: dict[str, Any] | None = None


class OlostepFake(FakeService):
    """Fake ``api.olostep.com``: JSON files, URL batches, retrieve."""

    service_name = "olostep"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        steps_to_finish: int = 2,
        max_items: int = 100,
        max_file_bytes: int = MAX_FILE_BYTES,
        idempotency_window: float = 24 * 3600,
    ) -> None:
        self.max_items = max_items
        """The account's batch size cap (new accounts: 100; the API's own cap is 10,000)."""
        self.max_file_bytes = max_file_bytes
        """Largest JSON file ``complete`` accepts (200 MB)."""
        self.idempotency_window = idempotency_window
        """Seconds an Idempotency-Key is remembered (24 h)."""
        super().__init__(api_key=api_key, steps_to_finish=steps_to_finish)

    def reset_state(self) -> None:
        """Forget files, batches, keys and outcome controls."""
        self.files: dict[str, OlostepFile] = {}
        """Files by id (deleted ones removed)."""
        self.batches: dict[str, OlostepBatch] = {}
        """Batches by id, in creation order."""
        self.outcome_for: dict[str, str] = {}
        """Forced outcome per item URL: ``"failed"`` or ``"completed"``."""
        self.large: dict[str, bool] = {}
        """URLs whose retrieve answers ``size_exceeded`` with hosted URLs."""
        self.idempotent_replays = 0
        """How many batch creates were answered from the Idempotency-Key cache."""
        self._keys: dict[str, _Idempotency] = {}
        self._retrievals: dict[str, tuple[OlostepBatch, OlostepItem]] = {}

    def generate_api_key(self) -> str:
        """A key shaped like an Olostep one."""
        return new_id("olostep_fake_", 32)

    @staticmethod
    def markdown_for(url: str) -> str:
        """The deterministic markdown of one page."""
        return f"# Page at {url}\n\nContent of {url}."

    @staticmethod
    def html_for(url: str) -> str:
        """The deterministic HTML of one page."""
        return f"<html><body><h1>Page at {url}</h1><p>Content of {url}.</p></body></html>"

    # Errors ----------------------------------------------------------------------------------

    def error_response(
        self, request: Request, status: int, code: str, message: str, **extra: Any
    ) -> Response:
        """RFC 7807-style ``application/problem+json`` (``errors`` and ``headers`` extras)."""
        body: dict[str, Any] = {
            "object": "error",
            "id": new_id("err_", 20),
            "code": code,
            "type": f"https://docs.olostep.com/errors/{code}",
            "status": status,
            "title": _TITLES.get(status, "Error"),
            "detail": message,
            "created": int(time.time()),
            "metadata": {},
        }
        if extra.get("errors"):
            body["errors"] = extra["errors"]
        return JSONResponse(
            body, status, headers=extra.get("headers"), media_type="application/problem+json"
        )

    def fault_response(self, request: Request, kind: str, opts: dict[str, Any]) -> Response:
        """429 ``rate_limit_exceeded`` with Retry-After; 5xx ``internal_server_error``."""
        if kind == "429":
            return self.error_response(
                request,
                429,
                "rate_limit_exceeded",
                "Rate limit exceeded. Retry later with exponential backoff.",
                headers={"Retry-After": str(opts["retry_after"])},
            )
        status = int(opts["status"])
        return self.error_response(
            request, status, "internal_server_error", "An internal server error occurred."
        )

    def _validation(self, request: Request, errors: list[dict[str, Any]]) -> Response:
        self.violation(
            request, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        )
        return self.error_response(
            request, 400, "validation_error", "The request is invalid.", errors=errors
        )

    def _auth(self, request: Request, allowed_query: tuple[str, ...] = ()) -> Response | None:
        header = request.headers.get("authorization")
        if not header:
            return self.reject(request, 401, "invalid_api_key", "Authorization header is missing")
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token.strip():
            return self.reject(
                request, 401, "invalid_api_key", "Authorization must be 'Bearer <API key>'"
            )
        if token.strip() != self.api_key:
            return self.error_response(request, 401, "invalid_api_key", "Invalid API key.")
        unexpected = self.unexpected_query(request, allowed_query)
        if unexpected:
            return self._validation(
                request,
                [
                    {
                        "loc": ["query", name],
                        "msg": "unexpected parameter",
                        "type": "extra_forbidden",
                    }
                    for name in unexpected
                ],
            )
        return None

    async def _json_body(self, request: Request) -> dict[str, Any] | Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return self._validation(
                request,
                [
                    {
                        "loc": ["header", "content-type"],
                        "msg": "must be application/json",
                        "type": "value_error",
                    }
                ],
            )
        ok, body = self.parse_json(await request.body())
        if not ok or not isinstance(body, dict):
            return self._validation(
                request, [{"loc": ["body"], "msg": "must be a JSON object", "type": "json_invalid"}]
            )
        return body

    async def unknown_route(self, request: Request) -> Response:
        """404 problem + violation."""
        return self.reject(
            request, 404, "not_found", f"no such route: {request.method} {request.url.path}"
        )

    # Routes ----------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """API and presigned routes."""
        e = self.endpoint
        return [
            Route("/v1/files", e(self.create_file), methods=["POST"]),
            Route("/v1/files", e(self.list_files), methods=["GET"]),
            Route("/v1/files/{file_id}", e(self.get_file), methods=["GET"]),
            Route("/v1/files/{file_id}", e(self.delete_file), methods=["DELETE"]),
            Route("/v1/files/{file_id}/complete", e(self.complete_file), methods=["POST"]),
            Route("/v1/files/{file_id}/content", e(self.file_content), methods=["GET"]),
            Route("/v1/batches", e(self.create_batch, own_delay=True), methods=["POST"]),
            Route("/v1/batches/recent", e(self.recent_batches), methods=["GET"]),
            Route("/v1/batches/{batch_id}", e(self.get_batch), methods=["GET"]),
            Route("/v1/batches/{batch_id}", e(self.update_batch), methods=["PATCH"]),
            Route("/v1/batches/{batch_id}/items", e(self.batch_items), methods=["GET"]),
            Route("/v1/retrieve", e(self.retrieve), methods=["GET"]),
            Route("/olostep-files/upload/{file_id}", e(self.put_upload), methods=["PUT"]),
            Route("/olostep-files/download/{file_id}", e(self.get_download), methods=["GET"]),
            Route("/olostep-hosted/{retrieve_id}/{fmt}", e(self.get_hosted), methods=["GET"]),
        ]

    # Files -----------------------------------------------------------------------------------

    async def create_file(self, request: Request) -> Response:
        """``POST /v1/files`` → presigned ``upload_url``."""
        refused = self._auth(request)
        if refused:
            return refused
        body = await self._json_body(request)
        if isinstance(body, Response):
            return body
        errors: list[dict[str, Any]] = [
            {"loc": ["body", key], "msg": "unexpected field", "type": "extra_forbidden"}
            for key in sorted(set(body) - {"filename", "purpose"})
        ]
        filename = body.get("filename")
        if not isinstance(filename, str) or not filename.endswith(".json"):
            errors.append(
                {
                    "loc": ["body", "filename"],
                    "msg": "required; must end with .json",
                    "type": "value_error",
                }
            )
        purpose = body.get("purpose", "context")
        if purpose not in ("context", "batch"):
            errors.append(
                {"loc": ["body", "purpose"], "msg": "must be 'context' or 'batch'", "type": "enum"}
            )
        if errors:
            return self._validation(request, errors)
        assert isinstance(filename, str)
        created = OlostepFile(new_id("file_", 24), filename, str(purpose), int(time.time()))
        self.files[created.id] = created
        upload_url = self.presigner.sign(
            self.url,
            "PUT",
            f"/olostep-files/upload/{created.id}",
            UPLOAD_TTL_S,
            expired=self.urls_expired(request),
            signed_headers="content-type;host",
        )
        return JSONResponse(
            {
                "id": created.id,
                "object": "file.upload",
                "created": created.created,
                "upload_url": upload_url,
                "expires_in": UPLOAD_TTL_S,
            }
        )

    def _file(self, request: Request) -> OlostepFile | Response:
        file_id = request.path_params["file_id"]
        found = self.files.get(file_id)
        if found is None:
            return self.error_response(request, 404, "file_not_found", f"File {file_id} not found.")
        return found

    async def complete_file(self, request: Request) -> Response:
        """``POST /v1/files/{id}/complete``."""
        refused = self._auth(request)
        if refused:
            return refused
        if await request.body():
            return self._validation(
                request,
                [{"loc": ["body"], "msg": "complete takes no body", "type": "extra_forbidden"}],
            )
        found = self._file(request)
        if isinstance(found, Response):
            return found
        if found.data is None:
            return self.error_response(
                request, 404, "file_not_found", f"File {found.id} was not uploaded to storage."
            )
        if found.status == "completed":
            return self.error_response(
                request, 400, "invalid_request", f"File {found.id} is already completed."
            )
        if len(found.data) > self.max_file_bytes:
            return self.error_response(
                request, 400, "file_too_large", f"File exceeds {self.max_file_bytes} bytes."
            )
        ok, _ = self.parse_json(found.data)
        if not ok:
            return self.reject(request, 400, "invalid_json", "The uploaded file is not valid JSON.")
        found.status = "completed"
        return JSONResponse(found.json())

    async def get_file(self, request: Request) -> Response:
        """``GET /v1/files/{id}``."""
        refused = self._auth(request)
        if refused:
            return refused
        found = self._file(request)
        return found if isinstance(found, Response) else JSONResponse(found.json())

    async def list_files(self, request: Request) -> Response:
        """``GET /v1/files?purpose=`` (completed files only, no pagination)."""
        refused = self._auth(request, ("purpose",))
        if refused:
            return refused
        purpose = request.query_params.get("purpose")
        if purpose is not None and purpose not in ("context", "batch"):
            return self._validation(
                request,
                [{"loc": ["query", "purpose"], "msg": "must be context or batch", "type": "enum"}],
            )
        data = [
            f.json()
            for f in self.files.values()
            if f.status == "completed" and purpose in (None, f.purpose)
        ]
        return JSONResponse({"object": "list", "data": data})

    async def file_content(self, request: Request) -> Response:
        """``GET /v1/files/{id}/content?expires_in=`` → presigned ``download_url``."""
        refused = self._auth(request, ("expires_in",))
        if refused:
            return refused
        raw = request.query_params.get("expires_in", str(UPLOAD_TTL_S))
        if not raw.isdigit() or int(raw) < 1:
            return self._validation(
                request,
                [
                    {
                        "loc": ["query", "expires_in"],
                        "msg": "must be a positive integer",
                        "type": "int_parsing",
                    }
                ],
            )
        found = self._file(request)
        if isinstance(found, Response):
            return found
        if found.status != "completed":
            return self.reject(
                request, 400, "invalid_request", f"File {found.id} is not completed."
            )
        ttl = int(raw)
        url = self.presigner.sign(
            self.url,
            "GET",
            f"/olostep-files/download/{found.id}",
            ttl,
            expired=self.urls_expired(request),
        )
        body = found.json()
        del body["purpose"], body["status"]
        return JSONResponse({**body, "download_url": url, "expires_in": ttl})

    async def delete_file(self, request: Request) -> Response:
        """``DELETE /v1/files/{id}``."""
        refused = self._auth(request)
        if refused:
            return refused
        found = self._file(request)
        if isinstance(found, Response):
            return found
        del self.files[found.id]
        return JSONResponse({"id": found.id, "object": "file", "deleted": True})

    # Presigned (S3) --------------------------------------------------------------------------

    def _s3_error(
        self, request: Request, status: int, code: str, message: str, *, violation: bool
    ) -> Response:
        if violation:
            self.violation(request, f"{code}: {message}")
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{new_id('', 16).upper()}</RequestId></Error>"
        )
        return Response(xml, status, media_type="application/xml")

    def _presigned(self, request: Request) -> Response | None:
        if "authorization" in request.headers:
            return self._s3_error(
                request,
                400,
                "InvalidArgument",
                "Only one auth mechanism allowed; a presigned URL must be used without an "
                "Authorization header",
                violation=True,
            )
        problem = self.presigner.check(request.method, request.url.path, dict(request.query_params))
        if problem == "expired":
            return self._s3_error(
                request, 403, "AccessDenied", "Request has expired", violation=False
            )
        if problem:
            return self._s3_error(request, 403, "SignatureDoesNotMatch", problem, violation=True)
        return None

    async def put_upload(self, request: Request) -> Response:
        """``PUT upload_url``: stores the JSON bytes."""
        refused = self._presigned(request)
        if refused:
            return refused
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return self._s3_error(
                request,
                403,
                "SignatureDoesNotMatch",
                f"the signed Content-Type is application/json, not {content_type or 'none'!r}",
                violation=True,
            )
        found = self.files.get(request.path_params["file_id"])
        if found is None:
            return self._s3_error(request, 404, "NoSuchBucket", "No such upload", violation=False)
        found.data = await request.body()
        etag = hashlib.md5(found.data, usedforsecurity=False).hexdigest()
        return Response(b"", 200, headers={"ETag": f'"{etag}"'})

    async def get_download(self, request: Request) -> Response:
        """``GET download_url``: the completed file's JSON."""
        refused = self._presigned(request)
        if refused:
            return refused
        found = self.files.get(request.path_params["file_id"])
        if found is None or found.data is None:
            return self._s3_error(
                request, 404, "NoSuchKey", "The specified key does not exist.", violation=False
            )
        return Response(found.data, 200, media_type="application/json")

    async def get_hosted(self, request: Request) -> Response:
        """``GET *_hosted_url``: one format of a retrieved page."""
        refused = self._presigned(request)
        if refused:
            return refused
        found = self._retrievals.get(request.path_params["retrieve_id"])
        fmt = request.path_params["fmt"]
        if found is None or fmt not in FORMATS:
            return self._s3_error(
                request, 404, "NoSuchKey", "The specified key does not exist.", violation=False
            )
        batch, item = found
        content = self._content(batch, item, fmt)
        media = {"html": "text/html", "markdown": "text/markdown", "json": "application/json"}[fmt]
        return Response(content or "", 200, media_type=media)

    # Batches ---------------------------------------------------------------------------------

    async def create_batch(self, request: Request) -> Response:
        """``POST /v1/batches`` with Idempotency-Key support."""
        refused = self._auth(request)
        if refused:
            return refused
        key = request.headers.get("idempotency-key")
        raw = await request.body()
        ok, parsed = self.parse_json(raw)
        fingerprint = canonical_json(parsed) if ok else hashlib.sha256(raw).hexdigest()
        entry: _Idempotency | None = None
        if key is not None:
            if not key.strip():
                return self._validation(
                    request,
                    [
                        {
                            "loc": ["header", "Idempotency-Key"],
                            "msg": "must not be empty",
                            "type": "value_error",
                        }
                    ],
                )
            now = time.time()
            for stale in [
                k for k, v in self._keys.items() if now - v.created > self.idempotency_window
            ]:
                del self._keys[stale]
            known = self._keys.get(key)
            if known is not None:
                if known.fingerprint != fingerprint:
                    return self.reject(
                        request,
                        422,
                        "idempotency_key_reuse",
                        "This Idempotency-Key was used with a different request body.",
                    )
                if known.response is None:
                    return self.error_response(
                        request,
                        409,
                        "idempotency_key_in_progress",
                        "A request with this Idempotency-Key is still being processed.",
                    )
                self.idempotent_replays += 1
                return JSONResponse(known.response)
            entry = _Idempotency(fingerprint, now)
            self._keys[key] = entry
        try:
            await self.pause(request)
            response = await self._create_batch(request)
        except BaseException:
            if key is not None:
                self._keys.pop(key, None)
            raise
        if key is not None and entry is not None:
            if response.status_code == 200:
                entry.response = json.loads(bytes(response.body))
            else:
                self._keys.pop(key, None)
        return response

    async def _create_batch(self, request: Request) -> Response:
        body = await self._json_body(request)
        if isinstance(body, Response):
            return body
        errors = _check_batch(body)
        if errors:
            return self._validation(request, errors)
        items_in: list[dict[str, Any]] = body["items"]
        if len(items_in) > self.max_items:
            return self.error_response(
                request,
                400,
                "validation_error",
                f"This account can submit at most {self.max_items} items per batch.",
                errors=[
                    {
                        "loc": ["body", "items"],
                        "msg": f"at most {self.max_items} items",
                        "type": "too_long",
                    }
                ],
            )
        items = [
            OlostepItem(i["custom_id"], i["url"], i.get("metadata"), new_id("ret_", 20))
            for i in items_in
        ]
        batch = OlostepBatch(
            id=new_id("batch_", 20),
            created_ms=int(time.time() * 1000),
            items=items,
            steps_needed=self.steps_to_finish,
            parser=body.get("parser"),
            country=body.get("country"),
            metadata=_string_map(body.get("metadata") or {}),
            webhook=body.get("webhook", body.get("webhook_url")),
        )
        self.batches[batch.id] = batch
        for item in items:
            self._retrievals[item.retrieve_id] = (batch, item)
        return JSONResponse(self._batch_json(batch))

    def _batch(self, request: Request) -> OlostepBatch | Response:
        batch_id = request.path_params["batch_id"]
        found = self.batches.get(batch_id)
        if found is None:
            return self.error_response(
                request, 404, "batch_not_found", f"Batch {batch_id} not found."
            )
        return found

    def _advance(self, batch: OlostepBatch) -> None:
        if batch.status == "completed":
            return
        batch.polls += 1
        steps = max(batch.steps_needed, 1)
        done = min(len(batch.items), math.ceil(len(batch.items) * batch.polls / steps))
        for item in batch.items[:done]:
            if item.outcome is None:
                forced = self.outcome_for.get(item.url, "completed")
                if forced not in ("completed", "failed"):
                    raise ValueError(f"outcome_for[{item.url!r}] = {forced!r}: completed|failed")
                item.outcome = forced

    @staticmethod
    def _batch_json(batch: OlostepBatch) -> dict[str, Any]:
        return {
            "id": batch.id,
            "object": "batch",
            "status": batch.status,
            "created": batch.created_ms,
            "total_urls": len(batch.items),
            "completed_urls": sum(1 for i in batch.items if i.outcome == "completed"),
            "parser": batch.parser,
            "country": batch.country,
            "metadata": batch.metadata,
            "webhook": batch.webhook,
        }

    async def get_batch(self, request: Request) -> Response:
        """``GET /v1/batches/{id}``: one step further per poll."""
        refused = self._auth(request)
        if refused:
            return refused
        batch = self._batch(request)
        if isinstance(batch, Response):
            return batch
        self._advance(batch)
        return JSONResponse(self._batch_json(batch))

    async def update_batch(self, request: Request) -> Response:
        """``PATCH /v1/batches/{id}``: merge ``metadata`` (an empty string deletes a key)."""
        refused = self._auth(request)
        if refused:
            return refused
        batch = self._batch(request)
        if isinstance(batch, Response):
            return batch
        body = await self._json_body(request)
        if isinstance(body, Response):
            return body
        errors = [
            {"loc": ["body", k], "msg": "only metadata can be updated", "type": "extra_forbidden"}
            for k in sorted(set(body) - {"metadata"})
        ]
        errors += _check_metadata(body.get("metadata", {}), ["body", "metadata"])
        if errors:
            return self._validation(request, errors)
        for k, v in _string_map(body.get("metadata") or {}).items():
            if v == "":
                batch.metadata.pop(k, None)
            else:
                batch.metadata[k] = v
        return JSONResponse(self._batch_json(batch))

    async def recent_batches(self, request: Request) -> Response:
        """``GET /v1/batches/recent?limit=&source=`` (newest first)."""
        refused = self._auth(request, ("limit", "source"))
        if refused:
            return refused
        raw = request.query_params.get("limit", "50")
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            return self._validation(
                request,
                [{"loc": ["query", "limit"], "msg": "must be 1-100", "type": "int_parsing"}],
            )
        newest = list(reversed(self.batches.values()))[: int(raw)]
        data = [
            {
                k: self._batch_json(b)[k]
                for k in ("id", "object", "status", "created", "total_urls", "completed_urls")
            }
            for b in newest
        ]
        return JSONResponse({"object": "list", "data": data})

    async def batch_items(self, request: Request) -> Response:
        """``GET /v1/batches/{id}/items?status=&cursor=&limit=``."""
        refused = self._auth(request, ("status", "cursor", "limit", "formats"))
        if refused:
            return refused
        query = request.query_params
        errors: list[dict[str, Any]] = []
        status = query.get("status")
        if status is not None and status not in ("completed", "failed"):
            errors.append(
                {"loc": ["query", "status"], "msg": "must be completed or failed", "type": "enum"}
            )
        cursor_raw, limit_raw = query.get("cursor", "0"), query.get("limit", str(ITEMS_PAGE_MAX))
        if not cursor_raw.isdigit():
            errors.append(
                {
                    "loc": ["query", "cursor"],
                    "msg": "must be an integer >= 0",
                    "type": "int_parsing",
                }
            )
        if not limit_raw.isdigit() or int(limit_raw) < 1:
            errors.append(
                {"loc": ["query", "limit"], "msg": "must be an integer >= 1", "type": "int_parsing"}
            )
        if errors:
            return self._validation(request, errors)
        batch = self._batch(request)
        if isinstance(batch, Response):
            return batch
        cursor, limit = int(cursor_raw), min(int(limit_raw), ITEMS_PAGE_MAX)
        matching = [i for i in batch.processed if status in (None, i.outcome)]
        page = matching[cursor : cursor + limit]
        items = []
        for item in page:
            shown: dict[str, Any] = {
                "custom_id": item.custom_id,
                "retrieve_id": item.retrieve_id,
                "url": item.url,
            }
            if item.metadata is not None:
                shown["metadata"] = item.metadata
            items.append(shown)
        body: dict[str, Any] = {
            "batch_id": batch.id,
            "object": "batch",
            "status": batch.status,
            "items": items,
            "items_count": len(items),
        }
        if cursor + limit < len(matching):
            body["cursor"] = cursor + limit
        return JSONResponse(body)

    # Retrieve --------------------------------------------------------------------------------

    def _content(self, batch: OlostepBatch, item: OlostepItem, fmt: str) -> str | None:
        if item.outcome != "completed":
            return None
        if fmt == "markdown":
            return self.markdown_for(item.url)
        if fmt == "html":
            return self.html_for(item.url)
        if batch.parser is None:
            return None
        return json.dumps({"url": item.url, "title": f"Page at {item.url}"})

    async def retrieve(self, request: Request) -> Response:
        """``GET /v1/retrieve?retrieve_id=&formats=``."""
        refused = self._auth(request, ("retrieve_id", "formats"))
        if refused:
            return refused
        retrieve_id = request.query_params.get("retrieve_id")
        if not retrieve_id:
            return self._validation(
                request, [{"loc": ["query", "retrieve_id"], "msg": "required", "type": "missing"}]
            )
        raw_formats = request.query_params.getlist("formats")
        formats = [f.strip() for raw in raw_formats for f in raw.split(",") if f.strip()]
        bad = [f for f in formats if f not in FORMATS]
        if bad or (raw_formats and not formats):
            return self._validation(
                request,
                [
                    {
                        "loc": ["query", "formats"],
                        "msg": f"unknown format(s) {bad}; use html, markdown, json",
                        "type": "enum",
                    }
                ],
            )
        found = self._retrievals.get(retrieve_id)
        if found is None or found[1].outcome is None:
            return self.error_response(
                request, 404, "retrieve_not_found", f"No content for retrieve_id {retrieve_id}."
            )
        batch, item = found
        wanted = formats or list(FORMATS)
        large = bool(self.large.get(item.url)) and item.outcome == "completed"
        body: dict[str, Any] = {}
        for fmt in FORMATS:
            content = self._content(batch, item, fmt) if fmt in wanted else None
            hosted = None
            if large and content is not None:
                hosted = self.presigner.sign(
                    self.url,
                    "GET",
                    f"/olostep-hosted/{retrieve_id}/{fmt}",
                    HOSTED_TTL_S,
                    expired=self.urls_expired(request),
                )
            body[f"{fmt}_content"] = None if large else content
            body[f"{fmt}_hosted_url"] = hosted
        body["size_exceeded"] = large
        ordered = {
            k: body[k]
            for k in (
                "html_content",
                "markdown_content",
                "json_content",
                "html_hosted_url",
                "markdown_hosted_url",
                "json_hosted_url",
                "size_exceeded",
            )
        }
        return JSONResponse(ordered)


# Validation helpers ---------------------------------------------------------------------------


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _check_metadata(value: Any, loc: list[Any]) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, dict):
        return [{"loc": loc, "msg": "must be an object of strings", "type": "dict_type"}]
    errors: list[dict[str, Any]] = []
    if len(value) > 50:
        errors.append({"loc": loc, "msg": "at most 50 keys", "type": "too_long"})
    for key, item in value.items():
        if len(key) > 40 or re.search(r"[\[\]]", key):
            errors.append(
                {
                    "loc": [*loc, key],
                    "msg": "keys are at most 40 characters, without [ ]",
                    "type": "value_error",
                }
            )
        if isinstance(item, dict | list) or item is None:
            errors.append(
                {
                    "loc": [*loc, key],
                    "msg": "values are strings, numbers or booleans",
                    "type": "string_type",
                }
            )
        elif len(_as_string(item)) > 500:
            errors.append(
                {"loc": [*loc, key], "msg": "values are at most 500 characters", "type": "too_long"}
            )
    return errors


def _as_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _string_map(value: dict[str, Any]) -> dict[str, str]:
    return {k: _as_string(v) for k, v in value.items()}


def _check_batch(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = [
        {"loc": ["body", key], "msg": "unexpected field", "type": "extra_forbidden"}
        for key in sorted(set(body) - BATCH_KEYS)
    ]
    items = body.get("items")
    if not isinstance(items, list) or not items:
        errors.append(
            {"loc": ["body", "items"], "msg": "required: a non-empty list", "type": "missing"}
        )
    elif len(items) > MAX_BATCH_ITEMS:
        errors.append(
            {
                "loc": ["body", "items"],
                "msg": f"at most {MAX_BATCH_ITEMS} items",
                "type": "too_long",
            }
        )
    else:
        for index, item in enumerate(items):
            loc = ["body", "items", index]
            if not isinstance(item, dict):
                errors.append({"loc": loc, "msg": "must be an object", "type": "dict_type"})
                continue
            errors += [
                {"loc": [*loc, k], "msg": "unexpected field", "type": "extra_forbidden"}
                for k in sorted(set(item) - {"custom_id", "url", "metadata"})
            ]
            if not isinstance(item.get("custom_id"), str) or not item["custom_id"]:
                errors.append(
                    {
                        "loc": [*loc, "custom_id"],
                        "msg": "required: a non-empty string",
                        "type": "missing",
                    }
                )
            if not _is_http_url(item.get("url")):
                errors.append(
                    {"loc": [*loc, "url"], "msg": "required: an http(s) URL", "type": "url_parsing"}
                )
            errors += _check_metadata(item.get("metadata"), [*loc, "metadata"])
    country = body.get("country")
    if country is not None and not (
        isinstance(country, str) and re.fullmatch(r"[A-Za-z]{2}", country)
    ):
        errors.append(
            {"loc": ["body", "country"], "msg": "an ISO 3166 alpha-2 code", "type": "value_error"}
        )
    parser = body.get("parser")
    if parser is not None and not (isinstance(parser, dict) and isinstance(parser.get("id"), str)):
        errors.append(
            {
                "loc": ["body", "parser"],
                "msg": 'must be {"id": "@olostep/..."}',
                "type": "dict_type",
            }
        )
    links = body.get("links_on_page")
    if links is not None:
        allowed = {"absolute_links", "include_links", "exclude_links"}
        if not isinstance(links, dict) or set(links) - allowed:
            errors.append(
                {
                    "loc": ["body", "links_on_page"],
                    "msg": f"an object with {sorted(allowed)}",
                    "type": "dict_type",
                }
            )
    errors += _check_metadata(body.get("metadata"), ["body", "metadata"])
    for name in ("webhook", "webhook_url"):
        if name in body and not _is_http_url(body[name]):
            errors.append({"loc": ["body", name], "msg": "an http(s) URL", "type": "url_parsing"})
    return errors
