"""Where Extractdesk keeps its files: the platform's data, config and log folders.

``EXTRACTDESK_DATA_DIR`` / ``EXTRACTDESK_CONFIG_DIR`` / ``EXTRACTDESK_LOG_DIR`` override them
(portable installs, support, tests).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Extractdesk"


def _dir(env: str, default: str) -> Path:
    value = os.environ.get(env)
    path = Path(value) if value else Path(default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    return _dir("EXTRACTDESK_DATA_DIR", platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    return _dir("EXTRACTDESK_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    return _dir("EXTRACTDESK_LOG_DIR", platformdirs.user_log_dir(APP_NAME, appauthor=False))


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
