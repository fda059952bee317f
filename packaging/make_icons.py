"""Platform icon files from the committed PNGs (resources/icons/png/extractdesk-SIZE.png).

    python packaging/make_icons.py OUT_DIR      # writes OUT_DIR/extractdesk.ico and .icns

Windows wants an .ico (16-256 px) and macOS an .icns (16-512 px, and 1024 px when
there is a PNG that large). Pillow writes both. The PNGs themselves come from
resources/make_icons.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

PNG_DIR = Path(__file__).resolve().parents[1] / "resources" / "icons" / "png"


def pngs() -> dict[int, Path]:
    found = {}
    for path in PNG_DIR.glob("extractdesk-*.png"):
        size = path.stem.rsplit("-", 1)[1]
        if size.isdigit():
            found[int(size)] = path
    if not found:
        raise SystemExit(f"no extractdesk-SIZE.png in {PNG_DIR}: run resources/make_icons.py")
    return dict(sorted(found.items()))


def make_ico(out: Path) -> Path:
    images = pngs()
    usable = {s: p for s, p in images.items() if s <= 256}
    largest = Image.open(usable[max(usable)]).convert("RGBA")
    # each size from its own PNG (drawn for that size), not scaled down from the largest
    others = [Image.open(p).convert("RGBA") for s, p in usable.items() if s != max(usable)]
    target = out / "extractdesk.ico"
    largest.save(target, format="ICO", sizes=[(s, s) for s in usable], append_images=others)
    return target


def make_icns(out: Path) -> Path:
    images = pngs()
    biggest = Image.open(images[max(images)]).convert("RGBA")
    extra = [Image.open(p).convert("RGBA") for s, p in images.items() if s != max(images)]
    target = out / "extractdesk.icns"
    biggest.save(target, format="ICNS", append_images=extra)
    return target


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "build/icons")
    out.mkdir(parents=True, exist_ok=True)
    for made in (make_ico(out), make_icns(out)):
        sys.stdout.write(f"{made} ({made.stat().st_size} bytes)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
