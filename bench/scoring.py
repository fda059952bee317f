"""Scores for extraction results against :mod:`bench.corpus` ground truth."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

_WORD = re.compile(r"\w+(?:[.,%]\w+)*%?")


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(unicodedata.normalize("NFC", text))]


def text_of(result: dict[str, Any], *, tables: bool = False) -> str:
    parts = []
    for c in result["chunks"]:
        if c["chunk_type"] == "text" or (tables and c["chunk_type"] == "table"):
            if c["chunk_type"] == "table":
                parts.extend(cell["text"] for cell in c.get("cells", []))
            else:
                parts.append(c["page_content"])
    return "\n".join(parts)


def recall_precision(truth: str, got: str) -> tuple[float, float]:
    """Bag-of-words recall and precision."""
    t, g = Counter(words(truth)), Counter(words(got))
    hit = sum((t & g).values())
    return hit / max(1, sum(t.values())), hit / max(1, sum(g.values()))


def heading_recall(truth: Sequence[tuple[int, str]], result: dict[str, Any]) -> float:
    """Share of true headings found with the right text and level."""
    found = Counter(
        (c.get("heading_level"), norm(c["page_content"]).casefold())
        for c in result["chunks"]
        if c["chunk_type"] == "text" and c.get("heading_level")
    )
    hit = 0
    for level, text in truth:
        key = (level, norm(text).casefold())
        if found[key] > 0:
            found[key] -= 1
            hit += 1
    return hit / max(1, len(truth))


def grid_of(chunk: dict[str, Any]) -> dict[tuple[int, int], str]:
    return {(c["row"], c["col"]): norm(c["text"]) for c in chunk.get("cells", [])}


def cell_accuracy(truth: list[list[str]], chunk: dict[str, Any] | None) -> float:
    """Share of non-empty truth cells found at the same (row, col), best of small shifts."""
    if chunk is None:
        return 0.0
    grid = grid_of(chunk)
    cells = [((r, c), norm(v)) for r, row in enumerate(truth) for c, v in enumerate(row) if norm(v)]
    best = 0
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            hit = sum(1 for (r, c), v in cells if grid.get((r + dr, c + dc)) == v)
            best = max(best, hit)
    return best / max(1, len(cells))


def best_table(truth: list[list[str]], result: dict[str, Any]) -> dict[str, Any] | None:
    tables = [c for c in result["chunks"] if c["chunk_type"] == "table"]
    if not tables:
        return None
    return max(tables, key=lambda t: cell_accuracy(truth, t))


def levenshtein(a: str, b: str) -> int:
    """Edit distance, vectorised over rows with numpy (fast enough for a page of text)."""
    import numpy as np

    if not a:
        return len(b)
    if not b:
        return len(a)
    bb = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    idx = np.arange(len(b) + 1)
    prev = idx.copy()
    for i, ch in enumerate(a, start=1):
        cost = (bb != ord(ch)).astype(np.int64)
        t = np.empty(len(b) + 1, dtype=np.int64)
        t[0] = i
        t[1:] = np.minimum(prev[1:] + 1, prev[:-1] + cost)
        prev = idx + np.minimum.accumulate(t - idx)
    return int(prev[-1])


def cer(truth: str, got: str) -> float:
    """Character error rate over whitespace-normalised text."""
    t, g = norm(truth), norm(got)
    return levenshtein(t, g) / max(1, len(t))


def in_order(haystack: str, needles: Sequence[str]) -> bool:
    """Every needle occurs (whitespace-normalised) and they occur in this order."""
    hay = norm(haystack)
    pos = 0
    for n in needles:
        k = hay.find(norm(n), pos)
        if k < 0:
            return False
        pos = k + len(norm(n))
    return True
