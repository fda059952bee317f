"""``extractdesk extract``: the same pipeline, journal and providers as the window.

With no ``--provider`` it uses the local engine, starting it on 127.0.0.1 and stopping it at
exit. Re-running an interrupted command (same files, same provider) resumes the journaled
job. Loaded only when the command is used, so opening the window does not pay for it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from app import credentials, doctypes, http, paths, providers, settings
from app.export import unique_stems, write_document
from app.journal import DocumentRecord, JobRecord, Journal
from app.lanes import open_job_lane
from app.local_engine import LocalEngine
from app.models import DocumentState, JobEvent
from app.pipeline import Event, Pipeline, PipelineConfig
from app.providers.base import BatchLane, RetryCallback

log = logging.getLogger("extractdesk.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="extractdesk extract",
        description="Extract text, tables and figures from documents. Folders are walked "
        "recursively. Writes DIR/<name>.md and DIR/<name>.json for every document.",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="files, folders, or (for olostep) web addresses and .txt/.csv lists of them",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("extractdesk-output"),
        help="output folder (default: ./extractdesk-output)",
    )
    parser.add_argument(
        "--provider",
        choices=sorted(providers.REGISTRY),
        default="local",
        help="where to extract (default: local, the offline engine)",
    )
    parser.add_argument("--base-url", help="the service's address (advanced)")
    parser.add_argument(
        "--concurrency", type=int, default=4, metavar="N", help="uploads at once (default 4)"
    )
    parser.add_argument("--no-images", action="store_true", help="skip figures")
    parser.add_argument("--verbose", "-v", action="store_true", help="log details to stderr")
    return parser


def extract_main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    _configure_logging(args.verbose)
    provider = providers.get(args.provider)
    sources = doctypes.collect_sources(args.paths, accepts_urls=provider.accepts_urls)
    for item, reason in sources.skipped:
        sys.stderr.write(f"skipped  {item}: {reason}\n")
    if sources.urls and not provider.accepts_urls:
        sys.stderr.write(
            f"{provider.name} reads files, not web addresses: use --provider olostep for "
            f"{len(sources.urls)} link(s).\n"
        )
        return 2
    if sources.files and not provider.accepts_files:
        sys.stderr.write(
            f"{provider.name} reads {provider.reads}: give links, or a .txt or .csv list of "
            "links, instead of documents.\n"
        )
        return 2
    items: list[Path | str] = [*sources.files, *sources.urls]
    if not items:
        wanted = provider.reads if provider.accepts_urls else doctypes.supported_summary()
        sys.stderr.write(f"Nothing to extract. {provider.name} reads {wanted}.\n")
        return 1
    if provider.needs_key and not credentials.get_key(provider.id):
        sys.stderr.write(
            f"No API key for {provider.name}. Save one in the app's Settings, or set "
            f"{credentials.env_var(provider.id)} for this shell.\n"
        )
        return 2
    try:
        return asyncio.run(_extract(args, items, provider))
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted. Run the same command again to resume where it stopped.\n")
        return 130


async def _extract(
    args: argparse.Namespace, items: list[Path | str], provider: providers.ProviderInfo
) -> int:
    journal = Journal(paths.journal_path())
    engine = LocalEngine(paths.local_engine_dir()) if provider.id == "local" else None
    preferences = settings.load()
    base_url = args.base_url or preferences.base_url(provider.id) or provider.default_base_url
    options = preferences.job_options(provider.id)
    options["extract_images"] = not args.no_images
    progress = Progress(sys.stderr, journal)

    async def open_lane(job: JobRecord, on_retry: RetryCallback) -> BatchLane:
        return await open_job_lane(job, on_retry, engine)

    pipeline = Pipeline(
        journal,
        paths.results_dir(),
        open_lane,
        config=PipelineConfig(upload_concurrency=max(1, args.concurrency)),
        on_event=progress.on_event,
    )
    fingerprint = job_fingerprint(provider.id, base_url, items, args.out, options)
    try:
        earlier = journal.find_unfinished(fingerprint)
        if earlier is not None:
            sys.stderr.write("Resuming the interrupted run of this command.\n")
            job_id = earlier.id
            progress.start(job_id)
            pipeline.resume(job_id)
        else:
            job_id = pipeline.start_job(
                items, provider.id, base_url=base_url, options=options, fingerprint=fingerprint
            )
            progress.start(job_id)
        await pipeline.wait(job_id)
    finally:
        await pipeline.aclose()
        if engine is not None:
            engine.stop()
    progress.finish()
    status = write_outputs(journal.documents(job_id), args.out, sys.stderr, provider.id)
    journal.close()
    return status


def job_fingerprint(
    provider: str,
    base_url: str | None,
    items: list[Path | str],
    out: Path,
    options: dict[str, Any],
) -> str:
    payload = json.dumps(
        [
            provider,
            base_url,
            sorted(i if isinstance(i, str) else str(i.absolute()) for i in items),
            str(out.absolute()),
            options,
        ],
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def write_outputs(
    docs: list[DocumentRecord], out: Path, err: TextIO, provider: str = "local"
) -> int:
    """Write every finished document; report each failure. 0 only if all succeeded."""
    stems = unique_stems([d.name for d in docs])
    failures = 0
    written = 0
    for doc, stem in zip(docs, stems, strict=True):
        if doc.state is DocumentState.DONE and doc.result_path:
            try:
                result = json.loads(Path(doc.result_path).read_text(encoding="utf-8"))
                write_document(result, out, stem, provider=provider)
                written += 1
                continue
            except (OSError, ValueError) as exc:
                err.write(f"FAILED   {doc.path}: the result could not be written ({exc}).\n")
        elif doc.state is DocumentState.CANCELLED:
            err.write(f"CANCELLED {doc.path}\n")
        else:
            err.write(f"FAILED   {doc.path}: {doc.error_message or 'no reason given'}\n")
        failures += 1
    err.write(
        f"{written} of {len(docs)} documents extracted into {out}/"
        + (f"; {failures} did not succeed.\n" if failures else ".\n")
    )
    return 0 if failures == 0 else 1


class Progress:
    """Per-file state lines and an overall bar on stderr (redrawn in place on a terminal)."""

    WIDTH = 30

    def __init__(self, stream: TextIO, journal: Journal) -> None:
        self.stream = stream
        self.journal = journal
        self.tty = stream.isatty()
        self.names: dict[str, str] = {}
        self.states: dict[str, DocumentState] = {}
        self._bar_shown = False
        self._last_bar = ""

    def start(self, job_id: str) -> None:
        for doc in self.journal.documents(job_id):
            self.names[doc.id] = doc.name
            self.states[doc.id] = doc.state
        self._bar()

    def on_event(self, event: Event) -> None:
        if isinstance(event, JobEvent):
            if event.notice:
                self._line(f"note     {event.notice}")
            return
        if event.doc_id not in self.names:
            return
        if self.states.get(event.doc_id) is event.state:
            return
        self.states[event.doc_id] = event.state
        name = self.names[event.doc_id]
        text = f"{event.state.label.lower():<19} {name}"
        if event.state is DocumentState.FAILED and event.failure:
            text += f": {event.failure.message}"
        elif event.state is DocumentState.DONE and event.page_count:
            text += f" ({event.page_count} page{'s' if event.page_count != 1 else ''})"
        self._line(text)

    def _line(self, text: str) -> None:
        if self.tty and self._bar_shown:
            self.stream.write("\r\x1b[2K")
        self.stream.write(text + "\n")
        self._bar_shown = False
        self._bar()

    def _bar(self) -> None:
        total = len(self.states)
        if not total:
            return
        settled = sum(1 for s in self.states.values() if s.terminal)
        failed = sum(1 for s in self.states.values() if s is DocumentState.FAILED)
        filled = int(self.WIDTH * settled / total)
        bar = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {settled}/{total}"
        if failed:
            bar += f", {failed} failed"
        if self.tty:
            self.stream.write("\r\x1b[2K" + bar)
            self._bar_shown = True
        elif bar != self._last_bar:
            self.stream.write(bar + "\n")
        self._last_bar = bar
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self._bar_shown:
            self.stream.write("\n")
            self._bar_shown = False


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(http.RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    http.quiet_transport_loggers()
