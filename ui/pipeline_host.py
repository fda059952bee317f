"""The window's handle on the core pipeline.

The pipeline runs on the window's own qasync loop (DESIGN.md). The window reaches it only
through :meth:`PipelineHost.call` and :meth:`PipelineHost.run`, which return awaitables, so
the window's code does not depend on where the pipeline runs.

Measured (bench/ui_heartbeat.py): moving the pipeline to a second Python thread with its
own loop made the window *less* smooth (10 ms heartbeat p99 32-36 ms instead of ~11 ms),
because every call Qt makes into Python (``data()``, painting) must win the GIL back from
the busy pipeline thread. What does keep the loop free here:

* lanes are opened in a worker thread (TLS set-up costs 40-70 ms per client);
* documents are journaled in batches of :data:`BATCH_SIZE` (the core's per-batch steps
  scale with the batch);
* :func:`ui.app.settle_memory` freezes start-up objects out of the garbage collector.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar, cast

from app import lanes, providers
from app.journal import JobRecord, Journal
from app.local_engine import LocalEngine
from app.pipeline import EventSink, Pipeline, PipelineConfig
from app.providers.base import BatchLane, RetryCallback

log = logging.getLogger("extractdesk.ui.pipeline")

T = TypeVar("T")

BATCH_SIZE = 100
"""Documents per remote batch. The core's per-batch steps (listing a batch's documents,
applying a poll) run on the event loop and grow with the batch; 100 keeps each step
short while a 1,000-document drop still needs only ten batches."""

LANE_LOCK = threading.Lock()
"""Held while a lane is opened. "Test connection" holds it while it puts a typed key in
place for a moment, so a job never opens its lane with a key that was not saved."""


class StartedEngine:
    """A local engine that is already running (so a worker thread can open a lane)."""

    def __init__(self, url: str, api_key: str) -> None:
        self.url = url
        self.api_key = api_key

    async def ensure_started(self) -> tuple[str, str]:
        return self.url, self.api_key

    def stop(self) -> None:
        pass


class PipelineHost:
    def __init__(
        self,
        journal: Journal,
        results_dir: Path,
        engine: Any,
        config: PipelineConfig,
        sink: EventSink,
    ) -> None:
        self.journal = journal
        self.results_dir = results_dir
        self.engine = engine
        self.config = config
        self._sink = sink
        self.pipeline = self._make_pipeline(config)
        self.stopped = False

    def _make_pipeline(self, config: PipelineConfig) -> Pipeline:
        return Pipeline(
            self.journal, self.results_dir, self._open_lane, config=config, on_event=self._sink
        )

    async def _open_lane(self, job: JobRecord, on_retry: RetryCallback) -> BatchLane:
        """Open a job's client without stalling the window: only the engine start runs on
        the loop; reading the key (a keychain may answer slowly) and building the HTTP
        clients happen in a worker thread."""
        engine = self.engine
        if job.provider == providers.LOCAL.id and engine is not None:
            url, key = await engine.ensure_started()
            engine = StartedEngine(url, key)
        started = cast(LocalEngine | None, engine)

        def build() -> BatchLane:
            with LANE_LOCK:
                return asyncio.run(lanes.open_job_lane(job, on_retry, started))

        return await asyncio.to_thread(build)

    # ------------------------------------------------------------------ calls

    def call(self, fn: Callable[[Pipeline], T]) -> asyncio.Future[T]:
        """Run ``fn(pipeline)``; the result (or error) comes as an awaitable."""
        future: asyncio.Future[T] = asyncio.get_event_loop().create_future()
        if self.stopped:
            future.set_exception(RuntimeError("the pipeline has stopped"))
            return future
        try:
            future.set_result(fn(self.pipeline))
        except Exception as exc:  # noqa: BLE001 - handed to the awaiting caller
            future.set_exception(exc)
        return future

    def run(self, fn: Callable[[Pipeline], Coroutine[Any, Any, T]]) -> Awaitable[T]:
        """Run the coroutine ``fn(pipeline)``."""
        if self.stopped:
            raise RuntimeError("the pipeline has stopped")
        return asyncio.ensure_future(fn(self.pipeline))

    def running_jobs(self) -> asyncio.Future[list[str]]:
        return self.call(
            lambda p: [j.id for j in self.journal.unfinished_jobs() if p.running(j.id)]
        )

    def reconfigure(self, config: PipelineConfig) -> asyncio.Future[bool]:
        """Use ``config`` from now on if nothing is running; False if it must wait."""

        def swap(pipeline: Pipeline) -> bool:
            if any(pipeline.running(j.id) for j in self.journal.unfinished_jobs()):
                return False
            self.config = config
            self.pipeline = self._make_pipeline(config)
            return True

        return self.call(swap)

    async def stop(self) -> None:
        """Stop every job *without* changing the journal: kept jobs resume at the next
        start."""
        if self.stopped:
            return
        self.stopped = True
        await self.pipeline.aclose()
