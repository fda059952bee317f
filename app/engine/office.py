"""DOCX, XLSX and PPTX with python-docx, openpyxl and python-pptx (all MIT, pure Python).

* DOCX: paragraphs in body order with ``Heading N``/``Title`` styles as heading levels, list
  paragraphs as ``- `` items, tables with merged cells, inline pictures. DOCX has no pages
  until it is laid out, so ``page_no`` counts explicit page breaks; ``bbox`` is all zeros.
* XLSX: every sheet is a heading plus one table (trimmed to the used range, merged cells as
  spans). Formula cells show their cached value; a formula saved without one (files written
  by tools other than Excel) shows its formula text. ``page_no`` is the sheet number.
* PPTX: every slide is a page; the title becomes a heading, text frames paragraphs or list
  items, tables and pictures their chunks, speaker notes a final ``Notes:`` paragraph.
  ``bbox`` is the shape's position in points.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from typing import Any

from app.engine import (
    DOCUMENT_TOO_LARGE,
    EXTRACTION_FAILED,
    PAGE_LIMIT_EXCEEDED,
    UNSUPPORTED_INPUT,
    EngineError,
    Extraction,
    ProgressCallback,
    imaging,
)
from app.engine import chunks as ch

MAX_UNCOMPRESSED = 512 * 1024 * 1024
"""Zip bombs: the sum of the parts' uncompressed sizes we accept."""
MAX_RATIO = 250
MAX_CELLS = 2_000_000
MAX_SLIDES = 2000
ZERO = (0.0, 0.0, 0.0, 0.0)
EMU_PER_PT = 12700


DAMAGED_PACKAGE = (
    "The file is damaged: it is not a complete Office document. Open it in Word, Excel or "
    "PowerPoint (or LibreOffice), save it again and add the new copy."
)


def zip_kind(path: str) -> str | None:
    """``docx``/``xlsx``/``pptx`` for an OOXML package, ``None`` for another zip. A zip
    that cannot be opened at all (cut short, corrupted) is a damaged document."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise EngineError(UNSUPPORTED_INPUT, DAMAGED_PACKAGE) from exc
    except OSError:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    return None


def check_zip(path: str) -> None:
    """Refuse zip bombs before a library inflates anything."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = 0
            for info in zf.infolist():
                total += info.file_size
                if info.file_size > 50 * 1024 * 1024 and info.file_size > MAX_RATIO * max(
                    1, info.compress_size
                ):
                    raise EngineError(
                        DOCUMENT_TOO_LARGE,
                        f"The file's part {info.filename!r} inflates to {info.file_size} bytes "
                        "(a compression bomb?).",
                    )
            if total > MAX_UNCOMPRESSED:
                raise EngineError(
                    DOCUMENT_TOO_LARGE,
                    f"The file inflates to {total // (1024 * 1024)} MiB; the local engine reads "
                    f"at most {MAX_UNCOMPRESSED // (1024 * 1024)} MiB.",
                )
    except zipfile.BadZipFile as exc:
        raise EngineError(UNSUPPORTED_INPUT, DAMAGED_PACKAGE) from exc


def _image_chunk(
    page_no: int, bbox: tuple[float, float, float, float], blob: bytes, caption: str = ""
) -> dict[str, Any] | None:
    try:
        img = imaging.open_checked(blob, what="An embedded picture")
        fmt = (img.format or "").upper()
        w, h = img.size
        if fmt in ("PNG", "JPEG", "GIF", "WEBP") and max(w, h) <= imaging.EMBED_MAX_SIDE:
            mime = {"JPEG": "image/jpeg"}.get(fmt, f"image/{fmt.lower()}")
            return ch.image_chunk(page_no, bbox, blob, mime, w, h, caption)
        img = imaging.bounded(img, imaging.EMBED_MAX_SIDE)
        data, mime = imaging.encode(img)
        return ch.image_chunk(page_no, bbox, data, mime, img.size[0], img.size[1], caption)
    except (EngineError, OSError, ValueError):
        return None  # an unreadable picture (EMF/WMF, damaged) is skipped, not fatal


# --------------------------------------------------------------------------- DOCX

