"""Settings of one local server process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

API_KEY_ENV = "EXTRACTDESK_SERVER_API_KEY"
"""The environment variable that carries the API key (never the command line)."""

DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024**3
DEFAULT_UPLOAD_URL_TTL = 30 * 60.0
DEFAULT_RESULT_URL_TTL = 15 * 60.0
DEFAULT_ITEM_TIMEOUT = 300.0


def default_workers() -> int:
    """How many extraction processes to run when not told: at most two."""
    return min(2, os.cpu_count() or 1)


@dataclass(frozen=True)
class ServerConfig:
    """Everything the app factory needs; built by the command line."""

    data_dir: Path
    api_key: str
    workers: int
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    upload_url_ttl: float = DEFAULT_UPLOAD_URL_TTL
    result_url_ttl: float = DEFAULT_RESULT_URL_TTL
    item_timeout: float = DEFAULT_ITEM_TIMEOUT
    test_mode: bool = False

    @property
    def uploads_dir(self) -> Path:
        """Uploaded source documents, one file per ``file_id``."""
        return self.data_dir / "uploads"

    @property
    def results_dir(self) -> Path:
        """Result JSON documents, one file per item."""
        return self.data_dir / "results"

    @property
    def database_path(self) -> Path:
        """The SQLite state database."""
        return self.data_dir / "state.sqlite3"

    @property
    def secret_path(self) -> Path:
        """The URL-signing secret (kept across restarts so issued URLs stay valid)."""
        return self.data_dir / "url-signing.key"
