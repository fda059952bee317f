"""The server's stand-in for S3: presigned PUT of uploads and presigned GET of results.

These routes take no API key; the URL's signature is the credential. Refusals use
S3's XML error bodies so that a client sees the same failures as against the cloud.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from app.server.context import ServerContext
from app.server.signing import Verdict
from app.server.store import FileRow, iso

UPLOAD_PATH = "/_storage/uploads/{file_id}"
RESULT_PATH = "/_storage/results/{item_id}"

_BLOCK_BYTES = 8 * 1024 * 1024
_BLOCKS_IN_FLIGHT = 3


def s3_error(status: int, code: str, message: str) -> Response:
    """An S3-style XML error response."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{secrets.token_hex(8).upper()}</RequestId></Error>"
    )
    return Response(body, status_code=status, media_type="application/xml")


def _signature_mismatch() -> Response:
    return s3_error(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided.",
    )


def _upload_fields(row: FileRow) -> tuple[str, str]:
    """What an upload URL signs besides method, path and expiry (like SigV4's headers)."""
    return (row.content_type or "", str(row.size_bytes))


def presign_upload(
    ctx: ServerContext, base_url: str, row: FileRow, *, expired: bool
) -> tuple[str, str]:
    """An absolute presigned PUT URL for ``row`` and its expiry (ISO-8601)."""
    target, expires = ctx.signer.sign(
        "PUT",
        UPLOAD_PATH.format(file_id=row.id),
        ttl=0 if expired else ctx.config.upload_url_ttl,
        signed=_upload_fields(row),
    )
    return base_url + target, iso(datetime.fromtimestamp(expires, UTC))


def presign_result(ctx: ServerContext, base_url: str, item_id: str, *, expired: bool) -> str:
    """An absolute presigned GET URL for an item's result JSON."""
    target, _ = ctx.signer.sign(
        "GET",
        RESULT_PATH.format(item_id=item_id),
        ttl=0 if expired else ctx.config.result_url_ttl,
    )
    return base_url + target


class _Sink:
    """A partial upload on disk and the running MD5 of its bytes.

    Blocks are hashed and written in two threads of their own, each in order, so that
    hashing, disk writes and receiving the next block all overlap.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = path.open("wb")
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._hasher = ThreadPoolExecutor(1, thread_name_prefix="upload-md5")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="upload-write")

    def submit(self, block: bytearray) -> asyncio.Future[tuple[None, int]]:
        """Hash and write ``block`` (which must not change afterwards)."""
        loop = asyncio.get_running_loop()
        return asyncio.gather(
            loop.run_in_executor(self._hasher, self._md5.update, block),
            loop.run_in_executor(self._writer, self._fh.write, block),
        )

    def close(self) -> None:
        """Wait for queued blocks, then close the file (blocking)."""
        self._hasher.shutdown()
        self._writer.shutdown()
        self._fh.close()

    def hexdigest(self) -> str:
        """MD5 of everything written."""
        return self._md5.hexdigest()


async def _copy_body(request: Request, sink: _Sink) -> int:
    """Stream the request body into ``sink``; return the number of bytes received.

    Bytes are gathered into large blocks and handed to the sink's threads while the
    next block is received; at most a few blocks are in flight, so memory stays flat.
    """
    received = 0
    block = bytearray()
    in_flight: collections.deque[asyncio.Future[tuple[None, int]]] = collections.deque()
    try:
        async for chunk in request.stream():
            received += len(chunk)
            block += chunk
            if len(block) >= _BLOCK_BYTES:
                if len(in_flight) >= _BLOCKS_IN_FLIGHT:
                    await in_flight.popleft()
                in_flight.append(sink.submit(block))
                block = bytearray()
        if block:
            in_flight.append(sink.submit(block))
        while in_flight:
            await in_flight.popleft()
    finally:
        if in_flight:
            await asyncio.gather(*in_flight, return_exceptions=True)
    return received


class StorageRoutes:
    """Handlers of the presigned storage URLs."""

    def __init__(self, ctx: ServerContext) -> None:
        self._ctx = ctx

    def routes(self) -> list[BaseRoute]:
        """The storage routes."""
        return [
            Route(UPLOAD_PATH, self.put_upload, methods=["PUT"]),
            Route(RESULT_PATH, self.get_result, methods=["GET"]),
        ]

    async def put_upload(self, request: Request) -> Response:
        """``PUT`` an upload: checks the URL like S3 would, then streams it to disk."""
        row = await run_in_threadpool(self._ctx.store.get_file, request.path_params["file_id"])
        if row is None or row.status == "expired":
            return s3_error(403, "AccessDenied", "Access Denied")
        verdict = self._ctx.signer.verify(
            "PUT",
            request.url.path,
            expires=request.query_params.get("expires"),
            signature=request.query_params.get("sig"),
            signed=_upload_fields(row),
        )
        if verdict is Verdict.BAD_SIGNATURE:
            return _signature_mismatch()
        if verdict is Verdict.EXPIRED:
            return s3_error(403, "AccessDenied", "Request has expired")
        length = request.headers.get("content-length")
        if length is None or "transfer-encoding" in request.headers:
            return s3_error(
                411, "MissingContentLength", "You must provide the Content-Length HTTP header."
            )
        if row.content_type is not None and request.headers.get("content-type") != row.content_type:
            return _signature_mismatch()
        if length != str(row.size_bytes):
            return _signature_mismatch()
        etag = await self._store_body(request, row)
        if etag is None:
            return s3_error(
                400,
                "IncompleteBody",
                "You did not provide the number of bytes specified by the Content-Length"
                " HTTP header.",
            )
        await run_in_threadpool(self._ctx.store.mark_uploaded, row.id, etag)
        return Response(status_code=200, headers={"ETag": f'"{etag}"'})

    async def _store_body(self, request: Request, row: FileRow) -> str | None:
        """Write the body to a temporary file, then rename it into place; None if cut short."""
        uploads = self._ctx.config.uploads_dir
        sink = await run_in_threadpool(_Sink, uploads / f".{row.id}.{secrets.token_hex(4)}.part")
        complete = False
        try:
            complete = await _copy_body(request, sink) == row.size_bytes
        except ClientDisconnect:
            pass
        finally:
            await run_in_threadpool(sink.close)
            if complete:
                await run_in_threadpool(os.replace, sink.path, uploads / row.id)
            else:
                sink.path.unlink(missing_ok=True)
        return sink.hexdigest() if complete else None

    async def get_result(self, request: Request) -> Response:
        """``GET`` a result through its presigned URL."""
        verdict = self._ctx.signer.verify(
            "GET",
            request.url.path,
            expires=request.query_params.get("expires"),
            signature=request.query_params.get("sig"),
        )
        if verdict is Verdict.BAD_SIGNATURE:
            return _signature_mismatch()
        if verdict is Verdict.EXPIRED:
            return s3_error(403, "AccessDenied", "Request has expired")
        path = self._ctx.config.results_dir / f"{request.path_params['item_id']}.json"
        if not path.is_file():
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        return FileResponse(path, media_type="application/json")
