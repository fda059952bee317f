"""Speed of the local engine against poppler's pdftotext, printed from one run.

    python bench/engine_speed.py [--pages 200] [--runs 3] [--rounds 3] [--ocr-pages 2]

Measures, each in a fresh worker process (so peak memory is per mode):

* pdftotext (Debian poppler-utils, GPL: a yardstick only, never shipped) on a generated
  ``--pages`` page text PDF;
* plain pypdfium2 text (``get_text_bounded``), the library floor;
* the engine's text-only path (no tables, no figures, no OCR);
* the engine with table detection and figures on (the default);
* OCR seconds per 150-dpi scanned page (first page includes loading the models).

pdftotext, plain pypdfium2 and the text-only engine are measured ``--rounds`` times,
interleaved (one of each per round), so load from other processes on the machine hits all
three alike; their pages/s are medians over the rounds and the text-only ratio is the
median of the per-round ratios (its range is printed too).

Targets (issue 4): text-only >= 0.5x pdftotext pages/s; tables on >= 20 pages/s on pages
without tables; OCR <= 4 s per 150-dpi page on 2 cores; peak worker memory reported.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _worker(mode: str, path: str, runs: int) -> None:
    """Run one mode ``runs`` times after a warm-up; print JSON times and peak RSS."""
    times: list[float] = []
    pages = 0
    first = 0.0
    for k in range(runs + 1):
        t0 = time.perf_counter()
        if mode == "pypdfium2":
            import pypdfium2 as pdfium

            doc = pdfium.PdfDocument(path)
            pages = len(doc)
            for i in range(pages):
                page = doc[i]
                tp = page.get_textpage()
                tp.get_text_bounded()
                tp.close()
                page.close()
            doc.close()
        elif mode == "text":
            from app.engine.pdf import extract_pdf

            out = extract_pdf(path, extract_images=False, detect_tables=False, ocr=False)
            pages = out.page_count
        elif mode in ("full", "ocr"):
            from app.engine import extract_document

            out = extract_document(path)
            pages = out.page_count
        else:
            raise SystemExit(f"unknown mode {mode}")
        elapsed = time.perf_counter() - t0
        if k == 0:
            first = elapsed
        else:
            times.append(elapsed)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"times": times, "first": first, "pages": pages, "rss_mb": rss}))


def _run_worker(mode: str, path: Path, runs: int) -> dict[str, float]:
    res = subprocess.run(
        [sys.executable, __file__, "--worker", mode, str(path), "--runs", str(runs)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if res.returncode != 0:
        raise SystemExit(f"worker {mode} failed:\n{res.stderr}")
    data = json.loads(res.stdout.strip().splitlines()[-1])
    med = statistics.median(data["times"])
    return {
        "pps": data["pages"] / med,
        "spp": med / max(1, data["pages"]),
        "first_spp": data["first"] / max(1, data["pages"]),
        "rss": data["rss_mb"],
        "pages": data["pages"],
    }


def _pdftotext(path: Path, runs: int) -> dict[str, float] | None:
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    times = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        subprocess.run([exe, "-q", str(path), "-"], stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times[1:])
    return {"pps": PAGES / med, "spp": med / PAGES}


PAGES = 200


def _median_row(rows: list[dict[str, float]] | list[dict[str, float] | None]) -> dict[str, float]:
    """Per-key median over rounds (peak RSS: the maximum)."""
    present = [r for r in rows if r is not None]
    return {
        k: (max if k == "rss" else statistics.median)([r[k] for r in present]) for k in present[0]
    }


def main() -> int:
    global PAGES
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (text modes)")
    ap.add_argument("--ocr-pages", type=int, default=2)
    ap.add_argument("--worker", nargs=2, metavar=("MODE", "PATH"))
    args = ap.parse_args()
    if args.worker:
        _worker(args.worker[0], args.worker[1], args.runs)
        return 0
    PAGES = args.pages
    from bench import corpus

    with tempfile.TemporaryDirectory(prefix="engine-speed-") as tmp:
        out = Path(tmp)
        long_pdf = corpus.make_long_text_pdf(out, pages=args.pages).path
        scan = corpus.make_scanned_pdf(out, dpi=150, pages=args.ocr_pages).path
        tables = corpus.make_tables_pdf(out).path
        rounds = max(1, args.rounds)
        print(
            f"# engine speed: {args.pages}-page text PDF, median of {args.runs} runs "
            "after a warm-up, each mode in its own process; pdftotext, pypdfium2 and "
            f"text-only interleaved over {rounds} rounds"
        )
        refs: list[dict[str, float] | None] = []
        plains: list[dict[str, float]] = []
        texts: list[dict[str, float]] = []
        for _ in range(rounds):
            refs.append(_pdftotext(long_pdf, args.runs))
            plains.append(_run_worker("pypdfium2", long_pdf, args.runs))
            texts.append(_run_worker("text", long_pdf, args.runs))
        ref = _median_row(refs) if refs[0] is not None else None
        if ref is None:
            print(
                "pdftotext NOT FOUND: install Debian's poppler-utils (apt-get install "
                "poppler-utils) to get the yardstick; ratios are skipped."
            )
        plain = _median_row(plains)
        text = _median_row(texts)
        text_ratios = [t["pps"] / r["pps"] for t, r in zip(texts, refs, strict=True) if r]
        full = _run_worker("full", long_pdf, args.runs)
        tab = _run_worker("full", tables, args.runs)
        ocr = _run_worker("ocr", scan, 1)

    def ratio(pps: float) -> str:
        return f"{pps / ref['pps']:.2f}x" if ref else "n/a"

    text_ratio = statistics.median(text_ratios) if text_ratios else 0.0

    rows = [
        (
            "pdftotext (poppler, yardstick)",
            ref["pps"] if ref else None,
            "1.00x" if ref else "n/a",
            None,
        ),
        ("pypdfium2 get_text_bounded (floor)", plain["pps"], ratio(plain["pps"]), plain["rss"]),
        (
            "engine text-only",
            text["pps"],
            f"{text_ratio:.2f}x" if text_ratios else "n/a",
            text["rss"],
        ),
        ("engine tables+figures on (no tables)", full["pps"], ratio(full["pps"]), full["rss"]),
        ("engine tables+figures on (table pages)", tab["pps"], ratio(tab["pps"]), tab["rss"]),
    ]
    print(f"{'mode':42} {'pages/s':>9} {'vs pdftotext':>13} {'peak RSS':>9}")
    for name, pps, r, rss in rows:
        pps_s = f"{pps:9.0f}" if pps is not None else f"{'-':>9}"
        rss_s = f"{rss:7.0f}MB" if rss is not None else f"{'-':>9}"
        print(f"{name:42} {pps_s} {r:>13} {rss_s}")
    print(
        f"{'OCR, 150-dpi scanned page':42} {ocr['spp']:8.2f}s/page (first run incl. model "
        f"load: {ocr['first_spp']:.2f}s/page)  peak RSS {ocr['rss']:.0f}MB"
    )
    if len(text_ratios) > 1:
        print(
            "text-only vs pdftotext per round: "
            + ", ".join(f"{r:.2f}x" for r in text_ratios)
            + f" (median {text_ratio:.2f}x)"
        )
    print()
    checks = [
        ("text-only >= 0.5x pdftotext", bool(text_ratios) and text_ratio >= 0.5),
        ("tables on >= 20 pages/s (pages without tables)", full["pps"] >= 20),
        ("OCR <= 4 s per 150-dpi page", ocr["spp"] <= 4.0),
    ]
    for name, ok in checks:
        print(f"{'PASS' if ok else 'MISS'}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
