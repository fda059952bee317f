"""Where Extractdesk keeps its files: the platform's data, config and log folders.

``EXTRACTDESK_DATA_DIR`` / ``EXTRACTDESK_CONFIG_DIR`` / ``EXTRACTDESK_LOG_DIR`` override them
(portable installs, support, tests).
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "Extractdesk"


def _dir(env: str, kind: str) -> Path:
    value = os.environ.get(env)
    if value:
        path = Path(value)
    else:
        # Imported only when needed: it is a measurable share of the window's cold start.
        import platformdirs

        finder = getattr(platformdirs, f"user_{kind}_dir")
        path = Path(finder(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    return _dir("EXTRACTDESK_DATA_DIR", "data")


def config_dir() -> Path:
    return _dir("EXTRACTDESK_CONFIG_DIR", "config")


def log_dir() -> Path:
    return _dir("EXTRACTDESK_LOG_DIR", "log")


def journal_path() -> Path:
    return data_dir() / "journal.sqlite3"


def results_dir() -> Path:
    path = data_dir() / "results"
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_engine_dir() -> Path:
    path = data_dir() / "local-engine"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` so that a crash never leaves half a file behind: write a temporary
    file beside it, then rename it into place. (No fsync: like the journal's
    synchronous=NORMAL, this survives any process crash; only a power cut can lose the
    last moments.)"""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
