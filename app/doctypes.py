"""What counts as a document: type detection from magic bytes and the file name."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DocType:
    key: str
    mime: str
    label: str
    extensions: tuple[str, ...]


PDF = DocType("pdf", "application/pdf", "PDF", (".pdf",))
DOCX = DocType(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "Word document",
    (".docx",),
)
XLSX = DocType(
    "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "Excel workbook",
    (".xlsx",),
)
PPTX = DocType(
    "pptx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "PowerPoint presentation",
    (".pptx",),
)
PNG = DocType("png", "image/png", "PNG image", (".png",))
JPEG = DocType("jpeg", "image/jpeg", "JPEG image", (".jpg", ".jpeg", ".jpe"))
WEBP = DocType("webp", "image/webp", "WebP image", (".webp",))
TIFF = DocType("tiff", "image/tiff", "TIFF image", (".tif", ".tiff"))
BMP = DocType("bmp", "image/bmp", "BMP image", (".bmp",))
HEIC = DocType("heic", "image/heic", "HEIC photo", (".heic", ".heif"))

ALL_TYPES = (PDF, DOCX, XLSX, PPTX, PNG, JPEG, WEBP, TIFF, BMP, HEIC)
BY_EXTENSION = {ext: t for t in ALL_TYPES for ext in t.extensions}
BY_MIME = {t.mime: t for t in ALL_TYPES}
OFFICE = {".docx": DOCX, ".xlsx": XLSX, ".pptx": PPTX}


def detect(path: Path, head: bytes) -> DocType | None:
    """The document type of a file from its first bytes (and its name, for office zips)."""
    suffix = path.suffix.lower()
    if head.startswith(b"%PDF-") or (b"%PDF-" in head[:1024] and suffix == ".pdf"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return OFFICE.get(suffix)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if head[:2] == b"BM" and suffix == ".bmp":
        return BMP
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heif"):
        return HEIC
    return None


def looks_like_document(path: Path) -> bool:
    """A cheap name-only check used when walking folders."""
    return path.suffix.lower() in BY_EXTENSION


def supported_summary() -> str:
    return "PDF, Word (.docx), PowerPoint (.pptx), Excel (.xlsx) and images (PNG, JPEG, TIFF, WebP)"


MAX_FILENAME = 512


def sanitize_filename(name: str) -> str:
    """A filename the services accept: no control characters, at most 512 characters
    (the extension is kept when it has to be shortened)."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in name
    ).strip()
    cleaned = " ".join(cleaned.split()) or "document"
    if len(cleaned) > MAX_FILENAME:
        stem, dot, ext = cleaned.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            cleaned = stem[: MAX_FILENAME - len(ext) - 1] + "." + ext
        else:
            cleaned = cleaned[:MAX_FILENAME]
    return cleaned


@dataclass(frozen=True)
class Intake:
    """What a set of dropped or named paths amounts to."""

    files: list[Path]
    skipped: list[tuple[Path, str]]
    """Paths that were not taken, each with the reason in plain words."""


def collect(paths: Iterable[Path]) -> Intake:
    """Expand folders recursively; keep documents by type and list what was skipped.

    Plain files named explicitly are always kept (they get a clear per-file message later
    if they are not documents); inside folders only known document types are taken.
    """
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.absolute()
        if key not in seen:
            seen.add(key)
            files.append(p)

    for path in paths:
        if path.is_dir():
            found = False
            for child in _walk(path):
                if looks_like_document(child):
                    add(child)
                    found = True
                elif not child.name.startswith("."):
                    skipped.append((child, "not a document type Extractdesk reads"))
            if not found:
                skipped.append((path, "the folder has no documents in it"))
        else:
            add(path)
    return Intake(files, skipped)


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root, onerror=None, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            yield Path(dirpath) / name


_URL = re.compile(r"https?://[^\s<>\"',;]+", re.IGNORECASE)


def is_url(text: str) -> bool:
    return bool(_URL.fullmatch(text.strip()))


def urls_in_text(text: str) -> list[str]:
    """Web addresses in a pasted text or a .txt/.csv list, in order, without repeats."""
    seen: dict[str, None] = {}
    for match in _URL.finditer(text):
        seen.setdefault(match.group(0).rstrip(".)]}"), None)
    return list(seen)


URL_LIST_SUFFIXES = (".txt", ".csv", ".url")


@dataclass(frozen=True)
class Sources:
    """What a person handed over: files, web addresses, and what was skipped (and why)."""

    files: list[Path]
    urls: list[str]
    skipped: list[tuple[str, str]]


def collect_sources(items: Iterable[str | Path], *, accepts_urls: bool) -> Sources:
    """Files and folders as :func:`collect` does; web addresses kept as they are; and, for a
    service that reads web pages, the links inside .txt/.csv lists."""
    paths: list[Path] = []
    urls: list[str] = []
    skipped: list[tuple[str, str]] = []
    for item in items:
        text = str(item)
        if is_url(text):
            urls.append(text.strip())
            continue
        path = Path(item)
        if accepts_urls and path.is_file() and path.suffix.lower() in URL_LIST_SUFFIXES:
            try:
                found = urls_in_text(path.read_text(encoding="utf-8", errors="replace"))
            except OSError as exc:
                skipped.append((text, f"could not be read ({exc.strerror})"))
                continue
            if found:
                urls.extend(found)
            else:
                skipped.append((text, "has no web addresses in it"))
            continue
        paths.append(path)
    intake = collect(paths)
    skipped += [(str(p), why) for p, why in intake.skipped]
    return Sources(intake.files, list(dict.fromkeys(urls)), skipped)