_HEADING = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def extract_docx(
    path: str,
    *,
    extract_text: bool = True,
    extract_images: bool = True,
    progress: ProgressCallback | None = None,
) -> Extraction:
    import docx
    from docx.text.paragraph import Paragraph

    check_zip(path)
    try:
        document = docx.Document(path)
    except Exception as exc:
        raise EngineError(
            EXTRACTION_FAILED,
            "The Word document could not be read: it is damaged or not really a .docx file. "
            "Open it in Word or LibreOffice, save it again and add the new copy.",
        ) from exc
    body = document.element.body
    rendered = bool(body.findall(f".//{_W}lastRenderedPageBreak"))
    page = 1
    chunks: list[dict[str, Any]] = []
    related = document.part.related_parts
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            el = block._p
            if not rendered and el.findall(f".//{_W}pPr/{_W}pageBreakBefore"):
                page += 1
            if extract_images:
                for rid in _blip_ids(el):
                    part = related.get(rid)
                    blob = getattr(part, "blob", None)
                    if isinstance(blob, bytes):
                        img = _image_chunk(page, ZERO, blob)
                        if img is not None:
                            chunks.append(img)
            if extract_text:
                text = " ".join(block.text.split())
                if text:
                    level, prefix = _docx_style(block)
                    chunks.append(ch.text_chunk(page, ZERO, prefix + text, heading_level=level))
            breaks = (
                el.findall(f".//{_W}lastRenderedPageBreak")
                if rendered
                else [b for b in el.findall(f".//{_W}br") if b.get(f"{_W}type") == "page"]
            )
            page += len(breaks)
        elif extract_text:
            table = _docx_table(block, page)
            if table is not None:
                chunks.append(table)
    if progress is not None:
        progress(page, page)
    return Extraction(result={"chunks": chunks, "page_count": page}, page_count=page)


def _blip_ids(el: Any) -> list[str]:
    out: list[str] = []
    for node in el.iter():
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag.endswith("}blip"):
            rid = node.get(_R_EMBED)
            if rid:
                out.append(rid)
        elif tag.endswith("}imagedata"):
            rid = node.get(_R_ID)
            if rid:
                out.append(rid)
    return out


def _docx_style(p: Any) -> tuple[int | None, str]:
    name = ""
    try:
        name = p.style.name if p.style is not None else ""
    except (AttributeError, KeyError):
        name = ""
    m = _HEADING.match(name or "")
    if m:
        return max(1, min(6, int(m.group(1)))), ""
    if name == "Title":
        return 1, ""
    if name == "Subtitle":
        return 2, ""
    num_pr = p._p.find(f"{_W}pPr/{_W}numPr")
    low = (name or "").lower()
    if num_pr is not None or low.startswith("list"):
        level = 0
        if num_pr is not None:
            ilvl = num_pr.find(f"{_W}ilvl")
            if ilvl is not None:
                try:
                    level = int(ilvl.get(f"{_W}val") or 0)
                except ValueError:
                    level = 0
        marker = "1. " if "number" in low else "- "
        return None, "  " * min(level, 6) + marker
    return None, ""


def _docx_table(table: Any, page: int) -> dict[str, Any] | None:
    try:
        grid = table._cells  # one entry per grid position; merged cells repeat
        n_cols = len(table.columns)
    except (AttributeError, IndexError, ValueError):
        return None
    if n_cols <= 0 or not grid:
        return None
    n_rows = len(grid) // n_cols
    spans: dict[int, list[int]] = {}
    order: list[int] = []
    objs: dict[int, Any] = {}
    for k, cell in enumerate(grid[: n_rows * n_cols]):
        r, c = divmod(k, n_cols)
        key = id(cell._tc)
        if key not in spans:
            spans[key] = [r, c, r, c]
            order.append(key)
            objs[key] = cell
        else:
            s = spans[key]
            s[2] = max(s[2], r)
            s[3] = max(s[3], c)
    cells: list[ch.Cell] = []
    for key in order:
        r0, c0, r1, c1 = spans[key]
        text = " ".join(objs[key].text.split())
        cells.append((r0, c0, r1 - r0 + 1, c1 - c0 + 1, text, None))
    if n_rows == 0:
        return None
    return ch.table_chunk(page, ZERO, n_rows, n_cols, cells)


# --------------------------------------------------------------------------- XLSX


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.10g}"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


_UNCACHED = re.compile(rb"<(?:\w+:)?f[ >/](?:(?!</(?:\w+:)?c>).)*?</(?:\w+:)?c>", re.DOTALL)


def _has_uncached_formulas(path: str) -> bool:
    """True if some formula cell has no cached ``<v>`` value."""
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                data = zf.read(name)
                if b"<f" not in data:
                    continue
                for m in _UNCACHED.finditer(data):
                    cell = m.group(0)
                    if re.search(rb"<(?:\w+:)?v>[^<]+</", cell) is None and b"<is>" not in cell:
                        return True
    return False


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _col_index(letters: bytes) -> int:
    n = 0
    for ch_ in letters:
        n = n * 26 + (ch_ - 64)
    return n


