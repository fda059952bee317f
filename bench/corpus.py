"""Generated test documents with known ground truth, shared by tests/engine and the benchmarks.

Every ``make_*`` function writes one file into a directory and returns a :class:`Truth`
describing what an extractor should find. Generation uses reportlab (PDF), Pillow (images),
python-docx, openpyxl and python-pptx; nothing is downloaded. Content is deterministic
(seeded), so scores are comparable from run to run.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

WORDS = [
    "extraction",
    "engine",
    "document",
    "layout",
    "column",
    "paragraph",
    "heading",
    "table",
    "figure",
    "scan",
    "photo",
    "quality",
    "recall",
    "precision",
    "offline",
    "render",
    "page",
    "text",
    "image",
    "invoice",
    "report",
    "summary",
    "budget",
    "naïve",
    "Zürich",
    "coöperate",
    "café",
    "résumé",
    "über",
    "42",
    "3.5%",
    "1,250",
    "2026",
    "alpha",
    "beta",
    "gamma",
    "delta",
    "measure",
    "result",
    "value",
    "method",
    "sample",
    "analysis",
    "model",
    "system",
    "process",
    "review",
    "market",
    "data",
]

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEJAVU_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@dataclass
class Truth:
    """What a document contains."""

    path: Path
    kind: str
    text: str = ""
    """All body text in reading order (headings included)."""
    headings: list[tuple[int, str]] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    """Each table as rows of cell texts (a spanned cell's text sits at its top-left)."""
    table_kinds: list[str] = field(default_factory=list)
    images: int = 0
    pages: int = 1
    columns: list[str] = field(default_factory=list)
    """For two-column pages: the text of each column, in reading order."""


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def _paragraph(rng: random.Random, sentences: int = 3) -> str:
    return " ".join(_sentence(rng, rng.randint(7, 13)) for _ in range(sentences))


def _fonts() -> tuple[str, str]:
    """Register DejaVu (embedded TrueType subsets) if present, else use Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if Path(DEJAVU).exists() and Path(DEJAVU_BOLD).exists():
        try:
            pdfmetrics.getFont("DejaVu")
        except KeyError:
            pdfmetrics.registerFont(TTFont("DejaVu", DEJAVU))
            pdfmetrics.registerFont(TTFont("DejaVu-Bold", DEJAVU_BOLD))
        return "DejaVu", "DejaVu-Bold"
    return "Helvetica", "Helvetica-Bold"


def _styles() -> dict[str, object]:
    from reportlab.lib.styles import ParagraphStyle

    regular, bold = _fonts()
    return {
        "h1": ParagraphStyle("h1", fontName=bold, fontSize=20, leading=24, spaceAfter=10),
        "h2": ParagraphStyle(
            "h2", fontName=bold, fontSize=14, leading=18, spaceBefore=8, spaceAfter=6
        ),
        "h3": ParagraphStyle(
            "h3", fontName=bold, fontSize=10, leading=13, spaceBefore=6, spaceAfter=3
        ),
        "body": ParagraphStyle("body", fontName=regular, fontSize=10, leading=13, spaceAfter=7),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=9, leading=11),
    }


# --------------------------------------------------------------------------- text PDFs


def make_text_pdf(out: Path, *, pages: int = 3, seed: int = 1, name: str = "text.pdf") -> Truth:
    """Headings (H1 20pt, H2 14pt, H3 bold 10pt) and justified paragraphs, one column."""
    from reportlab.lib.enums import TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    rng = random.Random(seed)
    st = _styles()
    body = st["body"]
    body.alignment = TA_JUSTIFY  # type: ignore[attr-defined]
    story: list[object] = []
    truth = Truth(out / name, "text_pdf", pages=pages)
    texts: list[str] = []
    for p in range(pages):
        h1 = f"Chapter {p + 1} {rng.choice(WORDS).capitalize()} {rng.choice(WORDS)}"
        story.append(Paragraph(h1, st["h1"]))
        truth.headings.append((1, h1))
        texts.append(h1)
        for s in range(2):
            h2 = f"{p + 1}.{s + 1} {rng.choice(WORDS).capitalize()} {rng.choice(WORDS)}"
            story.append(Paragraph(h2, st["h2"]))
            truth.headings.append((2, h2))
            texts.append(h2)
            for _ in range(2):
                para = _paragraph(rng, 3)
                story.append(Paragraph(para, body))
                texts.append(para)
            h3 = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} notes"
            story.append(Paragraph(h3, st["h3"]))
            truth.headings.append((3, h3))
            texts.append(h3)
            para = _paragraph(rng, 2)
            story.append(Paragraph(para, body))
            texts.append(para)
        if p + 1 < pages:
            story.append(PageBreak())
    SimpleDocTemplate(str(truth.path), pagesize=A4).build(story)  # type: ignore[arg-type]
    truth.text = "\n".join(texts)
    return truth


def make_long_text_pdf(out: Path, *, pages: int = 200, seed: int = 7) -> Truth:
    """A long plain text PDF (canvas drawing, fast to generate) for speed runs."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    regular, bold = _fonts()
    rng = random.Random(seed)
    path = out / f"long{pages}.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    texts: list[str] = []
    headings: list[tuple[int, str]] = []
    for p in range(pages):
        y = 800.0
        if p % 10 == 0:
            h = f"Part {p // 10 + 1} {rng.choice(WORDS)}"
            c.setFont(bold, 18)
            c.drawString(72, y, h)
            headings.append((1, h))
            texts.append(h)
            y -= 30
        h = f"Section {p + 1} {rng.choice(WORDS)}"
        c.setFont(bold, 13)
        c.drawString(72, y, h)
        headings.append((2, h))
        texts.append(h)
        y -= 22
        c.setFont(regular, 10)
        while y > 70:
            line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(9, 12)))
            c.drawString(72, y, line)
            texts.append(line)
            y -= 13.5
        c.showPage()
    c.save()
    return Truth(path, "long_pdf", text="\n".join(texts), headings=headings, pages=pages)


