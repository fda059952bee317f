"""Bounded image handling with Pillow: pixel caps before decoding, downscaling, encoding."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from app.engine import DOCUMENT_TOO_LARGE, UNSUPPORTED_INPUT, EngineError

if TYPE_CHECKING:
    from PIL import Image

MAX_DECODE_PIXELS = 80_000_000
"""Largest image we decode at all (about 9000 x 9000); larger ones are refused or skipped."""
OCR_MAX_SIDE = 3500
"""Images are downscaled so that the longer side is at most this many pixels before OCR."""
EMBED_MAX_SIDE = 2048
"""Figures re-encoded for the result are downscaled to this longer side."""


def configure_pil() -> None:
    from PIL import Image

    # Pillow raises DecompressionBombError above twice this; we check sizes ourselves first.
    Image.MAX_IMAGE_PIXELS = MAX_DECODE_PIXELS


def open_checked(source: str | bytes, *, what: str = "The image") -> Image.Image:
    """Open an image, refusing pixel bombs before any pixel is decoded."""
    from PIL import Image, UnidentifiedImageError

    configure_pil()
    try:
        img = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise EngineError(UNSUPPORTED_INPUT, f"{what} could not be read ({exc}).") from exc
    except Image.DecompressionBombError as exc:
        raise EngineError(DOCUMENT_TOO_LARGE, f"{what} has too many pixels ({exc}).") from exc
    w, h = img.size
    if w <= 0 or h <= 0:
        img.close()
        raise EngineError(UNSUPPORTED_INPUT, f"{what} has no pixels.")
    if w * h > MAX_DECODE_PIXELS:
        img.close()
        raise EngineError(
            DOCUMENT_TOO_LARGE,
            f"{what} is {w} x {h} pixels; the local engine reads at most "
            f"{MAX_DECODE_PIXELS // 1_000_000} megapixels.",
        )
    return img


def bounded(img: Image.Image, max_side: int) -> Image.Image:
    """Downscale so that the longer side is at most ``max_side`` (never upscales)."""
    w, h = img.size
    if max(w, h) <= max_side:
        return img
    scale = max_side / max(w, h)
    img.draft("RGB", (max(1, int(w * scale)), max(1, int(h * scale))))  # JPEG: decode smaller
    from PIL import Image

    w, h = img.size
    scale = max_side / max(w, h)
    if scale >= 1:
        return img
    return img.resize(
        (max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS
    )


def encode(img: Image.Image) -> tuple[bytes, str]:
    """PNG for drawings, screenshots and transparency; JPEG for photos (many colours)."""
    buf = io.BytesIO()
    if img.mode not in ("1", "L", "P", "LA", "RGBA", "RGB"):
        img = img.convert("RGBA" if "A" in img.mode else "RGB")
    if img.mode == "RGB" and img.getcolors(4096) is None:
        img.save(buf, format="JPEG", quality=88)
        return buf.getvalue(), "image/jpeg"
    img.save(buf, format="PNG", compress_level=6)
    return buf.getvalue(), "image/png"
