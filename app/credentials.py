"""API keys: the OS keychain through keyring, with an environment override for headless use.

Keys never touch disk through us: they live in the keychain, in an environment variable the
user set, or (when no keychain works) in memory for this session only.
"""

from __future__ import annotations

import logging
import os

SERVICE = "extractdesk"

log = logging.getLogger("extractdesk.credentials")

_session_keys: dict[str, str] = {}


class KeychainUnavailable(Exception):
    """No usable keychain backend. ``message`` says so in plain words."""

    def __init__(self, detail: str) -> None:
        self.message = (
            "Extractdesk could not reach your system's password store, so the key is kept "
            "for this session only."
        )
        super().__init__(self.message)
        self.detail = detail


def env_var(provider_id: str) -> str:
    return "EXTRACTDESK_" + provider_id.upper().replace("-", "_") + "_API_KEY"


def get_key(provider_id: str) -> str | None:
    """The key for ``provider_id``: the environment variable wins, then this session's
    in-memory key, then the keychain. Returns None when there is none anywhere."""
    value = os.environ.get(env_var(provider_id))
    if value:
        return value
    if provider_id in _session_keys:
        return _session_keys[provider_id]
    try:
        import keyring
        import keyring.errors

        try:
            return keyring.get_password(SERVICE, provider_id)
        except keyring.errors.KeyringError as exc:
            log.warning("keychain unavailable while reading a key: %s", type(exc).__name__)
            return None
    except ImportError:  # pragma: no cover - keyring is a hard dependency
        return None


def set_key(provider_id: str, key: str) -> None:
    """Save ``key`` in the keychain. Raises :class:`KeychainUnavailable` (after keeping the
    key in memory for this session) when no keychain works."""
    import keyring
    import keyring.errors

    try:
        keyring.set_password(SERVICE, provider_id, key)
    except keyring.errors.KeyringError as exc:
        _session_keys[provider_id] = key
        raise KeychainUnavailable(f"{type(exc).__name__}: {exc}") from exc
    _session_keys.pop(provider_id, None)


def delete_key(provider_id: str) -> None:
    import keyring
    import keyring.errors

    _session_keys.pop(provider_id, None)
    try:
        keyring.delete_password(SERVICE, provider_id)
    except (keyring.errors.PasswordDeleteError, keyring.errors.NoKeyringError):
        pass  # nothing stored there
    except keyring.errors.KeyringError as exc:
        raise KeychainUnavailable(f"{type(exc).__name__}: {exc}") from exc
