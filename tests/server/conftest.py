"""Fixtures: one real local server in test mode for the session, plus raw httpx clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.server.launcher import LocalServer
from tests.server.helpers import make_pdf

SESSION_MAX_UPLOAD = 300 * 1024 * 1024


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A real server process in test mode (2 workers), shared by the whole session."""
    local = LocalServer(
        tmp_path_factory.mktemp("server"),
        workers=2,
        test_mode=True,
        max_upload_bytes=SESSION_MAX_UPLOAD,
    )
    local.start()
    try:
        yield local
    finally:
        local.stop()


def _reset(control: httpx.Client) -> None:
    control.delete("/_test/faults").raise_for_status()
    control.post("/_test/hold", json={"hold": False}).raise_for_status()
    control.delete("/_test/requests").raise_for_status()


@pytest.fixture
def control(server: LocalServer) -> Iterator[httpx.Client]:
    """A client for ``/_test``; faults, hold and the request log are reset around each test."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        _reset(client)
        yield client
        _reset(client)


@pytest.fixture
def api(server: LocalServer, control: httpx.Client) -> Iterator[httpx.Client]:
    """A client for ``/v1`` with the server's API key."""
    with httpx.Client(
        base_url=server.url, headers={"X-API-KEY": server.api_key}, timeout=10
    ) as client:
        yield client


@pytest.fixture
def storage() -> Iterator[httpx.Client]:
    """A bare client for presigned URLs (no API key, no base URL)."""
    with httpx.Client(timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def pdf_bytes() -> bytes:
    """A three-page PDF."""
    return make_pdf("Alpha", pages=3)


@pytest.fixture
def data_dir(server: LocalServer) -> Path:
    """The session server's data directory."""
    return server.data_dir
