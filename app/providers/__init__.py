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


LOCAL = ProviderInfo(
    id="local",
    name="Local engine",
    description="Extracts on this computer. Works offline, no account needed.",
    needs_key=False,
    default_base_url=None,
)

EXTRACT_PAGE = ProviderInfo(
    id="extract-page",
    name="extract.page",
    description="extract.page's cloud service (PDF, Word, PowerPoint, images).",
    needs_key=True,
    default_base_url="https://api.extract.page",
    key_help="Create a key at extract.page/dashboard.",
)

REGISTRY: dict[str, ProviderInfo] = {p.id: p for p in (LOCAL, EXTRACT_PAGE)}


def get(provider_id: str) -> ProviderInfo:
    try:
        return REGISTRY[provider_id]
    except KeyError:
        known = ", ".join(REGISTRY)
        raise KeyError(f"unknown provider {provider_id!r} (known: {known})") from None
