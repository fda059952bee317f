"""The PDF text layer: words, headings, reading order, tables, figures, options."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

from PIL import Image

from app.engine import extract_document
from bench.scoring import (
    best_table,
    cell_accuracy,
    heading_recall,
    in_order,
    norm,
    recall_precision,
    text_of,
)

Docs = Callable[[str], Any]


def test_text_pdf_words_and_headings(docs: Docs) -> None:
    truth = docs("text")
    calls: list[tuple[int, int]] = []
    out = extract_document(str(truth.path), progress=lambda d, n: calls.append((d, n)))
    assert out.page_count == truth.pages == out.result["page_count"]
    assert calls == [(i, truth.pages) for i in range(1, truth.pages + 1)]
    recall, precision = recall_precision(truth.text, text_of(out.result))
    assert recall >= 0.99
    assert precision >= 0.99
    assert heading_recall(truth.headings, out.result) == 1.0
    # paragraphs are merged from lines: far fewer chunks than lines
    texts = [c for c in out.result["chunks"] if c["chunk_type"] == "text"]
    assert len(texts) == len(truth.text.splitlines())
    for c in texts:
        assert c["page_no"] >= 1
        x0, y0, x1, y1 = c["bbox"]
        assert 0 <= x0 < x1 <= 596
        assert 0 <= y0 < y1 <= 842


def test_two_columns_read_column_by_column(docs: Docs) -> None:
    truth = docs("twocol")
    out = extract_document(str(truth.path))
    text = text_of(out.result)
    # page 2 draws its right column first in the content stream
    assert in_order(text, truth.columns)
    assert heading_recall(truth.headings, out.result) == 1.0
    left = [c for c in out.result["chunks"] if c["page_no"] == 1 and c["bbox"][0] < 200]
    assert left
    assert all(c["bbox"][2] < 300 for c in left if not c.get("heading_level"))


def test_tables_ruled_unruled_and_booktabs(docs: Docs) -> None:
    truth = docs("tables")
    out = extract_document(str(truth.path))
    tables = [c for c in out.result["chunks"] if c["chunk_type"] == "table"]
    assert len(tables) == 3
    for rows, kind in zip(truth.tables, truth.table_kinds, strict=True):
        chunk = best_table(rows, out.result)
        assert chunk is not None
        assert cell_accuracy(rows, chunk) == 1.0, kind
        assert chunk["n_rows"] == len(rows)
        assert chunk["n_cols"] == len(rows[0])
        assert chunk["page_content"].startswith("| Item | Region |")
        assert all(
            {"row", "col", "row_span", "col_span", "text", "bbox"} <= set(c) for c in chunk["cells"]
        )
    # the paragraphs around the tables are text; cell text is not repeated as loose text
    loose = text_of(out.result)
    recall, _ = recall_precision(truth.text, loose)
    assert recall >= 0.99
    for rows in truth.tables:
        for row in rows[1:]:
            assert norm(" ".join(row[:3])) not in norm(loose)
    # each table sits between its intro and its closing paragraph
    kinds = [c["chunk_type"] for c in out.result["chunks"]]
    assert kinds == ["text", "table", "text"] * 3


def test_embedded_images_with_captions(docs: Docs) -> None:
    truth = docs("images")
    out = extract_document(str(truth.path))
    images = [c for c in out.result["chunks"] if c["chunk_type"] == "image"]
    assert len(images) == truth.images
    sizes = [(c["image_width"], c["image_height"]) for c in images]
    assert sizes == [(400, 300), (320, 240), (200, 200)]
    assert [c["image_mime"] for c in images] == ["image/png", "image/jpeg", "image/png"]
    for k, c in enumerate(images, start=1):
        img = Image.open(io.BytesIO(base64.b64decode(c["image_b64"])))
        assert img.size == (c["image_width"], c["image_height"])
        assert c["page_content"].startswith(f"Figure {k}:")
        x0, y0, x1, y1 = c["bbox"]
        assert x1 - x0 > 50
        assert y1 - y0 > 50
    recall, _ = recall_precision(truth.text, text_of(out.result))
    assert recall >= 0.99


def test_options_text_and_images(docs: Docs) -> None:
    truth = docs("images")
    only_text = extract_document(str(truth.path), extract_images=False)
    assert {c["chunk_type"] for c in only_text.result["chunks"]} == {"text"}
    only_images = extract_document(str(truth.path), extract_text=False)
    assert {c["chunk_type"] for c in only_images.result["chunks"]} == {"image"}


def test_table_detection_can_be_switched_off(docs: Docs) -> None:
    from app.engine.pdf import extract_pdf

    truth = docs("tables")
    out = extract_pdf(str(truth.path), detect_tables=False)
    assert not [c for c in out.result["chunks"] if c["chunk_type"] == "table"]
    recall, _ = recall_precision(truth.text, text_of(out.result))
    assert recall >= 0.99


def test_split_table_is_joined_across_pages() -> None:
    from app.engine.pdf import merge_split_tables

    def table(page: int, rows: list[list[str]]) -> dict[str, Any]:
        from app.engine.chunks import table_chunk

        cells = [(r, c, 1, 1, v, None) for r, row in enumerate(rows) for c, v in enumerate(row)]
        return table_chunk(page, [72, 100, 400, 300], len(rows), 2, cells)

    chunks = [
        table(1, [["A", "B"], ["1", "2"]]),
        {"chunk_type": "text", "page_no": 1, "bbox": [0, 0, 1, 1], "page_content": "1"},
        table(2, [["A", "B"], ["3", "4"]]),
    ]
    out = merge_split_tables(chunks)
    tables = [c for c in out if c["chunk_type"] == "table"]
    assert len(tables) == 1
    assert tables[0]["n_rows"] == 3
    assert tables[0]["merged_from_pages"] == [1, 2]
    assert "| 3 | 4 |" in tables[0]["page_content"]