def _merged_ranges(zf: zipfile.ZipFile, member: str | None) -> list[tuple[int, int, int, int]]:
    """``(min_row, min_col, max_row, max_col)`` of merged cells, read from the sheet XML."""
    if not member:
        return []
    member = member.lstrip("/")
    try:
        data = zf.read(member)
    except KeyError:
        return []
    return [
        (int(r0), _col_index(c0), int(r1), _col_index(c1))
        for c0, r0, c1, r1 in _MERGE.findall(data)
    ]


def extract_xlsx(
    path: str,
    *,
    extract_text: bool = True,
    extract_images: bool = True,
    progress: ProgressCallback | None = None,
) -> Extraction:
    """Every sheet as a table, streamed in openpyxl's read-only mode (bounded memory)."""
    import openpyxl

    check_zip(path)
    try:
        values = openpyxl.load_workbook(path, read_only=True, data_only=True)
        formulas = (
            openpyxl.load_workbook(path, read_only=True, data_only=False)
            if _has_uncached_formulas(path)
            else None
        )
    except Exception as exc:
        raise EngineError(
            EXTRACTION_FAILED,
            "The Excel workbook could not be read: it is damaged or not really a .xlsx file. "
            "Open it in Excel or LibreOffice, save it again and add the new copy.",
        ) from exc
    try:
        with zipfile.ZipFile(path) as zf:
            return _xlsx_sheets(values, formulas, zf, extract_text, progress)
    finally:
        values.close()
        if formulas is not None:
            formulas.close()
        _ = extract_images  # charts and pictures in sheets are not extracted


def _xlsx_sheets(
    values: Any,
    formulas: Any,
    zf: zipfile.ZipFile,
    extract_text: bool,
    progress: ProgressCallback | None,
) -> Extraction:
    sheets = values.worksheets
    if len(sheets) > MAX_SLIDES:
        raise EngineError(PAGE_LIMIT_EXCEEDED, f"The workbook has {len(sheets)} sheets.")
    chunks: list[dict[str, Any]] = []
    total = 0
    for index, ws in enumerate(sheets):
        page_no = index + 1
        frows: Any = iter(())
        if formulas is not None:
            frows = formulas[ws.title].iter_rows(values_only=True)
        grid: dict[tuple[int, int], str] = {}
        for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
            frow = next(frows, ())
            total += len(row)
            if total > MAX_CELLS:
                raise EngineError(
                    DOCUMENT_TOO_LARGE,
                    f"The workbook has more than {MAX_CELLS} cells; the local engine stops there.",
                )
            for c, v in enumerate(row, start=1):
                if v is None and c <= len(frow):
                    f = frow[c - 1]
                    if isinstance(f, str) and f.startswith("="):
                        v = f
                    elif f is not None and not isinstance(f, str | int | float | bool):
                        v = getattr(f, "text", None)  # array formulas
                text = _fmt(v)
                if text:
                    grid[(r, c)] = text
        merged: dict[tuple[int, int], tuple[int, int]] = {}
        covered: set[tuple[int, int]] = set()
        for r0_, c0_, r1_, c1_ in _merged_ranges(zf, getattr(ws, "_worksheet_path", None)):
            if (r1_ - r0_ + 1) * (c1_ - c0_ + 1) > MAX_CELLS:
                continue
            merged[(r0_, c0_)] = (r1_ - r0_ + 1, c1_ - c0_ + 1)
            for rr in range(r0_, r1_ + 1):
                for cc in range(c0_, c1_ + 1):
                    if (rr, cc) != (r0_, c0_):
                        covered.add((rr, cc))
        if progress is not None:
            progress(page_no, len(sheets))
        if not grid:
            continue
        r0 = min(r for r, _ in grid)
        r1 = max(r for r, _ in grid)
        c0 = min(c for _, c in grid)
        c1 = max(c for _, c in grid)
        if (r1 - r0 + 1) * (c1 - c0 + 1) > MAX_CELLS:
            raise EngineError(
                DOCUMENT_TOO_LARGE, f"The sheet {ws.title!r} spans more than {MAX_CELLS} cells."
            )
        cells: list[ch.Cell] = []
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) in covered:
                    continue
                rs, cs = merged.get((r, c), (1, 1))
                rs = min(rs, r1 - r + 1)
                cs = min(cs, c1 - c + 1)
                cells.append((r - r0, c - c0, rs, cs, grid.get((r, c), ""), None))
        if extract_text:
            chunks.append(ch.text_chunk(page_no, ZERO, ws.title, heading_level=2))
            chunks.append(ch.table_chunk(page_no, ZERO, r1 - r0 + 1, c1 - c0 + 1, cells))
    count = max(1, len(sheets))
    return Extraction(result={"chunks": chunks, "page_count": count}, page_count=count)


