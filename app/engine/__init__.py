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


MAX_FILE_BYTES = 150 * 1024 * 1024
"""Same cap as extract.page's default (150 MiB)."""

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"BM", "bmp"),
)


def sniff(head: bytes) -> str | None:
    """The document kind from its first bytes: pdf, zip, an image kind, or None."""
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    for magic, kind in _IMAGE_MAGIC:
        if head.startswith(magic):
            return kind
    return None


def extract_document(
    path: str,
    *,
    content_type: str | None = None,
    filename: str | None = None,
    extract_text: bool = True,
    extract_images: bool = True,
    progress: ProgressCallback | None = None,
) -> Extraction:
    """Extract one document. Raises :class:`EngineError` for input it cannot handle.

    The kind is taken from the file's first bytes (``content_type`` and ``filename`` are only
    used in messages). A document in which nothing at all is found (no text, no table, no
    figure) fails with ``extraction_failed`` ("no text could be found") rather than returning
    an empty success.
    """
    import os

    os.environ["ORT_DISABLE_TELEMETRY"] = "1"  # before anything can load onnxruntime
    shown = filename or os.path.basename(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        raise EngineError(UNSUPPORTED_INPUT, f"{shown!r} could not be read ({exc}).") from exc
    if size == 0:
        raise EngineError(UNSUPPORTED_INPUT, f"{shown!r} is empty.")
    if size > MAX_FILE_BYTES:
        raise EngineError(
            DOCUMENT_TOO_LARGE,
            f"{shown!r} is {size // (1024 * 1024)} MiB; the local engine reads at most "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MiB.",
        )
    kind = sniff(head)
    opts = {"extract_text": extract_text, "extract_images": extract_images, "progress": progress}
    try:
        if kind == "pdf":
            from app.engine import pdf

            result = pdf.extract_pdf(path, **opts)  # type: ignore[arg-type]
        elif kind == "zip":
            from app.engine import office

            sub = office.zip_kind(path)
            if sub == "docx":
                result = office.extract_docx(path, **opts)  # type: ignore[arg-type]
            elif sub == "xlsx":
                result = office.extract_xlsx(path, **opts)  # type: ignore[arg-type]
            elif sub == "pptx":
                result = office.extract_pptx(path, **opts)  # type: ignore[arg-type]
            else:
                raise EngineError(
                    UNSUPPORTED_INPUT,
                    f"{shown!r} is a zip archive but not a DOCX, XLSX or PPTX document.",
                )
        elif kind in ("png", "jpeg", "gif", "tiff", "bmp", "webp"):
            from app.engine import ocr

            result = ocr.extract_image_file(path, filename=shown, **opts)  # type: ignore[arg-type]
        elif kind == "ole":
            raise EngineError(
                UNSUPPORTED_INPUT,
                f"{shown!r} is an old binary Office file (.doc/.xls/.ppt); save it as "
                "DOCX/XLSX/PPTX or PDF first.",
            )
        else:
            described = f" ({content_type})" if content_type else ""
            raise EngineError(
                UNSUPPORTED_INPUT,
                f"{shown!r}{described} is not a PDF, image, DOCX, XLSX or PPTX file.",
            )
    except EngineError:
        raise
    except MemoryError as exc:
        raise EngineError(
            DOCUMENT_TOO_LARGE, f"{shown!r} needs more memory than the engine allows."
        ) from exc
    except Exception as exc:
        raise EngineError(
            EXTRACTION_FAILED,
            f"{shown!r} could not be extracted: the local engine hit an unexpected problem "
            f"({type(exc).__name__}). Retry it; if it keeps failing, send us the log file.",
        ) from exc
    if extract_text and not result.result.get("chunks"):
        raise EngineError(
            EXTRACTION_FAILED,
            f"{shown!r}: no text could be found in this document (not even by OCR).",
        )
    return result
