"""The results viewer and the result files: text, tables (TSV, CSV, XLSX), pictures, raw
JSON, find, export, and no remote loads."""

from __future__ import annotations

import base64
import csv
import json
import time
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage

from app.models import DocumentState
from app.results import first_markdown_table
from tests.ui.conftest import WAIT
from ui.result_view import ResultView
from ui.results import ExportItem, export_documents, prepare_result
from ui.rows import Row
from ui.xlsx import NS_MAIN, column_name, sheet_names, write_xlsx


def png_b64(color: str = "#3b82f6", size: int = 40) -> str:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(QColor(color))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return base64.b64encode(bytes(data.data())).decode()


def rich_result(tracker: str) -> dict[str, Any]:
    return {
        "chunks": [
            {
                "chunk_type": "text",
                "page_no": 1,
                "page_content": "Annual figures",
                "heading_level": 1,
            },
            {
                "chunk_type": "text",
                "page_no": 1,
                "page_content": f"Sales grew. ![pixel]({tracker}/pixel.png) "
                f'<img src="{tracker}/html.png"> [site]({tracker}/page)',
            },
            {
                "chunk_type": "table",
                "page_no": 2,
                "n_rows": 3,
                "n_cols": 2,
                "cells": [
                    {"row": 0, "col": 0, "text": "Item"},
                    {"row": 0, "col": 1, "text": "Amount"},
                    {"row": 1, "col": 0, "text": "Tea"},
                    {"row": 1, "col": 1, "text": "3"},
                    {"row": 2, "col": 0, "text": "Bread\tloaf"},
                    {"row": 2, "col": 1, "text": "2.5"},
                ],
                "page_content": "",
            },
            {
                "chunk_type": "table",
                "page_no": 3,
                "page_content": "| City | Zip |\n|---|---|\n| Lyon | 06900 |\n| Paris | 75001 |",
            },
            {
                "chunk_type": "image",
                "page_no": 2,
                "image_b64": png_b64(),
                "image_mime": "image/png",
                "page_content": "A blue square",
            },
            {
                "chunk_type": "image",
                "page_no": 3,
                "image_url": f"{tracker}/remote.webp",
                "image_mime": "image/webp",
            },
        ]
    }


@pytest.fixture
def view(qtbot: Any, qloop: object) -> ResultView:
    widget = ResultView()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def done_row(path: Path, name: str = "figures.pdf") -> Row:
    return Row(
        doc_id="doc_1",
        job_id="job_1",
        name=name,
        path=str(path.parent / name),
        size=1000,
        state=DocumentState.DONE,
        created_at=time.time(),
        result_path=str(path),
    )


def test_the_viewer_shows_everything_and_loads_nothing_remote(
    qtbot: Any, view: ResultView, tmp_path: Path, engine: Any
) -> None:
    tracker = f"{engine.url}/_tracker"
    result_file = tmp_path / "result.json"
    result_file.write_text(json.dumps(rich_result(tracker)))
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.show_row(done_row(result_file))
    text = view.browser.toPlainText()
    assert "Annual figures" in text and "Sales grew." in text
    view.browser.repaint()
    qtbot.wait(50)
    # the tracker pictures were asked for, refused, and never fetched
    assert any("pixel.png" in url for url in view.browser.refused)
    assert f'<img src="{tracker}/html.png">' in text  # raw HTML is shown as text
    assert not [r for r in engine.requests() if "_tracker" in r["path"]]
    # our own picture is shown inline (loaded from the result, not from anywhere)
    assert "extractdesk-image:1" in view.browser.images
    # tables
    assert view.table_choice.count() == 2
    assert view.table_choice.itemText(0) == "Table 1 · page 2 · 3 × 2"
    assert view.table_model.index(1, 0).data() == "Tea"
    view.copy_table()
    assert QGuiApplication.clipboard().text() == "Item\tAmount\nTea\t3\nBread loaf\t2.5"
    view.table_choice.setCurrentIndex(1)
    assert view.table_model.grid() == [["City", "Zip"], ["Lyon", "06900"], ["Paris", "75001"]]
    # pictures: one thumbnail; the one left online is mentioned, not fetched
    assert view.image_list.count() == 1
    assert "not downloaded: 1 more pictures" in view.image_note.text()
    image = view.current_image()
    assert image is not None and image.page == 2
    saved = tmp_path / "picture.png"
    view.save_image(image, saved)
    assert saved.read_bytes().startswith(b"\x89PNG")
    # raw
    assert view.json_model.rowCount() == 1
    assert view.tabs.tabText(view.TABLES) == "Tables (2)"


def test_find_in_the_text(qtbot: Any, view: ResultView, tmp_path: Path) -> None:
    result_file = tmp_path / "result.json"
    result_file.write_text(
        json.dumps({"chunks": [{"chunk_type": "text", "page_content": "alpha beta gamma beta"}]})
    )
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.show_row(done_row(result_file))
    assert view.show_find()
    assert view.find_bar.isVisible()
    qtbot.keyClicks(view.find_bar.field, "beta")
    assert view.browser.textCursor().selectedText() == "beta"
    first = view.browser.textCursor().position()
    qtbot.keyClick(view.find_bar.field, Qt.Key.Key_Return)
    assert view.browser.textCursor().position() > first
    view.find_bar.field.setText("omega")
    assert view.find_bar.status.text() == "Not found"
    qtbot.keyClick(view.find_bar, Qt.Key.Key_Escape)
    assert not view.find_bar.isVisible()


