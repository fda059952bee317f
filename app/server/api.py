"""The extract.page ``/v1`` batch-lane routes and their API-key check."""

from __future__ import annotations

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.server.context import EXPIRE_URLS_SCOPE_KEY, ServerContext
from app.server.models import CreateBatchRequest, CreateFileRequest, parse_body, query_int
from app.server.resources import (
    batch_resource,
    decode_cursor,
    encode_cursor,
    file_resource,
    item_resource,
)
from app.server.storage import presign_result, presign_upload
from app.server.store import BATCH_STATUSES, iso, utcnow


class ApiKeyMiddleware:
    """Every ``/v1`` request must carry ``X-API-KEY`` equal to the server's key."""

    def __init__(self, app: ASGIApp, *, api_key: str) -> None:
        self._app = app
        self._key = api_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and (path == "/v1" or path.startswith("/v1/")):
            given = Headers(scope=scope).get("x-api-key", "").encode()
            if not hmac.compare_digest(given, self._key):
                response = JSONResponse({"detail": "Invalid or missing API key."}, 401)
                await response(scope, receive, send)
                return
        await self._app(scope, receive, send)


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _expire_urls(request: Request) -> bool:
    return bool(request.scope.get(EXPIRE_URLS_SCOPE_KEY))


def _cursor(request: Request) -> tuple[str, str] | None:
    """The decoded ``cursor`` query parameter; ValueError when it is not ours."""
    raw = request.query_params.get("cursor")
    return decode_cursor(raw) if raw else None


def _bad_request(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, 400)


