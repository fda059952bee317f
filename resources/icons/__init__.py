"""Icons: SVG sources and the app icon's PNG sizes (rendered by resources/make_icons.py).

A package only so that the files ship with the wheel (package data is per package)."""
