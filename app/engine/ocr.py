"""OCR with RapidOCR (PP-OCR models shipped inside the ``rapidocr`` wheel) on onnxruntime.

Nothing is downloaded: the default models are the ones in the wheel, and onnxruntime's
telemetry is switched off before it is imported. The engine is created once per process
(the local server's worker processes reuse it for every page).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from app.engine import (
    DOCUMENT_TOO_LARGE,
    EXTRACTION_FAILED,
    INTERNAL_ERROR,
    EngineError,
    Extraction,
    ProgressCallback,
    imaging,
)
from app.engine import chunks as ch
from app.engine.layout import Seg, assign_headings, order_blocks

if TYPE_CHECKING:
    from PIL import Image

_ENGINE: Any = None
_LOCK = threading.Lock()

MAX_FRAMES = 200
RAPIDOCR_PARAMS: dict[str, Any] = {
    # The angle classifier flips correct lines and garbles them; pages are upright after
    # EXIF/PDF rotation, so it stays off.
    "Global.use_cls": False,
    "Global.log_level": "error",
    "Det.limit_type": "max",
    "Det.limit_side_len": 960,
}


def disable_telemetry() -> None:
    """Keep onnxruntime (and any hub client) off the network: call before importing them."""
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def engine() -> Any:
    """The process-wide RapidOCR engine (created on first use)."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            disable_telemetry()
            try:
                from rapidocr import RapidOCR
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise EngineError(
                    INTERNAL_ERROR, f"OCR is not available in this installation ({exc})."
                ) from exc
            params = dict(RAPIDOCR_PARAMS)
            threads = os.environ.get("EXTRACTDESK_OCR_THREADS", "")
            if threads.isdigit() and int(threads) > 0:
                # several worker processes on few cores: one or two threads each
                params["EngineConfig.onnxruntime.intra_op_num_threads"] = int(threads)
            _ENGINE = RapidOCR(params=params)
        return _ENGINE


def read_segments(img: Image.Image, factor: float) -> list[Seg]:
    """OCR one image; boxes are multiplied by ``factor`` (pixels to points)."""
    import numpy as np

    if img.mode != "RGB":
        img = img.convert("RGB")
    arr = np.asarray(img)
    result = engine()(arr)
    boxes = getattr(result, "boxes", None)
    txts = getattr(result, "txts", None)
    scores = getattr(result, "scores", None)
    if boxes is None or txts is None:
        return []
    segs: list[Seg] = []
    for box, text, score in zip(boxes, txts, scores or [1.0] * len(txts), strict=False):
        text = str(text).strip()
        if not text:
            continue
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        x0, x1 = min(xs) * factor, max(xs) * factor
        top, bottom = min(ys) * factor, max(ys) * factor
        # Detection boxes are padded: the glyph size is roughly 3/4 of the box height.
        size = max(1.0, (bottom - top) * 0.75)
        segs.append(Seg(text, x0, top, x1, bottom, size, conf=float(score)))
    return segs


def upright(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation (photos from phones are often stored sideways)."""
    from PIL import ImageOps

    return ImageOps.exif_transpose(img)


def extract_image_file(
    path: str,
    *,
    extract_text: bool = True,
    extract_images: bool = True,
    progress: ProgressCallback | None = None,
    filename: str | None = None,
) -> Extraction:
    """PNG/JPEG/TIFF/WebP/BMP/GIF: every frame is a page, read with OCR.

    The picture itself is the input, so it is not repeated as an image chunk
    (``extract_images`` has nothing to add).
    """
    _ = extract_images
    img = imaging.open_checked(path, what=f"The image {filename or ''}".rstrip())
    try:
        return _extract_frames(img, extract_text, progress)
    finally:
        img.close()


def _extract_frames(
    img: Image.Image, extract_text: bool, progress: ProgressCallback | None
) -> Extraction:
    frames = max(1, int(getattr(img, "n_frames", 1)))
    if frames > MAX_FRAMES:
        from app.engine import PAGE_LIMIT_EXCEEDED

        raise EngineError(
            PAGE_LIMIT_EXCEEDED,
            f"The image has {frames} frames; the local engine reads at most {MAX_FRAMES}.",
        )
    chunks: list[dict[str, Any]] = []
    all_paras = []
    for frame in range(frames):
        if frame:
            img.seek(frame)
            w, h = img.size
            if w * h > imaging.MAX_DECODE_PIXELS:
                raise EngineError(
                    DOCUMENT_TOO_LARGE, f"Frame {frame + 1} of the image is too large."
                )
        if extract_text:
            page_img, factor = _prepare(img)
            segs = read_segments(page_img, factor)
            sizes = sorted(s.size for s in segs)
            median = sizes[len(sizes) // 2] if sizes else 10.0
            paras = order_blocks(segs, max(6.0, 1.2 * median))
            all_paras.append((frame + 1, paras))
        if progress is not None:
            progress(frame + 1, frames)
    flat = [p for _, ps in all_paras for p in ps]
    assign_headings(flat, ratio=1.3)
    for page_no, paras in all_paras:
        for p in paras:
            if p.text:
                chunks.append(
                    ch.text_chunk(
                        page_no,
                        p.bbox,
                        p.text,
                        heading_level=p.heading_level,
                        confidences=p.confidences or None,
                    )
                )
    if extract_text and not chunks:
        raise EngineError(
            EXTRACTION_FAILED,
            "OCR found no text in the image, so no text could be found in this document.",
        )
    return Extraction(result={"chunks": chunks, "page_count": frames}, page_count=frames)


def _prepare(img: Image.Image) -> tuple[Image.Image, float]:
    """Upright RGB image bounded for OCR, and the factor back to upright original pixels."""
    from PIL import Image as PILImage

    orient = 1
    try:
        orient = int(img.getexif().get(0x0112, 1))
    except (AttributeError, ValueError, TypeError):
        orient = 1
    w, h = img.size
    if orient in (5, 6, 7, 8):
        w, h = h, w
    longest = max(w, h)
    if longest > imaging.OCR_MAX_SIDE and img.format == "JPEG":
        scale = imaging.OCR_MAX_SIDE / longest
        img.draft("RGB", (int(img.size[0] * scale), int(img.size[1] * scale)))
    work = upright(img)
    if work.mode not in ("RGB", "L"):
        if "A" in work.mode or work.mode == "P":
            base = PILImage.new("RGB", work.size, (255, 255, 255))
            rgba = work.convert("RGBA")
            base.paste(rgba, mask=rgba.getchannel("A"))
            work = base
        else:
            work = work.convert("RGB")
    work = imaging.bounded(work, imaging.OCR_MAX_SIDE)
    factor = w / work.size[0] if work.size[0] else 1.0
    return work, factor
