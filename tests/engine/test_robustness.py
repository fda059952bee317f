"""Hostile and broken input fails fast with a reason and an extract.page error code."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.engine import (
    DOCUMENT_TOO_LARGE,
    EXTRACTION_FAILED,
    UNSUPPORTED_INPUT,
    EngineError,
    extract_document,
)

Docs = Callable[[str], Any]


def _fails(path: Path | str, code: str, *words: str) -> EngineError:
    with pytest.raises(EngineError) as info:
        extract_document(str(path))
    assert info.value.code == code, info.value.message
    for w in words:
        assert w in info.value.message
    return info.value


def test_encrypted_pdf(docs: Docs) -> None:
    _fails(docs("encrypted"), EXTRACTION_FAILED, "password-protected")


def test_corrupt_pdf(docs: Docs) -> None:
    _fails(docs("corrupt"), EXTRACTION_FAILED, "damaged")


def test_blank_pdf_is_not_an_empty_success(docs: Docs) -> None:
    _fails(docs("blank"), EXTRACTION_FAILED, "no text could be found")


def test_png_bomb_is_refused_before_decoding(docs: Docs) -> None:
    t = time.perf_counter()
    _fails(docs("png_bomb"), DOCUMENT_TOO_LARGE)
    assert time.perf_counter() - t < 2


def test_pdf_image_bomb_is_not_decoded(docs: Docs) -> None:
    t = time.perf_counter()
    _fails(docs("pdf_bomb"), EXTRACTION_FAILED, "no text could be found")
    assert time.perf_counter() - t < 5


def test_huge_page(docs: Docs) -> None:
    out = extract_document(str(docs("huge_page")))
    assert [c["page_content"] for c in out.result["chunks"]] == ["Huge page heading"]


def test_huge_page_ocr_render_is_bounded() -> None:
    from app.engine import pdf

    class FakePage:
        def render(self, scale: float, **_: Any) -> Any:
            w, h = 14400 * scale, 14400 * scale
            assert w * h <= pdf.OCR_MAX_PIXELS * 1.01
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        pdf._ocr_page(FakePage(), 14400.0, 14400.0)


def test_empty_and_unknown_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    _fails(empty, UNSUPPORTED_INPUT, "empty")
    text = tmp_path / "notes.txt"
    text.write_text("just text")
    _fails(text, UNSUPPORTED_INPUT)
    ole = tmp_path / "old.doc"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    _fails(ole, UNSUPPORTED_INPUT, "DOCX")
    z = tmp_path / "plain.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.txt", "hello")
    _fails(z, UNSUPPORTED_INPUT, "zip")
    jpeg = tmp_path / "trunc.jpg"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    with pytest.raises(EngineError) as info:
        extract_document(str(jpeg))
    assert info.value.code in (UNSUPPORTED_INPUT, EXTRACTION_FAILED)


def test_damaged_docx(docs: Docs, tmp_path: Path) -> None:
    good = docs("docx").path.read_bytes()
    bad = tmp_path / "bad.docx"
    bad.write_bytes(good[: len(good) // 2])
    with pytest.raises(EngineError) as info:
        extract_document(str(bad))
    assert info.value.code in (UNSUPPORTED_INPUT, EXTRACTION_FAILED)
    assert "damaged" in info.value.message
    assert "save it again" in info.value.message  # says what to do next, in plain words
    assert "Error" not in info.value.message  # no library exception text


def test_zip_bomb_office_file(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", "<w:document/>")
        with zf.open("word/media/big.bin", "w") as fh:
            chunk = b"\x00" * (1 << 20)
            for _ in range(600):
                fh.write(chunk)
    assert bomb.stat().st_size < 2_000_000
    _fails(bomb, DOCUMENT_TOO_LARGE)


def test_page_limit(monkeypatch: pytest.MonkeyPatch, docs: Docs) -> None:
    from app.engine import PAGE_LIMIT_EXCEEDED, pdf

    monkeypatch.setattr(pdf, "MAX_PAGES", 2)
    _fails(docs("text").path, PAGE_LIMIT_EXCEEDED, "3 pages")
