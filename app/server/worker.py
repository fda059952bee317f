"""The extraction worker process: runs one item at a time and reports over a pipe.

Messages to the parent are tuples: ``("progress", pages_done, page_count)`` while the
document is read, then exactly one of ``("succeeded", page_count)`` or
``("failed", code, message)``. The result JSON is written by the worker itself, so
large results never travel through the pipe.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from app.engine import INTERNAL_ERROR, EngineError, extract_document

CRASH_MARKER = b"%EXTRACTDESK-CRASH"
"""Test mode only: a document starting with this makes the worker exit abruptly."""
HANG_MARKER = b"%EXTRACTDESK-HANG"
"""Test mode only: a document starting with this makes the worker hang."""

_PROGRESS_INTERVAL = 0.25


@dataclass(frozen=True)
class Job:
    """One item to extract, as sent to a worker."""

    item_id: str
    source_path: str
    result_path: str
    content_type: str | None
    filename: str | None
    extract_text: bool
    extract_images: bool


Message = tuple[Any, ...]


def _exit_with_parent() -> None:
    """Exit as soon as the server process is gone, even in the middle of an item."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _test_hooks(path: str) -> None:
    with open(path, "rb") as fh:
        head = fh.read(len(CRASH_MARKER))
    if head.startswith(CRASH_MARKER):
        os._exit(3)
    if head.startswith(HANG_MARKER):
        while True:
            time.sleep(3600)


def _write_result(path: str, result: dict[str, Any]) -> None:
    partial = f"{path}.{os.getpid()}.part"
    with open(partial, "w", encoding="utf-8") as fh:
        json.dump(result, fh, ensure_ascii=False, separators=(",", ":"))
    os.replace(partial, path)


def run_job(job: Job, conn: Connection, *, test_mode: bool) -> Message:
    """Extract one document; return the final message for the parent."""
    last_report = 0.0

    def progress(pages_done: int, page_count: int) -> None:
        nonlocal last_report
        now = time.monotonic()
        if pages_done >= page_count or now - last_report >= _PROGRESS_INTERVAL:
            last_report = now
            conn.send(("progress", pages_done, page_count))

    try:
        if test_mode:
            _test_hooks(job.source_path)
        extraction = extract_document(
            job.source_path,
            content_type=job.content_type,
            filename=job.filename,
            extract_text=job.extract_text,
            extract_images=job.extract_images,
            progress=progress,
        )
        _write_result(job.result_path, extraction.result)
    except EngineError as exc:
        return ("failed", exc.code, exc.message)
    except Exception as exc:  # noqa: BLE001 - any engine bug must fail only this item
        reason = f"{type(exc).__name__}: {exc}"
        return ("failed", INTERNAL_ERROR, f"The local engine failed unexpectedly ({reason[:200]}).")
    return ("succeeded", extraction.page_count)


def worker_main(conn: Connection, test_mode: bool) -> None:
    """Entry point of a worker process (started with the 'spawn' method)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when workers stop
    os.dup2(2, 1)  # stray prints must not reach the server's stdout protocol
    _exit_with_parent()
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        conn.send(run_job(job, conn, test_mode=test_mode))
