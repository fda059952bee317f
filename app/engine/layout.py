"""Page layout analysis shared by the PDF text layer and OCR.

Everything here works on :class:`Seg` objects: a run of text on one line (or a table/figure
block) with a bounding box in points, **top-left origin** (``top < bottom``). The steps are:

1. :func:`reading_order` — a recursive XY-cut that finds column gutters, so two-column pages
   come out column by column (a full-width title or figure stays between the column groups);
2. :func:`paragraphs` — lines merged into paragraphs by spacing, font size and list markers;
3. :func:`assign_headings` — document-wide heading levels from font size and weight;
4. :func:`find_unruled_tables` — rows of aligned segments turned into table grids.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from operator import attrgetter

_TOC_ENTRY = re.compile(r"(?:\.\s?){3,}\s*[\divxlc]+$")
LIST_MARKER = re.compile(r"^(?:[•◦▪▫●○■□‣⁃∙·*–—-]\s|\(?\d{1,3}[.)]\s|\(?[a-zA-Z][.)]\s)")


@dataclass(slots=True)
class Seg:
    """A line fragment of text, or a block (``block >= 0``) that takes part in the ordering."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    bold: bool = False
    conf: float | None = None
    block: int = -1

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def width(self) -> float:
        return self.x1 - self.x0


_TOP = attrgetter("top")
_TOP_X0 = attrgetter("top", "x0")


@dataclass(slots=True)
class Para:
    """A paragraph (one or more lines) or a block placeholder (``block >= 0``)."""

    lines: list[Seg]
    block: int = -1
    heading_level: int | None = None
    text: str = ""
    confidences: list[float] = field(default_factory=list)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        if len(self.lines) == 1:
            s = self.lines[0]
            return (s.x0, s.top, s.x1, s.bottom)
        return (
            min(s.x0 for s in self.lines),
            min(s.top for s in self.lines),
            max(s.x1 for s in self.lines),
            max(s.bottom for s in self.lines),
        )

    @property
    def size(self) -> float:
        return self.lines[0].size

    @property
    def bold(self) -> bool:
        return all(s.bold for s in self.lines)


# --------------------------------------------------------------------------- reading order


def _y_bands(segs: list[Seg]) -> list[list[Seg]]:
    """Split into horizontal bands separated by empty y-ranges."""
    ordered = sorted(segs, key=_TOP)
    bands: list[list[Seg]] = []
    bottom = float("-inf")
    for s in ordered:
        # A sliver of overlap (descenders touching ascenders) does not join two bands.
        sliver = 0.15 * (s.bottom - s.top)
        if bands and s.top < bottom - (sliver if sliver < 1.0 else 1.0):
            bands[-1].append(s)
            bottom = max(bottom, s.bottom)
        else:
            bands.append([s])
            bottom = s.bottom
    return bands


Interval = tuple[float, float]


def _free(segs: Sequence[Seg], lo: float, hi: float) -> list[Interval]:
    """The x-ranges within [lo, hi] that no segment covers."""
    spans = sorted((s.x0, s.x1) for s in segs)
    out: list[Interval] = []
    cur = lo
    for a, b in spans:
        if a > cur:
            out.append((cur, min(a, hi)))
        cur = max(cur, b)
    if cur < hi:
        out.append((cur, hi))
    return [iv for iv in out if iv[1] > iv[0]]


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if hi > lo:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _internal_gap(free: list[Interval], segs: Sequence[Seg], min_gap: float) -> Interval | None:
    """The widest free interval with segments on both sides and at least ``min_gap`` wide."""
    best: Interval | None = None
    lo_all = min(s.x0 for s in segs)
    hi_all = max(s.x1 for s in segs)
    narrow = 0.15 * (hi_all - lo_all)
    for lo, hi in free:
        if hi - lo < min_gap:
            continue
        left = [s.x0 for s in segs if s.x1 <= lo + 0.01]
        right = [s.x1 for s in segs if s.x0 >= hi - 0.01]
        # a column needs some width: a strip of numbers (TOC, line numbers) is not one
        if not left or not right or lo - min(left) < narrow or max(right) - hi < narrow:
            continue
        if best is None or hi - lo > best[1] - best[0]:
            best = (lo, hi)
    return best


def reading_order(segs: list[Seg], min_gap: float) -> list[list[Seg]]:
    """Group segments into leaf regions (columns) in reading order.

    A region is split vertically at a gutter that is free of text in every band of a run of
    consecutive bands; bands that do not share the gutter (a full-width title, a wide table)
    close the run, so they stay in place between the column groups.
    """
    out: list[list[Seg]] = []
    _xy_cut(segs, min_gap, out, 0)
    return out


