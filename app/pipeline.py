"""The job runner: one Job is a set of documents sent to one provider.

A document's life (each arrow is a journal write, made before the next network step)::

    queued → preparing → uploading → submitted → processing → fetching → done
                                                                 ↘ failed | cancelled

The runner is restartable by construction: every step first reads what the journal says
was already done. A restarted process therefore polls the same remote batch, re-uploads only
what never landed (asking the service when unsure), and re-sends a batch creation only with
the idempotency key journaled when the job was created, so it never creates a second batch.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import doctypes, providers
from app.http import ApiError, BadResponse
from app.journal import BatchRecord, DocumentRecord, JobRecord, Journal
from app.models import (
    RETRYABLE_STATES,
    DocumentEvent,
    DocumentState,
    ErrorCode,
    Failure,
    JobEvent,
)
from app.paths import write_atomically
from app.providers.base import (
    BatchEntry,
    BatchLane,
    BatchSnapshot,
    FilesNotFound,
    FilesNotUploaded,
    FilesRejected,
    ItemSnapshot,
    RemoteFile,
    ResultGone,
    ResultNotReady,
    RetryCallback,
    Unsupported,
    UploadUrlExpired,
)
from app.uploads import FileChanged, PreparedFile, PrepareError, prepare

log = logging.getLogger("extractdesk.pipeline")

Event = DocumentEvent | JobEvent
EventSink = Callable[[Event], None]
LaneOpener = Callable[[JobRecord, RetryCallback], Awaitable[BatchLane]]
"""Opens the provider client for a job (starting the local engine if needed). Raises
:class:`ApiError` with a plain message when it cannot (no key, engine failed to start)."""


@dataclass(frozen=True)
class PipelineConfig:
    upload_concurrency: int = 4
    download_concurrency: int = 8
    """Result downloads are small and exempt from poll rate limits: more at once pays."""
    poll_initial: float = 1.0
    poll_max: float = 15.0
    poll_factor: float = 1.6
    resubmit_rounds: int = 3
    """How many times a submit refused for missing/expired files is repaired and retried."""
    upload_url_renewals: int = 3
    result_not_ready_retries: int = 5


class Pipeline:
    def __init__(
        self,
        journal: Journal,
        results_dir: Path,
        open_lane: LaneOpener,
        *,
        config: PipelineConfig | None = None,
        on_event: EventSink | None = None,
    ) -> None:
        self.journal = journal
        self.results_dir = results_dir
        self.config = config or PipelineConfig()
        self._open_lane = open_lane
        self._sink = on_event
        self._upload_slots = asyncio.Semaphore(self.config.upload_concurrency)
        self._download_slots = asyncio.Semaphore(self.config.download_concurrency)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._doc_tasks: dict[str, asyncio.Task[None]] = {}
        self._rerun: set[str] = set()
        self._progress_text: dict[str, str] = {}
        self._remote_files: dict[str, RemoteFile] = {}
        """Live upload slots by document id, kept in memory only (presigned URLs are
        credentials and never journaled)."""

    # ------------------------------------------------------------------ public API

    def start_job(
        self,
        paths: Sequence[Path | str],
        provider: str,
        *,
        base_url: str | None = None,
        options: dict[str, Any] | None = None,
        fingerprint: str | None = None,
        batch_size: int | None = None,
        start: bool = True,
    ) -> str:
        """Journal a job for ``paths`` and (unless ``start`` is false, which leaves it
        waiting for :meth:`start`) run it. Returns the job id."""
        if batch_size is None:
            info = providers.REGISTRY.get(provider)
            own = ((options or {}).get(provider) or {}).get("max_batch_items")
            batch_size = int(own or (info.max_batch_items if info else 10_000))
        job_id = self.journal.create_job(
            provider,
            paths,
            base_url=base_url,
            options=options,
            fingerprint=fingerprint,
            batch_size=batch_size,
            status="active" if start else "waiting",
        )
        for doc in self.journal.documents(job_id):
            self._emit_doc(doc)
        if start:
            self.resume(job_id)
        return job_id

    def start(self, job_id: str) -> None:
        """Start a job that was journaled with ``start=False``."""
        if self.journal.job(job_id).status == "waiting":
            self.journal.set_job_status(job_id, "active")
        self.resume(job_id)

    def retry(self, doc_ids: Sequence[str]) -> list[str]:
        """Send failed or cancelled documents again, in place (same rows, a new batch
        with a new idempotency key). Returns the ids that were requeued."""
        requeued = [d for d in doc_ids if self.journal.document(d).state in RETRYABLE_STATES]
        batches = self.journal.requeue(requeued)
        for doc_id in requeued:
            self._emit_doc(self.journal.document(doc_id))
        for job_id in batches:
            if self.journal.job(job_id).status != "waiting":
                self._kick(job_id)
        return requeued

    def cancel_documents(self, doc_ids: Sequence[str]) -> None:
        """Cancel single documents; the rest of their jobs goes on."""
        for doc_id in doc_ids:
            doc = self.journal.document(doc_id)
            if doc.state.terminal:
                continue
            self._set(doc_id, state=DocumentState.CANCELLED)
            task = self._doc_tasks.get(doc_id)
            if task is not None:
                task.cancel()

    def remove_documents(self, doc_ids: Sequence[str]) -> list[str]:
        """Forget documents that were never sent or have finished."""
        return self.journal.remove_documents(doc_ids)

    def _kick(self, job_id: str) -> None:
        """Make sure a job's new work is picked up, running or not."""
        if self.running(job_id):
            self._rerun.add(job_id)
        else:
            self.resume(job_id)

    def resume(self, job_id: str) -> None:
        """Run (or continue) a journaled job. Does nothing if it is already running."""
        task = self._tasks.get(job_id)
        if task is not None and not task.done():
            return
        self._tasks[job_id] = asyncio.get_running_loop().create_task(
            self._run_job(job_id), name=f"job {job_id}"
        )

    def resume_all(self) -> list[str]:
        jobs = [j.id for j in self.journal.unfinished_jobs()]
        for job_id in jobs:
            self.resume(job_id)
        return jobs

    def running(self, job_id: str) -> bool:
        task = self._tasks.get(job_id)
        return task is not None and not task.done()

    async def wait(self, job_id: str) -> None:
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.shield(task)

    async def cancel(self, job_id: str) -> None:
        """Stop a job: its remote batches are cancelled and its unfinished documents are
        marked cancelled. Finished results are kept."""
        self.journal.set_job_status(job_id, "cancelling")
        await self._stop_task(job_id)
        await self._finish_cancel(self.journal.job(job_id))

    async def aclose(self) -> None:
        """Stop every running job *without* changing the journal, so that the next start
        resumes them (the app is closing and the user chose to keep the jobs)."""
        for job_id in list(self._tasks):
            await self._stop_task(job_id)

    async def _stop_task(self, job_id: str) -> None:
        task = self._tasks.pop(job_id, None)
        if task is None or task.done():
            return
        task.cancel()
        await asyncio.wait([task])

    # ------------------------------------------------------------------ events

    def _emit(self, event: Event) -> None:
        if self._sink is not None:
            try:
                self._sink(event)
            except Exception:
                log.exception("an event consumer failed")

    def _emit_doc(self, doc: DocumentRecord, **extra: Any) -> None:
        failure = None
        if doc.state is DocumentState.FAILED:
            failure = Failure(
                doc.error_code or ErrorCode.REMOTE, doc.error_message or "", doc.error_detail or ""
            )
        self._emit(
            DocumentEvent(
                job_id=doc.job_id,
                doc_id=doc.id,
                state=doc.state,
                bytes_total=doc.size or 0,
                bytes_sent=(doc.size or 0) if doc.uploaded else 0,
                pages_done=doc.pages_done,
                page_count=doc.page_count,
                failure=failure,
                **extra,
            )
        )

    def _set(self, doc_id: str, *, notice: str = "", **fields: Any) -> DocumentRecord:
        """Journal a change, then tell the listeners."""
        self.journal.update_document(doc_id, **fields)
        doc = self.journal.document(doc_id)
        self._emit_doc(doc, notice=notice)
        return doc

    def _fail(self, doc_id: str, failure: Failure) -> None:
        if self.journal.document(doc_id).state.terminal:
            return  # cancelled meanwhile: the cancel stands
        log.info("document %s failed: %s (%s)", doc_id, failure.message, failure.detail)
        self.journal.fail_document(doc_id, failure)
        self._emit_doc(self.journal.document(doc_id))

    def _fail_many(self, docs: Sequence[DocumentRecord], failure: Failure) -> None:
        for doc in docs:
            if not self.journal.document(doc.id).state.terminal:
                self._fail(doc.id, failure)

    # ------------------------------------------------------------------ the job

    async def _run_job(self, job_id: str) -> None:
        try:
            await self._run_job_once(job_id)
        finally:
            if job_id in self._rerun:  # work was added while this run was finishing
                self._rerun.discard(job_id)
                asyncio.get_running_loop().call_soon(self.resume, job_id)

    async def _run_job_once(self, job_id: str) -> None:
        job = self.journal.job(job_id)
        if job.status == "cancelling":
            await self._finish_cancel(job)
            return

        def on_retry(attempt: int, delay: float, reason: str) -> None:
            self._emit(JobEvent(job_id, notice=f"{reason.capitalize()}: retrying in {delay:.0f} s"))

        try:
            lane = await self._open_lane(job, on_retry)
        except ApiError as exc:
            pending = [d for d in self.journal.documents(job_id) if not d.state.terminal]
            self._fail_many(pending, Failure(ErrorCode.SERVICE, exc.message, exc.detail))
            self._finish_job(job_id)
            return
        try:
            started: set[int] = set()
            while True:
                todo = [
                    b
                    for b in self.journal.batches(job_id)
                    if b.id not in started and self._batch_open(b)
                ]
                if not todo:
                    break
                self._rerun.discard(job_id)
                async with asyncio.TaskGroup() as group:
                    for batch in todo:
                        started.add(batch.id)
                        group.create_task(self._run_batch(job, lane, batch))
        except Exception as exc:
            log.exception("job %s stopped on an unexpected error", job_id)
            pending = [d for d in self.journal.documents(job_id) if not d.state.terminal]
            self._fail_many(
                pending,
                Failure(
                    ErrorCode.SERVICE,
                    "Extractdesk hit an unexpected problem while handling this document. Retry it; "
                    "if it keeps happening, send us the log file.",
                    repr(exc),
                ),
            )
        finally:
            await lane.aclose()
        self._finish_job(job_id)

    def _batch_open(self, batch: BatchRecord) -> bool:
        """Whether a batch still has work: documents not yet settled."""
        return any(not d.state.terminal for d in self.journal.documents(batch_id=batch.id))

    def _finish_job(self, job_id: str) -> None:
        self.journal.set_job_status(job_id, "finished")
        self._emit(JobEvent(job_id, finished=True, counts=self.journal.counts(job_id)))

    async def _run_batch(self, job: JobRecord, lane: BatchLane, batch: BatchRecord) -> None:
        if batch.remote_id is None:
            docs = [d for d in self.journal.documents(batch_id=batch.id) if not d.state.terminal]
            await asyncio.gather(*(self._ensure_uploaded(lane, d) for d in docs))
            snapshot = await self._submit(job, lane, batch)
            if snapshot is None:
                return
            self.journal.set_batch_remote(batch.id, snapshot.batch_id, snapshot.status)
            for doc in self.journal.documents(batch_id=batch.id):
                if doc.state is DocumentState.SUBMITTED:
                    self._emit_doc(doc)
            batch = self.journal.batch(batch.id)
        await self._follow(lane, batch)

    # ------------------------------------------------------------------ upload

    async def _ensure_uploaded(self, lane: BatchLane, doc: DocumentRecord) -> None:
        async with self._upload_slots:
            if self.journal.document(doc.id).state.terminal:
                return  # cancelled while it waited for a slot
            task = asyncio.ensure_future(self._upload_one(lane, doc))
            self._doc_tasks[doc.id] = task
            try:
                await task
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise  # the whole job is stopping
                # only this document was cancelled (cancel_documents)
            except PrepareError as exc:
                self._fail(doc.id, exc.failure)
            except Unsupported as exc:
                self._fail(doc.id, Failure(ErrorCode.UNSUPPORTED_TYPE, exc.message, exc.detail))
            except FileChanged as exc:
                self._fail(
                    doc.id,
                    Failure(
                        ErrorCode.FILE_CHANGED,
                        f"“{doc.name}” changed while it was being sent. Retry it once the file is "
                        "saved.",
                        str(exc),
                    ),
                )
            except ApiError as exc:
                code = ErrorCode.TOO_LARGE if exc.status == 413 else ErrorCode.SERVICE
                self._fail(doc.id, Failure(code, exc.message, exc.detail))
            except OSError as exc:
                self._fail(
                    doc.id,
                    Failure(
                        ErrorCode.FILE_UNREADABLE,
                        f"“{doc.name}” could not be read while sending it ({exc.strerror}).",
                        str(exc),
                    ),
                )
            except Duplicate as exc:
                self._set(
                    doc.id,
                    state=DocumentState.DUPLICATE,
                    duplicate_of=exc.twin.id,
                    error_message=f"Same content as “{exc.twin.name}”, which is already in the "
                    "list: not sent again.",
                )
            finally:
                self._doc_tasks.pop(doc.id, None)

    async def _prepared(self, doc: DocumentRecord) -> PreparedFile:
        path = Path(doc.path)
        if doc.sha256 and doc.size and doc.content_type and doc.content_type in doctypes.BY_MIME:
            try:
                size = (await asyncio.to_thread(path.stat)).st_size
            except OSError:
                size = -1
            if size == doc.size:
                return PreparedFile(
                    path,
                    doc.filename or doc.name,
                    doc.size,
                    doc.sha256,
                    doctypes.BY_MIME[doc.content_type],
                )
        self._set(doc.id, state=DocumentState.PREPARING)
        prepared = await prepare(path)
        if self.journal.job(doc.job_id).options.get("skip_duplicates"):
            twin = self.journal.find_twin(doc.id, prepared.sha256)
            if twin is not None:
                self.journal.update_document(doc.id, sha256=prepared.sha256, size=prepared.size)
                raise Duplicate(twin)
        self._set(
            doc.id,
            size=prepared.size,
            sha256=prepared.sha256,
            content_type=prepared.content_type,
            filename=prepared.filename,
            remote_file_id=None,
            uploaded=False,
        )
        return prepared

    async def _upload_one(self, lane: BatchLane, doc: DocumentRecord) -> None:
        doc = self.journal.document(doc.id)
        if doc.state.terminal or doc.uploaded:
            return
        if is_url(doc.path):
            if not lane.accepts_urls:
                raise Unsupported(
                    f"{lane.service_name} reads files, not web addresses. Choose Olostep for "
                    "web pages."
                )
            self._set(doc.id, uploaded=True)  # nothing to send: the service fetches the page
            return
        if not lane.accepts_files:
            raise Unsupported(
                f"{lane.service_name} reads web pages, not files. Drop links, or a .txt or "
                ".csv list of links, instead."
            )
        # An upload an earlier run started (this process holds no slot for it).
        interrupted = doc.state is DocumentState.UPLOADING and doc.id not in self._remote_files
        prepared = await self._prepared(doc)
        lane.check_document(prepared)
        doc = self.journal.document(doc.id)
        # A slot journaled by an earlier run: the bytes may have landed before the crash.
        earlier = doc.remote_file_id and doc.id not in self._remote_files
        if earlier and doc.remote_file_id and await lane.file_uploaded(doc.remote_file_id):
            self._set(doc.id, uploaded=True, state=DocumentState.UPLOADING)
            return
        if interrupted:
            # Services without idempotency may have created the document already, and must
            # not be sent it twice.
            found = await lane.recover_upload(doc.id)
            if found is not None:
                self._set(doc.id, remote_file_id=found, uploaded=True)
                return
        for _ in range(self.config.upload_url_renewals):
            remote = self._remote_files.get(doc.id)
            if remote is None or remote.id != doc.remote_file_id:
                remote = await lane.reserve(prepared)
                if remote is not None:
                    self._remote_files[doc.id] = remote
                    doc = self._set(
                        doc.id,
                        remote_file_id=remote.id,
                        uploaded=False,
                        state=DocumentState.UPLOADING,
                    )
                else:
                    doc = self._set(doc.id, state=DocumentState.UPLOADING)
            else:
                self._set(doc.id, state=DocumentState.UPLOADING)

            def progress(sent: int, doc: DocumentRecord = doc) -> None:
                self._emit(
                    DocumentEvent(
                        doc.job_id,
                        doc.id,
                        DocumentState.UPLOADING,
                        bytes_sent=sent,
                        bytes_total=prepared.size,
                    )
                )

            try:
                file_id = await lane.upload(remote, prepared, progress, doc_id=doc.id)
            except UploadUrlExpired:
                self._remote_files.pop(doc.id, None)
                continue
            self._set(doc.id, remote_file_id=file_id, uploaded=True)
            return
        raise ApiError(
            f"{lane.service_name}'s upload links kept expiring before “{doc.name}” was sent. "
            "Check your computer's clock and connection, then retry.",
            detail="upload URL expired on every attempt",
        )

    # ------------------------------------------------------------------ submit

    def _entries(self, docs: Sequence[DocumentRecord]) -> list[BatchEntry]:
        return [
            BatchEntry(
                doc_id=d.id,
                file_id=d.remote_file_id,
                name=d.name,
                content_type=d.content_type,
                url=d.path if is_url(d.path) else None,
            )
            for d in docs
        ]

    async def _submit(
        self, job: JobRecord, lane: BatchLane, batch: BatchRecord
    ) -> BatchSnapshot | None:
        metadata = {"extractdesk_job": job.id, "extractdesk_batch": batch.id}

        def note(key: str, value: str) -> None:
            self.journal.add_batch_note(batch.id, key, value)

        for _ in range(self.config.resubmit_rounds + 1):
            ready = [
                d
                for d in self.journal.documents(batch_id=batch.id)
                if d.uploaded and (d.remote_file_id or is_url(d.path)) and not d.state.terminal
            ]
            if not ready:
                self.journal.set_batch_status(batch.id, "empty")
                return None
            notes = self.journal.batch(batch.id).notes
            try:
                return await lane.create_batch(
                    self._entries(ready), batch.idempotency_key, metadata, notes, note
                )
            except FilesRejected as exc:
                await self._repair(lane, ready, exc)
            except ApiError as exc:
                self._fail_many(ready, Failure(ErrorCode.SERVICE, exc.message, exc.detail))
                return None
        ready = [
            d
            for d in self.journal.documents(batch_id=batch.id)
            if d.uploaded and not d.state.terminal
        ]
        self._fail_many(
            ready,
            Failure(
                ErrorCode.SERVICE,
                f"{lane.service_name} kept refusing the uploaded files. Retry them later.",
                "submit refused after repeated re-uploads",
            ),
        )
        return None

    async def _repair(
        self, lane: BatchLane, ready: list[DocumentRecord], exc: FilesRejected
    ) -> None:
        """409 file_not_uploaded → upload those files again; 404 file_not_found → reserve
        new files for them. The caller then retries with the same idempotency key."""
        named = set(exc.file_ids)
        broken = [d for d in ready if d.remote_file_id in named]
        if not broken:  # the service named files we never sent: nothing can be repaired
            self._fail_many(ready, Failure(ErrorCode.SERVICE, exc.message, exc.detail))
            return
        for doc in broken:
            if isinstance(exc, FilesNotFound):
                self._remote_files.pop(doc.id, None)
                self.journal.update_document(doc.id, remote_file_id=None, uploaded=False)
            elif isinstance(exc, FilesNotUploaded):
                self.journal.update_document(doc.id, uploaded=False)
        await asyncio.gather(
            *(self._ensure_uploaded(lane, self.journal.document(d.id)) for d in broken)
        )

    # ------------------------------------------------------------------ poll and fetch

    async def _follow(self, lane: BatchLane, batch: BatchRecord) -> None:
        """Poll one remote batch until it is terminal, fetching results as items succeed."""
        assert batch.remote_id is not None
        docs = [
            d for d in self.journal.documents(batch_id=batch.id) if d.uploaded or d.remote_item_id
        ]
        entries = self._entries(docs)
        by_file = {d.remote_file_id: d.id for d in docs if d.remote_file_id}
        by_file.update({d.id: d.id for d in docs})  # items that echo our document id
        fetches: dict[str, asyncio.Task[None]] = {}
        delay = self.config.poll_initial
        last_counts: dict[str, int] | None = None
        status = batch.status
        many = len(docs) > 500
        try:
            while True:
                snapshot = await lane.poll(batch.remote_id, entries, with_items=not many)
                if many and (snapshot.counts != last_counts or snapshot.terminal):
                    snapshot = await lane.poll(batch.remote_id, entries, with_items=True)
                changed = snapshot.counts != last_counts
                last_counts = snapshot.counts
                if snapshot.status != status:
                    status = snapshot.status
                    self.journal.set_batch_status(batch.id, status)
                    changed = True
                changed |= self._apply_items(lane, batch.id, snapshot.items, by_file, fetches)
                if snapshot.terminal:
                    break
                delay = (
                    self.config.poll_initial
                    if changed
                    else min(delay * self.config.poll_factor, self.config.poll_max)
                )
                await asyncio.sleep(delay)
            if fetches:
                await asyncio.gather(*fetches.values())
        except ApiError as exc:
            for task in fetches.values():
                task.cancel()
            self._fail_many(
                self.journal.documents(batch_id=batch.id),
                Failure(ErrorCode.SERVICE, exc.message, exc.detail),
            )
            return
        except BaseException:
            for task in fetches.values():
                task.cancel()
            raise
        try:
            await lane.finished(entries)
        except ApiError as exc:
            log.warning("clean-up after a batch failed: %s", exc.detail or exc.message)
        leftover = [d for d in self.journal.documents(batch_id=batch.id) if not d.state.terminal]
        if leftover:
            if status == "expired":
                self._fail_many(
                    leftover,
                    Failure(
                        ErrorCode.RESULT_EXPIRED,
                        f"The batch expired on {lane.service_name} before this document was "
                        "processed. Retry it.",
                        "batch status expired",
                    ),
                )
            else:
                self._fail_many(
                    leftover,
                    Failure(
                        ErrorCode.REMOTE,
                        f"{lane.service_name} finished the batch without processing this "
                        "document. Retry it.",
                        f"batch status {status}",
                    ),
                )

    def _apply_items(
        self,
        lane: BatchLane,
        batch_id: int,
        items: list[ItemSnapshot],
        by_file: dict[str, str],
        fetches: dict[str, asyncio.Task[None]],
    ) -> bool:
        changed = False
        known = self.journal.progress(batch_id) if items else {}  # one query a poll
        for item in items:
            doc_id = by_file.get(item.doc_id or "") or by_file.get(item.file_id or "")
            doc = known.get(doc_id) if doc_id is not None else None
            if doc_id is None or doc is None:  # (None: removed from the list meanwhile)
                continue
            if doc.state.terminal or doc_id in fetches:
                continue
            if item.status == "running":
                if doc.state is not DocumentState.PROCESSING or doc.page_count != item.page_count:
                    self._set(
                        doc_id,
                        notice=item.progress_text or "",
                        state=DocumentState.PROCESSING,
                        remote_item_id=item.item_id,
                        page_count=item.page_count,
                        pages_done=item.pages_done,
                    )
                    changed = True
                elif item.pages_done != doc.pages_done:
                    self.journal.update_document(doc_id, pages_done=item.pages_done)
                    self._emit_doc(self.journal.document(doc_id), notice=item.progress_text or "")
                    changed = True
                elif item.progress_text and item.progress_text != self._progress_text.get(doc_id):
                    self._emit_doc(self.journal.document(doc_id), notice=item.progress_text)
                    changed = True
                self._progress_text[doc_id] = item.progress_text or ""
            elif item.status == "succeeded":
                self._set(
                    doc_id,
                    state=DocumentState.FETCHING,
                    remote_item_id=item.item_id,
                    page_count=item.page_count,
                    pages_done=item.page_count,
                )
                fetches[doc_id] = asyncio.get_running_loop().create_task(
                    self._fetch(lane, doc_id, item), name=f"fetch {doc_id}"
                )
                changed = True
            elif item.status == "failed":
                self.journal.update_document(
                    doc_id, remote_item_id=item.item_id, page_count=item.page_count
                )
                self._fail(
                    doc_id,
                    Failure(
                        item.error_code or ErrorCode.REMOTE,
                        item.error_message
                        or f"{lane.service_name} could not process this document.",
                        item.error_detail or "",
                    ),
                )
                changed = True
            elif item.status == "cancelled":
                self._set(doc_id, state=DocumentState.CANCELLED, remote_item_id=item.item_id)
                changed = True
        return changed

    async def _fetch(self, lane: BatchLane, doc_id: str, item: ItemSnapshot) -> None:
        async with self._download_slots:
            for attempt in range(self.config.result_not_ready_retries + 1):
                try:
                    data = await lane.fetch_result(item)
                    break
                except ResultNotReady:
                    await asyncio.sleep(
                        min(self.config.poll_initial * 2**attempt, self.config.poll_max)
                    )
                except ResultGone as exc:
                    self._fail(doc_id, Failure(ErrorCode.RESULT_EXPIRED, exc.message, exc.detail))
                    return
                except BadResponse as exc:
                    self._fail(doc_id, Failure(ErrorCode.BAD_RESPONSE, exc.message, exc.detail))
                    return
                except ApiError as exc:
                    self._fail(doc_id, Failure(ErrorCode.SERVICE, exc.message, exc.detail))
                    return
            else:
                self._fail(
                    doc_id,
                    Failure(
                        ErrorCode.SERVICE,
                        f"{lane.service_name} said the result was ready but never served it. "
                        "Retry this document.",
                        "result_not_ready after repeated tries",
                    ),
                )
                return
            doc = self.journal.document(doc_id)
            if doc.state.terminal:
                return  # cancelled while the result was on its way
            path = self.results_dir / doc.job_id / f"{doc_id}.json"
            body = json.dumps(data, ensure_ascii=False).encode("utf-8")
            if len(body) < INLINE_WRITE_LIMIT:
                write_atomically(path, body)  # a few KB: cheaper than a thread hop
            else:
                await asyncio.to_thread(write_atomically, path, body)
            self._set(doc_id, state=DocumentState.DONE, result_path=str(path))

    # ------------------------------------------------------------------ cancel

    async def _finish_cancel(self, job: JobRecord) -> None:
        remote = [
            b for b in self.journal.batches(job.id) if b.remote_id and b.status not in _BATCH_DONE
        ]
        if remote:
            try:
                lane = await self._open_lane(job, lambda *_: None)
            except ApiError as exc:
                log.warning("could not cancel remote batches of %s: %s", job.id, exc.message)
            else:
                try:
                    for batch in remote:
                        assert batch.remote_id is not None
                        try:
                            docs = self.journal.documents(batch_id=batch.id)
                            snap = await lane.cancel_batch(batch.remote_id, self._entries(docs))
                            self.journal.set_batch_status(batch.id, snap.status)
                        except ApiError as exc:
                            log.warning(
                                "cancelling batch %s failed: %s",
                                batch.remote_id,
                                exc.detail or exc.message,
                            )
                finally:
                    await lane.aclose()
        pending = [d for d in self.journal.documents(job.id) if not d.state.terminal]
        self.journal.update_documents([d.id for d in pending], state=DocumentState.CANCELLED)
        for doc in pending:
            self._emit_doc(self.journal.document(doc.id))
        self.journal.set_job_status(job.id, "cancelled")
        self._emit(JobEvent(job.id, finished=True, counts=self.journal.counts(job.id)))


class Duplicate(Exception):
    def __init__(self, twin: DocumentRecord) -> None:
        super().__init__(twin.name)
        self.twin = twin


_BATCH_DONE = frozenset(
    {"completed", "partially_failed", "failed", "cancelled", "expired", "empty"}
)


def is_url(path: str) -> bool:
    return path.startswith(("http://", "https://"))


INLINE_WRITE_LIMIT = 256 * 1024
"""Results smaller than this are written on the event loop (bench/pipeline.py: a thread
hop per small result cost more than the write); larger ones go to a worker thread."""
