"""Scans and photos through OCR (RapidOCR, models from the wheel)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.engine import extract_document
from bench.scoring import cer, heading_recall, text_of

Docs = Callable[[str], Any]


@pytest.mark.parametrize(("name", "limit"), [("scan300", 0.03), ("scan150", 0.06)])
def test_scanned_pdf_is_read_by_ocr(docs: Docs, name: str, limit: float) -> None:
    truth = docs(name)
    out = extract_document(str(truth.path))
    assert out.page_count == 1
    texts = [c for c in out.result["chunks"] if c["chunk_type"] == "text"]
    assert texts
    for c in texts:
        assert 0.0 <= c["confidence"] <= 1.0
        assert all(0.0 <= v <= 1.0 for v in c["line_confidences"])
    assert cer(truth.text, text_of(out.result)) <= limit
    assert heading_recall(truth.headings, out.result) == 1.0
    # the scan itself is not returned as a figure
    assert not [c for c in out.result["chunks"] if c["chunk_type"] == "image"]


def test_scan_with_a_text_stamp_is_still_ocrd(docs: Docs) -> None:
    truth = docs("scan_stamped")
    out = extract_document(str(truth.path))
    got = text_of(out.result)
    assert cer(truth.text, got.replace("Scanned 2026-11-22", "")) <= 0.06
    assert "2026-11-22" in got


def test_photo_with_exif_rotation(docs: Docs) -> None:
    truth = docs("photo_jpeg")
    out = extract_document(str(truth.path), filename="photo.jpg")
    assert cer(truth.text, text_of(out.result)) <= 0.05
    # upright: boxes are wider than tall, in the rotated (viewing) frame of 1400 x 420
    for c in out.result["chunks"]:
        _x0, _y0, x1, y1 = c["bbox"]
        assert x1 <= 1401
        assert y1 <= 421


def test_png(docs: Docs) -> None:
    truth = docs("photo_png")
    out = extract_document(str(truth.path))
    assert cer(truth.text, text_of(out.result)) <= 0.05


def test_telemetry_is_disabled_and_ocr_is_lazy(docs: Docs) -> None:
    import subprocess

    text_pdf = docs("text").path
    photo = docs("photo_png").path
    code = (
        "import os, sys; from app.engine import extract_document; "
        f"extract_document({str(text_pdf)!r}); "
        "print(sorted(m for m in ('onnxruntime', 'rapidocr', 'cv2', 'pdfplumber', 'docx') "
        "if m in sys.modules)); "
        f"extract_document({str(photo)!r}); "
        "print('onnxruntime' in sys.modules, os.environ.get('ORT_DISABLE_TELEMETRY'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert res.stdout.splitlines() == ["[]", "True 1"]


def test_multipage_tiff_and_webp(docs: Docs, tmp_path: Path) -> None:
    from PIL import Image

    truth = docs("photo_png")
    img = Image.open(truth.path).convert("RGB")
    tiff = tmp_path / "two.tiff"
    img.save(tiff, save_all=True, append_images=[img.rotate(0)])
    calls: list[tuple[int, int]] = []
    out = extract_document(str(tiff), progress=lambda d, n: calls.append((d, n)))
    assert out.page_count == 2
    assert calls == [(1, 2), (2, 2)]
    assert {c["page_no"] for c in out.result["chunks"]} == {1, 2}
    webp = tmp_path / "photo.webp"
    img.save(webp, format="WEBP", quality=95)
    out = extract_document(str(webp))
    assert cer(truth.text, text_of(out.result)) <= 0.05


def test_image_without_text_is_reported(tmp_path: Path) -> None:
    from PIL import Image

    from app.engine import EXTRACTION_FAILED, EngineError

    blank = tmp_path / "blank.png"
    Image.new("RGB", (640, 480), (255, 255, 255)).save(blank)
    with pytest.raises(EngineError) as info:
        extract_document(str(blank))
    assert info.value.code == EXTRACTION_FAILED
    assert "no text could be found" in info.value.message
