"""How long does a 10,000-file folder take to appear in the table?

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui_table.py [--files 10000]

Measured side by side in one run, from "a folder was dropped" to "the rows are in the
table and painted":

* baseline: the same folder walk (doctypes.collect_sources), then one QStandardItemModel
  row per file (7 items) shown in a bare QTableView;
* ours: MainWindow.add_paths([folder]): the walk in a worker thread, the job journaled in
  SQLite (documents, batches, idempotency keys), the pipeline's 10,000 events adapted by
  JobsModel, one insert through the sort/filter proxy into the table.

Documents are not sent ("Start automatically" off), so only the intake is timed.
Target: ours ≤ 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="extractdesk-bench-table-"))
for _name in ("DATA", "CONFIG", "LOG"):
    os.environ[f"EXTRACTDESK_{_name}_DIR"] = str(WORK / _name.lower())

from PySide6.QtGui import QStandardItem, QStandardItemModel  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402

from app import doctypes, paths  # noqa: E402
from app.journal import Journal  # noqa: E402
from app.settings import Settings  # noqa: E402

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def make_folder(count: int) -> Path:
    folder = WORK / "inbox"
    for i in range(count):
        sub = folder / f"box{i // 500:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"scan{i:05d}.pdf").write_bytes(PDF)
    return folder


def baseline(folder: Path, app: QApplication) -> float:
    started = time.perf_counter()
    sources = doctypes.collect_sources([folder], accepts_urls=False)
    model = QStandardItemModel(0, 7)
    view = QTableView()
    view.setModel(model)
    view.show()
    for path in sources.files:
        model.appendRow(
            [
                QStandardItem(path.name),
                QStandardItem(""),
                QStandardItem(""),
                QStandardItem("Waiting"),
                QStandardItem(""),
                QStandardItem(""),
                QStandardItem(""),
            ]
        )
    app.processEvents()
    view.viewport().repaint()
    elapsed = time.perf_counter() - started
    assert model.rowCount() == len(sources.files)
    view.close()
    view.deleteLater()
    return elapsed


async def ours(folder: Path, count: int, app: QApplication) -> float:
    from ui.main_window import MainWindow, Services

    journal = Journal(WORK / f"journal-{time.monotonic_ns()}.sqlite3")
    window = MainWindow(
        Services(
            journal=journal,
            results_dir=paths.results_dir(),
            engine=None,
            settings=Settings(start_automatically=False),
        )
    )
    window.show()
    window.start_up()
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    window.add_paths([folder])
    while window.proxy.rowCount() < count:
        await asyncio.sleep(0.001)
    app.processEvents()
    window.table.viewport().repaint()
    elapsed = time.perf_counter() - started
    await window._shutdown(cancel=False)
    window.deleteLater()
    journal.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = make_folder(args.files)
    from ui.app import make_application

    app = make_application()
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    base_times, our_times = [], []
    with loop:
        for _ in range(args.runs):
            base_times.append(baseline(folder, app))
            our_times.append(loop.run_until_complete(ours(folder, args.files, app)))
    base, mine = statistics.median(base_times), statistics.median(our_times)
    sys.stdout.write(
        f"adding {args.files:,} files (a folder of PDFs) to the table, median of {args.runs}:\n"
        f"  baseline: walk + bare QStandardItemModel   {base * 1000:7.0f} ms  "
        f"{[round(t * 1000) for t in base_times]}\n"
        f"  ours: walk + journal + JobsModel + proxy   {mine * 1000:7.0f} ms  "
        f"{[round(t * 1000) for t in our_times]}\n"
        f"  ratio ours/baseline                        {mine / base:7.2f}×\n"
        f"target: ours ≤ 1 s → {'PASS' if mine <= 1.0 else 'FAIL'}\n"
    )
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
