"""The desktop window (Qt). ``app/`` is the core and never imports this package.

Start-up speed. Once PySide6 is loaded, its import hook reads the source of every module
imported after it (an ``import`` of an already loaded module included, once per name),
looking for ``from __feature__ import snake_case``-style switches: ~0.15 ms a module, 5 ms
before the window's first frame. This app uses no such switch. So the pure-Python modules
the first frame needs are imported here before PySide6, and then every module loaded so
far, and each of this package's, is entered in the hook's table as already checked. That
table is ``__feature__.pyside_feature_dict``; its public setter ``set_selection`` costs
0.5 ms a call. A PySide6 release without the table only makes the start a few ms slower.
"""

from __future__ import annotations

import dataclasses  # noqa: F401  (the first frame's pure-Python modules, before PySide6)
import gc  # noqa: F401
import json  # noqa: F401
import logging  # noqa: F401
import signal  # noqa: F401
import sys
import threading  # noqa: F401
import traceback  # noqa: F401
from pathlib import Path

from app import models, paths, providers  # noqa: F401

# isort: split
from PySide6 import QtCore  # noqa: F401  (loads PySide6, and with it the import hook)


def _declare_no_feature_switches() -> None:
    table = getattr(sys.modules.get("__feature__"), "pyside_feature_dict", None)
    if not isinstance(table, dict):
        return
    for source in Path(__file__).parent.glob("*.py"):  # ours: they use PySide6, no switch
        table.setdefault(f"{__name__}.{source.stem}", 0)
    for name in list(sys.modules):  # loaded before PySide6: nothing to switch
        table.setdefault(name, -1)


_declare_no_feature_switches()
