"""The Starlette application of the local server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from app.server.api import ApiKeyMiddleware, V1Routes
from app.server.config import ServerConfig
from app.server.context import ServerContext
from app.server.models import RequestValidationError
from app.server.pool import WorkerPool
from app.server.signing import UrlSigner, load_or_create_secret
from app.server.storage import StorageRoutes
from app.server.store import Expired, Store
from app.server.testing import ControlRoutes, ControlState, FaultInjectionMiddleware

logger = logging.getLogger(__name__)

_RETENTION_SWEEP_SECONDS = 600.0


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": exc.errors}, 422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)


def _delete_expired(config: ServerConfig, expired: Expired) -> None:
    for file_id in expired.file_ids:
        (config.uploads_dir / file_id).unlink(missing_ok=True)
    for item_id in expired.item_ids:
        (config.results_dir / f"{item_id}.json").unlink(missing_ok=True)


async def _sweep_retention(ctx: ServerContext) -> None:
    """Expire old uploads and batches now and then (extract.page's 3-day retention)."""
    while True:
        try:
            expired = await run_in_threadpool(ctx.store.expire)
            await run_in_threadpool(_delete_expired, ctx.config, expired)
        except Exception:
            logger.exception("Retention sweep failed")
        await asyncio.sleep(_RETENTION_SWEEP_SECONDS)


def create_app(config: ServerConfig) -> Starlette:
    """Open the state in ``config.data_dir`` and build the ASGI application."""
    config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    config.uploads_dir.mkdir(exist_ok=True)
    config.results_dir.mkdir(exist_ok=True)
    store = Store(config.database_path)
    pool = WorkerPool(
        store,
        workers=config.workers,
        item_timeout=config.item_timeout,
        test_mode=config.test_mode,
        uploads_dir=config.uploads_dir,
        results_dir=config.results_dir,
    )
    ctx = ServerContext(
        config=config,
        store=store,
        signer=UrlSigner(load_or_create_secret(config.secret_path)),
        pool=pool,
    )
    routes: list[BaseRoute] = [*V1Routes(ctx).routes(), *StorageRoutes(ctx).routes()]
    middleware: list[Middleware] = []
    if config.test_mode:
        control = ControlState()
        routes.extend(ControlRoutes(ctx, control).routes())
        middleware.append(Middleware(FaultInjectionMiddleware, control=control))
    middleware.append(Middleware(ApiKeyMiddleware, api_key=config.api_key))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        resumed = await run_in_threadpool(store.requeue_running)
        if resumed:
            logger.info("Resuming %d item(s) interrupted by the previous shutdown", resumed)
        pool.start()
        sweeper = asyncio.create_task(_sweep_retention(ctx))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await run_in_threadpool(pool.stop)
            store.close()

    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            RequestValidationError: _validation_error,
            HTTPException: _http_error,
        },
        lifespan=lifespan,
    )
