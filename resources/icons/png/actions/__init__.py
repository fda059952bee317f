"""Action icons as PNGs in two inks (package data; see resources/make_icons.py)."""