def test_rows_without_a_result_explain_why(view: ResultView, tmp_path: Path) -> None:
    row = done_row(tmp_path / "none.json")
    row.state = DocumentState.FAILED
    row.error = "The file is empty."
    view.show_row(row)
    assert view.stack.currentWidget() is view.placeholder
    assert "The file is empty." in view.placeholder.text()
    row.state = DocumentState.PROCESSING
    view.show_row(row)
    assert "Not finished yet (Extracting)" in view.placeholder.text()
    view.show_row(None)
    assert "Select a finished document" in view.placeholder.text()


def test_a_damaged_result_file_says_so(qtbot: Any, view: ResultView, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    view.show_row(done_row(broken))
    qtbot.waitUntil(lambda: "could not be opened" in view.placeholder.text(), timeout=WAIT)


def test_xlsx_is_a_valid_workbook_with_the_right_sheet_xml(tmp_path: Path) -> None:
    grid = [["Item", "Amount", "Note"], ["Tea", "3", "<hot> & \x01sweet"], ["Zip", "06900", ""]]
    path = write_xlsx(tmp_path / "tables.xlsx", [("Table 1 · page 2", grid), ("Table/2", [["x"]])])
    assert zipfile.is_zipfile(path)
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        assert {
            "[Content_Types].xml",
            "_rels/.rels",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/styles.xml",
            "xl/worksheets/sheet1.xml",
            "xl/worksheets/sheet2.xml",
        } <= names
        for name in names:
            ElementTree.fromstring(zf.read(name))  # every part is well-formed XML
        workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        sheets = [s.get("name") for s in workbook.iter(f"{{{NS_MAIN}}}sheet")]
        assert sheets == ["Table 1 · page 2", "Table 2"]
        sheet = ElementTree.fromstring(zf.read("xl/worksheets/sheet1.xml"))
    ns = {"m": NS_MAIN}
    cells = {c.get("r"): c for c in sheet.iterfind(".//m:c", ns)}
    assert cells["A1"].get("t") == "inlineStr" and cells["A1"].get("s") == "1"  # bold header
    assert cells["A1"].findtext("m:is/m:t", namespaces=ns) == "Item"
    assert cells["B2"].get("t") is None and cells["B2"].findtext("m:v", namespaces=ns) == "3"
    assert cells["C2"].findtext("m:is/m:t", namespaces=ns) == "<hot> & sweet"
    assert cells["B3"].findtext("m:is/m:t", namespaces=ns) == "06900"  # leading zero kept
    assert "C3" not in cells  # empty cells are left out


def test_xlsx_helpers() -> None:
    assert [column_name(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    assert sheet_names(["a" * 40, "a" * 40, "x:y"]) == ["a" * 31, "a" * 27 + " (2)", "x y"]


def test_markdown_tables_and_other_services_results() -> None:
    assert first_markdown_table("| a | b |\n|:---|---:|\n| 1 | 2 \\| 3 |") == [
        ["a", "b"],
        ["1", "2 | 3"],
    ]
    assert first_markdown_table("no table here") == []
    # a Claude answer (Anthropic's shape): Markdown text, a table in it, and fields
    claude = {
        "custom_id": "doc_1",
        "result": {
            "type": "succeeded",
            "message": {
                "content": [
                    {
                        "type": "text",
                        "text": "# Invoice\n\n| Item | Price |\n|---|---|\n| Tea | 3 |",
                    },
                    {"type": "tool_use", "name": "record_fields", "input": {"total": 3}},
                ]
            },
        },
    }
    loaded = prepare_result(claude, "anthropic")
    assert loaded.markdown.startswith("# Invoice")
    assert "- **total**: 3" in loaded.markdown  # fields are listed after the text
    assert [t.grid for t in loaded.tables] == [[["Item", "Price"], ["Tea", "3"]]]


def test_export_writes_a_csv_per_table(tmp_path: Path) -> None:
    result = tmp_path / "r.json"
    result.write_text(json.dumps(rich_result("https://example.invalid")))
    missing = ExportItem("gone.pdf", str(tmp_path / "gone.json"))
    report = export_documents([ExportItem("Figures.pdf", str(result)), missing], tmp_path / "out")
    out = tmp_path / "out"
    assert report.documents == 1 and report.failed and report.failed[0][0] == "gone.pdf"
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "Figures-table-1.csv",
        "Figures-table-2.csv",
        "Figures.json",
        "Figures.md",
        "Figures_images",
    ]
    with (out / "Figures-table-2.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh)) == [["City", "Zip"], ["Lyon", "06900"], ["Paris", "75001"]]
    assert (out / "Figures-table-1.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # for Excel
    assert "![A blue square](Figures_images/page2-image1.png)" in (out / "Figures.md").read_text()


def test_saving_tables_from_the_viewer(qtbot: Any, view: ResultView, tmp_path: Path) -> None:
    result_file = tmp_path / "result.json"
    result_file.write_text(json.dumps(rich_result("https://example.invalid")))
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.show_row(done_row(result_file))
    view.save_table_csv(tmp_path / "t.csv")
    view.save_tables_xlsx(tmp_path / "t.xlsx")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8-sig").startswith("Item,Amount")
    with zipfile.ZipFile(tmp_path / "t.xlsx") as zf:
        assert "xl/worksheets/sheet2.xml" in zf.namelist()
