"""The provider registry: every service the app can drive, for the CLI and the window."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderInfo:
    id: str
    """Stable id: the CLI's --provider value and the keychain user name."""
    name: str
    description: str
    needs_key: bool
    default_base_url: str | None
    key_help: str = ""
    reads: str = "documents"
    """What it takes, in plain words (the README's provider table says the same)."""
    max_batch_items: int = 10_000
    accepts_files: bool = True
    accepts_urls: bool = False


LOCAL = ProviderInfo(
    id="local",
    name="Local engine",
    description="Extracts on this computer. Works offline, no account needed.",
    needs_key=False,
    default_base_url=None,
    reads="PDF, scans and photos, Word, Excel and PowerPoint files",
)

EXTRACT_PAGE = ProviderInfo(
    id="extract-page",
    name="extract.page",
    description="extract.page's cloud service: text, tables and figures.",
    needs_key=True,
    default_base_url="https://api.extract.page",
    key_help="Create a key at extract.page/dashboard.",
    reads="PDF, Word, PowerPoint and image files",
)

ANTHROPIC = ProviderInfo(
    id="anthropic",
    name="Anthropic",
    description="Claude reads each document and writes it out as Markdown, with the fields "
    "you ask for.",
    needs_key=True,
    default_base_url="https://api.anthropic.com",
    key_help="Create a key in the Anthropic console (console.anthropic.com).",
    reads="PDF and image files (PNG, JPEG, WebP, GIF)",
    max_batch_items=100_000,
)

ANESYA = ProviderInfo(
    id="anesya",
    name="Anesya",
    description="Anesya's document extraction, with your own schemas, in EU or French "
    "data centres.",
    needs_key=True,
    default_base_url="https://api.anesya.app",
    key_help="Create an API token in the Anesya web app.",
    reads="PDF, PNG and JPEG files",
    max_batch_items=1_000,
)

OLOSTEP = ProviderInfo(
    id="olostep",
    name="Olostep",
    description="Turns web pages into Markdown: drop links, or a .txt or .csv list of links.",
    needs_key=True,
    default_base_url="https://api.olostep.com",
    key_help="Create a key in the Olostep dashboard.",
    reads="web addresses (links)",
    max_batch_items=100,
    accepts_files=False,
    accepts_urls=True,
)

REGISTRY: dict[str, ProviderInfo] = {
    p.id: p for p in (LOCAL, EXTRACT_PAGE, ANTHROPIC, ANESYA, OLOSTEP)
}


def get(provider_id: str) -> ProviderInfo:
    try:
        return REGISTRY[provider_id]
    except KeyError:
        known = ", ".join(REGISTRY)
        raise KeyError(f"unknown provider {provider_id!r} (known: {known})") from None
