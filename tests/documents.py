"""Small real documents made on the fly for tests (reportlab PDFs)."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def make_pdf(path: Path, pages: list[str], *, title: str | None = None) -> Path:
    """A text PDF with one string per page (lines split on newlines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=True)
    if title:
        pdf.setTitle(title)
    for text in pages:
        y = 780.0
        for line in text.splitlines() or [""]:
            pdf.setFont("Helvetica", 11)
            pdf.drawString(72, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return path


def make_pdfs(folder: Path, count: int, prefix: str = "doc") -> list[Path]:
    return [
        make_pdf(
            folder / f"{prefix}{i:03d}.pdf",
            [f"Document {prefix}{i:03d} says hello", f"Second page of {prefix}{i:03d}"],
        )
        for i in range(count)
    ]
