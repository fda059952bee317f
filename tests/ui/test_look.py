"""Look and feel: icons that follow the light or dark palette, and the keyboard shortcuts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtGui import QColor, QIcon, QImage, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication

from resources.make_icons import action_svgs, render_action
from tests.ui.conftest import WindowFactory
from ui import icons


def ink_of(icon: QIcon, size: int = 20) -> QColor:
    """The colour most of the icon's solid pixels have."""
    image = icon.pixmap(size, size).toImage().convertToFormat(QImage.Format.Format_ARGB32)
    colours: Counter[tuple[int, int, int]] = Counter()
    for y in range(image.height()):
        for x in range(image.width()):
            pixel = image.pixelColor(x, y)
            if pixel.alpha() == 255:
                colours[(pixel.red(), pixel.green(), pixel.blue())] += 1
    assert colours, "the icon drew nothing"
    return QColor(*colours.most_common(1)[0][0])


def close(a: QColor, b: QColor, within: int = 24) -> bool:
    return all(abs(x - y) <= within for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


@pytest.fixture
def palette(qapp: QApplication) -> Iterator[Any]:
    """Set the application's text colour; the original palette comes back afterwards."""
    original = QPalette(qapp.palette())

    def set_text(colour: str, background: str) -> None:
        changed = QPalette(original)
        for role, value in (
            (QPalette.ColorRole.WindowText, colour),
            (QPalette.ColorRole.Text, colour),
            (QPalette.ColorRole.ButtonText, colour),
            (QPalette.ColorRole.Window, background),
            (QPalette.ColorRole.Base, background),
            (QPalette.ColorRole.Button, background),
        ):
            changed.setColor(role, QColor(value))
        qapp.setPalette(changed)
        qapp.processEvents()  # the widgets hear of it (PaletteChange)

    yield set_text
    qapp.setPalette(original)
    icons.clear_cache()


def test_the_shipped_action_pngs_are_the_svgs_rendered() -> None:
    """Every action icon has its PNGs, and they match the SVG (re-run
    ``resources/make_icons.py`` after editing one)."""
    for svg in action_svgs():
        for ink in icons.INKS:
            for size in icons.ACTION_SIZES:
                path = icons.action_png(svg.stem, ink, size)
                assert path.exists(), f"{path.name} is missing: run resources/make_icons.py"
                shipped = QImage(str(path)).convertToFormat(QImage.Format.Format_ARGB32)
                fresh = render_action(svg, ink, size).convertToFormat(QImage.Format.Format_ARGB32)
                assert shipped.size() == fresh.size()
                worst = max(
                    max(
                        abs(a - b)
                        for a, b in zip(
                            shipped.pixelColor(x, y).getRgb(),
                            fresh.pixelColor(x, y).getRgb(),
                            strict=True,
                        )
                    )
                    for y in range(size)
                    for x in range(size)
                )
                assert worst <= 16, f"{path.name} differs from {svg.name}: re-run make_icons.py"


def test_toolbar_icons_follow_the_light_and_dark_palettes(
    make_window: WindowFactory, palette: Any
) -> None:
    window = make_window(start=False)
    assert close(ink_of(window.act_add_files.icon()), QColor(icons.INKS["dark"]))

    palette("#fcfcfc", "#202326")  # a dark theme (Breeze Dark's colours)
    assert close(ink_of(window.act_add_files.icon()), QColor(icons.INKS["light"]))
    assert close(ink_of(window.act_settings.icon(), 40), QColor(icons.INKS["light"]))

    palette("#232629", "#eff0f1")  # and back to a light one
    assert close(ink_of(window.act_add_files.icon()), QColor(icons.INKS["dark"]))


def test_an_unusual_text_colour_gets_icons_drawn_in_that_colour(
    make_window: WindowFactory, palette: Any
) -> None:
    """A high-contrast theme's yellow text: no shipped ink is close, so the SVG is drawn in
    exactly that colour."""
    window = make_window(start=False)
    palette("#ffd400", "#000000")
    assert close(ink_of(window.act_add_files.icon()), QColor("#ffd400"), within=4)
    assert close(ink_of(window.act_export.icon(), 32), QColor("#ffd400"), within=4)


def test_keyboard_shortcuts(make_window: WindowFactory) -> None:
    """Ctrl+O adds, Delete removes, Ctrl+F finds, F5 retries failed (and the rest)."""
    window = make_window(start=False)

    def keys(action: Any) -> set[str]:
        return {s.toString(QKeySequence.SequenceFormat.PortableText) for s in action.shortcuts()}

    assert "Ctrl+O" in keys(window.act_add_files)
    assert "Ctrl+Shift+O" in keys(window.act_add_folder)
    assert "Ctrl+V" in keys(window.act_paste)
    assert "F5" in keys(window.act_retry_failed)
    assert "Ctrl+F" in keys(window.act_find)
    assert "Ctrl+E" in keys(window.act_export)
    assert "Ctrl+Q" in keys(window.act_quit)
    assert {"Del", "Backspace"} <= keys(window.act_remove)
    # every shortcut belongs to one action only (an ambiguous one does nothing in Qt)
    taken = Counter(key for action in window.actions() for key in keys(action))
    taken.update(key for key in keys(window.act_remove))
    assert [key for key, count in taken.items() if count > 1] == []