def _xy_cut(segs: list[Seg], min_gap: float, out: list[list[Seg]], depth: int) -> None:
    if not segs:
        return
    if len(segs) == 1 or depth > 12:
        out.append(segs)
        return
    bands = _y_bands(segs)
    if all(len(b) == 1 for b in bands):
        # A gutter needs text on both sides of it within one band.
        out.append(segs)
        return
    lo = min(s.x0 for s in segs)
    hi = max(s.x1 for s in segs)
    groups: list[tuple[list[Seg], list[Interval]]] = []
    for band in bands:
        free = _free(band, lo, hi)
        if groups:
            gsegs, gfree = groups[-1]
            inter = _intersect(gfree, free)
            if _internal_gap(inter, gsegs + band, min_gap) is not None:
                gsegs.extend(band)
                groups[-1] = (gsegs, inter)
                continue
        groups.append((list(band), free))
    if len(groups) == 1:
        gsegs, gfree = groups[0]
        gap = _internal_gap(gfree, gsegs, min_gap)
        if gap is None:
            out.append(gsegs)
            return
        mid = (gap[0] + gap[1]) / 2
        _xy_cut([s for s in gsegs if s.x1 <= mid], min_gap, out, depth + 1)
        _xy_cut([s for s in gsegs if s.x1 > mid], min_gap, out, depth + 1)
        return
    pending: list[Seg] = []
    for gsegs, gfree in groups:
        if _internal_gap(gfree, gsegs, min_gap) is None:
            pending.extend(gsegs)  # consecutive single-column bands form one region
            continue
        if pending:
            out.append(pending)
            pending = []
        _xy_cut(gsegs, min_gap, out, depth + 1)
    if pending:
        out.append(pending)


# --------------------------------------------------------------------------- lines, paragraphs


def _lines(region: list[Seg]) -> list[list[Seg]]:
    """Segments of one region grouped into visual lines, top to bottom, left to right."""
    lines: list[list[Seg]] = []
    ref: Seg | None = None
    for s in sorted(region, key=_TOP_X0):
        if ref is not None and s.block < 0 and ref.block < 0:
            overlap = (ref.bottom if ref.bottom < s.bottom else s.bottom) - (
                ref.top if ref.top > s.top else s.top
            )
            h_ref, h_s = ref.bottom - ref.top, s.bottom - s.top
            if overlap > 0.5 * (h_s if h_s < h_ref else h_ref):
                lines[-1].append(s)
                continue
        lines.append([s])
        ref = s
    for line in lines:
        if len(line) > 1:
            line.sort(key=lambda s: s.x0)
    return lines


def _merge_line(line: list[Seg]) -> Seg:
    if len(line) == 1:
        return line[0]
    text = line[0].text
    for prev, s in pairwise(line):
        gap = s.x0 - prev.x1
        text += (" " if gap > 0.1 * s.size else "") + s.text
    confs = [s.conf for s in line if s.conf is not None]
    return Seg(
        text=text,
        x0=min(s.x0 for s in line),
        top=min(s.top for s in line),
        x1=max(s.x1 for s in line),
        bottom=max(s.bottom for s in line),
        size=max(line, key=lambda s: len(s.text)).size,
        bold=all(s.bold for s in line),
        conf=min(confs) if confs else None,
    )


def join_lines(texts: Sequence[str]) -> str:
    """Join the lines of a paragraph, undoing end-of-line hyphenation."""
    parts: list[str] = []  # joined with spaces; checks on the last part = on the joined text
    for t in texts:
        t = t.strip()
        if not t:
            continue
        if not parts:
            parts.append(t)
            continue
        last = parts[-1]
        if last.endswith(("\ufffe", "\u00ad")) or (
            last.endswith("-") and len(last) > 1 and last[-2].isalpha() and t[0].islower()
        ):
            parts[-1] = last[:-1] + t  # pdfium marks hyphenation at a line end with U+FFFE
        else:
            parts.append(t)
    return " ".join(parts)


def _is_toc_entry(text: str) -> bool:
    return (". ." in text or "..." in text) and _TOC_ENTRY.search(text) is not None


def _same_size(a: Seg, b: Seg) -> bool:
    # OCR sizes are estimated from box heights, so they get a relative tolerance.
    tol = 0.25 * max(a.size, b.size) if a.conf is not None or b.conf is not None else 0.6
    return abs(a.size - b.size) < tol


