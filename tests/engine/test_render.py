"""The one Markdown renderer, for local and cloud results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.engine import extract_document
from app.render import result_to_markdown

Docs = Callable[[str], Any]


def test_local_result_markdown(docs: Docs) -> None:
    truth = docs("text")
    md = result_to_markdown(extract_document(str(truth.path)).result)
    for level, text in truth.headings:
        assert f"\n{'#' * level} {text}\n" in f"\n{md}"
    assert "\n\n" in md


def test_tables_and_images(docs: Docs) -> None:
    res = extract_document(str(docs("images").path)).result
    md = result_to_markdown(res, image_ref=lambda i, c: f"images/img {i}.png")
    assert "![Figure 1: " in md
    assert "(images/img%20" in md
    md2 = result_to_markdown(res)
    assert "*[Image: Figure 1: " in md2
    tables = result_to_markdown(extract_document(str(docs("tables").path)).result)
    assert "| Item | Region | Units | Price | Total |\n|---|---|---|---|---|" in tables


def test_cloud_shaped_result_without_extensions() -> None:
    cloud = {
        "chunks": [
            {"chunk_type": "text", "page_no": 1, "page_content": "Plain paragraph"},
            {
                "chunk_type": "table",
                "page_no": 1,
                "page_content": "<table><tr><td>x</td></tr></table>",
            },
            {
                "chunk_type": "table",
                "cells": [
                    {"text": "a", "row": 0, "col": 0, "row_span": 1, "col_span": 2},
                    {"text": "b|c", "row": 1, "col": 1},
                ],
            },
            {
                "chunk_type": "image",
                "image_url": "https://example.invalid/x.webp",
                "page_content": "",
            },
            {"chunk_type": "image", "image_b64": "AAAA"},
            {"chunk_type": "kv", "page_content": "Total: 42", "confidence": 87},
            {"chunk_type": "text", "page_content": ""},
            "junk",
        ]
    }
    md = result_to_markdown(cloud)
    assert md.startswith("Plain paragraph\n\n<table>")
    assert "| a |  |\n|---|---|\n|  | b\\|c |" in md
    assert "![image](https://example.invalid/x.webp)" in md
    assert "*[Image]*" in md
    assert md.rstrip().endswith("Total: 42")
    assert result_to_markdown({}) == ""
    assert result_to_markdown({"chunks": None}) == ""


def test_render_does_not_import_the_engine() -> None:
    import ast
    from pathlib import Path

    import app.render

    tree = ast.parse(Path(app.render.__file__).read_text())
    names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [n for n in names if n.startswith("app.engine")]


def test_grid_helpers() -> None:
    from app.render import cells_to_grid, cells_to_markdown

    chunk = {
        "chunk_type": "table",
        "n_rows": 2,
        "n_cols": 2,
        "cells": [
            {"text": "h", "row": 0, "col": 0, "row_span": 1, "col_span": 2},
            {"text": "x", "row": 1, "col": 1},
        ],
    }
    assert cells_to_grid(chunk) == [["h", ""], ["", "x"]]
    assert cells_to_markdown(chunk) == "| h |  |\n|---|---|\n|  | x |"
    assert cells_to_markdown({"cells": None}) == ""
