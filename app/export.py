"""Writing results where people want them: Markdown, the raw JSON, images, tables as CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.paths import write_atomically
from app.results import Image, fields_markdown, normalise

IMAGE_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/tiff": ".tif",
    "image/bmp": ".bmp",
}


@dataclass(frozen=True)
class Written:
    markdown: Path
    json: Path
    images: list[Path]
    tables: list[Path]


def write_document(
    result: Any,
    out_dir: Path,
    stem: str,
    *,
    provider: str = "local",
    tables_csv: bool = False,
) -> Written:
    """Write ``stem.md`` (readable text, tables, image links), ``stem.json`` (the result as
    the service sent it), the images into ``stem_images/`` beside them, and with
    ``tables_csv`` one ``stem-table-N.csv`` per table. Fields a service extracted are
    listed at the end of the Markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    image_dir = f"{stem}_images"
    images: list[Path] = []

    def save_image(image: Image) -> str:
        ext = IMAGE_EXTENSIONS.get(image.mime, ".bin")
        name = f"page{image.page or 0}-image{image.number}{ext}"
        path = out_dir / image_dir / name
        write_atomically(path, image.data)
        images.append(path)
        return f"{image_dir}/{name}"

    normal = normalise(provider, result, image_link=save_image)
    markdown = normal.markdown
    if normal.fields:
        markdown = markdown.rstrip("\n") + fields_markdown(normal.fields)
    md_path = out_dir / f"{stem}.md"
    json_path = out_dir / f"{stem}.json"
    write_atomically(md_path, markdown.encode("utf-8"))
    write_atomically(json_path, json.dumps(result, ensure_ascii=False, indent=2).encode("utf-8"))
    tables: list[Path] = []
    if tables_csv:
        for table in normal.tables:
            path = out_dir / f"{stem}-table-{table.number}.csv"
            write_atomically(path, grid_to_csv(table.grid).encode("utf-8-sig"))
            tables.append(path)
    return Written(md_path, json_path, images, tables)


def grid_to_csv(grid: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(grid)
    return buffer.getvalue()


def unique_stems(names: list[str]) -> list[str]:
    """Output names for documents: the file's stem, made unique within one export
    (``report``, ``report-2``…), with characters that are unsafe in file names replaced."""
    used: set[str] = set()
    stems = []
    for name in names:
        base = safe_stem(name)
        stem, n = base, 1
        while stem.lower() in used:
            n += 1
            stem = f"{base}-{n}"
        used.add(stem.lower())
        stems.append(stem)
    return stems


def safe_stem(name: str) -> str:
    if name.startswith(("http://", "https://")):
        name = name.split("://", 1)[1].rstrip("/").replace("/", "_") + ".url"
    stem = Path(name).stem or "document"
    cleaned = "".join("_" if (c in '<>:"/\\|?*' or ord(c) < 32) else c for c in stem)
    return cleaned.strip(" .")[:200] or "document"