def paragraphs(region: list[Seg]) -> list[Para]:
    """Merge the lines of one leaf region into paragraphs."""
    lines = [line[0] if len(line) == 1 else _merge_line(line) for line in _lines(region)]
    text_lines = [s for s in lines if s.block < 0]
    if not lines:
        return []
    x0_min = min([s.x0 for s in text_lines]) if text_lines else 0.0
    x1_max = max([s.x1 for s in text_lines]) if text_lines else 0.0
    short = x0_min + 0.6 * max(1.0, x1_max - x0_min)
    # same[k]: lines k and k + 1 are both text of the same size
    same = [
        a.block < 0
        and b.block < 0
        and (
            abs(a.size - b.size) < 0.6  # _same_size for text-layer lines, inlined
            if a.conf is None and b.conf is None
            else _same_size(a, b)
        )
        for a, b in pairwise(lines)
    ]
    gaps = sorted(
        [b.top - a.bottom for (a, b), ok in zip(pairwise(lines), same, strict=True) if ok]
    )
    typical = gaps[len(gaps) // 2] if gaps else 0.0
    paras: list[Para] = []
    cur: list[Seg] = []
    match_marker = LIST_MARKER.match
    for k, line in enumerate(lines):
        if line.block >= 0:
            if cur:
                paras.append(Para(cur))
                cur = []
            paras.append(Para([line], block=line.block))
            continue
        if cur:
            prev = cur[-1]  # always lines[k - 1]: a block or a break empties ``cur``
            gap = line.top - prev.bottom
            size = line.size
            if (
                (gap > typical * 1.4 + 0.5 and gap > 0.45 * size)
                or gap < -0.5 * size
                or prev.bold != line.bold
                or prev.x1 < short
                or not same[k - 1]
                or match_marker(line.text) is not None
                or (
                    prev.text[-1:].isalnum()
                    and (". ." in prev.text or "..." in prev.text)  # _is_toc_entry, inlined
                    and _TOC_ENTRY.search(prev.text) is not None
                )
            ):
                paras.append(Para(cur))
                cur = []
        cur.append(line)
    if cur:
        paras.append(Para(cur))
    for p in paras:
        if p.block < 0:
            text = join_lines([s.text for s in p.lines]) if len(p.lines) > 1 else p.lines[0].text
            p.text = text.replace("\ufffe", "-")
            p.confidences = [s.conf for s in p.lines if s.conf is not None]
    return paras


# --------------------------------------------------------------------------- headings


def body_size(paras: Sequence[Para]) -> float:
    """The font size that carries the most characters (rounded to 0.5 pt)."""
    weights: Counter[float] = Counter()
    for p in paras:
        if p.block < 0:
            weights[round(p.size * 2) / 2] += len(p.text)
    if not weights:
        return 10.0
    return weights.most_common(1)[0][0]


def _heading_candidate(p: Para, max_chars: int) -> bool:
    t = p.text
    return (
        p.block < 0
        and 0 < len(t) <= max_chars
        and len(p.lines) <= 3
        and any(c.isalpha() for c in t)
        and not t.endswith((",", ";"))
    )


def assign_headings(paras: Sequence[Para], *, ratio: float = 1.15) -> None:
    """Set ``heading_level`` on paragraphs set larger than the body text or bold and short.

    Each distinct larger size becomes a level (largest = 1); bold body-size lines take the
    level after the last size level. At most six levels.
    """
    body = body_size(paras)
    sizes = sorted(
        {
            round(p.size * 2) / 2
            for p in paras
            if _heading_candidate(p, 200) and p.size >= body * ratio
        },
        reverse=True,
    )
    # Rarely used sizes (titles) keep their rank; cap at five size levels.
    rank = {s: min(i + 1, 5) for i, s in enumerate(sizes)}
    bold_level = min(len(sizes) + 1, 6)
    for p in paras:
        if p.block >= 0:
            continue
        key = round(p.size * 2) / 2
        if key in rank and _heading_candidate(p, 200):
            p.heading_level = rank[key]
        elif (
            p.bold
            and abs(p.size - body) < 0.6
            and len(p.lines) == 1
            and _heading_candidate(p, 100)
            and not p.text.endswith((".", ":"))
            and LIST_MARKER.match(p.text) is None
        ):
            p.heading_level = bold_level


# --------------------------------------------------------------------------- unruled tables


@dataclass(slots=True)
class Grid:
    """A table found in a page: cells as (row, col, row_span, col_span, text, bbox)."""

    bbox: tuple[float, float, float, float]
    n_rows: int
    n_cols: int
    cells: list[tuple[int, int, int, int, str, tuple[float, float, float, float]]]
    segs: list[Seg]


def _row_lines(segs: list[Seg]) -> list[list[Seg]]:
    rows: list[list[Seg]] = []
    for s in sorted(segs, key=lambda s: (s.top, s.x0)):
        if rows:
            ref = rows[-1][0]
            overlap = min(ref.bottom, s.bottom) - max(ref.top, s.top)
            if overlap > 0.5 * min(ref.height, s.height):
                rows[-1].append(s)
                continue
        rows.append([s])
    for r in rows:
        r.sort(key=lambda s: s.x0)
    return rows


def find_unruled_tables(
    segs: list[Seg], *, min_rows: int = 3, max_words_per_cell: float = 6.0
) -> list[Grid]:
    """Find tables drawn without rules: runs of lines made of several aligned segments.

    ``segs`` must be split at wide horizontal gaps (table cells are separate segments).
    Returns grids whose segments should be removed from the text flow.
    """
    rows = _row_lines([s for s in segs if s.block < 0])
    grids: list[Grid] = []
    i = 0
    while i < len(rows):
        if len(rows[i]) < 2:
            i += 1
            continue
        j = i
        block = [rows[i]]
        while j + 1 < len(rows):
            nxt = rows[j + 1]
            prev = block[-1]
            pitch = nxt[0].top - prev[0].bottom
            size = max(s.size for s in prev)
            if pitch > 2.2 * size:
                break
            # a one-cell row is kept only if it sits inside the columns (empty cells)
            if len(nxt) < 2 and not _fits_columns(nxt[0], block):
                break
            block.append(nxt)
            j += 1
        grid = _grid(block, max_words_per_cell) if len(block) >= min_rows else None
        if grid is not None:
            grids.append(grid)
            i = j + 1
        else:
            i += 1
    return grids


def _fits_columns(seg: Seg, block: list[list[Seg]]) -> bool:
    multi = [r for r in block if len(r) >= 2]
    if not multi:
        return False
    # the segment starts at the x of some cell in a multi-cell row and is not wider than it
    for r in multi:
        for s in r[1:]:
            if abs(s.x0 - seg.x0) < 2 or abs(s.x1 - seg.x1) < 2:
                return True
    return False


def _grid(block: list[list[Seg]], max_words: float) -> Grid | None:
    multi = [r for r in block if len(r) >= 2]
    if len(multi) < 2:
        return None
    counts = Counter(len(r) for r in multi)
    n_mode = counts.most_common(1)[0][0]
    # column gutters from the rows with the most common cell count (a spanning header
    # cell would otherwise close them)
    ref_rows = [r for r in multi if len(r) == n_mode]
    allsegs = [s for r in block for s in r]
    lo = min(s.x0 for s in allsegs)
    hi = max(s.x1 for s in allsegs)
    ref = [s for r in ref_rows for s in r]
    gutters = [iv for iv in _free(ref, lo, hi) if iv[0] > lo and iv[1] < hi]
    if not gutters:
        return None
    bounds = [lo] + [(a + b) / 2 for a, b in gutters] + [hi]
    n_cols = len(bounds) - 1
    if n_cols < 2:
        return None
    words = sum(len(s.text.split()) for s in allsegs) / len(allsegs)
    if words > max_words:
        return None

    def col_of(x: float) -> int:
        for k in range(n_cols):
            if x < bounds[k + 1]:
                return k
        return n_cols - 1

    cells: list[tuple[int, int, int, int, str, tuple[float, float, float, float]]] = []
    filled = 0
    for r_idx, row in enumerate(block):
        merged: dict[tuple[int, int], list[Seg]] = {}
        for s in row:
            c0 = col_of(s.x0 + 0.5)
            c1 = col_of(s.x1 - 0.5)
            # a segment that crosses a gutter by a wide margin spans columns; one that
            # just sticks out (right-aligned numbers) stays in the column of its centre
            if c1 > c0:
                cov = [min(s.x1, bounds[k + 1]) - max(s.x0, bounds[k]) for k in range(c0, c1 + 1)]
                keep = [c0 + k for k, v in enumerate(cov) if v > 0.25 * s.width]
                c0, c1 = (keep[0], keep[-1]) if keep else (c0, c0)
            merged.setdefault((c0, c1), []).append(s)
        for (c0, c1), parts in sorted(merged.items()):
            text = " ".join(p.text for p in parts).strip()
            bbox = (
                min(p.x0 for p in parts),
                min(p.top for p in parts),
                max(p.x1 for p in parts),
                max(p.bottom for p in parts),
            )
            cells.append((r_idx, c0, 1, c1 - c0 + 1, text, bbox))
            filled += c1 - c0 + 1
    if filled < 0.5 * n_cols * len(block):
        return None
    bbox = (lo, min(s.top for s in allsegs), hi, max(s.bottom for s in allsegs))
    return Grid(bbox=bbox, n_rows=len(block), n_cols=n_cols, cells=cells, segs=allsegs)


# --------------------------------------------------------------------------- helpers


def order_blocks(segs: list[Seg], min_gap: float) -> list[Para]:
    """Reading order + paragraphs for one page's segments (text and blocks)."""
    out: list[Para] = []
    for region in reading_order(segs, min_gap):
        out.extend(paragraphs(region))
    return out


BoldFn = Callable[[Seg], bool]