def make_two_column_pdf(
    out: Path, *, pages: int = 2, seed: int = 3, reversed_stream: bool = True
) -> Truth:
    """A full-width title, then two columns of ragged text, every word drawn separately
    (no space glyphs, as TeX does). On odd pages the right column is drawn first."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    regular, bold = _fonts()
    rng = random.Random(seed)
    path = out / "twocol.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    width, _ = A4
    texts: list[str] = []
    columns: list[str] = []
    headings: list[tuple[int, str]] = []
    col_w = (width - 72 * 2 - 24) / 2
    for p in range(pages):
        title = f"Study {p + 1} of {rng.choice(WORDS)} {rng.choice(WORDS)}"
        c.setFont(bold, 18)
        c.drawString(72, 790, title)
        headings.append((1, title))
        texts.append(title)
        cols: list[list[list[str]]] = []
        for _ in range(2):
            lines: list[list[str]] = []
            for _ in range(40):
                words: list[str] = []
                while True:
                    w = rng.choice(WORDS)
                    trial = [*words, w]
                    if stringWidth(" ".join(trial), regular, 10) > col_w:
                        break
                    words = trial
                lines.append(words)
            cols.append(lines)
        order = [1, 0] if (reversed_stream and p % 2 == 1) else [0, 1]
        c.setFont(regular, 10)
        space = stringWidth(" ", regular, 10)
        for k in order:
            x0 = 72 + k * (col_w + 24)
            y = 760.0
            for words in cols[k]:
                x = x0
                for w in words:
                    c.drawString(x, y, w)
                    x += stringWidth(w, regular, 10) + space
                y -= 13
        for k in (0, 1):
            col_text = "\n".join(" ".join(ws) for ws in cols[k])
            columns.append(col_text)
            texts.append(col_text)
        c.showPage()
    c.save()
    return Truth(
        path, "twocol_pdf", text="\n".join(texts), headings=headings, pages=pages, columns=columns
    )


# --------------------------------------------------------------------------- tables


def _table_rows(rng: random.Random, n_rows: int, n_cols: int) -> list[list[str]]:
    head = ["Item", "Region", "Units", "Price", "Total", "Note"][:n_cols]
    rows = [head]
    for r in range(n_rows - 1):
        units = rng.randint(1, 900)
        price = rng.randint(100, 9999) / 100
        row = [
            f"{rng.choice(WORDS)} {r + 1}",
            rng.choice(["North", "South", "East", "West", "Zürich"]),
            str(units),
            f"{price:.2f}",
            f"{units * price:,.2f}",
            rng.choice(["ok", "late", "new", "—", "check"]),
        ][:n_cols]
        rows.append(row)
    return rows


def make_tables_pdf(out: Path, *, seed: int = 5) -> Truth:
    """Three pages: a ruled table, a table without rules, a booktabs table (horizontal rules
    only), each under a short paragraph, with a paragraph after it."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

    rng = random.Random(seed)
    st = _styles()
    regular, bold = _fonts()
    story: list[object] = []
    truth = Truth(out / "tables.pdf", "tables_pdf", pages=3)
    texts: list[str] = []
    kinds = [("ruled", 8, 5), ("unruled", 9, 5), ("booktabs", 7, 6)]
    for k, (kind, n_rows, n_cols) in enumerate(kinds):
        intro = f"Table {k + 1} shows the {kind} sales figures. " + _paragraph(rng, 2)
        story.append(Paragraph(intro, st["body"]))
        texts.append(intro)
        story.append(Spacer(1, 10))
        rows = _table_rows(rng, n_rows, n_cols)
        style: list[tuple[object, ...]] = [
            ("FONT", (0, 0), (-1, -1), regular, 9),
            ("FONT", (0, 0), (-1, 0), bold, 9),
            ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
            ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ]
        if kind == "ruled":
            style.append(("GRID", (0, 0), (-1, -1), 0.6, colors.black))
        elif kind == "booktabs":
            style += [
                ("LINEABOVE", (0, 0), (-1, 0), 1.2, colors.black),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, -1), (-1, -1), 1.2, colors.black),
            ]
        story.append(Table(rows, style=style, hAlign="LEFT"))
        truth.tables.append(rows)
        truth.table_kinds.append(kind)
        story.append(Spacer(1, 12))
        after = _paragraph(rng, 2)
        story.append(Paragraph(after, st["body"]))
        texts.append(after)
        if k + 1 < len(kinds):
            story.append(PageBreak())
    SimpleDocTemplate(str(truth.path), pagesize=A4).build(story)  # type: ignore[arg-type]
    truth.text = "\n".join(texts)
    return truth


