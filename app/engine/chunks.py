"""Builders for extract.page result chunks (``ExtractResponse.chunks[]``).

Coordinates: ``bbox`` is ``[x0, y0, x1, y1]`` in points (1/72 inch) with the origin at the
**top-left** corner of the page and y growing downwards (``y0 < y1``). For image files one pixel
of the upright image counts as one point; office formats without a layout (DOCX, XLSX) carry
``[0, 0, 0, 0]``; PPTX uses the shape's position on the slide.

Extensions beyond extract.page's shape: ``heading_level`` (1–6) on text chunks that are
headings, ``line_confidences`` on OCR text chunks, ``merged_from_pages`` on tables joined
across a page break; a top-level ``warnings`` list (only when not empty) names pages that
were skipped because they could not be read.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

BBox = Sequence[float]

Cell = tuple[int, int, int, int, str, "BBox | None"]
"""``(row, col, row_span, col_span, text, bbox)``, rows and columns 0-based."""


def _box(bbox: BBox) -> list[float]:
    return [round(float(v), 2) for v in bbox]


def text_chunk(
    page_no: int,
    bbox: BBox,
    text: str,
    *,
    heading_level: int | None = None,
    confidences: Sequence[float] | None = None,
) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "chunk_type": "text",
        "page_no": page_no,
        "bbox": _box(bbox),
        "page_content": text,
    }
    if heading_level is not None:
        chunk["heading_level"] = max(1, min(6, heading_level))
    if confidences:
        chunk["confidence"] = round(min(confidences), 4)
        chunk["line_confidences"] = [round(c, 4) for c in confidences]
    return chunk


def _md_cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def markdown_table(n_rows: int, n_cols: int, cells: Sequence[Cell]) -> str:
    """A GitHub-flavoured Markdown table; spanned cells repeat nothing (left empty)."""
    if n_rows <= 0 or n_cols <= 0:
        return ""
    grid = [["" for _ in range(n_cols)] for _ in range(n_rows)]
    for row, col, _rs, _cs, text, _bbox in cells:
        if 0 <= row < n_rows and 0 <= col < n_cols:
            grid[row][col] = _md_cell(text)
    lines = ["| " + " | ".join(grid[0]) + " |", "|" + "|".join(["---"] * n_cols) + "|"]
    lines.extend("| " + " | ".join(r) + " |" for r in grid[1:])
    return "\n".join(lines)


def table_chunk(
    page_no: int, bbox: BBox, n_rows: int, n_cols: int, cells: Sequence[Cell]
) -> dict[str, Any]:
    out_cells: list[dict[str, Any]] = []
    for row, col, rs, cs, text, cbox in sorted(cells, key=lambda c: (c[0], c[1])):
        cell: dict[str, Any] = {
            "text": text,
            "row": row,
            "col": col,
            "row_span": rs,
            "col_span": cs,
            "page_no": page_no,
        }
        if cbox is not None:
            cell["bbox"] = _box(cbox)
        out_cells.append(cell)
    return {
        "chunk_type": "table",
        "page_no": page_no,
        "bbox": _box(bbox),
        "page_content": markdown_table(n_rows, n_cols, cells),
        "cells": out_cells,
        "n_rows": n_rows,
        "n_cols": n_cols,
        "table_output_format": "markdown",
    }


def image_chunk(
    page_no: int,
    bbox: BBox,
    data: bytes,
    mime: str,
    width: int,
    height: int,
    caption: str = "",
) -> dict[str, Any]:
    return {
        "chunk_type": "image",
        "page_no": page_no,
        "bbox": _box(bbox),
        "page_content": caption,
        "image_b64": base64.b64encode(data).decode("ascii"),
        "image_mime": mime,
        "image_width": width,
        "image_height": height,
    }
