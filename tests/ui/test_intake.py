"""Getting documents in: drops (files, then a folder), paste, pickers, duplicates, the
drop target and its highlight. Everything runs against the real local server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from app.models import DocumentState
from tests.documents import make_pdf, make_pdfs
from tests.ui.conftest import (
    WAIT,
    WindowFactory,
    all_in,
    drag_event,
    drop,
    mime_for,
    states,
    wait_states,
)
from ui import dialogs
from ui.main_window import MainWindow

DONE = DocumentState.DONE


def test_drop_files_then_a_folder_runs_them_and_shows_the_text(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    assert window.list_stack.currentWidget() is window.drop_area  # the empty state
    first = make_pdfs(tmp_path / "loose", 2, prefix="loose")
    assert drop(window.drop_area, mime_for(first)) == (True, True)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=WAIT)
    assert window.list_stack.currentIndex() == 1  # the table replaced the drop target

    folder = tmp_path / "folder"
    make_pdfs(folder / "sub", 2, prefix="nested")
    (folder / "notes.txt").write_text("not a document")
    assert drop(window.table.viewport(), mime_for([folder])) == (True, True)
    wait_states(qtbot, window, all_in(DONE, 4))
    assert sorted(states(window)) == [
        "loose000.pdf",
        "loose001.pdf",
        "nested000.pdf",
        "nested001.pdf",
    ]
    # the skipped file is listed, with the reason
    skipped = [m for m in window.messages if "skipped" in m[1]]
    assert skipped and "notes.txt" in skipped[-1][2] and "not a document type" in skipped[-1][2]

    # selecting a finished row shows its text
    assert window.select_doc(window.model.rows()[0].doc_id)
    view = window.result_view
    qtbot.waitUntil(lambda: view.result is not None, timeout=WAIT)
    assert "Document loose000 says hello" in view.browser.toPlainText()
    assert view.stack.currentWidget() is view.tabs
    # counts reach the status bar and the title
    assert "4 done" in window.counts_label.text()
    assert window.windowTitle() == "Extractdesk"


def test_drag_highlight_and_rejecting_what_is_not_a_file(qtbot: Any, window: MainWindow) -> None:
    text = QMimeData()
    text.setText("hello")
    assert drop(window, text) == (False, False)
    assert not window.drag_highlighted

    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent

    mime = mime_for([Path("/tmp/whatever.pdf")])
    enter = drag_event(QDragEnterEvent, QPoint(20, 20), mime)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted() and window.drag_highlighted
    QApplication.sendEvent(window, QDragLeaveEvent())
    assert not window.drag_highlighted


def test_ctrl_v_pastes_copied_files_and_paths(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    files = make_pdfs(tmp_path, 2, prefix="pasted")
    mime = mime_for(files[:1])
    QGuiApplication.clipboard().setMimeData(mime)
    window.activateWindow()
    window.table.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    # a copied path as text, and a web address that cannot be used
    QGuiApplication.clipboard().setText(f"{files[1]}\nhttps://example.com/x.pdf")
    window.act_paste.trigger()
    wait_states(qtbot, window, all_in(DONE, 2))
    assert any("web address" in m[2] for m in window.messages)
    # an empty clipboard says what to do
    QGuiApplication.clipboard().clear()
    window.act_paste.trigger()
    assert "Copy files in your file manager" in window.messages[-1][1]


def test_the_same_content_twice_is_flagged_not_sent(
    qtbot: Any, window: MainWindow, tmp_path: Path, engine: Any
) -> None:
    original = make_pdf(tmp_path / "a.pdf", ["same words"])
    window.add_paths([original])
    wait_states(qtbot, window, {"a.pdf": DONE})
    copy = tmp_path / "copy of a.pdf"
    copy.write_bytes(original.read_bytes())
    engine.clear_requests()
    window.add_paths([copy])
    wait_states(qtbot, window, {"copy of a.pdf": DocumentState.DUPLICATE})
    row = next(r for r in window.model.rows() if r.name == "copy of a.pdf")
    assert "Same content as “a.pdf”" in row.error
    from ui.rows import Column

    number = window.model.row_number(row.doc_id)
    assert number is not None
    assert window.model.index(number, Column.ERROR).data() == row.error
    assert window.model.index(number, Column.STATE).data() == "Already in the list"
    assert not [r for r in engine.requests() if r["method"] == "PUT"]  # never sent


def test_pickers_and_command_line_files_queue_documents(
    qtbot: Any, make_window: WindowFactory, tmp_path: Path, monkeypatch: Any
) -> None:
    chosen = make_pdfs(tmp_path / "picked", 1, prefix="picked")
    folder = tmp_path / "picked-folder"
    make_pdfs(folder, 1, prefix="infolder")
    monkeypatch.setattr(dialogs, "choose_files", lambda parent, start, done: done(chosen))
    monkeypatch.setattr(dialogs, "choose_folder", lambda parent, title, start, done: done(folder))
    argv_file = make_pdf(tmp_path / "argv.pdf", ["from the command line"])
    window = make_window(start=False)
    window.start_up([argv_file])
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    window.drop_area.add_folder_button.click()
    wait_states(qtbot, window, all_in(DONE, 3))
    assert sorted(states(window)) == ["argv.pdf", "infolder000.pdf", "picked000.pdf"]


def test_start_button_when_not_starting_automatically(
    qtbot: Any, make_window: WindowFactory, tmp_path: Path
) -> None:
    from app.settings import Settings

    window = make_window(Settings(start_automatically=False))
    files = make_pdfs(tmp_path, 2, prefix="later")
    window.add_paths(files)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=WAIT)
    assert window.act_start.isVisible() and window.act_start.isEnabled()
    assert all(s is DocumentState.QUEUED for s in states(window).values())
    assert [j.status for j in window.journal.jobs()] == ["waiting"]
    window.act_start.trigger()
    wait_states(qtbot, window, all_in(DONE, 2))
    assert not window.act_start.isVisible()


def test_web_addresses_go_to_services_that_read_them(
    qtbot: Any, make_window: WindowFactory, tmp_path: Path
) -> None:
    from app import credentials
    from app.settings import Settings

    window = make_window()  # the local engine reads files, not web pages
    web = QMimeData()
    web.setUrls([QUrl("https://example.com/report.html")])
    assert drop(window, web) == (True, True)
    qtbot.waitUntil(lambda: any("Nothing was added" in m[1] for m in window.messages))
    assert "a web address" in window.messages[-1][2]
    assert window.model.rowCount() == 0

    credentials.set_key("olostep", "test-key-123456")
    reader = make_window(Settings(provider="olostep", start_automatically=False))
    links = tmp_path / "links.txt"
    links.write_text("https://example.com/a\nsee https://example.com/b, thanks\n")
    QGuiApplication.clipboard().setText("https://example.com/c")
    reader.act_paste.trigger()
    reader.add_paths([links])
    qtbot.waitUntil(lambda: reader.model.rowCount() == 3, timeout=WAIT)
    assert sorted(states(reader)) == [
        "https://example.com/a",
        "https://example.com/b",
        "https://example.com/c",
    ]