# --------------------------------------------------------------------------- PPTX


def extract_pptx(
    path: str,
    *,
    extract_text: bool = True,
    extract_images: bool = True,
    progress: ProgressCallback | None = None,
) -> Extraction:
    from pptx import Presentation

    check_zip(path)
    try:
        prs = Presentation(path)
    except Exception as exc:
        raise EngineError(
            EXTRACTION_FAILED,
            "The presentation could not be read: it is damaged or not really a .pptx file. "
            "Open it in PowerPoint or LibreOffice, save it again and add the new copy.",
        ) from exc
    slides = list(prs.slides)
    if len(slides) > MAX_SLIDES:
        raise EngineError(PAGE_LIMIT_EXCEEDED, f"The presentation has {len(slides)} slides.")
    chunks: list[dict[str, Any]] = []
    for index, slide in enumerate(slides):
        page_no = index + 1
        shapes = _flatten(slide.shapes)
        title_id = None
        title = getattr(slide.shapes, "title", None)
        if title is not None:
            title_id = title.shape_id
        shapes.sort(key=lambda s: (s.shape_id != title_id, _pos(s)[1], _pos(s)[0]))
        for shape in shapes:
            bbox = _pos(shape)
            if extract_text and shape.shape_id == title_id and shape.has_text_frame:
                text = " ".join(shape.text_frame.text.split())
                if text:
                    chunks.append(
                        ch.text_chunk(page_no, bbox, text, heading_level=1 if index == 0 else 2)
                    )
                continue
            if extract_text and getattr(shape, "has_table", False):
                chunks.append(_pptx_table(shape.table, page_no, bbox))
                continue
            if extract_images and hasattr(shape, "image"):
                try:
                    blob = shape.image.blob
                except (AttributeError, KeyError, ValueError):
                    blob = None
                if isinstance(blob, bytes):
                    img = _image_chunk(page_no, bbox, blob)
                    if img is not None:
                        chunks.append(img)
                continue
            if extract_text and getattr(shape, "has_text_frame", False):
                text = _frame_text(shape)
                if text:
                    chunks.append(ch.text_chunk(page_no, bbox, text))
        if extract_text and slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            text = " ".join(notes.text.split()) if notes is not None else ""
            if text:
                chunks.append(ch.text_chunk(page_no, ZERO, f"Notes: {text}"))
        if progress is not None:
            progress(page_no, len(slides))
    count = max(1, len(slides))
    return Extraction(result={"chunks": chunks, "page_count": count}, page_count=count)


def _flatten(shapes: Any) -> list[Any]:
    out: list[Any] = []
    for s in shapes:
        if getattr(s, "shape_type", None) is not None and hasattr(s, "shapes"):
            out.extend(_flatten(s.shapes))  # group shape
        else:
            out.append(s)
    return out


def _pos(shape: Any) -> tuple[float, float, float, float]:
    try:
        left = (shape.left or 0) / EMU_PER_PT
        top = (shape.top or 0) / EMU_PER_PT
        return (
            left,
            top,
            left + (shape.width or 0) / EMU_PER_PT,
            top + (shape.height or 0) / EMU_PER_PT,
        )
    except (AttributeError, TypeError):
        return ZERO


def _frame_text(shape: Any) -> str:
    from pptx.enum.shapes import PP_PLACEHOLDER

    body = False
    if shape.is_placeholder:
        try:
            body = shape.placeholder_format.type in (PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT)
        except (AttributeError, ValueError):
            body = False
    lines: list[str] = []
    for para in shape.text_frame.paragraphs:
        text = " ".join("".join(r.text for r in para.runs).split()) or " ".join(
            str(getattr(para, "text", "")).split()
        )
        if not text:
            continue
        if body or para.level > 0:
            lines.append("  " * min(para.level, 6) + "- " + text)
        else:
            lines.append(text)
    joiner = "\n" if body else "\n\n"
    return joiner.join(lines)


def _pptx_table(
    table: Any, page_no: int, bbox: tuple[float, float, float, float]
) -> dict[str, Any]:
    rows = list(table.rows)
    n_rows = len(rows)
    n_cols = len(table.columns)
    cells: list[ch.Cell] = []
    for r, row in enumerate(rows):
        for c, cell in enumerate(row.cells):
            if cell.is_spanned:
                continue
            rs = cell.span_height if cell.is_merge_origin else 1
            cs = cell.span_width if cell.is_merge_origin else 1
            cells.append((r, c, rs, cs, " ".join(cell.text.split()), None))
    return ch.table_chunk(page_no, bbox, n_rows, n_cols, cells)
