"""One function turns any extract.page-shaped result into readable Markdown.

It serves the local engine's results and the cloud's alike: headings (``heading_level``, an
extension the local engine sends), paragraphs, tables (from ``cells`` when present, else
the Markdown the service put in ``page_content``) and image references.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ImageRef = Callable[[int, dict[str, Any]], str | None]
"""``image_ref(chunk_index, chunk)`` returns the path to link for an image chunk, or None."""


def result_to_markdown(result: dict[str, Any], *, image_ref: ImageRef | None = None) -> str:
    parts: list[str] = []
    for index, chunk in enumerate(result.get("chunks") or []):
        if not isinstance(chunk, dict):
            continue
        kind = chunk.get("chunk_type")
        content = str(chunk.get("page_content") or "").strip()
        if kind == "table":
            table = cells_to_markdown(chunk) or content
            if table:
                parts.append(table)
        elif kind == "image":
            ref = image_ref(index, chunk) if image_ref is not None else None
            if ref:
                alt = content or f"Figure on page {chunk.get('page_no', '?')}"
                parts.append(f"![{_escape_alt(alt)}]({ref})")
            elif content:
                parts.append(f"*{content}*")
        elif content:
            level = chunk.get("heading_level")
            if isinstance(level, int) and 1 <= level <= 6:
                parts.append("#" * level + " " + " ".join(content.split()))
            else:
                parts.append(content)
    return "\n\n".join(parts) + "\n" if parts else ""


def cells_to_markdown(chunk: dict[str, Any]) -> str:
    """A Markdown table from a table chunk's cells (row/col 0-based, spans honoured by
    placing the text in the top-left cell). Returns "" when there are no cells."""
    grid = cells_to_grid(chunk)
    if not grid:
        return ""
    width = max(len(r) for r in grid)
    rows = [[_escape_cell(c) for c in r] + [""] * (width - len(r)) for r in grid]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def cells_to_grid(chunk: dict[str, Any]) -> list[list[str]]:
    cells = chunk.get("cells")
    if not isinstance(cells, list) or not cells:
        return []
    valid = [
        c
        for c in cells
        if isinstance(c, dict) and isinstance(c.get("row"), int) and isinstance(c.get("col"), int)
    ]
    if not valid:
        return []
    n_rows = max(int(chunk.get("n_rows") or 0), max(c["row"] for c in valid) + 1)
    n_cols = max(int(chunk.get("n_cols") or 0), max(c["col"] for c in valid) + 1)
    grid = [[""] * n_cols for _ in range(n_rows)]
    for cell in valid:
        grid[cell["row"]][cell["col"]] = str(cell.get("text") or "")
    return grid


def _escape_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _escape_alt(text: str) -> str:
    return " ".join(text.split()).replace("]", "\\]").replace("[", "\\[")
