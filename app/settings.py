"""The user's preferences: versioned, validated, JSON in the platform config folder.

Never holds a secret (API keys live in the keychain, see credentials.py). A missing or
damaged file gives the defaults, so a bad file can never stop the app from starting.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from app import paths

log = logging.getLogger("extractdesk.settings")

SCHEMA_VERSION = 1


class FieldSetting(BaseModel):
    """A field to pull out of every document (Anthropic)."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    type: Literal["text", "number", "date", "yes/no"] = "text"
    description: str = ""


class AnthropicSettings(BaseModel):
    model: str = "claude-sonnet-4-5"
    fields: list[FieldSetting] = Field(default_factory=list)
    delete_files_when_done: bool = False


class AnesyaSettings(BaseModel):
    server: Literal["EU-1", "FR-1", "FR-2", "FR-3"] = "EU-1"
    schema_id: str | None = None
    classifier_id: str | None = None
    page_start: int | None = Field(default=None, ge=1)
    page_end: int | None = Field(default=None, ge=1)


class OlostepSettings(BaseModel):
    max_batch_items: int = Field(default=100, ge=1, le=10_000)
    """New Olostep accounts may send 100 links per batch; raise it if your plan allows."""


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
    anthropic: AnthropicSettings = Field(default_factory=AnthropicSettings)
    anesya: AnesyaSettings = Field(default_factory=AnesyaSettings)
    olostep: OlostepSettings = Field(default_factory=OlostepSettings)

    def job_options(self, provider: str) -> dict[str, Any]:
        """What a new job for ``provider`` records, so that it resumes exactly as started."""
        options: dict[str, Any] = {"extract_images": self.extract_images}
        section = {"anthropic": self.anthropic, "anesya": self.anesya, "olostep": self.olostep}.get(
            provider
        )
        if section is not None:
            options[provider] = section.model_dump()
        return options

    def base_url(self, provider: str) -> str | None:
        return self.base_urls.get(provider) or None


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
    paths.write_atomically(settings_path(), settings.model_dump_json(indent=2).encode("utf-8"))
