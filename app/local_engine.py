"""The embedded local engine: an extract.page-compatible server the app starts on loopback.

It is driven through exactly the same HTTP client as the cloud (DESIGN.md: "The local
engine is not a special case"). The server keeps its state in the data dir, so a restarted
app finds its batches again; it gets a fresh random API key on every start.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from app.http import ApiError

if TYPE_CHECKING:
    from app.server.launcher import LocalServer

log = logging.getLogger("extractdesk.local_engine")

SERVICE_NAME = "The local engine"


class LocalEngine:
    """Starts the server on first use and stops it on :meth:`stop`."""

    def __init__(self, data_dir: Path, *, workers: int | None = None) -> None:
        self.data_dir = data_dir
        self.workers = workers
        self._server: LocalServer | None = None
        self._lock = asyncio.Lock()

    async def ensure_started(self) -> tuple[str, str]:
        """``(url, api_key)`` of the running server, starting it if needed."""
        async with self._lock:
            if self._server is None or not self._server.running:
                from app.server.launcher import LocalServer

                server = LocalServer(self.data_dir, workers=self.workers)
                try:
                    await server.astart()
                except (OSError, RuntimeError) as exc:
                    raise ApiError(
                        "The local engine could not start. Restart Extractdesk; if it keeps "
                        "happening, send us the log file.",
                        detail=str(exc),
                    ) from exc
                self._server = server
                log.info("local engine listening on %s", server.url)
            return self._server.url, self._server.api_key

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
