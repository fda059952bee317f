"""The objects every route of one server process shares."""

from __future__ import annotations

from dataclasses import dataclass

from app.server.config import ServerConfig
from app.server.pool import WorkerPool
from app.server.signing import UrlSigner
from app.server.store import Store

EXPIRE_URLS_SCOPE_KEY = "extractdesk.expire_urls"
"""ASGI scope flag set by the test-mode ``expire_url`` fault."""


@dataclass(frozen=True)
class ServerContext:
    """Configuration, state store, URL signer and worker pool of the running server."""

    config: ServerConfig
    store: Store
    signer: UrlSigner
    pool: WorkerPool