# --------------------------------------------------------------------------- images


def _picture(w: int, h: int, seed: int, mode: str = "RGB") -> object:
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    img = Image.new("RGB", (w, h), (255, 255, 255))
    d = ImageDraw.Draw(img)
    for _ in range(25):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = x0 + rng.randrange(10, w // 2), y0 + rng.randrange(10, h // 2)
        d.ellipse(
            (x0, y0, x1, y1), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256))
        )
    return img.convert(mode)


def make_images_pdf(out: Path, *, seed: int = 11) -> Truth:
    """Text with three embedded figures (RGB PNG, JPEG, grayscale) and captions."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    regular, bold = _fonts()
    rng = random.Random(seed)
    path = out / "images.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    texts: list[str] = []
    y = 790.0
    c.setFont(bold, 16)
    c.drawString(72, y, "Figures in the report")
    texts.append("Figures in the report")
    specs = [(400, 300, "RGB", "PNG"), (320, 240, "RGB", "JPEG"), (200, 200, "L", "PNG")]
    for k, (w, h, mode, fmt) in enumerate(specs):
        img = _picture(w, h, seed + k, mode)
        buf = io.BytesIO()
        img.save(buf, format=fmt, quality=90)  # type: ignore[attr-defined]
        buf.seek(0)
        dw, dh = w * 0.45, h * 0.45
        y -= 30
        c.setFont(regular, 10)
        line = _sentence(rng, 10)
        c.drawString(72, y, line)
        texts.append(line)
        y -= dh + 10
        c.drawImage(ImageReader(buf), 72, y, dw, dh)
        y -= 16
        cap = f"Figure {k + 1}: {rng.choice(WORDS)} {rng.choice(WORDS)} overview"
        c.drawString(72, y, cap)
        texts.append(cap)
    c.showPage()
    c.save()
    return Truth(path, "images_pdf", text="\n".join(texts), images=len(specs), pages=1)


# --------------------------------------------------------------------------- scans


def _render(pdf: Path, index: int, dpi: int) -> object:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        page = doc[index]
        img = page.render(scale=dpi / 72).to_pil().convert("L")
        page.close()
        return img
    finally:
        doc.close()


def make_scanned_pdf(
    out: Path,
    *,
    dpi: int = 150,
    seed: int = 21,
    pages: int = 1,
    degrade: bool = False,
    stamp: str | None = None,
) -> Truth:
    """A text PDF's pages rendered at ``dpi`` (grayscale, JPEG) and wrapped in a PDF with no
    text layer: what a scanner produces. ``degrade`` adds a 0.6° skew, blur, noise and
    stronger JPEG compression."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    tag = f"{dpi}{'d' if degrade else ''}{'s' if stamp else ''}_{pages}"
    src_dir = out / f"scan_src_{tag}"
    src_dir.mkdir(exist_ok=True)
    src = make_scan_source(src_dir, seed=seed, pages=pages)
    path = out / f"scan{tag}.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    for i in range(pages):
        img = _render(src.path, i, dpi)
        if degrade:
            img = _degrade(img, seed + i)
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=60 if degrade else 75)  # type: ignore[attr-defined]
        buf.seek(0)
        c.drawImage(ImageReader(buf), 0, 0, A4[0], A4[1])
        if stamp:
            c.setFont("Helvetica", 8)
            c.drawString(20, 20, stamp)  # a scanner's text stamp on top of the image
        c.showPage()
    c.save()
    kind = f"scan{dpi}{'_degraded' if degrade else ''}"
    return Truth(path, kind, text=src.text, headings=src.headings, pages=pages)


