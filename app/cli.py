"""The ``extractdesk`` command: the window, ``extract``, ``serve`` and ``--version``.

Kept to the standard library at import time: opening the window must not pay for the
pipeline, httpx or pydantic before the first frame (the commands load them when used).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Sequence


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("extractdesk")
    except PackageNotFoundError:
        return "0.1.0"


USAGE = """\
usage: extractdesk [FILE...]
       extractdesk extract PATH... [--out DIR] [--provider NAME] [--base-url URL]
       extractdesk serve [--host 127.0.0.1] [--port N]
       extractdesk --version

Turn PDFs, scans, photos and office files into text, tables and figures.
With no arguments (or only files and folders) the window opens, with those files added.
Run 'extractdesk extract --help' for details.
"""


def main(argv: Sequence[str] | None = None) -> int:
    multiprocessing.freeze_support()  # frozen builds: a worker process runs its task here
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--local-engine-server"]:  # hidden: the frozen app runs its own server
        from app.server.cli import serve_main

        return int(serve_main(args[1:]))
    if args[:1] == ["--smoke-test"]:  # hidden: open the window, extract FILE, exit 0 if fine
        import importlib

        return int(importlib.import_module("ui.smoke").main(args[1:]))
    if args and args[0] in ("--version", "-V"):
        sys.stdout.write(f"extractdesk {version()}\n")
        return 0
    if args and args[0] == "extract":
        from app.extract_command import extract_main

        return extract_main(args[1:])
    if args and args[0] == "serve":
        from app.server.cli import serve_main

        return int(serve_main(args[1:]))
    if not args or not args[0].startswith("-"):
        return open_window(args)
    sys.stdout.write(USAGE)
    return 0 if args[0] in ("-h", "--help") else 2


def open_window(files: Sequence[str]) -> int:
    """Open the main window with ``files`` added (a file manager's "Open with").

    The window lives in the ``ui`` package, which the core must not import (import-linter
    contract): it is loaded by name, only when a window is asked for."""
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
        and not os.environ.get("QT_QPA_PLATFORM")
    ):
        sys.stderr.write(
            "No screen was found, so the window cannot open. To extract from a terminal, run "
            "'extractdesk extract FILE...'.\n"
        )
        return 2
    import importlib

    gui = importlib.import_module("ui.app")
    return int(gui.run_gui(list(files)))


if __name__ == "__main__":
    sys.exit(main())
