"""Take the README screenshots of the real window on a real X server (Xvfb).

    Xvfb :99 -screen 0 1400x900x24 -nolisten tcp &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb .venv/bin/python docs/make_screenshots.py [--dark]

Writes docs/screenshot-empty.png, docs/screenshot-running.png and
docs/screenshot-results.png (``-dark`` before ``.png`` with --dark), captured with
ImageMagick's ``import`` from the X server. The documents are made here (reportlab) and
extracted by the real local server; nothing is staged by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="extractdesk-shots-"))
for name in ("DATA", "CONFIG", "LOG"):
    os.environ[f"EXTRACTDESK_{name}_DIR"] = str(WORK / name.lower())

from PySide6.QtCore import QSize, Qt  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from app import paths  # noqa: E402
from app.journal import Journal  # noqa: E402
from app.models import DocumentState  # noqa: E402
from app.pipeline import PipelineConfig  # noqa: E402
from app.server.launcher import LocalServer  # noqa: E402
from app.settings import Settings  # noqa: E402
from tests.local_server import ServerControl  # noqa: E402

IMPORT = "/usr/bin/import"


def write_pdf(path: Path, pages: list[list[tuple[int, str]]]) -> Path:
    """Each page is a list of (font size, line); 18+ is a title, 14 a heading."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=True)
    for lines in pages:
        y = 780.0
        for size, text in lines:
            pdf.setFont("Helvetica-Bold" if size >= 14 else "Helvetica", size)
            pdf.drawString(72, y, text)
            y -= size * 1.6
        pdf.showPage()
    pdf.save()
    return path


def body(*lines: str) -> list[tuple[int, str]]:
    return [(11, line) for line in lines]


def make_documents(folder: Path) -> dict[str, Path]:
    docs = {
        "report": write_pdf(
            folder / "Annual report 2025.pdf",
            [
                [
                    (20, "Annual report 2025"),
                    (11, ""),
                    *body(
                        "The cooperative closed the year with 1,240 members, up 12% on 2024.",
                        "Sales of fresh produce rose for the third year running, and the new",
                        "bakery counter paid for itself within eight months.",
                    ),
                    (11, ""),
                    (14, "Highlights"),
                    *body(
                        "- Opened the second shop in the old station building.",
                        "- Cut food waste by a third with the evening discount shelf.",
                        "- Switched all deliveries to the electric van.",
                    ),
                ],
                [
                    (14, "Finances"),
                    (11, ""),
                    *body(
                        "Revenue reached 2.4 million euros. The surplus of 86,000 euros goes",
                        "to the building fund, as the members decided at the spring meeting.",
                    ),
                ],
                [
                    (14, "Next year"),
                    (11, ""),
                    *body("We plan a community kitchen and longer opening hours on Saturdays."),
                ],
            ],
        ),
        "invoice": write_pdf(
            folder / "Invoice 1043.pdf",
            [[(18, "Invoice 1043"), *body("Green Valley Farm", "Apples, 40 kg: 96.00 EUR")]],
        ),
        "notes": write_pdf(
            folder / "Meeting notes - March.pdf",
            [[(18, "Meeting notes"), *body("Present: Ana, Tom, Priya", "Decided: new rota.")]],
        ),
        "minutes": write_pdf(
            folder / "Board minutes.pdf",
            [[(18, "Board minutes"), *body("The board approved the budget.")]] * 3,
        ),
        "lease": write_pdf(
            folder / "Lease agreement.pdf",
            [[(18, "Lease agreement"), *body(f"Clause {i}.")] for i in range(1, 9)],
        ),
        "catalogue": write_pdf(
            folder / "Product catalogue.pdf",
            [
                [(16, f"Catalogue page {i}"), *body("Seasonal vegetables and fruit.") * 30]
                for i in range(1, 1991)
            ],
        ),
    }
    receipt = folder / "Scan of receipt.pdf"
    receipt.write_bytes(b"%PDF-1.4\n% a damaged scan that is not really a PDF\n")
    docs["receipt"] = receipt
    photos = write_pdf(folder / "Site photos.pdf", [[(18, "Site photos")]])
    with photos.open("ab") as fh:  # bulk after %%EOF keeps the PDF valid
        fh.write(b"%" + b"x" * (24 * 1024 * 1024))
    docs["photos"] = photos
    return docs


class ServerEngine:
    def __init__(self, control: ServerControl) -> None:
        self.control = control

    async def ensure_started(self) -> tuple[str, str]:
        return self.control.url, self.control.api_key

    def stop(self) -> None:
        pass


