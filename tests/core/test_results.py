"""Every service's answer becomes the same readable result: Markdown, tables, images, fields."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from app import doctypes
from app.export import write_document
from app.results import markdown_tables, normalise

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_extract_page_chunks_give_headings_tables_and_images(tmp_path: Path) -> None:
    raw = {
        "chunks": [
            {"chunk_type": "text", "page_no": 1, "page_content": "Report", "heading_level": 1},
            {"chunk_type": "text", "page_no": 1, "page_content": "Some words."},
            {
                "chunk_type": "table",
                "page_no": 2,
                "page_content": "",
                "n_rows": 2,
                "n_cols": 2,
                "cells": [
                    {"text": "a", "row": 0, "col": 0},
                    {"text": "b", "row": 0, "col": 1},
                    {"text": "1", "row": 1, "col": 0},
                    {"text": "2", "row": 1, "col": 1},
                ],
            },
            {
                "chunk_type": "image",
                "page_no": 2,
                "page_content": "Figure 1",
                "image_b64": base64.b64encode(PNG).decode(),
                "image_mime": "image/png",
            },
            {"chunk_type": "image", "page_no": 3, "image_url": "https://cdn.example/x.webp"},
        ]
    }
    result = normalise("extract-page", raw, image_link=lambda i: f"img/{i.number}.png")
    assert result.markdown.startswith("# Report\n\nSome words.")
    assert "| a | b |" in result.markdown and "![Figure 1](img/1.png)" in result.markdown
    assert [t.grid for t in result.tables] == [[["a", "b"], ["1", "2"]]]
    assert result.images[0].data == PNG and result.images[0].page == 2
    assert result.remote_images == 1  # left where it is: never fetched

    written = write_document(raw, tmp_path, "report", tables_csv=True)
    assert written.images[0].read_bytes() == PNG
    assert written.tables[0].read_bytes().decode("utf-8-sig") == "a,b\r\n1,2\r\n"
    assert json.loads(written.json.read_text()) == raw


def test_anthropic_text_blocks_and_fields() -> None:
    raw = {
        "custom_id": "doc_1",
        "result": {
            "type": "succeeded",
            "message": {
                "content": [
                    {
                        "type": "text",
                        "text": "# Invoice 7\n\n| item | price |\n|---|---|\n| tea | 3 |",
                    },
                    {
                        "type": "tool_use",
                        "name": "record_fields",
                        "input": {"total": 3, "paid": None},
                    },
                ]
            },
        },
    }
    result = normalise("anthropic", raw)
    assert result.markdown.startswith("# Invoice 7")
    assert result.tables[0].grid == [["item", "price"], ["tea", "3"]]
    assert result.fields == {"total": 3, "paid": None}


def test_anesya_content_fields_and_fetched_images(tmp_path: Path) -> None:
    raw = {
        "extraction": {
            "content": "Invoice On 25/11/2024",
            "status": "FINISHED",
            "extracted_data": {"number": "F-12"},
        },
        "images": [
            {
                "name": "_page_0_Picture_1.png",
                "mime": "image/png",
                "b64": base64.b64encode(PNG).decode(),
            }
        ],
    }
    result = normalise("anesya", raw)
    assert result.markdown == "Invoice On 25/11/2024\n"
    assert result.fields == {"number": "F-12"}
    assert result.images[0].data == PNG
    written = write_document(raw, tmp_path, "inv", provider="anesya")
    text = written.markdown.read_text()
    assert "## Fields" in text and "**number**: F-12" in text
    assert written.images and "inv_images/" in text


def test_olostep_markdown_and_json_content() -> None:
    raw = {
        "markdown_content": "# Page\n\nHello.",
        "json_content": '{"title": "Page"}',
        "size_exceeded": False,
    }
    result = normalise("olostep", raw)
    assert result.markdown == "# Page\n\nHello.\n"
    assert result.fields == {"title": "Page"}


def test_markdown_tables_are_found_and_unescaped() -> None:
    text = "intro\n\n| a | b \\| c |\n| --- | :---: |\n| 1 | 2 |\n\nafter\n|x|\n|---|\n|y|\n"
    assert markdown_tables(text) == [[["a", "b | c"], ["1", "2"]], [["x"], ["y"]]]


def test_links_are_read_from_arguments_and_lists(tmp_path: Path) -> None:
    listing = tmp_path / "links.csv"
    listing.write_text(
        "name,url\nA,https://a.example/x?y=1\nB,http://b.example/\ndup,https://a.example/x?y=1\n"
    )
    empty = tmp_path / "none.txt"
    empty.write_text("no links here")
    sources = doctypes.collect_sources(
        ["https://c.example/page", listing, empty], accepts_urls=True
    )
    assert sources.urls == [
        "https://c.example/page",
        "https://a.example/x?y=1",
        "http://b.example/",
    ]
    assert sources.skipped == [(str(empty), "has no web addresses in it")]
    files_only = doctypes.collect_sources([listing], accepts_urls=False)
    assert files_only.files == [listing] and not files_only.urls
