"""Every model passes pytest-qt's model tester; the jobs model batches its signals."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSortFilterProxyModel, Qt

from app.journal import Journal
from app.models import DocumentEvent, DocumentState, ErrorCode, Failure, JobEvent
from ui.jobs_model import Column, JobsModel, JobsProxy, Role, StateFilter, merge_ranges
from ui.result_view import JsonTreeModel, TableGridModel


@pytest.fixture
def journal(tmp_path: Path) -> Any:
    j = Journal(tmp_path / "journal.sqlite3")
    yield j
    j.close()


def make_job(journal: Journal, tmp_path: Path, count: int) -> tuple[str, list[str]]:
    paths = [tmp_path / f"doc{i:04d}.pdf" for i in range(count)]
    job_id = journal.create_job("local", paths)
    return job_id, [d.id for d in journal.documents(job_id)]


def busy_model(journal: Journal, tmp_path: Path) -> tuple[JobsModel, list[str]]:
    model = JobsModel(journal)
    job_id, ids = make_job(journal, tmp_path, 6)
    for doc_id in ids:
        model.on_event(DocumentEvent(job_id, doc_id, DocumentState.QUEUED))
    model.flush()
    model.on_event(DocumentEvent(job_id, ids[0], DocumentState.UPLOADING, 50, 200))
    model.on_event(
        DocumentEvent(job_id, ids[1], DocumentState.PROCESSING, pages_done=1, page_count=4)
    )
    model.on_event(
        DocumentEvent(
            job_id, ids[2], DocumentState.FAILED, failure=Failure(ErrorCode.FILE_EMPTY, "Empty")
        )
    )
    model.on_event(DocumentEvent(job_id, ids[3], DocumentState.SUBMITTED))
    model.flush()
    return model, ids


def test_jobs_model_passes_the_model_tester(
    qtmodeltester: Any, journal: Journal, tmp_path: Path
) -> None:
    """One tester per model (a tester keeps watching the model it checked): this one
    watches the jobs model through events, inserts and removals."""
    model = JobsModel(journal)
    qtmodeltester.check(model, force_py=True)
    job_id, ids = make_job(journal, tmp_path, 6)
    for doc_id in ids:
        model.on_event(DocumentEvent(job_id, doc_id, DocumentState.QUEUED))
    model.flush()
    assert model.rowCount() == 6
    model.on_event(DocumentEvent(job_id, ids[0], DocumentState.UPLOADING, 50, 200))
    model.on_event(DocumentEvent(job_id, ids[5], DocumentState.DONE))
    model.flush()
    model.remove_ids([ids[1], ids[2], ids[4]])
    assert [r.doc_id for r in model.rows()] == [ids[0], ids[3], ids[5]]
    qtmodeltester.check(model, force_py=True)


def test_jobs_proxy_passes_the_model_tester(
    qtmodeltester: Any, journal: Journal, tmp_path: Path
) -> None:
    model, ids = busy_model(journal, tmp_path)
    proxy = JobsProxy()
    proxy.setSourceModel(model)
    proxy.sort(Column.STATE, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(proxy, force_py=True)
    proxy.set_state_filter(StateFilter.ACTIVE)
    model.remove_ids(ids[4:])
    proxy.set_text_filter("doc000")
    assert proxy.rowCount() == 3


def test_cells_say_it_in_words(journal: Journal, tmp_path: Path) -> None:
    model = JobsModel(journal)
    job_id, ids = make_job(journal, tmp_path, 3)
    model.add_records(journal.documents(job_id))
    model.on_event(DocumentEvent(job_id, ids[0], DocumentState.UPLOADING, 512, 2048))
    model.on_event(
        DocumentEvent(job_id, ids[1], DocumentState.PROCESSING, 0, 0, pages_done=2, page_count=5)
    )
    model.on_event(
        DocumentEvent(
            job_id,
            ids[2],
            DocumentState.FAILED,
            failure=Failure(ErrorCode.AUTH, "The key was rejected: open Settings.", "HTTP 401"),
        )
    )
    model.flush()

    def at(row: int, column: Column, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return model.index(row, column).data(role)

    assert at(0, Column.NAME) == "doc0000.pdf"
    assert at(0, Column.SIZE) == "2.0 KB"
    assert at(0, Column.STATE) == "Uploading"
    assert at(0, Column.PROGRESS) == "25 %"
    assert at(0, Column.PROGRESS, Role.PROGRESS) == 0.25
    assert at(1, Column.PROGRESS) == "page 2 of 5"
    assert at(1, Column.PAGES) == "5"
    assert at(2, Column.STATE) == "Failed"
    assert at(2, Column.ERROR) == "The key was rejected: open Settings."
    assert "HTTP 401" in at(2, Column.ERROR, Qt.ItemDataRole.ToolTipRole)
    assert at(2, Column.PROGRESS, Role.PROGRESS) is None
    assert not at(0, Column.STATE, Qt.ItemDataRole.DecorationRole).isNull()
    assert at(0, Column.ELAPSED)  # "0 s": it started
    assert model.headerData(Column.ERROR, Qt.Orientation.Horizontal) == "Problem"

    # a service that reports its steps, not pages (Anesya): its words fill the progress bar
    model.on_event(
        DocumentEvent(job_id, ids[0], DocumentState.PROCESSING, notice="Reading the document")
    )
    model.flush()
    assert at(0, Column.PROGRESS) == "Reading the document"


def test_events_are_batched_into_one_signal_per_changed_range(
    qtbot: Any, journal: Journal, tmp_path: Path
) -> None:
    model = JobsModel(journal)
    job_id, ids = make_job(journal, tmp_path, 1000)
    changed: list[tuple[int, int]] = []
    inserted: list[tuple[int, int]] = []
    model.dataChanged.connect(  # whole rows (the once-a-second "Time" tick is separate)
        lambda top, bottom, roles=(): (
            top.column() == 0 and changed.append((top.row(), bottom.row()))
        )
    )
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    for doc_id in ids:  # start_job emits one event per document
        model.on_event(DocumentEvent(job_id, doc_id, DocumentState.QUEUED))
    assert model.rowCount() == 0  # nothing emitted from inside the event sink
    model.flush()
    assert inserted == [(0, 999)]  # one insert for the whole job
    # 50 uploads with 20 chunks each: 1,000 events
    for chunk in range(1, 21):
        for doc_id in ids[:50]:
            model.on_event(DocumentEvent(job_id, doc_id, DocumentState.UPLOADING, chunk, 20))
    assert changed == []
    model.flush()
    assert changed == [(0, 49)]  # one signal for the range
    changed.clear()
    for doc_id in (ids[3], ids[4], ids[900]):
        model.on_event(DocumentEvent(job_id, doc_id, DocumentState.SUBMITTED))
    model.flush()
    assert changed == [(3, 4), (900, 900)]
    # the timer flushes by itself, about every 200 ms
    changed.clear()
    model.on_event(DocumentEvent(job_id, ids[10], DocumentState.PROCESSING))
    qtbot.waitUntil(lambda: (10, 10) in changed, timeout=2000)


def test_job_events_become_signals(qtbot: Any, journal: Journal) -> None:
    model = JobsModel(journal)
    with qtbot.waitSignal(model.notice) as notice:
        model.on_event(JobEvent("job_x", notice="Rate limited: retrying in 4 s"))
    assert notice.args == ["Rate limited: retrying in 4 s"]
    with qtbot.waitSignal(model.jobFinished) as finished:
        model.on_event(JobEvent("job_x", finished=True))
    assert finished.args == ["job_x"]


def test_proxy_filters_by_state_and_name_and_sorts_by_state(
    journal: Journal, tmp_path: Path
) -> None:
    model = JobsModel(journal)
    job_id, ids = make_job(journal, tmp_path, 4)
    model.add_records(journal.documents(job_id))
    model.on_event(DocumentEvent(job_id, ids[0], DocumentState.DONE))
    model.on_event(DocumentEvent(job_id, ids[1], DocumentState.FAILED))
    model.on_event(DocumentEvent(job_id, ids[2], DocumentState.UPLOADING))
    model.flush()
    proxy = JobsProxy()
    proxy.setSourceModel(model)

    def names() -> list[str]:
        return [proxy.index(r, 0).data() for r in range(proxy.rowCount())]

    proxy.set_state_filter(StateFilter.FAILED)
    assert names() == ["doc0001.pdf"]
    proxy.set_state_filter(StateFilter.ACTIVE)
    assert names() == ["doc0002.pdf", "doc0003.pdf"]
    proxy.set_state_filter(StateFilter.ALL)
    proxy.set_text_filter("0003")
    assert names() == ["doc0003.pdf"]
    proxy.set_text_filter("")
    proxy.sort(Column.STATE, Qt.SortOrder.AscendingOrder)
    assert names() == ["doc0003.pdf", "doc0002.pdf", "doc0000.pdf", "doc0001.pdf"]
    # a state change re-sorts (dynamic sort)
    model.on_event(DocumentEvent(job_id, ids[3], DocumentState.CANCELLED))
    model.flush()
    assert names()[-1] == "doc0003.pdf"
    assert isinstance(proxy, QSortFilterProxyModel)


def test_merge_ranges() -> None:
    assert merge_ranges([1, 2, 3, 7, 8]) == [(1, 3), (7, 8)]
    assert merge_ranges([1, 5, 40], gap=32) == [(1, 5), (40, 40)]
    assert merge_ranges([]) == []


def test_elapsed_time_ticks_for_active_rows_only(
    qtbot: Any, journal: Journal, tmp_path: Path
) -> None:
    model = JobsModel(journal)
    job_id, ids = make_job(journal, tmp_path, 3)
    model.add_records(journal.documents(job_id))
    model.on_event(DocumentEvent(job_id, ids[1], DocumentState.PROCESSING))
    model.flush()
    row = model.row_for(ids[1])
    assert row is not None
    row.started_at = time.time() - 75
    ticks: list[tuple[int, int, int]] = []
    model.dataChanged.connect(
        lambda top, bottom, roles=(): ticks.append((top.row(), bottom.row(), top.column()))
    )
    qtbot.waitUntil(lambda: (1, 1, Column.ELAPSED) in ticks, timeout=3000)
    assert model.index(1, Column.ELAPSED).data() in ("1:15", "1:16", "1:17")
    assert model.index(0, Column.ELAPSED).data() == ""  # still waiting


def test_table_and_json_models_pass_the_model_tester(qtmodeltester: Any) -> None:
    grid = TableGridModel()
    qtmodeltester.check(grid, force_py=True)
    grid.set_grid([["Name", "Amount"], ["Tea", "3"], ["Bread"]])
    qtmodeltester.check(grid, force_py=True)
    assert grid.headerData(1, Qt.Orientation.Horizontal) == "B"
    assert grid.index(2, 1).data() == ""
    tree = JsonTreeModel()
    qtmodeltester.check(tree, force_py=True)
    tree.set_data(
        {
            "chunks": [
                {"chunk_type": "text", "page_no": 1, "page_content": "x" * 500},
                {"chunk_type": "table", "cells": [{"row": 0, "col": 0, "text": "a"}]},
            ],
            "usage": {"pages": 1, "billed": True, "ratio": 0.5, "missing": None},
            "empty": [],
        }
    )
    qtmodeltester.check(tree, force_py=True)
    chunks = tree.index(0, 0)
    assert chunks.data() == "chunks" and tree.rowCount(chunks) == 2
    first = tree.index(0, 0, chunks)
    assert first.data() == "[0]"
    text = tree.index(2, 1, first)
    assert text.data().endswith("(500 characters)")
    assert tree.index(0, 2).data() == "list"
    assert not tree.hasChildren(tree.index(2, 0))  # an empty list
