"""DOCX, XLSX and PPTX."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.engine import extract_document
from bench.scoring import cell_accuracy, heading_recall, recall_precision, text_of

Docs = Callable[[str], Any]


def test_docx(docs: Docs) -> None:
    truth = docs("docx")
    out = extract_document(str(truth.path))
    chunks = out.result["chunks"]
    assert heading_recall(truth.headings, out.result) == 1.0
    recall, _ = recall_precision(truth.text, text_of(out.result))
    assert recall == 1.0
    bullets = [c for c in chunks if c["page_content"].startswith("- ")]
    assert len(bullets) == 3
    tables = [c for c in chunks if c["chunk_type"] == "table"]
    assert len(tables) == 1
    assert cell_accuracy(truth.tables[0], tables[0]) == 1.0
    images = [c for c in chunks if c["chunk_type"] == "image"]
    assert len(images) == 1
    assert images[0]["image_width"] == 300
    order = [c["chunk_type"] for c in chunks]
    assert order.index("table") < order.index("image")


def test_xlsx_cached_formula_values_and_merges(docs: Docs) -> None:
    truth = docs("xlsx")
    out = extract_document(str(truth.path))
    assert out.page_count == 2
    tables = [c for c in out.result["chunks"] if c["chunk_type"] == "table"]
    assert len(tables) == 2
    assert cell_accuracy(truth.tables[0], tables[0]) == 1.0
    assert cell_accuracy(truth.tables[1], tables[1]) == 1.0
    merged = next(c for c in tables[1]["cells"] if c["text"] == "Merged heading")
    assert merged["col_span"] == 2
    headings = [c["page_content"] for c in out.result["chunks"] if c.get("heading_level")]
    assert headings == ["Sales", "Notes"]


def test_pptx(docs: Docs) -> None:
    truth = docs("pptx")
    out = extract_document(str(truth.path))
    assert out.page_count == 3
    assert heading_recall(truth.headings, out.result) == 1.0
    recall, _ = recall_precision(truth.text, text_of(out.result))
    assert recall == 1.0
    tables = [c for c in out.result["chunks"] if c["chunk_type"] == "table"]
    assert len(tables) == 1
    assert cell_accuracy(truth.tables[0], tables[0]) == 1.0
    images = [c for c in out.result["chunks"] if c["chunk_type"] == "image"]
    assert len(images) == 1
    assert images[0]["page_no"] == 3
    bullets = next(c for c in out.result["chunks"] if c["page_content"].startswith("- "))
    assert bullets["page_content"].count("\n- ") == 2
