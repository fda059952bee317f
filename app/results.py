"""One normalised result for every provider: Markdown, tables, images, fields and the raw JSON.

Each service answers in its own shape; this module is the one place that knows them all, so
the CLI, the viewer and the exports show any service's result the same way:

* extract.page and the local engine: ``{"chunks": [...]}`` (text, table and image chunks);
* Anthropic: one Message Batches result line, ``{"custom_id", "result": {"message": ...}}``,
  whose text blocks are Markdown and whose ``record_fields`` tool call carries the fields;
* Anesya: ``{"extraction": <the Extract object>, "images": [{name, mime, b64}]}`` (the images
  are fetched with the extraction, since their URLs need the token);
* Olostep: the ``/v1/retrieve`` answer, with ``markdown_content``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.render import ImageRef, cells_to_grid, result_to_markdown


@dataclass(frozen=True)
class Table:
    number: int
    page: int | None
    grid: list[list[str]]


@dataclass(frozen=True)
class Image:
    number: int
    page: int | None
    mime: str
    data: bytes
    caption: str = ""


@dataclass(frozen=True)
class Normalised:
    markdown: str
    tables: list[Table] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    fields: dict[str, Any] | None = None
    raw: Any = None
    remote_images: int = 0
    """Pictures the service left on its own servers (never fetched by Extractdesk)."""


ImageMarker = Callable[[Image], str]
"""Given an image, the link to put in the Markdown (the viewer's own scheme, a file...)."""


def normalise(provider: str, raw: Any, *, image_link: ImageMarker | None = None) -> Normalised:
    if not isinstance(raw, dict):
        return Normalised(markdown="", raw=raw)
    if provider == "anthropic" or ("custom_id" in raw and "result" in raw):
        return _anthropic(raw)
    if provider == "anesya" or "extraction" in raw:
        return _anesya(raw, image_link)
    if provider == "olostep" or "markdown_content" in raw:
        return _markdown_only(raw, str(raw.get("markdown_content") or ""), _olostep_fields(raw))
    return _chunks(raw, image_link)


# --------------------------------------------------------------------------- extract.page


def _chunks(raw: dict[str, Any], image_link: ImageMarker | None) -> Normalised:
    images: list[Image] = []
    tables: list[Table] = []
    remote = 0
    links: dict[int, str] = {}
    for index, chunk in enumerate(raw.get("chunks") or []):
        if not isinstance(chunk, dict):
            continue
        kind = chunk.get("chunk_type")
        page = _page(chunk)
        if kind == "table":
            grid = cells_to_grid(chunk) or first_markdown_table(
                str(chunk.get("page_content") or "")
            )
            if grid:
                tables.append(Table(len(tables) + 1, page, grid))
        elif kind == "image":
            data = _decode(chunk.get("image_b64"))
            if data is None:
                remote += 1 if chunk.get("image_url") else 0
                continue
            image = Image(
                len(images) + 1,
                page,
                str(chunk.get("image_mime") or "image/png"),
                data,
                str(chunk.get("page_content") or "").strip(),
            )
            images.append(image)
            if image_link is not None:
                links[index] = image_link(image)

    ref: ImageRef | None = (lambda i, _c: links.get(i)) if image_link is not None else None
    markdown = result_to_markdown(raw, image_ref=ref)
    return Normalised(markdown, tables, images, None, raw, remote)


def _page(chunk: dict[str, Any]) -> int | None:
    page = chunk.get("page_no")
    return page if isinstance(page, int) else None


def _decode(data: Any) -> bytes | None:
    if not isinstance(data, str) or not data:
        return None
    try:
        return base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError):
        return None


# --------------------------------------------------------------------------- Anthropic


def _anthropic(raw: dict[str, Any]) -> Normalised:
    message = (raw.get("result") or {}).get("message") or {}
    texts: list[str] = []
    fields: dict[str, Any] | None = None
    for block in message.get("content") or []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            texts.append(str(block.get("text") or ""))
        elif block.get("type") == "tool_use" and isinstance(block.get("input"), dict):
            fields = dict(block["input"])
    return _markdown_only(raw, "\n\n".join(t.strip() for t in texts if t.strip()), fields)


# --------------------------------------------------------------------------- Anesya


def _anesya(raw: dict[str, Any], image_link: ImageMarker | None) -> Normalised:
    extraction = raw.get("extraction") or {}
    text = str(extraction.get("content") or "")
    data = extraction.get("extracted_data")
    fields = data if isinstance(data, dict) else ({"data": data} if data is not None else None)
    images: list[Image] = []
    for entry in raw.get("images") or []:
        decoded = _decode(entry.get("b64")) if isinstance(entry, dict) else None
        if decoded is not None:
            images.append(
                Image(
                    len(images) + 1,
                    None,
                    str(entry.get("mime") or "image/png"),
                    decoded,
                    str(entry.get("name") or ""),
                )
            )
    base = _markdown_only(raw, text, fields)
    markdown = base.markdown
    if image_link is not None and images:
        markdown += "\n" + "\n\n".join(f"![{i.caption}]({image_link(i)})" for i in images) + "\n"
    return Normalised(markdown, base.tables, images, fields, raw)


# --------------------------------------------------------------------------- Olostep


def _olostep_fields(raw: dict[str, Any]) -> dict[str, Any] | None:
    content = raw.get("json_content")
    if isinstance(content, str) and content.strip():
        try:
            parsed = json.loads(content)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else {"data": parsed}
    return content if isinstance(content, dict) else None


# --------------------------------------------------------------------------- Markdown


def _markdown_only(raw: Any, markdown: str, fields: dict[str, Any] | None) -> Normalised:
    tables = [Table(n + 1, None, grid) for n, grid in enumerate(markdown_tables(markdown))]
    text = markdown.strip()
    return Normalised(text + "\n" if text else "", tables, [], fields, raw)


_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Every pipe table in a Markdown text, as grids of cell strings."""
    tables: list[list[list[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines) - 1:
        if _ROW.match(lines[i]) and _RULE.match(lines[i + 1]):
            grid = [_cells(lines[i])]
            i += 2
            while i < len(lines) and _ROW.match(lines[i]):
                grid.append(_cells(lines[i]))
                i += 1
            tables.append(grid)
        else:
            i += 1
    return tables


def first_markdown_table(text: str) -> list[list[str]]:
    found = markdown_tables(text)
    return found[0] if found else []


def _cells(line: str) -> list[str]:
    match = _ROW.match(line)
    inner = match.group(1) if match else line
    cells = re.split(r"(?<!\\)\|", inner)
    return [c.strip().replace("\\|", "|") for c in cells]


def fields_markdown(fields: dict[str, Any] | None) -> str:
    """The fields a service extracted, as a Markdown section to put after the text (the
    viewer and the exports list them the same way)."""
    if not fields:
        return ""
    lines = [f"- **{name}**: {_field_text(value)}" for name, value in fields.items()]
    return "\n\n## Fields\n\n" + "\n".join(lines) + "\n"


def _field_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str | int | float | bool):
        return str(value)
    return "`" + json.dumps(value, ensure_ascii=False) + "`"
