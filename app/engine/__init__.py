"""The offline extraction engine behind the local extract.page-compatible server.

It runs inside the local server's worker processes, never in the app's own process.
``extract_document`` takes a file on disk and returns extract.page's result shape
(``ExtractResponse``: a flat list of chunks in reading order), or raises
:class:`EngineError` with one of extract.page's public item error codes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# extract.page's public item error codes (see shared/apis/services.md §1.3).
UNSUPPORTED_INPUT = "unsupported_input"
EXTRACTION_FAILED = "extraction_failed"
DOCUMENT_TOO_LARGE = "document_too_large"
PAGE_LIMIT_EXCEEDED = "page_limit_exceeded"
INTERNAL_ERROR = "internal_error"

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(pages_done, page_count)`` while a document is extracted."""


class EngineError(Exception):
    """A document could not be extracted; ``code`` is an extract.page item error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Extraction:
    """What the engine produced for one document."""

    result: dict[str, Any]
    """The ``ExtractResponse`` JSON object: ``{"chunks": [...]}`` (plus optional fields)."""
    page_count: int


def extract_document(
    path: str,
    *,
    content_type: str | None = None,
    filename: str | None = None,
    extract_text: bool = True,
    extract_images: bool = True,
    progress: ProgressCallback | None = None,
) -> Extraction:
    """Extract one document. Raises :class:`EngineError` for input it cannot handle."""
    from app.engine import pdf

    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"%PDF-"):
        return pdf.extract_pdf(
            path, extract_text=extract_text, extract_images=extract_images, progress=progress
        )
    shown = filename or path
    raise EngineError(
        UNSUPPORTED_INPUT,
        f"{shown!r} is not a document type the local engine can read yet (it is not a PDF).",
    )
