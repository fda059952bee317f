"""Reading a stored result for the viewer, and exporting results (no widgets here, so it
runs in a worker thread).

Every service answers in its own shape; :func:`app.results.normalise` turns any of them
into Markdown, tables, images and fields, and :func:`app.export.write_document` writes
them. This module adds what the window needs on top: pictures decoded into ``QImage``
(thread-safe, unlike ``QPixmap``) and the viewer's own link scheme for them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage

from app.export import IMAGE_EXTENSIONS, grid_to_csv, unique_stems, write_document
from app.results import Image, Normalised, Table, fields_markdown, normalise

IMAGE_SCHEME = "extractdesk-image"
"""Pictures shown in the text view are served under this scheme; nothing else is ever
loaded (see :class:`ui.result_view.SafeTextBrowser`)."""

__all__ = [
    "IMAGE_SCHEME",
    "ExportItem",
    "ExportReport",
    "ImageData",
    "LoadedResult",
    "TableData",
    "export_documents",
    "grid_to_tsv",
    "load_result",
    "prepare_result",
    "write_csv",
]

TableData = Table


@dataclass
class ImageData:
    number: int
    page: int | None
    mime: str
    data: bytes
    image: QImage
    caption: str = ""

    @property
    def extension(self) -> str:
        return IMAGE_EXTENSIONS.get(self.mime, ".png")


@dataclass
class LoadedResult:
    raw: Any
    markdown: str
    tables: list[Table] = field(default_factory=list)
    images: list[ImageData] = field(default_factory=list)
    fields: dict[str, Any] | None = None
    remote_images: int = 0
    """Pictures the service left on its own servers: never fetched by the viewer."""


def image_link(image: Image) -> str:
    return f"{IMAGE_SCHEME}:{image.number}"


def load_result(path: Path, provider: str = "local") -> LoadedResult:
    """Read and prepare a result file (runs in a worker thread)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return prepare_result(raw, provider)


def prepare_result(raw: Any, provider: str = "local") -> LoadedResult:
    normal: Normalised = normalise(provider, raw, image_link=image_link)
    images = []
    for image in normal.images:
        decoded = QImage()
        if decoded.loadFromData(image.data):
            images.append(
                ImageData(image.number, image.page, image.mime, image.data, decoded, image.caption)
            )
    return LoadedResult(
        raw=normal.raw,
        markdown=normal.markdown + fields_markdown(normal.fields),
        tables=list(normal.tables),
        images=images,
        fields=normal.fields,
        remote_images=normal.remote_images,
    )


def grid_to_tsv(grid: Sequence[Sequence[str]]) -> str:
    """Tab-separated text, as spreadsheets paste it (tabs and line breaks inside cells
    become spaces)."""
    return "\n".join(
        "\t".join(" ".join(str(c).replace("\t", " ").split()) for c in row) for row in grid
    )


def write_csv(path: Path, grid: Sequence[Sequence[str]]) -> Path:
    """UTF-8 with a byte-order mark, so that Excel opens accents correctly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(grid_to_csv(grid).encode("utf-8-sig"))
    return path


# ---------------------------------------------------------------------------- export


@dataclass
class ExportItem:
    name: str
    result_path: str
    provider: str = "local"


@dataclass
class ExportReport:
    folder: Path
    written: list[Path] = field(default_factory=list)
    documents: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(document name, reason in words)"""


def export_documents(items: Sequence[ExportItem], folder: Path) -> ExportReport:
    """Write each document as ``name.md``, ``name.json`` (plus its pictures) and one CSV
    per table. Blocking: run it in a worker thread."""
    report = ExportReport(folder)
    stems = unique_stems([item.name for item in items])
    for item, stem in zip(items, stems, strict=True):
        try:
            raw = json.loads(Path(item.result_path).read_text(encoding="utf-8"))
            written = write_document(raw, folder, stem, provider=item.provider, tables_csv=True)
            report.written += [written.markdown, written.json, *written.images, *written.tables]
            report.documents += 1
        except (OSError, ValueError) as exc:
            report.failed.append((item.name, str(exc)))
    return report
