"""Presigned URLs: HMAC-SHA256 signatures over method, path, expiry and signed fields.

The secret lives in the data directory (mode 0600) so that URLs handed out before a
restart stay valid until they expire, as an S3 presigned URL would.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import math
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

_SECRET_BYTES = 32


class Verdict(enum.Enum):
    """The outcome of checking a presigned URL."""

    OK = "ok"
    EXPIRED = "expired"
    BAD_SIGNATURE = "bad_signature"


def load_or_create_secret(path: Path) -> bytes:
    """Read the signing secret, creating it (owner-only permissions) on first use."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_bytes()
        if len(secret) < _SECRET_BYTES:
            raise RuntimeError(f"The URL-signing secret {path} is damaged; delete it.") from None
        return secret
    secret = secrets.token_bytes(_SECRET_BYTES)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secret)
    return secret


class UrlSigner:
    """Signs and verifies the server's presigned storage URLs."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _signature(self, method: str, path: str, expires: int, signed: tuple[str, ...]) -> str:
        message = "\n".join((method.upper(), path, str(expires), *signed))
        return hmac.new(self._secret, message.encode(), hashlib.sha256).hexdigest()

    def sign(
        self, method: str, path: str, *, ttl: float, signed: tuple[str, ...] = ()
    ) -> tuple[str, int]:
        """Return ``(path?query, expires)`` for a URL valid for ``ttl`` seconds.

        A ``ttl`` of zero or less yields a URL that has already expired.
        """
        expires = math.ceil(time.time() + ttl) if ttl > 0 else int(time.time()) - 1
        query = urlencode(
            {"expires": expires, "sig": self._signature(method, path, expires, signed)}
        )
        return f"{path}?{query}", expires

    def verify(
        self,
        method: str,
        path: str,
        *,
        expires: str | None,
        signature: str | None,
        signed: tuple[str, ...] = (),
    ) -> Verdict:
        """Check a request's ``expires`` and ``sig`` query parameters."""
        if not expires or not signature or not expires.isdigit():
            return Verdict.BAD_SIGNATURE
        expected = self._signature(method, path, int(expires), signed)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return Verdict.BAD_SIGNATURE
        if int(expires) < time.time():
            return Verdict.EXPIRED
        return Verdict.OK