class V1Routes:
    """Handlers of ``/v1/files`` and ``/v1/batches``."""

    def __init__(self, ctx: ServerContext) -> None:
        self._ctx = ctx

    def routes(self) -> list[BaseRoute]:
        """The ``/v1`` routes."""
        return [
            Route("/v1/files", self.create_file, methods=["POST"]),
            Route("/v1/files/{file_id}", self.get_file, methods=["GET"]),
            Route("/v1/batches", self.create_batch, methods=["POST"]),
            Route("/v1/batches", self.list_batches, methods=["GET"]),
            Route("/v1/batches/{batch_id}", self.get_batch, methods=["GET"]),
            Route("/v1/batches/{batch_id}/cancel", self.cancel_batch, methods=["POST"]),
            Route(
                "/v1/batches/{batch_id}/items/{item_id}/result", self.get_result, methods=["GET"]
            ),
        ]

    async def create_file(self, request: Request) -> Response:
        """``POST /v1/files``: reserve an upload slot and hand out a presigned PUT URL."""
        body = parse_body(CreateFileRequest, await request.body())
        cap = self._ctx.config.max_upload_bytes
        if body.size_bytes > cap:
            return JSONResponse(
                {"detail": f"size_bytes {body.size_bytes} exceeds maximum of {cap}."}, 413
            )
        row = await run_in_threadpool(
            self._ctx.store.create_file,
            filename=body.filename,
            content_type=body.content_type,
            size=body.size_bytes,
        )
        url, expires_at = presign_upload(
            self._ctx, _base_url(request), row, expired=_expire_urls(request)
        )
        upload = {"method": "PUT", "url": url, "expires_at": expires_at}
        return JSONResponse({**file_resource(row), "upload": upload})

    async def get_file(self, request: Request) -> Response:
        """``GET /v1/files/{file_id}``."""
        row = await run_in_threadpool(self._ctx.store.get_file, request.path_params["file_id"])
        if row is None:
            return JSONResponse({"detail": "File not found"}, 404)
        return JSONResponse(file_resource(row))

    async def create_batch(self, request: Request) -> Response:
        """``POST /v1/batches``, idempotent per ``Idempotency-Key``."""
        body = parse_body(CreateBatchRequest, await request.body())
        key = request.headers.get("idempotency-key") or None
        return await run_in_threadpool(self._create_batch, body, key)

    def _create_batch(self, body: CreateBatchRequest, key: str | None) -> Response:
        store = self._ctx.store
        if key is not None:
            existing = store.find_batch_by_key(key)
            if existing is not None:
                return JSONResponse(batch_resource(existing))
        file_ids = list(dict.fromkeys(body.source.file_ids))
        if not file_ids:
            return _bad_request("source.file_ids must be non-empty")
        files = store.get_files(file_ids)
        now = iso(utcnow())
        missing = [
            file_id
            for file_id in file_ids
            if file_id not in files
            or files[file_id].status == "expired"
            or files[file_id].expires_at <= now
        ]
        if missing:
            return JSONResponse({"error": "file_not_found", "file_ids": missing}, 404)
        uploads = self._ctx.config.uploads_dir
        not_uploaded = [
            file_id
            for file_id in file_ids
            if files[file_id].status != "uploaded" or not (uploads / file_id).is_file()
        ]
        if not_uploaded:
            return JSONResponse({"error": "file_not_uploaded", "file_ids": not_uploaded}, 409)
        batch = store.create_batch(
            idempotency_key=key,
            file_ids=file_ids,
            options={
                "extract_text": body.extract_text,
                "extract_images": body.extract_images,
                "ocr": body.ocr,
            },
            metadata=body.metadata,
        )
        self._ctx.pool.wake()
        return JSONResponse(batch_resource(batch))

    async def get_batch(self, request: Request) -> Response:
        """``GET /v1/batches/{batch_id}``: the batch plus one page of items."""
        limit = query_int(
            request.query_params.get("limit"), name="limit", default=100, ge=1, le=500
        )
        batch_id = request.path_params["batch_id"]
        batch = await run_in_threadpool(self._ctx.store.get_batch, batch_id)
        if batch is None:
            return JSONResponse({"detail": "Batch not found"}, 404)
        try:
            after = _cursor(request)
        except ValueError as exc:
            return _bad_request(str(exc))
        items = await run_in_threadpool(
            self._ctx.store.list_items, batch_id, after=after, limit=limit + 1
        )
        page = items[:limit]
        more = len(items) > limit
        next_cursor = encode_cursor(page[-1].updated_at, page[-1].id) if more else None
        return JSONResponse(
            {
                **batch_resource(batch),
                "items": [item_resource(item) for item in page],
                "next_cursor": next_cursor,
            }
        )

    async def get_result(self, request: Request) -> Response:
        """``GET …/items/{item_id}/result``: 302 to a presigned GET of the result JSON."""
        item = await run_in_threadpool(
            self._ctx.store.get_item,
            request.path_params["batch_id"],
            request.path_params["item_id"],
        )
        if item is None:
            return JSONResponse({"detail": "Batch item not found"}, 404)
        if item.status != "succeeded":
            return JSONResponse({"error": "result_not_ready", "status": item.status}, 409)
        if not (self._ctx.config.results_dir / f"{item.id}.json").is_file():
            return JSONResponse({"detail": "Result no longer available"}, 410)
        url = presign_result(self._ctx, _base_url(request), item.id, expired=_expire_urls(request))
        return RedirectResponse(url, status_code=302)

    async def cancel_batch(self, request: Request) -> Response:
        """``POST /v1/batches/{batch_id}/cancel``."""
        batch = await run_in_threadpool(
            self._ctx.store.cancel_batch, request.path_params["batch_id"]
        )
        if batch is None:
            return JSONResponse({"detail": "Batch not found"}, 404)
        return JSONResponse(batch_resource(batch))

    async def list_batches(self, request: Request) -> Response:
        """``GET /v1/batches``: newest first, optionally filtered by status."""
        limit = query_int(request.query_params.get("limit"), name="limit", default=50, ge=1, le=200)
        status = request.query_params.get("status")
        if status is not None and status not in BATCH_STATUSES:
            return _bad_request(f"Invalid status: {status}")
        try:
            before = _cursor(request)
        except ValueError as exc:
            return _bad_request(str(exc))
        rows = await run_in_threadpool(
            self._ctx.store.list_batches, status=status, before=before, limit=limit + 1
        )
        page = rows[:limit]
        more = len(rows) > limit
        next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more else None
        return JSONResponse(
            {
                "object": "list",
                "data": [batch_resource(row) for row in page],
                "next_cursor": next_cursor,
            }
        )