def dark_palette() -> QPalette:
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#202124",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#17181a",
        QPalette.ColorRole.AlternateBase: "#25272a",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.Button: "#2d2f33",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.Highlight: "#3b82f6",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: "#9aa0a6",
        QPalette.ColorRole.ToolTipBase: "#2d2f33",
        QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.Mid: "#5f6368",
        QPalette.ColorRole.Dark: "#111214",
        QPalette.ColorRole.Light: "#3c4043",
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    disabled = QPalette.ColorGroup.Disabled
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(disabled, role, QColor("#6b6f75"))
    return palette


async def shoot(window: object, path: Path) -> None:
    await asyncio.sleep(0.4)  # let the last repaint reach the X server
    wid = str(int(window.winId()))  # type: ignore[attr-defined]
    await asyncio.to_thread(subprocess.run, [IMPORT, "-window", wid, str(path)], check=True)
    sys.stdout.write(f"wrote {path.relative_to(ROOT)}\n")


async def until(condition, limit: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window never reached the state to photograph")
        await asyncio.sleep(0.05)


async def scenario(window, control: ServerControl, docs: dict[str, Path], suffix: str) -> None:  # type: ignore[no-untyped-def]
    from ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    out = ROOT / "docs"
    window.start_up()
    await shoot(window, out / f"screenshot-empty{suffix}.png")

    def by_name() -> dict[str, DocumentState]:
        window.model.flush()
        return {r.name: r.state for r in window.model.rows()}

    window.add_paths([docs["report"], docs["invoice"], docs["notes"], docs["receipt"]])
    await until(lambda: len(by_name()) == 4 and all(s.terminal for s in by_name().values()))
    # the next ones: a long catalogue, a big upload held back, two waiting for a worker
    control.faults({"method": "PUT", "path": "/.*", "fault": "slow", "delay": 60, "times": 1})
    window.add_paths([docs["photos"]])
    await until(lambda: by_name().get("Site photos.pdf") is DocumentState.UPLOADING)
    window.add_paths([docs["catalogue"]])

    def catalogue_busy() -> bool:
        row = next((r for r in window.model.rows() if r.name == "Product catalogue.pdf"), None)
        if os.environ.get("SHOTS_DEBUG") and row:
            sys.stderr.write(f"{row.state} {row.pages_done}/{row.page_count}\n")
        return bool(row and row.state is DocumentState.PROCESSING and row.page_count)

    await until(catalogue_busy)
    control.hold(True)  # the workers take nothing new: the next two wait on the server
    window.add_paths([docs["lease"], docs["minutes"]])
    await until(lambda: by_name().get("Board minutes.pdf") is DocumentState.SUBMITTED)
    window.select_doc(
        next(r.doc_id for r in window.model.rows() if r.name == "Scan of receipt.pdf")
    )
    await shoot(window, out / f"screenshot-running{suffix}.png")

    control.hold(False)
    control.clear_faults()
    window.select_doc(next(r.doc_id for r in window.model.rows() if r.name == "Site photos.pdf"))
    window.cancel_selected()
    await until(lambda: all(s.terminal for s in by_name().values()), limit=300)
    window.select_doc(next(r.doc_id for r in window.model.rows() if r.name.startswith("Annual")))
    await until(lambda: window.result_view.result is not None)
    await shoot(window, out / f"screenshot-results{suffix}.png")
    await window._shutdown(cancel=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dark", action="store_true", help="use a dark palette")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        sys.stderr.write("Run this under Xvfb (DISPLAY is not set).\n")
        return 2
    server = LocalServer(WORK / "server", test_mode=True, workers=2)
    server.start()
    control = ServerControl(server)
    try:
        docs = make_documents(WORK / "Documents")
        from ui.app import make_application

        app = make_application()
        if args.dark:
            app.setStyle("Fusion")
            app.setPalette(dark_palette())
        import qasync

        from ui.main_window import MainWindow, Services

        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        services = Services(
            journal=Journal(paths.journal_path()),
            results_dir=paths.results_dir(),
            engine=ServerEngine(control),
            settings=Settings(),
            pipeline_config=PipelineConfig(poll_initial=0.2, poll_max=0.5, upload_concurrency=4),
        )
        window = MainWindow(services)
        window.resize(QSize(1280, 800))
        window.move(0, 0)
        window.show()
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, False)
        suffix = "-dark" if args.dark else ""
        with loop:
            loop.run_until_complete(scenario(window, control, docs, suffix))
        services.journal.close()
    finally:
        control.close()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
