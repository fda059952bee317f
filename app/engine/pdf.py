"""PDF extraction with pypdfium2: the text layer, page by page."""

from __future__ import annotations

from typing import Any

import pypdfium2 as pdfium

from app.engine import EXTRACTION_FAILED, EngineError, Extraction, ProgressCallback

MAX_PAGES = 2000


def _open(path: str) -> Any:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        if "password" in text:
            raise EngineError(
                EXTRACTION_FAILED, "The PDF is password-protected; remove the password and retry."
            ) from exc
        raise EngineError(
            EXTRACTION_FAILED, f"The PDF could not be opened ({exc}); it may be damaged."
        ) from exc


def extract_pdf(
    path: str,
    *,
    extract_text: bool = True,
    extract_images: bool = True,
    progress: ProgressCallback | None = None,
) -> Extraction:
    doc = _open(path)
    try:
        page_count = len(doc)
        if page_count > MAX_PAGES:
            from app.engine import PAGE_LIMIT_EXCEEDED

            raise EngineError(
                PAGE_LIMIT_EXCEEDED,
                f"The PDF has {page_count} pages; the local engine reads at most {MAX_PAGES}.",
            )
        chunks: list[dict[str, Any]] = []
        for index in range(page_count):
            page = doc[index]
            try:
                width, height = page.get_size()
                if extract_text:
                    textpage = page.get_textpage()
                    try:
                        text = textpage.get_text_bounded().replace("\r\n", "\n").strip()
                    finally:
                        textpage.close()
                    if text:
                        chunks.append(
                            {
                                "chunk_type": "text",
                                "page_no": index + 1,
                                "page_content": text,
                                "bbox": [0.0, 0.0, float(width), float(height)],
                            }
                        )
            finally:
                page.close()
            if progress is not None:
                progress(index + 1, page_count)
        return Extraction(result={"chunks": chunks}, page_count=page_count)
    finally:
        doc.close()
