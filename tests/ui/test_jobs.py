"""What happens to documents once they are in: reasons for failures, cancel, retry,
remove, export, and closing with work in progress (kept jobs resume at the next start)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from app import paths
from app.journal import Journal
from app.models import DocumentState
from tests.documents import make_pdf, make_pdfs
from tests.ui.conftest import WAIT, WindowFactory, all_in, states, wait_states
from ui import dialogs
from ui.main_window import MainWindow
from ui.rows import Column

DONE = DocumentState.DONE
FAILED = DocumentState.FAILED
CANCELLED = DocumentState.CANCELLED


def select(window: MainWindow, names: list[str]) -> None:
    selection = window.table.selectionModel()
    selection.clearSelection()
    for row in window.model.rows():
        if row.name in names:
            number = window.model.row_number(row.doc_id)
            assert number is not None
            index = window.proxy.mapFromSource(window.model.index(number, 0))
            selection.select(
                index,
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )
            selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)


def cell(window: MainWindow, name: str, column: Column) -> Any:
    row = next(r for r in window.model.rows() if r.name == name)
    number = window.model.row_number(row.doc_id)
    assert number is not None
    return window.model.index(number, column).data()


def test_a_failure_shows_the_reason_in_the_row_and_in_the_viewer(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n this is not really a pdf at all \n")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    good = make_pdf(tmp_path / "good.pdf", ["fine"])
    window.add_paths([corrupt, empty, good])
    wait_states(qtbot, window, {"corrupt.pdf": FAILED, "empty.pdf": FAILED, "good.pdf": DONE})
    reason = cell(window, "corrupt.pdf", Column.ERROR)
    assert "Extraction failed" in reason  # the local server's words
    assert "is empty" in cell(window, "empty.pdf", Column.ERROR)
    assert cell(window, "good.pdf", Column.ERROR) == ""
    assert "2 failed" in window.counts_label.text()
    assert window.act_retry_failed.isEnabled()
    select(window, ["corrupt.pdf"])
    assert "Extraction failed" in window.result_view.placeholder.text()
    assert "Retry" in window.result_view.placeholder.text()
    window.act_copy_error.trigger()
    assert "corrupt.pdf: " in QGuiApplication.clipboard().text()
    qtbot.waitUntil(
        lambda: any("failed: see the Problem column" in m[1] for m in window.messages),
        timeout=WAIT,
    )


def test_service_errors_reach_the_row_in_words(
    qtbot: Any, window: MainWindow, tmp_path: Path, engine: Any
) -> None:
    # the server keeps answering "too many requests" (with no wait asked, to stay quick)
    engine.faults(
        {"method": "POST", "path": "/v1/files", "fault": "429", "retry_after": 0, "times": 100}
    )
    files = make_pdfs(tmp_path, 1, prefix="refused")
    window.add_paths(files)
    wait_states(qtbot, window, {"refused000.pdf": FAILED}, timeout=60_000)
    reason = cell(window, "refused000.pdf", Column.ERROR)
    assert "not answering properly" in reason and "429" in reason
    tip = window.model.index(0, Column.ERROR).data(Qt.ItemDataRole.ToolTipRole)
    assert "Details:" in tip and "HTTP 429" in tip


def test_cancel_all_then_retry_in_place(
    qtbot: Any, window: MainWindow, tmp_path: Path, engine: Any
) -> None:
    engine.hold(True)
    files = make_pdfs(tmp_path, 3, prefix="held")
    window.add_paths(files)
    wait_states(qtbot, window, all_in(DocumentState.SUBMITTED, 3))
    assert window.act_cancel_all.isEnabled()
    assert window.windowTitle() == "Extractdesk — 0 of 3 done"
    window.act_cancel_all.trigger()
    wait_states(qtbot, window, all_in(CANCELLED, 3))
    engine.hold(False)
    ids = [r.doc_id for r in window.model.rows()]
    select(window, ["held000.pdf", "held001.pdf", "held002.pdf"])
    window.act_retry.trigger()
    wait_states(qtbot, window, all_in(DONE, 3))
    assert [r.doc_id for r in window.model.rows()] == ids  # the same rows, retried in place


def test_cancel_one_document_from_its_context_menu(
    qtbot: Any, window: MainWindow, tmp_path: Path, engine: Any
) -> None:
    engine.faults({"method": "PUT", "path": "/.*", "fault": "slow", "delay": 20, "times": 1})
    files = make_pdfs(tmp_path, 2, prefix="slow")
    window.add_paths(files[:1])
    wait_states(qtbot, window, {"slow000.pdf": DocumentState.UPLOADING})
    window.add_paths(files[1:])
    select(window, ["slow000.pdf"])
    window._context_menu(QPoint(5, 5))
    menu = window.context_menu
    assert window.act_cancel.isEnabled() and not window.act_retry.isEnabled()
    assert window.act_cancel in menu.actions()
    window.act_cancel.trigger()
    menu.close()
    wait_states(qtbot, window, {"slow000.pdf": CANCELLED, "slow001.pdf": DONE})
    # F5 retries failed documents only; the cancelled one is retried from its menu
    select(window, ["slow000.pdf"])
    window._context_menu(QPoint(5, 5))
    assert window.act_retry.isEnabled()
    window.context_menu.close()


def test_f5_retries_failed_documents(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    later = tmp_path / "later.pdf"
    window.add_paths([later])  # does not exist yet
    wait_states(qtbot, window, {"later.pdf": FAILED})
    assert "no longer exists" in cell(window, "later.pdf", Column.ERROR)
    make_pdf(later, ["now it exists"])
    qtbot.keyClick(window, Qt.Key.Key_F5)
    wait_states(qtbot, window, {"later.pdf": DONE})
    assert cell(window, "later.pdf", Column.ERROR) == ""


def test_delete_removes_finished_and_waiting_documents(
    qtbot: Any, make_window: WindowFactory, tmp_path: Path
) -> None:
    from app.settings import Settings

    window = make_window(Settings(start_automatically=False))
    files = make_pdfs(tmp_path, 3, prefix="del")
    window.add_paths(files)
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=WAIT)
    select(window, ["del000.pdf"])
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=WAIT)
    assert sorted(states(window)) == ["del001.pdf", "del002.pdf"]
    assert len(Journal(paths.journal_path()).documents()) == 2
    window.act_start.trigger()
    wait_states(qtbot, window, all_in(DONE, 2))
    window.act_clear_finished.trigger()
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=WAIT)
    assert window.list_stack.currentWidget() is window.drop_area


def test_export_writes_markdown_json_and_opens_the_folder(
    qtbot: Any, make_window: WindowFactory, tmp_path: Path, monkeypatch: Any
) -> None:
    window = make_window()
    files = [make_pdf(tmp_path / "in" / "report.pdf", ["Quarterly report", "page two"])]
    files.append(make_pdf(tmp_path / "in2" / "report.pdf", ["Another report with the same name"]))
    window.add_paths(files)
    wait_states(qtbot, window, lambda s: len(window.model.ids_in([DONE])) == 2)
    out = tmp_path / "out"
    monkeypatch.setattr(dialogs, "choose_folder", lambda parent, title, start, done: done(out))
    window.act_export_all.trigger()
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=WAIT)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["report-2.json", "report-2.md", "report.json", "report.md"]
    assert "Quarterly report" in (out / "report.md").read_text()
    assert json.loads((out / "report.json").read_text())["chunks"]
    assert window.last_export is not None and window.last_export.documents == 2
    assert [u.toLocalFile() for u in make_window.opened] == [str(out)]


def test_closing_with_running_jobs_keeps_them_for_the_next_start(
    qtbot: Any, make_window: WindowFactory, tmp_path: Path, engine: Any
) -> None:
    engine.hold(True)
    first = make_window()
    files = make_pdfs(tmp_path, 3, prefix="kept")
    first.add_paths(files)
    wait_states(qtbot, first, all_in(DocumentState.SUBMITTED, 3))
    first.close()
    qtbot.waitUntil(lambda: first.close_question is not None, timeout=WAIT)
    box = first.close_question
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "3 documents are still being processed" in box.text()
    assert first.isVisible()  # nothing closed yet: the question is not modal exec()
    with qtbot.waitSignal(first.shutdownFinished, timeout=WAIT):
        first.close_buttons["keep"].click()
    assert not first.isVisible()
    journal = Journal(paths.journal_path())
    assert all(d.state is DocumentState.SUBMITTED for d in journal.documents())
    assert [j.status for j in journal.jobs()] == ["active"]
    journal.close()

    engine.hold(False)
    second = make_window()  # the next start, on the same data folder
    assert second.model.rowCount() == 3
    wait_states(qtbot, second, all_in(DONE, 3))
    assert any("Continuing 3 documents" in m[1] for m in second.messages)


def test_closing_and_cancelling_running_jobs(
    qtbot: Any, make_window: WindowFactory, tmp_path: Path, engine: Any
) -> None:
    engine.hold(True)
    window = make_window()
    window.add_paths(make_pdfs(tmp_path, 2, prefix="stop"))
    wait_states(qtbot, window, all_in(DocumentState.SUBMITTED, 2))
    window.close()
    qtbot.waitUntil(lambda: window.close_question is not None, timeout=WAIT)
    window.close_buttons["stay"].click()
    qtbot.waitUntil(lambda: window.close_question is None)
    assert window.isVisible() and not window._closing
    window.close()
    qtbot.waitUntil(lambda: window.close_question is not None, timeout=WAIT)
    with qtbot.waitSignal(window.shutdownFinished, timeout=WAIT):
        window.close_buttons["cancel"].click()
    journal = Journal(paths.journal_path())
    assert all(d.state is CANCELLED for d in journal.documents())
    assert [j.status for j in journal.jobs()] == ["cancelled"]
    journal.close()
    assert window.engine is not None and window.engine.stopped == 1  # type: ignore[attr-defined]


def test_closing_when_idle_needs_no_question(qtbot: Any, window: MainWindow) -> None:
    with qtbot.waitSignal(window.shutdownFinished, timeout=WAIT):
        window.close()
    assert window.close_question is None
    state = (paths.config_dir() / "window.ini").read_text()
    assert "geometry" in state and "splitter" in state
