"""Quality of the local engine on a generated corpus with known ground truth.

    python bench/engine_quality.py [--pages 10] [--ocr-pages 2] [--keep DIR]

Reports word recall/precision of the text layer, reading order on two-column pages, heading
recall (and precision), table cell accuracy per table kind, OCR character error rate (CER) at
150 and 300 dpi (clean and degraded scans) and office-format scores. Where poppler's
``pdftotext`` is installed it is scored on the same PDFs as a baseline (text only: it has no
headings or tables).

Targets (issue 4): word recall >= 0.99; heading recall >= 0.95; cell accuracy >= 0.95 ruled,
>= 0.90 unruled; OCR CER <= 3% at 300 dpi and <= 6% at 150 dpi.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import corpus  # noqa: E402
from bench.scoring import (  # noqa: E402
    best_table,
    cell_accuracy,
    cer,
    heading_recall,
    in_order,
    norm,
    recall_precision,
    text_of,
    words,
)


def _pdftotext(path: Path) -> str | None:
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    res = subprocess.run([exe, "-q", str(path), "-"], capture_output=True, check=False)
    return res.stdout.decode("utf-8", errors="replace")


def _order_accuracy(truth: str, got: str) -> float:
    """Order-sensitive word accuracy: matched words in sequence / truth words."""
    a, b = words(truth), words(got)
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return sum(m.size for m in sm.get_matching_blocks()) / max(1, len(a))


def _heading_precision(truth: list[tuple[int, str]], result: dict[str, Any]) -> float:
    true = {(lv, norm(t).casefold()) for lv, t in truth}
    found = [
        (c["heading_level"], norm(c["page_content"]).casefold())
        for c in result["chunks"]
        if c["chunk_type"] == "text" and c.get("heading_level")
    ]
    return sum(1 for f in found if f in true) / max(1, len(found))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pages", type=int, default=10, help="pages of the headings text PDF")
    ap.add_argument("--ocr-pages", type=int, default=2, help="pages per scanned PDF")
    ap.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    args = ap.parse_args()

    from app.engine import extract_document

    tmp = None
    if args.keep:
        out = args.keep
        out.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="engine-quality-")
        out = Path(tmp.name)
    t_start = time.perf_counter()
    rows: list[tuple[str, str, str, str, bool | None]] = []

    def add(metric: str, ours: float, base: float | None, target: str, ok: bool | None) -> None:
        rows.append((metric, f"{ours:.3f}", "-" if base is None else f"{base:.3f}", target, ok))

    # --- text layer -------------------------------------------------------------------
    text_docs = [
        corpus.make_text_pdf(out, pages=args.pages),
        corpus.make_long_text_pdf(out, pages=50),
        corpus.make_two_column_pdf(out, pages=4),
    ]
    tables = corpus.make_tables_pdf(out)
    images = corpus.make_images_pdf(out)
    results = {t.path.name: extract_document(str(t.path)).result for t in text_docs}
    truth_all = "\n".join(t.text for t in text_docs) + "\n" + tables.text + "\n" + images.text
    got_all = "\n".join(text_of(results[t.path.name]) for t in text_docs)
    tab_res = extract_document(str(tables.path)).result
    img_res = extract_document(str(images.path)).result
    got_all += "\n" + text_of(tab_res) + "\n" + text_of(img_res)
    r, p = recall_precision(truth_all, got_all)
    base_txt = [_pdftotext(t.path) for t in [*text_docs, images]]
    base_r = base_p = None
    if all(b is not None for b in base_txt):
        btruth = "\n".join(t.text for t in [*text_docs, images])
        base_r, base_p = recall_precision(btruth, "\n".join(b or "" for b in base_txt))
    add("text-layer word recall", r, base_r, ">= 0.99", r >= 0.99)
    add("text-layer word precision", p, base_p, "-", None)
    twocol = text_docs[2]
    order = _order_accuracy(twocol.text, text_of(results[twocol.path.name]))
    b2 = _pdftotext(twocol.path)
    add(
        "two-column order (word accuracy)",
        order,
        None if b2 is None else _order_accuracy(twocol.text, b2),
        "-",
        None,
    )
    add(
        "two-column: columns in reading order",
        float(in_order(text_of(results[twocol.path.name]), twocol.columns)),
        None,
        "1",
        None,
    )
    heads = [h for t in text_docs for h in t.headings]
    hr = sum(
        heading_recall(t.headings, results[t.path.name]) * len(t.headings) for t in text_docs
    ) / len(heads)
    hp = sum(_heading_precision(t.headings, results[t.path.name]) for t in text_docs) / len(
        text_docs
    )
    add(f"heading recall ({len(heads)} headings, level exact)", hr, None, ">= 0.95", hr >= 0.95)
    add("heading precision", hp, None, "-", None)

    # --- tables ------------------------------------------------------------------------
    for rows_truth, kind in zip(tables.tables, tables.table_kinds, strict=True):
        acc = cell_accuracy(rows_truth, best_table(rows_truth, tab_res))
        target = 0.95 if kind == "ruled" else 0.90
        add(f"table cell accuracy, {kind}", acc, None, f">= {target:.2f}", acc >= target)
    loose = text_of(tab_res)
    repeated = sum(
        1
        for rows_truth in tables.tables
        for row in rows_truth[1:]
        if norm(" ".join(row[:3])) in norm(loose)
    )
    add("table rows repeated as loose text", float(repeated), None, "0", repeated == 0)

    # --- figures -----------------------------------------------------------------------
    figs = [c for c in img_res["chunks"] if c["chunk_type"] == "image"]
    add(
        "figures found / embedded", len(figs) / images.images, None, "1", len(figs) == images.images
    )
    caps = sum(1 for c in figs if c["page_content"].startswith("Figure"))
    add("figure captions attached", caps / images.images, None, "-", None)

    # --- OCR ---------------------------------------------------------------------------
    ocr_times: list[float] = []
    for dpi, degrade, limit in (
        (300, False, 0.03),
        (150, False, 0.06),
        (300, True, None),
        (150, True, None),
    ):
        scan = corpus.make_scanned_pdf(out, dpi=dpi, pages=args.ocr_pages, degrade=degrade)
        t0 = time.perf_counter()
        res = extract_document(str(scan.path)).result
        ocr_times.append((time.perf_counter() - t0) / args.ocr_pages)
        e = cer(scan.text, text_of(res))
        name = f"OCR CER {dpi} dpi{' degraded' if degrade else ''}"
        add(name, e, None, f"<= {limit:.2f}" if limit else "-", e <= limit if limit else None)
    photo = corpus.make_photo(out)
    pres = extract_document(str(photo.path)).result
    add("OCR CER photo (EXIF-rotated JPEG)", cer(photo.text, text_of(pres)), None, "-", None)

    # --- office ------------------------------------------------------------------------
    docx = corpus.make_docx(out)
    dres = extract_document(str(docx.path)).result
    add("DOCX word recall", recall_precision(docx.text, text_of(dres))[0], None, "-", None)
    add("DOCX heading recall", heading_recall(docx.headings, dres), None, "-", None)
    add(
        "DOCX table cells",
        cell_accuracy(docx.tables[0], best_table(docx.tables[0], dres)),
        None,
        "-",
        None,
    )
    xlsx = corpus.make_xlsx(out)
    xres = extract_document(str(xlsx.path)).result
    xt = [c for c in xres["chunks"] if c["chunk_type"] == "table"]
    xacc = sum(cell_accuracy(t, c) for t, c in zip(xlsx.tables, xt, strict=False)) / len(
        xlsx.tables
    )
    add("XLSX cells (cached formula values)", xacc, None, "-", None)
    pptx = corpus.make_pptx(out)
    pres2 = extract_document(str(pptx.path)).result
    add("PPTX word recall", recall_precision(pptx.text, text_of(pres2))[0], None, "-", None)
    add("PPTX heading recall", heading_recall(pptx.headings, pres2), None, "-", None)
    add(
        "PPTX table cells",
        cell_accuracy(pptx.tables[0], best_table(pptx.tables[0], pres2)),
        None,
        "-",
        None,
    )

    print(
        f"# engine quality on a generated corpus ({args.pages}-page headings PDF, 50-page "
        f"PDF, 4 two-column pages, {args.ocr_pages} pages per scan); baseline = pdftotext"
    )
    print(f"{'metric':46} {'ours':>7} {'baseline':>9} {'target':>8}  result")
    for metric, ours, base, target, ok in rows:
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        print(f"{metric:46} {ours:>7} {base:>9} {target:>8}  {verdict}")
    print(
        f"OCR wall time: {sum(ocr_times) / len(ocr_times):.2f} s/page on average; "
        f"whole run {time.perf_counter() - t_start:.0f} s"
    )
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
