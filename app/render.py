"""Markdown from an extract.page result: one renderer for local and cloud results.

``result_to_markdown`` is a pure function over the ``ExtractResponse`` dict. It uses what a
chunk offers and tolerates what it lacks:

* text chunks: ``heading_level`` (a local-engine extension) gives ``#``..``######``; without it
  the text is a paragraph. Lines starting with a list marker are kept as list items.
* table chunks: rebuilt from ``cells`` (row/col/spans) when present, else ``page_content``
  (already Markdown or HTML from the service) is used as is.
* image chunks: ``![caption](ref)`` when ``image_ref(index, chunk)`` returns a reference
  (a path or URL), else ``image_url`` if the chunk has one, else an ``*[Image: caption]*`` note.
* other chunk types (``kv``): their ``page_content`` as a paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

ImageRef = Callable[[int, dict[str, Any]], str | None]

_BULLET = re.compile(r"^(\s*)[•◦▪●‣⁃∙·]\s+")
_LIST_LINE = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")


def _clean(text: str) -> str:
    return " ".join(text.split())


def _escape_cell(text: str) -> str:
    return _clean(text).replace("|", "\\|")


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return default


def table_from_cells(cells: Sequence[Any], n_rows: int = 0, n_cols: int = 0) -> str:
    """A Markdown table from extract.page cells (0-based row/col, optional spans)."""
    rows = n_rows
    cols = n_cols
    parsed: list[tuple[int, int, str]] = []
    for cell in cells:
        if not isinstance(cell, Mapping):
            continue
        r = _int(cell.get("row"), -1)
        c = _int(cell.get("col"), -1)
        if r < 0 or c < 0:
            continue
        rs = max(1, _int(cell.get("row_span"), 1))
        cs = max(1, _int(cell.get("col_span"), 1))
        parsed.append((r, c, str(cell.get("text") or "")))
        rows = max(rows, r + rs)
        cols = max(cols, c + cs)
    if not parsed or rows <= 0 or cols <= 0 or rows * cols > 1_000_000:
        return ""
    grid = [["" for _ in range(cols)] for _ in range(rows)]
    for r, c, text in parsed:
        grid[r][c] = _escape_cell(text)
    lines = ["| " + " | ".join(grid[0]) + " |", "|" + "|".join(["---"] * cols) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in grid[1:]]
    return "\n".join(lines)


def _text_block(chunk: Mapping[str, Any]) -> str:
    text = str(chunk.get("page_content") or "").strip()
    if not text:
        return ""
    level = _int(chunk.get("heading_level"), 0)
    if 1 <= level <= 6:
        return "#" * level + " " + _clean(text)
    lines = [_BULLET.sub(r"\1- ", ln.rstrip(), count=1) for ln in text.splitlines() if ln.strip()]
    if lines and all(_LIST_LINE.match(ln) for ln in lines):
        return "\n".join(lines)
    if len(lines) > 1 and any(_LIST_LINE.match(ln) for ln in lines):
        return "\n".join(ln if _LIST_LINE.match(ln) else ln.strip() for ln in lines)
    return "\n\n".join(_clean(p) for p in re.split(r"\n\s*\n", text) if p.strip())


def _image_block(index: int, chunk: dict[str, Any], image_ref: ImageRef | None) -> str:
    caption = _clean(str(chunk.get("page_content") or ""))
    alt = caption.replace("[", "(").replace("]", ")") or "image"
    ref = image_ref(index, chunk) if image_ref is not None else None
    if not ref:
        url = chunk.get("image_url")
        ref = url if isinstance(url, str) and url else None
    if ref:
        return f"![{alt}]({ref.replace(' ', '%20')})"
    return f"*[Image: {caption}]*" if caption else "*[Image]*"


def result_to_markdown(result: Mapping[str, Any], *, image_ref: ImageRef | None = None) -> str:
    """Readable Markdown for a result's chunks, in their order.

    ``image_ref(index, chunk)`` gets the chunk's index in ``result["chunks"]`` and returns where
    the image was saved (relative path or URL), or ``None`` to leave a placeholder.
    """
    chunks: object = result.get("chunks")
    if not isinstance(chunks, list | tuple):
        return ""
    blocks: list[str] = []
    for index, chunk in enumerate(chunks):
        if not isinstance(chunk, dict):
            continue
        kind = chunk.get("chunk_type")
        if kind == "table":
            cells = chunk.get("cells")
            md = ""
            if isinstance(cells, Sequence) and not isinstance(cells, str) and cells:
                md = table_from_cells(
                    cells, _int(chunk.get("n_rows"), 0), _int(chunk.get("n_cols"), 0)
                )
            if not md:
                md = str(chunk.get("page_content") or "").strip()
            if md:
                blocks.append(md)
        elif kind == "image":
            blocks.append(_image_block(index, chunk, image_ref))
        else:
            block = _text_block(chunk)
            if block:
                blocks.append(block)
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def cells_to_grid(chunk: Mapping[str, Any]) -> list[list[str]]:
    """A table chunk's cells as a rectangular grid of texts (spanned text at the top-left)."""
    cells = chunk.get("cells")
    if not isinstance(cells, list | tuple) or not cells:
        return []
    rows = _int(chunk.get("n_rows"), 0)
    cols = _int(chunk.get("n_cols"), 0)
    placed: list[tuple[int, int, str]] = []
    for cell in cells:
        if not isinstance(cell, Mapping):
            continue
        r, c = _int(cell.get("row"), -1), _int(cell.get("col"), -1)
        if r < 0 or c < 0:
            continue
        placed.append((r, c, str(cell.get("text") or "")))
        rows = max(rows, r + max(1, _int(cell.get("row_span"), 1)))
        cols = max(cols, c + max(1, _int(cell.get("col_span"), 1)))
    if not placed or rows * cols > 1_000_000:
        return []
    grid = [["" for _ in range(cols)] for _ in range(rows)]
    for r, c, text in placed:
        grid[r][c] = text
    return grid


def cells_to_markdown(chunk: Mapping[str, Any]) -> str:
    """A Markdown table from a table chunk's cells; "" when it has none."""
    cells = chunk.get("cells")
    if not isinstance(cells, list | tuple):
        return ""
    return table_from_cells(cells, _int(chunk.get("n_rows"), 0), _int(chunk.get("n_cols"), 0))
