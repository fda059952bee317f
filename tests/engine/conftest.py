"""Generated documents for the engine tests (made once per test session)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bench import corpus


@pytest.fixture(scope="session")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Any]:
    """``docs("text")`` builds (once) and returns the Truth of a corpus document."""
    root = tmp_path_factory.mktemp("engine-corpus")
    made: dict[str, Any] = {}
    makers: dict[str, Callable[[], Any]] = {
        "text": lambda: corpus.make_text_pdf(root),
        "twocol": lambda: corpus.make_two_column_pdf(root),
        "tables": lambda: corpus.make_tables_pdf(root),
        "images": lambda: corpus.make_images_pdf(root),
        "scan150": lambda: corpus.make_scanned_pdf(root, dpi=150),
        "scan300": lambda: corpus.make_scanned_pdf(root, dpi=300),
        "scan_stamped": lambda: corpus.make_scanned_pdf(
            root, dpi=150, seed=22, stamp="Scanned 2026-11-22"
        ),
        "photo_jpeg": lambda: corpus.make_photo(root, fmt="JPEG"),
        "photo_png": lambda: corpus.make_photo(root, fmt="PNG", exif_rotate=False),
        "docx": lambda: corpus.make_docx(root),
        "xlsx": lambda: corpus.make_xlsx(root),
        "pptx": lambda: corpus.make_pptx(root),
        "encrypted": lambda: corpus.make_encrypted_pdf(root),
        "corrupt": lambda: corpus.make_corrupt_pdf(root),
        "png_bomb": lambda: corpus.make_png_bomb(root),
        "pdf_bomb": lambda: corpus.make_pdf_image_bomb(root, side=20_000),
        "huge_page": lambda: corpus.make_huge_page_pdf(root),
        "blank": lambda: corpus.make_blank_pdf(root),
    }

    def get(name: str) -> Any:
        if name not in made:
            made[name] = makers[name]()
        return made[name]

    return get
