"""Writing results where people want them: Markdown, the raw JSON, and image files."""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.render import result_to_markdown

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


def write_document(result: dict[str, Any], out_dir: Path, stem: str) -> Written:
    """Write ``stem.md`` (readable text, tables, image links), ``stem.json`` (the result as
    the service sent it) and the images into ``stem_images/`` beside them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    image_dir_name = f"{stem}_images"
    images: list[Path] = []
    counters: dict[int, int] = {}

    def image_ref(index: int, chunk: dict[str, Any]) -> str | None:
        data = chunk.get("image_b64")
        if not isinstance(data, str) or not data:
            url = chunk.get("image_url")
            return url if isinstance(url, str) and url.startswith("https://") else None
        try:
            raw = base64.b64decode(data, validate=False)
        except (binascii.Error, ValueError):
            return None
        page = int(chunk.get("page_no") or 0)
        counters[page] = counters.get(page, 0) + 1
        ext = IMAGE_EXTENSIONS.get(str(chunk.get("image_mime") or ""), ".bin")
        name = f"page{page}-image{counters[page]}{ext}"
        path = out_dir / image_dir_name / name
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, raw)
        images.append(path)
        return f"{image_dir_name}/{name}"

    markdown = result_to_markdown(result, image_ref=image_ref)
    md_path = out_dir / f"{stem}.md"
    json_path = out_dir / f"{stem}.json"
    _atomic_write(md_path, markdown.encode("utf-8"))
    _atomic_write(json_path, json.dumps(result, ensure_ascii=False, indent=2).encode("utf-8"))
    return Written(md_path, json_path, images)


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
    stem = Path(name).stem or "document"
    cleaned = "".join("_" if (c in '<>:"/\\|?*' or ord(c) < 32) else c for c in stem)
    return cleaned.strip(" .")[:200] or "document"


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