def _degrade(img: object, seed: int) -> object:
    import numpy as np
    from PIL import Image, ImageFilter

    assert isinstance(img, Image.Image)
    img = img.rotate(0.6, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    arr = np.asarray(img).astype(np.int16)
    rng = np.random.default_rng(seed)
    arr = np.clip(arr + rng.normal(0, 12, arr.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(arr)


def make_scan_source(out: Path, *, seed: int = 21, pages: int = 1) -> Truth:
    """Half a page of 11pt text per page (kept short so OCR runs stay quick)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    rng = random.Random(seed)
    st = _styles()
    body = st["body"]
    body.fontSize = 11  # type: ignore[attr-defined]
    body.leading = 15  # type: ignore[attr-defined]
    story: list[object] = []
    texts: list[str] = []
    headings: list[tuple[int, str]] = []
    for p in range(pages):
        h = f"Scanned report {p + 1}"
        story.append(Paragraph(h, st["h1"]))
        headings.append((1, h))
        texts.append(h)
        for _ in range(3):
            para = _paragraph(rng, 3)
            story.append(Paragraph(para, body))
            texts.append(para)
        if p + 1 < pages:
            story.append(PageBreak())
    path = out / "scan_source.pdf"
    SimpleDocTemplate(str(path), pagesize=A4).build(story)  # type: ignore[arg-type]
    return Truth(path, "scan_source", text="\n".join(texts), headings=headings, pages=pages)


def make_photo(out: Path, *, fmt: str = "JPEG", seed: int = 31, exif_rotate: bool = True) -> Truth:
    """A short text rendered as an image, stored sideways with an EXIF orientation tag (6:
    rotate 90° clockwise to view), as phones do."""
    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(seed)
    lines = [_sentence(rng, 6) for _ in range(5)]
    try:
        font = ImageFont.truetype(DEJAVU, 30)
    except OSError:
        font = ImageFont.load_default()
    img = Image.new("RGB", (1400, 420), (250, 250, 245))
    d = ImageDraw.Draw(img)
    for k, line in enumerate(lines):
        d.text((40, 30 + k * 72), line, fill=(20, 20, 20), font=font)
    ext = "jpg" if fmt == "JPEG" else fmt.lower()
    path = out / f"photo.{ext}"
    if exif_rotate:
        stored = img.transpose(Image.Transpose.ROTATE_90)  # counter-clockwise: sideways
        exif = Image.Exif()
        exif[0x0112] = 6
        stored.save(path, format=fmt, exif=exif.tobytes(), quality=92)
    else:
        img.save(path, format=fmt)
    return Truth(path, f"photo_{ext}", text="\n".join(lines))


# --------------------------------------------------------------------------- office


def make_docx(out: Path, *, seed: int = 41) -> Truth:
    from docx import Document
    from docx.shared import Inches

    rng = random.Random(seed)
    doc = Document()
    texts: list[str] = []
    headings: list[tuple[int, str]] = []
    doc.add_heading("Quarterly review", level=1)
    headings.append((1, "Quarterly review"))
    texts.append("Quarterly review")
    para = _paragraph(rng, 2)
    doc.add_paragraph(para)
    texts.append(para)
    doc.add_heading("Highlights", level=2)
    headings.append((2, "Highlights"))
    texts.append("Highlights")
    items = [_sentence(rng, 5) for _ in range(3)]
    for it in items:
        doc.add_paragraph(it, style="List Bullet")
        texts.append(it)
    rows = _table_rows(rng, 4, 4)
    table = doc.add_table(rows=len(rows), cols=4)
    for r, row in enumerate(rows):
        for c, val in enumerate(row):
            table.cell(r, c).text = val
    doc.add_heading("Pictures", level=2)
    headings.append((2, "Pictures"))
    texts.append("Pictures")
    buf = io.BytesIO()
    _picture(300, 200, seed).save(buf, format="PNG")  # type: ignore[attr-defined]
    buf.seek(0)
    doc.add_picture(buf, width=Inches(2))
    tail = _paragraph(rng, 1)
    doc.add_paragraph(tail)
    texts.append(tail)
    path = out / "report.docx"
    doc.save(str(path))
    return Truth(path, "docx", text="\n".join(texts), headings=headings, tables=[rows], images=1)


def make_xlsx(out: Path) -> Truth:
    """Two sheets; formulas saved with cached values (as Excel does) and one without."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Sales"
    data = [["Region", "Q1", "Q2", "Total"], ["North", 10, 20], ["South", 5, 7.5]]
    for row in data:
        ws.append(row)
    ws["D2"] = "=B2+C2"
    ws["D3"] = "=B3+C3"
    ws["A4"] = "Sum"
    ws["B4"] = "=SUM(B2:B3)"
    ws["C4"] = "=SUM(C2:C3)"
    ws["D4"] = "=SUM(D2:D3)"
    ws2 = wb.create_sheet("Notes")
    ws2["A1"] = "Merged heading"
    ws2.merge_cells("A1:B1")
    ws2["A2"] = "left"
    ws2["B2"] = "right"
    ws2["A3"] = "uncached"
    ws2["B3"] = "=LEN(A2)"
    path = out / "book.xlsx"
    wb.save(str(path))
    cached = {"D2": "30", "D3": "12.5", "B4": "15", "C4": "27.5", "D4": "42.5"}
    _inject_cached_values(path, "xl/worksheets/sheet1.xml", cached)
    sales = [
        ["Region", "Q1", "Q2", "Total"],
        ["North", "10", "20", "30"],
        ["South", "5", "7.5", "12.5"],
        ["Sum", "15", "27.5", "42.5"],
    ]
    notes = [["Merged heading", ""], ["left", "right"], ["uncached", "=LEN(A2)"]]
    return Truth(path, "xlsx", tables=[sales, notes], pages=2)


def _inject_cached_values(path: Path, member: str, values: dict[str, str]) -> None:
    """openpyxl writes formulas without results; add ``<v>`` as a spreadsheet app would."""
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    xml = parts[member].decode("utf-8")
    for ref, val in values.items():
        xml = re.sub(
            rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)(<v\s*/>|<v></v>)?',
            lambda m, v=val: f"{m.group(1)}{m.group(2)}<v>{v}</v>",
            xml,
        )
    parts[member] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in parts.items():
            zf.writestr(n, data)


def make_pptx(out: Path, *, seed: int = 51) -> Truth:
    from pptx import Presentation
    from pptx.util import Inches

    rng = random.Random(seed)
    prs = Presentation()
    texts: list[str] = []
    s = prs.slides.add_slide(prs.slide_layouts[0])
    s.shapes.title.text = "Annual results"  # type: ignore[union-attr]
    s.placeholders[1].text = "Prepared offline"  # type: ignore[attr-defined]
    texts += ["Annual results", "Prepared offline"]
    s = prs.slides.add_slide(prs.slide_layouts[1])
    s.shapes.title.text = "Key points"  # type: ignore[union-attr]
    bullets = [_sentence(rng, 4) for _ in range(3)]
    tf = s.placeholders[1].text_frame  # type: ignore[attr-defined]
    tf.text = bullets[0]
    for b in bullets[1:]:
        tf.add_paragraph().text = b
    s.notes_slide.notes_text_frame.text = "Remember the budget"  # type: ignore[union-attr]
    texts += ["Key points", *bullets, "Remember the budget"]
    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = "Figures"  # type: ignore[union-attr]
    rows = _table_rows(rng, 3, 3)
    shape = s.shapes.add_table(3, 3, Inches(1), Inches(2), Inches(6), Inches(1.5))
    for r, row in enumerate(rows):
        for c, val in enumerate(row):
            shape.table.cell(r, c).text = val
    buf = io.BytesIO()
    _picture(240, 160, seed).save(buf, format="PNG")  # type: ignore[attr-defined]
    buf.seek(0)
    s.shapes.add_picture(buf, Inches(1), Inches(4), Inches(3))
    texts.append("Figures")
    path = out / "deck.pptx"
    prs.save(str(path))
    headings = [(1, "Annual results"), (2, "Key points"), (2, "Figures")]
    return Truth(
        path, "pptx", text="\n".join(texts), headings=headings, tables=[rows], images=1, pages=3
    )


# --------------------------------------------------------------------------- hostile files


def make_encrypted_pdf(out: Path) -> Path:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    path = out / "locked.pdf"
    enc = pdfencrypt.StandardEncryption("secret", ownerPassword="owner", strength=128)
    c = canvas.Canvas(str(path), encrypt=enc)
    c.drawString(72, 720, "You need the password to read this.")
    c.showPage()
    c.save()
    return path


def make_corrupt_pdf(out: Path) -> Path:
    path = out / "corrupt.pdf"
    rng = random.Random(3)
    path.write_bytes(b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(4000)))
    return path


def make_png_bomb(out: Path, side: int = 100_000) -> Path:
    """A PNG whose header claims side x side pixels (the data is never decoded)."""
    import struct
    import zlib

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    path = out / "bomb.png"
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


def make_pdf_image_bomb(out: Path, side: int = 30_000) -> Path:
    """A one-page PDF whose only content is a side x side grey image of zeros (Flate)."""
    import zlib

    comp = zlib.compressobj(9)
    row = b"\x00" * side
    data = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
        % (side, side, len(data))
        + data
        + b"\nendstream",
    ]
    return _write_pdf(out / "imagebomb.pdf", objs)


def make_huge_page_pdf(out: Path) -> Path:
    """A 200 x 200 inch page (PDF's maximum) with a line of text and a drawing."""
    content = b"BT /F1 400 Tf 500 7000 Td (Huge page heading) Tj ET 0 0 m 14400 14400 l S"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return _write_pdf(out / "hugepage.pdf", objs)


def make_blank_pdf(out: Path) -> Path:
    from reportlab.pdfgen import canvas

    path = out / "blank.pdf"
    c = canvas.Canvas(str(path))
    c.showPage()
    c.save()
    return path


def _write_pdf(path: Path, objs: list[bytes]) -> Path:
    body = b"%PDF-1.7\n"
    offsets = []
    for i, o in enumerate(objs, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        body += b"%010d 00000 n \n" % off
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(body)
    return path
