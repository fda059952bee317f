"""The user's preferences: versioned, validated, JSON in the platform config folder.

Never holds a secret (API keys live in the keychain, see credentials.py). A missing or
damaged file gives the defaults, so a bad file can never stop the app from starting.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from app import paths

log = logging.getLogger("extractdesk.settings")

SCHEMA_VERSION = 1


class Settings(BaseModel):
    schema_version: int = SCHEMA_VERSION
    provider: str = "local"
    """The provider new documents go to."""
    start_automatically: bool = True
    upload_concurrency: int = Field(default=4, ge=1, le=16)
    export_dir: str | None = None
    open_folder_after_export: bool = True
    base_urls: dict[str, str] = Field(default_factory=dict)
    """Per-provider address overrides (advanced)."""
    extract_images: bool = True


def settings_path() -> Path:
    return paths.config_dir() / "settings.json"


def load() -> Settings:
    path = settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        log.warning("settings file unreadable, using defaults: %s", exc)
        return Settings()
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        log.warning("settings file invalid, using defaults: %s", exc.errors()[:3])
        return Settings()


def save(settings: Settings) -> None:
    path = settings_path()
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(settings.model_dump_json(indent=2), encoding="utf-8")
    os.replace(tmp, path)
