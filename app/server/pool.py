"""The pool of extraction processes and the dispatcher threads that feed them.

Each slot is a thread that owns one worker process (multiprocessing 'spawn' context)
and gives it one item at a time. A worker that crashes or overruns the item timeout
fails only its own item; the slot replaces it with a fresh process. Dispatching runs
entirely in these threads, never on the server's event loop.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from pathlib import Path

from app.engine import EXTRACTION_FAILED, INTERNAL_ERROR
from app.server.store import Claim, Store
from app.server.worker import Job, Message, worker_main

logger = logging.getLogger(__name__)

UPLOAD_MISSING = "upload_missing"

_CONTEXT = multiprocessing.get_context("spawn")
_POLL_SECONDS = 0.25
_IDLE_SECONDS = 2.0


class _Abort(enum.Enum):
    """Why an item ended without a message from its worker."""

    CRASHED = "crashed"
    TIMED_OUT = "timed_out"
    INTERRUPTED = "interrupted"


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, *, test_mode: bool, name: str) -> None:
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=worker_main, args=(child, test_mode), name=name, daemon=True
        )
        self.process.start()
        child.close()
        self._closed = False

    def run(
        self,
        job: Job,
        *,
        timeout: float,
        stopping: threading.Event,
        on_progress: Callable[[int, int], None],
    ) -> Message | _Abort:
        """Send ``job`` and wait for its final message (or a crash, timeout or stop)."""
        try:
            self.conn.send(job)
        except OSError:
            return _Abort.CRASHED
        deadline = time.monotonic() + timeout
        sources: list[Connection | int] = [self.conn, self.process.sentinel]
        while not stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _Abort.TIMED_OUT
            ready = wait(sources, timeout=min(remaining, _POLL_SECONDS))
            if self.conn in ready:
                try:
                    message: Message = self.conn.recv()
                except (EOFError, OSError):
                    return _Abort.CRASHED
                if message[0] != "progress":
                    return message
                on_progress(message[1], message[2])
            elif ready:
                return _Abort.CRASHED
        return _Abort.INTERRUPTED

    def describe_exit(self) -> str:
        """How the process ended, e.g. ``exit code 3`` or ``signal 11``."""
        self.process.join(2)
        code = self.process.exitcode
        if code is None:
            return "still running"
        return f"signal {-code}" if code < 0 else f"exit code {code}"

    def close(self, *, graceful: bool) -> None:
        """Stop the process (politely when idle, otherwise at once) and release it."""
        if self._closed:
            return
        self._closed = True
        if graceful and self.process.is_alive():
            try:
                self.conn.send(None)
            except OSError:
                pass
            self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.conn.close()
        if not self.process.is_alive():
            self.process.close()


class WorkerPool:
    """Runs pending items from the store on ``workers`` processes."""

    def __init__(
        self,
        store: Store,
        *,
        workers: int,
        item_timeout: float,
        test_mode: bool,
        uploads_dir: Path,
        results_dir: Path,
    ) -> None:
        self._store = store
        self._workers = workers
        self._item_timeout = item_timeout
        self._test_mode = test_mode
        self._uploads_dir = uploads_dir
        self._results_dir = results_dir
        self._stopping = threading.Event()
        self._cond = threading.Condition()
        self._generation = 0
        self._held = False
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the dispatcher threads (each spawns its worker process)."""
        for index in range(self._workers):
            thread = threading.Thread(
                target=self._slot, args=(index,), name=f"extract-slot-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop dispatching and end every worker; running items stay ``running``
        in the store and are resumed by the next server on the same data dir."""
        self._stopping.set()
        self.wake()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()

    def wake(self) -> None:
        """Tell idle slots that new work may be pending."""
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def set_hold(self, hold: bool) -> None:
        """While held, no new items start (running ones finish)."""
        self._held = hold
        if not hold:
            self.wake()

    @property
    def held(self) -> bool:
        """Whether dispatching is paused."""
        return self._held

    def _next_claim(self) -> Claim | None:
        while not self._stopping.is_set():
            with self._cond:
                generation = self._generation
            if not self._held:
                claim = self._store.claim_next()
                if claim is not None:
                    return claim
            with self._cond:
                if generation == self._generation and not self._stopping.is_set():
                    self._cond.wait(_IDLE_SECONDS)
        return None

    def _slot(self, index: int) -> None:
        worker: _Worker | None = None
        try:
            while not self._stopping.is_set():
                claim: Claim | None = None
                try:
                    if worker is None:
                        worker = _Worker(test_mode=self._test_mode, name=f"extract-worker-{index}")
                    claim = self._next_claim()
                    if claim is not None:
                        worker = self._run(worker, claim)
                except Exception:
                    logger.exception("Extraction slot %d failed", index)
                    if worker is not None:
                        worker.close(graceful=False)
                        worker = None
                    if claim is not None:
                        with contextlib.suppress(Exception):
                            self._store.finish_item(
                                claim.item_id,
                                error=(INTERNAL_ERROR, "The local server could not run this item."),
                            )
                    self._stopping.wait(1.0)
        finally:
            if worker is not None:
                worker.close(graceful=True)

    def _run(self, worker: _Worker, claim: Claim) -> _Worker | None:
        """Run one claimed item; return the worker if it can take the next one."""
        source = self._uploads_dir / claim.file_id
        if not source.is_file():
            self._store.finish_item(
                claim.item_id,
                error=(UPLOAD_MISSING, "The uploaded file is no longer available."),
            )
            return worker
        job = Job(
            item_id=claim.item_id,
            source_path=str(source),
            result_path=str(self._results_dir / f"{claim.item_id}.json"),
            content_type=claim.content_type,
            filename=claim.filename,
            extract_text=claim.extract_text,
            extract_images=claim.extract_images,
        )

        def on_progress(pages_done: int, page_count: int) -> None:
            self._store.report_progress(claim.item_id, pages_done=pages_done, page_count=page_count)

        outcome = worker.run(
            job, timeout=self._item_timeout, stopping=self._stopping, on_progress=on_progress
        )
        if isinstance(outcome, _Abort):
            error: tuple[str, str] | None = None
            if outcome is _Abort.CRASHED:
                exit_text = worker.describe_exit()
                error = (EXTRACTION_FAILED, f"The extraction process crashed ({exit_text}).")
            elif outcome is _Abort.TIMED_OUT:
                error = (
                    EXTRACTION_FAILED,
                    f"Extraction did not finish within {self._item_timeout:g} s and was stopped.",
                )
            worker.close(graceful=False)
            if error is not None:
                logger.warning("Item %s failed: %s", claim.item_id, error[1])
                self._store.finish_item(claim.item_id, error=error)
            return None
        if outcome[0] == "succeeded":
            self._store.finish_item(claim.item_id, page_count=int(outcome[1]))
        else:
            self._store.finish_item(claim.item_id, error=(str(outcome[1]), str(outcome[2])))
        return worker
