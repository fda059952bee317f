"""PDF extraction with pypdfium2: text layer with layout, tables, figures, OCR for scans.

Per page:

* **Fast path** (most pages): pdfium's own line breaking of the text layer; each line costs a
  handful of O(1) pdfium calls (first/last character box, font size, font flags).
* **Detailed path**: when text objects on one line are far apart (table cells, columns drawn
  line by line) or the page has ruling lines, characters are read one by one, grouped into
  words and line segments split at wide gaps. Ruled tables are located with pdfplumber (lazy
  import, only on pages with ruling lines) and filled from pdfium's characters; tables without
  rules come from aligned segments (:func:`app.engine.layout.find_unruled_tables`).
* **OCR**: a page with (almost) no text layer but a large image or many vector paths is
  rendered (bounded size) and read with RapidOCR.

All boxes are converted to a top-left origin (see :mod:`app.engine.chunks`).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import re
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from app.engine import (
    EXTRACTION_FAILED,
    PAGE_LIMIT_EXCEEDED,
    EngineError,
    Extraction,
    ProgressCallback,
    imaging,
)
from app.engine import chunks as ch
from app.engine.layout import Grid, Para, Seg, assign_headings, find_unruled_tables, order_blocks

MAX_PAGES = 2000
OCR_DPI = 200
OCR_MAX_PIXELS = 12_000_000
"""Rendered page size cap for OCR (about 3000 x 4000 px): bounds time and memory."""
MIN_TEXT_CHARS = 16
"""Pages with fewer readable characters than this are candidates for OCR."""
MIN_TEXT_CHARS_SCAN = 80
"""A page covered by an image is OCR'd if its text layer has fewer characters than this
(a scanner's stamp or a page number on top of the scan)."""
MAX_IMAGE_PIXELS_EXTRACT = 40_000_000
MIN_FIGURE_SIDE = 16
CAPTION_RE = re.compile(r"^(figure|fig\.|image|photo|chart|plate)\s*\d", re.IGNORECASE)

_PTR = ctypes.c_void_p


def _addr(p: Any) -> int:
    return ctypes.cast(p, _PTR).value or 0


def _raw(fn: Any, restype: Any, *argtypes: Any) -> Any:
    """A private prototype of a pdfium function that takes and returns plain addresses.

    The hot per-line calls use these: handles are passed as ints (no pointer conversion) and
    handles come back as ints (usable as dict keys without ``ctypes.cast``). pypdfium2's own
    prototypes are left untouched.
    """
    return ctypes.cast(fn, ctypes.CFUNCTYPE(restype, *argtypes))


_INT, _DBL = ctypes.c_int, ctypes.c_double
_get_text = _raw(pdfium_c.FPDFText_GetText, _INT, _PTR, _INT, _INT, _PTR)
_count_rects = _raw(pdfium_c.FPDFText_CountRects, _INT, _PTR, _INT, _INT)
_loose_box = _raw(pdfium_c.FPDFText_GetLooseCharBox, _INT, _PTR, _INT, _PTR)
_font_size = _raw(pdfium_c.FPDFText_GetFontSize, _DBL, _PTR, _INT)
_text_object = _raw(pdfium_c.FPDFText_GetTextObject, _PTR, _PTR, _INT)
_object_font = _raw(pdfium_c.FPDFTextObj_GetFont, _PTR, _PTR)
_font_weight = _raw(pdfium_c.FPDFFont_GetWeight, _INT, _PTR)
_font_flags = _raw(pdfium_c.FPDFFont_GetFlags, _INT, _PTR)
_font_name = _raw(pdfium_c.FPDFFont_GetBaseFontName, ctypes.c_size_t, _PTR, _PTR, ctypes.c_size_t)


# --------------------------------------------------------------------------- opening


def _open(path: str) -> Any:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower() or getattr(exc, "err_code", None) == (
            pdfium_c.FPDF_ERR_PASSWORD
        ):
            raise EngineError(
                EXTRACTION_FAILED,
                "The PDF is password-protected; remove the password and try again.",
            ) from exc
        raise EngineError(
            EXTRACTION_FAILED,
            "The PDF could not be opened: it is damaged or not really a PDF. If it opens in "
            "a PDF viewer, save a fresh copy from there and add that instead.",
        ) from exc


# --------------------------------------------------------------------------- page objects


@dataclass(slots=True)
class _Objects:
    images: list[tuple[float, float, float, float]] = field(default_factory=list)
    image_px: list[int] = field(default_factory=list)
    h_rules: int = 0
    v_rules: int = 0
    boxes: int = 0
    paths: int = 0

    @property
    def ruled_candidate(self) -> bool:
        return (
            (self.h_rules >= 2 and self.v_rules >= 2)
            or self.boxes >= 3
            or (self.boxes >= 1 and self.h_rules + self.v_rules >= 3)
        )


def _scan_objects(page_raw: Any, limit: int = 200_000) -> _Objects:
    objs = _Objects()
    l_, b_, r_, t_ = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    w_, h_ = ctypes.c_uint(), ctypes.c_uint()
    count = pdfium_c.FPDFPage_CountObjects(page_raw)
    stack: list[tuple[Any, int, bool]] = [(page_raw, min(count, limit), False)]
    seen = 0
    while stack:
        parent, n, is_form = stack.pop()
        for i in range(n):
            seen += 1
            if seen > limit:
                return objs
            obj = (
                pdfium_c.FPDFFormObj_GetObject(parent, i)
                if is_form
                else pdfium_c.FPDFPage_GetObject(parent, i)
            )
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                continue
            if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                stack.append((obj, pdfium_c.FPDFFormObj_CountObjects(obj), True))
                continue
            if kind not in (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE):
                continue
            if not pdfium_c.FPDFPageObj_GetBounds(obj, l_, b_, r_, t_):
                continue
            w = r_.value - l_.value
            h = t_.value - b_.value
            if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                objs.images.append((l_.value, b_.value, r_.value, t_.value))
                px = 0
                if pdfium_c.FPDFImageObj_GetImagePixelSize(obj, w_, h_):
                    px = int(w_.value) * int(h_.value)
                objs.image_px.append(px)
                continue
            objs.paths += 1
            if h <= 3 and w >= 10:
                objs.h_rules += 1
            elif w <= 3 and h >= 10:
                objs.v_rules += 1
            elif w >= 10 and h >= 6:
                objs.boxes += 1
    return objs


# --------------------------------------------------------------------------- text layer


class _Fonts:
    """Bold detection per pdfium font handle, cached for the page (one text page)."""

    def __init__(self, textpage: Any) -> None:
        self.tp = _addr(textpage)
        self._cache: dict[int, bool] = {}

    def bold(self, index: int) -> bool:
        obj = _text_object(self.tp, index)
        if not obj:
            return False
        font = _object_font(obj)
        if not font:
            return False
        hit = self._cache.get(font)
        if hit is not None:
            return hit
        weight = _font_weight(font)
        flags = _font_flags(font)
        buf = ctypes.create_string_buffer(256)
        n = _font_name(font, buf, 256)
        name = buf.raw[: max(0, min(n, 256) - 1)].decode("latin-1").lower()
        bold = (
            weight >= 600
            or bool(flags & (1 << 18))
            or any(k in name for k in ("bold", "black", "heavy", "semibold", "demi"))
        )
        self._cache[font] = bold
        return bold


@dataclass(slots=True)
class _Word:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    index: int


@dataclass(slots=True)
class _PageText:
    segs: list[Seg]
    words: list[_Word] | None
    chars: int
    unmapped: bool = False


def _text_stats(text: str) -> tuple[int, int]:
    """``(visible, unmapped)``: non-whitespace characters, and of those the ones a font
    without a usable Unicode map produces (private-use, replacement, control characters)."""
    body = text.replace("\r\n", "")
    hyphens = body.count("\ufffe")  # pdfium's end-of-line hyphen mark (not printable)
    if hyphens:
        body = body.replace("\ufffe", "")
    if body.isprintable():
        # Printable leaves out every control, private-use, unassigned and separator
        # character except the space: the only possible unmapped one is U+FFFD.
        return len(body) + hyphens - body.count(" "), body.count("\ufffd")
    return len("".join(text.split())), len(_UNMAPPED.findall(text))


def _text_lines(text: str) -> list[tuple[str, int, int]]:
    """Non-blank lines as ``(stripped text, index of first, index of last character)``."""
    lines: list[tuple[str, int, int]] = []
    pos = 0
    parts = text.split("\r\n")
    breaks = len(parts) - 1
    if text.count("\r") == breaks and text.count("\n") == breaks:
        # pdfium's usual "\r\n" line ends only: a plain split, same result as the regex
        for line in parts:
            stripped = line.strip()
            if stripped:
                first = pos + line.find(stripped[0])  # everything before it is whitespace
                lines.append((stripped, first, first + len(stripped) - 1))
            pos += len(line) + 2
        return lines
    for line in _LINE_BREAK.split(text):
        start = pos
        pos += len(line)
        stripped = line.strip()
        if not stripped or line in _BREAKS:
            continue
        first = start + (len(line) - len(line.lstrip()))
        lines.append((stripped, first, start + len(line.rstrip()) - 1))
    return lines


def _page_text(
    textpage: Any, ox: float, oy: float, detailed: bool, fonts: _Fonts, count: bool = True
) -> _PageText:
    """Segments of one page (top-left coordinates; ``ox``/``oy`` = left/top of the page box).

    ``count``: also count visible and unmapped characters (only the OCR decision uses them;
    without it ``chars`` is 0 and ``unmapped`` False).
    """
    n = pdfium_c.FPDFText_CountChars(textpage)
    if n <= 0:
        return _PageText([], [] if detailed else None, 0, False)
    tp = fonts.tp
    buf = ctypes.create_string_buffer(2 * (n + 1))
    _get_text(tp, 0, n, buf)
    text = buf.raw[: 2 * n].decode("utf-16-le", errors="replace")
    if len(text) != n:  # characters outside the BMP: fall back to per-character reads
        detailed = True
    visible, bad = _text_stats(text) if count else (0, 0)
    # Text drawn with fonts that have no usable Unicode map comes out as private-use,
    # replacement or control characters: such a page is treated as having no text.
    unmapped = bad > 0.3 * max(1, visible)
    visible = 0 if unmapped else visible - bad
    rect = pdfium_c.FS_RECTF()
    if detailed:
        words = _words(textpage, n, text, ox, oy, rect)
        return _PageText([], words, visible, unmapped)
    lines = _text_lines(text)
    if _has_wide_gaps(textpage, n, len(lines)):
        return _PageText([], _words(textpage, n, text, ox, oy, rect), visible, unmapped)
    get_box = _loose_box
    get_size = _font_size
    # two FS_RECTF side by side (first and last character of a line), read in one unpack
    boxes = (ctypes.c_float * 8)()
    first_box = ctypes.addressof(boxes)
    last_box = first_box + ctypes.sizeof(pdfium_c.FS_RECTF)
    unpack = _TWO_RECTS.unpack_from
    segs: list[Seg] = []
    firsts: list[int] = []
    for stripped, first, last in lines:
        get_box(tp, first, first_box)
        get_box(tp, last, last_box)
        al, at, ar, ab, bl, bt, br, bb = unpack(boxes)
        x0 = (al if al < bl else bl) - ox
        x1 = (ar if ar > br else br) - ox
        top = oy - (at if at > bt else bt)
        bottom = oy - (ab if ab < bb else bb)
        if x1 <= x0 or bottom <= top:
            continue
        size = get_size(tp, first)
        segs.append(Seg(stripped, x0, top, x1, bottom, size or (bottom - top)))
        firsts.append(first)
    # Weight matters for short lines (bold run-in headings) only; full lines stay regular
    # unless they precede a bold short line (a bold paragraph's last line).
    if segs:
        widest = max(s.x1 - s.x0 for s in segs)
        for k, seg in enumerate(segs):
            if seg.x1 - seg.x0 < 0.75 * widest and fonts.bold(firsts[k]):
                seg.bold = True
                j = k - 1
                while j >= 0 and segs[j].x1 - segs[j].x0 >= 0.75 * widest:
                    if not fonts.bold(firsts[j]):
                        break
                    segs[j].bold = True
                    j -= 1
    return _PageText(segs, None, visible, unmapped)


_TWO_RECTS = struct.Struct("8f")
"""Two ``FS_RECTF`` (left, top, right, bottom as C floats), native layout."""
_UNMAPPED = re.compile("[\ue000-\uf8ff\ufffd\x00-\x08\x0e-\x1f]")
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")
_BREAKS = ("\r\n", "\r", "\n")


def _has_wide_gaps(textpage: Any, n: int, n_lines: int) -> bool:
    """True if two consecutive text runs share a line but are far apart (cells, columns).

    Runs are pdfium's text rectangles (one per text object and line); with no more runs than
    lines there is nothing to compare.
    """
    count = _count_rects(_addr(textpage), 0, n)
    if count <= n_lines:
        return False
    left, top, right, bottom = (ctypes.c_double() for _ in range(4))
    get_rect = pdfium_c.FPDFText_GetRect
    prev: tuple[float, float, float, float] | None = None
    for k in range(count):
        get_rect(textpage, k, left, top, right, bottom)
        cur = (left.value, top.value, right.value, bottom.value)
        if prev is not None:
            h = min(prev[1] - prev[3], cur[1] - cur[3])
            overlap = min(prev[1], cur[1]) - max(prev[3], cur[3])
            if h > 0 and overlap > 0.5 * h:
                gap = cur[0] - prev[2]
                if gap > 1.2 * h or cur[2] < prev[0] - 0.5 * h:
                    return True
        prev = cur
    return False


def _words(textpage: Any, n: int, text: str, ox: float, oy: float, rect: Any) -> list[_Word]:
    words: list[_Word] = []
    cur: _Word | None = None
    get_box = pdfium_c.FPDFText_GetLooseCharBox
    per_char = len(text) != n
    for i in range(n):
        c = chr(pdfium_c.FPDFText_GetUnicode(textpage, i)) if per_char else text[i]
        if c.isspace() or c == "\x00":
            cur = None
            continue
        get_box(textpage, i, rect)
        x0 = rect.left - ox
        x1 = rect.right - ox
        top = oy - rect.top
        bottom = oy - rect.bottom
        if x1 < x0 or bottom <= top:
            continue
        if cur is not None:
            h = min(cur.bottom - cur.top, bottom - top)
            overlap = min(cur.bottom, bottom) - max(cur.top, top)
            gap = x0 - cur.x1
            if overlap > 0.5 * h and -0.3 * h <= gap <= 0.22 * h:
                cur.text += c
                cur.x1 = max(cur.x1, x1)
                cur.top = min(cur.top, top)
                cur.bottom = max(cur.bottom, bottom)
                continue
        cur = _Word(c, x0, top, x1, bottom, i)
        words.append(cur)
    return words


def _segments_from_words(
    words: list[_Word], textpage: Any, fonts: _Fonts, gap_factor: float = 1.0
) -> list[Seg]:
    segs: list[Seg] = []
    cur: Seg | None = None
    for w in words:
        h = w.bottom - w.top
        if cur is not None:
            overlap = min(cur.bottom, w.bottom) - max(cur.top, w.top)
            gap = w.x0 - cur.x1
            if overlap > 0.5 * min(h, cur.height) and -0.3 * h <= gap <= gap_factor * h:
                cur.text += " " + w.text
                cur.x1 = max(cur.x1, w.x1)
                cur.top = min(cur.top, w.top)
                cur.bottom = max(cur.bottom, w.bottom)
                continue
        size = pdfium_c.FPDFText_GetFontSize(textpage, w.index) or h
        cur = Seg(w.text, w.x0, w.top, w.x1, w.bottom, size, bold=fonts.bold(w.index))
        segs.append(cur)
    return segs


# --------------------------------------------------------------------------- ruled tables


class _Plumber:
    """pdfplumber opened lazily, only when a page has ruling lines."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._pdf: Any = None

    def tables(self, index: int) -> list[list[tuple[float, float, float, float]]]:
        try:
            if self._pdf is None:
                import pdfplumber

                self._pdf = pdfplumber.open(self.path)
            page = self._pdf.pages[index]
            found = page.find_tables({"vertical_strategy": "lines", "horizontal_strategy": "lines"})
            out = [[tuple(float(v) for v in c) for c in t.cells] for t in found]
            page.close()
            return out  # type: ignore[return-value]
        except Exception:  # noqa: BLE001 - a table finder failure must not fail the page
            return []

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()


def _grid_from_cells(
    cells: list[tuple[float, float, float, float]], words: list[_Word]
) -> tuple[Grid, set[int]] | None:
    if len(cells) < 4:
        return None

    def axis(vals: list[float]) -> list[float]:
        out: list[float] = []
        for v in sorted(vals):
            if not out or v - out[-1] > 1.5:
                out.append(v)
        return out

    xs = axis([c[0] for c in cells] + [c[2] for c in cells])
    ys = axis([c[1] for c in cells] + [c[3] for c in cells])

    def idx(ax: list[float], v: float) -> int:
        return min(range(len(ax)), key=lambda k: abs(ax[k] - v))

    n_cols = len(xs) - 1
    n_rows = len(ys) - 1
    if n_cols < 2 or n_rows < 2:
        return None
    used: set[int] = set()
    out_cells: list[tuple[int, int, int, int, str, tuple[float, float, float, float]]] = []
    for x0, top, x1, bottom in cells:
        inside = [
            (k, w)
            for k, w in enumerate(words)
            if x0 <= (w.x0 + w.x1) / 2 <= x1 and top <= (w.top + w.bottom) / 2 <= bottom
        ]
        used.update(k for k, _ in inside)
        text = _cell_text([w for _, w in inside])
        c0, c1 = idx(xs, x0), idx(xs, x1)
        r0, r1 = idx(ys, top), idx(ys, bottom)
        out_cells.append((r0, c0, max(1, r1 - r0), max(1, c1 - c0), text, (x0, top, x1, bottom)))
    bbox = (xs[0], ys[0], xs[-1], ys[-1])
    return Grid(bbox=bbox, n_rows=n_rows, n_cols=n_cols, cells=out_cells, segs=[]), used


def _cell_text(words: list[_Word]) -> str:
    lines: list[list[_Word]] = []
    for w in sorted(words, key=lambda w: (w.top, w.x0)):
        if lines:
            ref = lines[-1][0]
            overlap = min(ref.bottom, w.bottom) - max(ref.top, w.top)
            if overlap > 0.5 * min(ref.bottom - ref.top, w.bottom - w.top):
                lines[-1].append(w)
                continue
        lines.append([w])
    from app.engine.layout import join_lines

    return join_lines([" ".join(w.text for w in sorted(ln, key=lambda w: w.x0)) for ln in lines])


# --------------------------------------------------------------------------- figures


def _figures(
    page: Any, index: int, ox: float, oy: float, page_area: float, skip_large: bool
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    try:
        objects = list(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=4))
    except pdfium.PdfiumError:
        return out
    for obj in objects:
        try:
            left, bottom, right, top = obj.get_bounds()
            w_px, h_px = obj.get_px_size()
            if w_px < MIN_FIGURE_SIDE or h_px < MIN_FIGURE_SIDE:
                continue
            if w_px * h_px > MAX_IMAGE_PIXELS_EXTRACT:
                continue
            if (right - left) < 8 or (top - bottom) < 8:
                continue
            if skip_large and (right - left) * (top - bottom) > 0.5 * page_area:
                continue
            data, mime, width, height = _image_bytes(obj)
        except (pdfium.PdfiumError, OSError, ValueError, EngineError):
            continue
        bbox = (left - ox, oy - top, right - ox, oy - bottom)
        out.append(ch.image_chunk(index + 1, bbox, data, mime, width, height))
    return out


def _image_bytes(obj: Any) -> tuple[bytes, str, int, int]:
    filters = obj.get_filters(skip_simple=True)
    if filters == ["DCTDecode"]:
        data = obj.get_data(decode_simple=True)
        raw = bytes(data)
        img = imaging.open_checked(raw, what="An embedded image")
        if img.mode in ("RGB", "L") and max(img.size) <= imaging.EMBED_MAX_SIDE:
            return raw, "image/jpeg", img.size[0], img.size[1]
    img = obj.get_bitmap(render=False).to_pil()
    img = imaging.bounded(img, imaging.EMBED_MAX_SIDE)
    data, mime = imaging.encode(img)
    return data, mime, img.size[0], img.size[1]


def _attach_captions(paras: list[Para], blocks: list[dict[str, Any]]) -> None:
    """A "Figure N ..." paragraph right below (or else above) a figure becomes its caption."""
    for block in blocks:
        if block["chunk_type"] != "image":
            continue
        x0, top, x1, bottom = block["bbox"]
        best: tuple[float, str] | None = None
        for p in paras:
            if p.block >= 0 or not CAPTION_RE.match(p.text):
                continue
            px0, ptop, px1, pbottom = p.bbox
            if min(px1, x1) - max(px0, x0) <= 0:
                continue
            if -2 <= ptop - bottom <= 40:
                score = ptop - bottom
            elif -2 <= top - pbottom <= 40:
                score = 50 + top - pbottom  # captions above come second
            else:
                continue
            if best is None or score < best[0]:
                best = (score, p.text)
        if best is not None:
            block["page_content"] = best[1]


# --------------------------------------------------------------------------- OCR pages


def _ocr_page(page: Any, width: float, height: float) -> list[Seg]:
    from app.engine import ocr

    scale = OCR_DPI / 72.0
    longest = max(width, height)
    if longest * scale > 6000:
        scale = 6000 / longest
    if width * height * scale * scale > OCR_MAX_PIXELS:
        scale = (OCR_MAX_PIXELS / (width * height)) ** 0.5
    bitmap = page.render(scale=scale, grayscale=False, may_draw_forms=True)
    try:
        img = bitmap.to_pil()
    finally:
        bitmap.close()
    return ocr.read_segments(img, 1.0 / scale)


# --------------------------------------------------------------------------- document


GC_GEN0_THRESHOLD = 20_000
_gc_lock = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, int, int] | None = None


@contextlib.contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """Raise the cyclic collector's generation-0 threshold while a document is read.

    Every page allocates a few hundred small objects (segments, paragraphs, chunk dicts)
    and keeps its paragraphs until the document is assembled, so at the default threshold
    (700) the collector runs every couple of pages and rescans the growing set of kept
    objects: about 4% of text-only time. Extraction builds no reference cycles of its own,
    so fewer passes cost only a little transient memory. The previous thresholds come back
    when the last concurrent extraction ends; a disabled threshold (0) is left alone.
    """
    global _gc_users, _gc_saved
    with _gc_lock:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            if 0 < _gc_saved[0] < GC_GEN0_THRESHOLD:
                gc.set_threshold(GC_GEN0_THRESHOLD, *_gc_saved[1:])
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0 and _gc_saved is not None:
                gc.set_threshold(*_gc_saved)
                _gc_saved = None


@dataclass(slots=True)
class _PageOut:
    paras: list[Para]
    blocks: list[dict[str, Any]]
    ocr: bool


def extract_pdf(
    path: str,
    *,
    extract_text: bool = True,
    extract_images: bool = True,
    progress: ProgressCallback | None = None,
    detect_tables: bool = True,
    ocr: bool = True,
) -> Extraction:
    with _fewer_gc_passes():
        return _extract_pdf(path, extract_text, extract_images, progress, detect_tables, ocr)


def _extract_pdf(
    path: str,
    extract_text: bool,
    extract_images: bool,
    progress: ProgressCallback | None,
    detect_tables: bool,
    ocr: bool,
) -> Extraction:
    imaging.configure_pil()
    doc = _open(path)
    plumber = _Plumber(path)
    try:
        page_count = len(doc)
        if page_count > MAX_PAGES:
            raise EngineError(
                PAGE_LIMIT_EXCEEDED,
                f"The PDF has {page_count} pages; the local engine reads at most {MAX_PAGES}.",
            )
        if page_count == 0:
            raise EngineError(EXTRACTION_FAILED, "The PDF has no pages.")
        pages: list[_PageOut] = []
        warnings: list[str] = []
        for index in range(page_count):
            try:
                page = doc[index]
            except pdfium.PdfiumError as exc:
                warnings.append(f"page {index + 1} could not be loaded ({exc})")
                pages.append(_PageOut([], [], False))
                continue
            try:
                pages.append(
                    _extract_page(
                        page, index, plumber, extract_text, extract_images, detect_tables, ocr
                    )
                )
            except EngineError:
                raise
            except (pdfium.PdfiumError, ValueError, OSError, ArithmeticError) as exc:
                # One broken page does not lose the rest of the document.
                warnings.append(f"page {index + 1} was skipped ({type(exc).__name__}: {exc})")
                pages.append(_PageOut([], [], False))
            finally:
                page.close()
            if progress is not None:
                progress(index + 1, page_count)
        if warnings and len(warnings) == page_count:
            raise EngineError(EXTRACTION_FAILED, "No page could be read: " + warnings[0])
        chunks = _assemble(pages)
        result: dict[str, Any] = {"chunks": chunks, "page_count": page_count}
        if warnings:
            result["warnings"] = warnings
        return Extraction(result=result, page_count=page_count)
    finally:
        plumber.close()
        doc.close()


def _extract_page(
    page: Any,
    index: int,
    plumber: _Plumber,
    extract_text: bool,
    extract_images: bool,
    detect_tables: bool,
    use_ocr: bool,
) -> _PageOut:
    raw = page.raw
    box = pdfium_c.FS_RECTF()
    if pdfium_c.FPDF_GetPageBoundingBox(raw, box):
        ox, oy = box.left, box.top
        width, height = box.right - box.left, box.top - box.bottom
    else:
        width, height = page.get_size()
        ox, oy = 0.0, height
    if width <= 0 or height <= 0:
        return _PageOut([], [], False)
    # The object scan (images, rules, paths) feeds table detection, figures and the OCR
    # decision; text-only extraction of a page with text needs none of them.
    objs = _scan_objects(raw) if detect_tables or extract_images else None
    page_area = width * height
    blocks: list[dict[str, Any]] = []
    segs: list[Seg] = []
    ocr_page = False
    if extract_text:
        detailed = objs is not None and detect_tables and objs.ruled_candidate
        textpage = pdfium_c.FPDFText_LoadPage(raw)
        if not textpage:
            raise EngineError(EXTRACTION_FAILED, f"Page {index + 1}'s text could not be read.")
        fonts = _Fonts(textpage)
        try:
            pt = _page_text(textpage, ox, oy, detailed, fonts, count=use_ocr)
            if pt.words is not None:
                words = pt.words
                if detailed:
                    for cells in plumber.tables(index):
                        found = _grid_from_cells(cells, words)
                        if found is None:
                            continue
                        grid, used = found
                        blocks.append(_table_chunk(index, grid))
                        words = [w for k, w in enumerate(words) if k not in used]
                segs = _segments_from_words(words, textpage, fonts)
                if detect_tables:
                    for grid in find_unruled_tables(segs):
                        blocks.append(_table_chunk(index, grid))
                        ids = {id(s) for s in grid.segs}
                        segs = [s for s in segs if id(s) not in ids]
            else:
                segs = pt.segs
        finally:
            pdfium_c.FPDFText_ClosePage(textpage)
        if use_ocr and pt.chars < MIN_TEXT_CHARS_SCAN:
            if objs is None:
                objs = _scan_objects(raw)
            image_area = sum(max(0.0, (r - left) * (t - b)) for left, b, r, t in objs.images)
            bomb = any(px > imaging.MAX_DECODE_PIXELS for px in objs.image_px)
            scan = image_area > 0.7 * page_area or (
                pt.chars < MIN_TEXT_CHARS
                and (image_area > 0.3 * page_area or objs.paths >= 40 or pt.unmapped)
            )
            if scan and not bomb:
                segs = _ocr_page(page, width, height)
                ocr_page = True
    if extract_images and objs is not None and objs.images:
        blocks.extend(_figures(page, index, ox, oy, page_area, skip_large=ocr_page))
    # Blocks take part in the reading order as placeholders.
    for k, block in enumerate(blocks):
        x0, top, x1, bottom = block["bbox"]
        segs.append(Seg("", x0, top, x1, bottom, 0.0, block=k))
    sizes = sorted(s.size for s in segs if s.block < 0)
    median = sizes[len(sizes) // 2] if sizes else 10.0
    paras = order_blocks(segs, max(6.0, 0.9 * median))
    _attach_captions(paras, blocks)
    return _PageOut(paras, blocks, ocr_page)


def _table_chunk(index: int, grid: Grid) -> dict[str, Any]:
    cells: list[ch.Cell] = [(r, c, rs, cs, t, b) for r, c, rs, cs, t, b in grid.cells]
    return ch.table_chunk(index + 1, grid.bbox, grid.n_rows, grid.n_cols, cells)


def _assemble(pages: list[_PageOut]) -> list[dict[str, Any]]:
    text_paras = [p for pg in pages if not pg.ocr for p in pg.paras]
    ocr_paras = [p for pg in pages if pg.ocr for p in pg.paras]
    assign_headings(text_paras)
    if ocr_paras:
        assign_headings(ocr_paras, ratio=1.3)
    out: list[dict[str, Any]] = []
    for page_no, pg in enumerate(pages, start=1):
        for p in pg.paras:
            if p.block >= 0:
                out.append(pg.blocks[p.block])
            elif p.text:
                out.append(
                    ch.text_chunk(
                        page_no,
                        p.bbox,
                        p.text,
                        heading_level=p.heading_level,
                        confidences=p.confidences or None,
                    )
                )
    return merge_split_tables(out)


_PAGE_FURNITURE = re.compile(r"^(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$", re.IGNORECASE)


def _furniture(c: dict[str, Any]) -> bool:
    return (
        c["chunk_type"] == "text" and _PAGE_FURNITURE.match(c["page_content"].strip()) is not None
    )


def merge_split_tables(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Join a table continued at the top of the next page (same columns, same x extent).

    Only page furniture (a page number) may sit between the two parts; a repeated header
    row is dropped. The joined table keeps the first part's page_no and lists
    ``merged_from_pages``.
    """
    out: list[dict[str, Any]] = []
    for c in chunks:
        if c["chunk_type"] == "table":
            k = len(out) - 1
            while k >= 0 and _furniture(out[k]):
                k -= 1
            prev = out[k] if k >= 0 else None
            if (
                prev is not None
                and prev["chunk_type"] == "table"
                and c["page_no"] == prev.get("_last_page", prev["page_no"]) + 1
                and c["n_cols"] == prev["n_cols"]
                and abs(c["bbox"][0] - prev["bbox"][0]) < 12
                and abs(c["bbox"][2] - prev["bbox"][2]) < 12
            ):
                _append_rows(prev, c)
                continue
        out.append(c)
    for c in out:
        c.pop("_last_page", None)
    return out


def _append_rows(table: dict[str, Any], more: dict[str, Any]) -> None:
    head = [x["text"] for x in table["cells"] if x["row"] == 0]
    more_head = [x["text"] for x in more["cells"] if x["row"] == 0]
    skip = 1 if head == more_head else 0
    offset = table["n_rows"] - skip
    for cell in more["cells"]:
        if cell["row"] < skip:
            continue
        table["cells"].append({**cell, "row": cell["row"] + offset})
    table["n_rows"] += more["n_rows"] - skip
    pages = table.get("merged_from_pages") or [table["page_no"]]
    table["merged_from_pages"] = [*pages, more["page_no"]]
    table["_last_page"] = more["page_no"]
    cells: list[ch.Cell] = [
        (x["row"], x["col"], x["row_span"], x["col_span"], x["text"], None) for x in table["cells"]
    ]
    table["page_content"] = ch.markdown_table(table["n_rows"], table["n_cols"], cells)
