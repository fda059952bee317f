"""The HTTP policy every provider uses: timeouts, retries, key scoping and log redaction.

Rules (DESIGN.md, "Rules that carry most of the weight"):

* Retry connection errors, 408, 429 and 5xx with exponential backoff and jitter, honouring
  ``Retry-After``; never retry any other 4xx.
* A create/submit POST is retried only when the caller says it is safe (it carries an
  idempotency key that was journaled before the first attempt).
* The API key goes only to the API's own origin: :class:`ApiKeyAuth` checks every request's
  origin, and presigned URLs are fetched with a separate client that has no auth at all.
  Redirects are never followed automatically (httpx would copy custom headers such as
  ``X-API-KEY`` onto another host).
* Logs never carry keys or presigned query strings (:class:`RedactingFilter`).
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import logging
import random
import re
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger("extractdesk.http")

API_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=60.0)
"""JSON API calls: short enough that a dead connection is noticed."""

TRANSFER_TIMEOUT = httpx.Timeout(connect=10.0, read=300.0, write=120.0, pool=60.0)
"""Presigned uploads and downloads: the server answers only after the whole body."""

USER_AGENT = "Extractdesk/0.1"


# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """A request failed for good. ``message`` is plain words; ``detail`` is technical."""

    retryable = False

    def __init__(
        self, message: str, *, status: int | None = None, body: Any = None, detail: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body
        self.detail = detail


class ConnectionFailed(ApiError):
    retryable = True


class AuthFailed(ApiError):
    pass


class QuotaExceeded(ApiError):
    pass


class NotFound(ApiError):
    pass


class Conflict(ApiError):
    pass


class PayloadTooLarge(ApiError):
    pass


class Rejected(ApiError):
    """Any other 4xx: the request itself was wrong (validation, unsupported input...)."""


class ServiceUnavailable(ApiError):
    """5xx, 408 or 429 that persisted through every retry."""

    retryable = True


class BadResponse(ApiError):
    """The service answered, but not with what its spec promises (not JSON, missing fields)."""


def error_for_response(response: httpx.Response, service: str) -> ApiError:
    """Map a final, unsuccessful response to an :class:`ApiError` with plain words."""
    status = response.status_code
    body = _safe_json(response)
    reason = describe_body(body) or response.reason_phrase
    detail = f"HTTP {status} from {response.request.method} {redact_url(str(response.url))}: "
    detail += reason
    if status in (401, 403):
        return AuthFailed(
            f"{service} rejected your API key: open Settings and check it.",
            status=status,
            body=body,
            detail=detail,
        )
    if status == 402:
        return QuotaExceeded(
            f"Your {service} quota is used up: check your plan, then retry.",
            status=status,
            body=body,
            detail=detail,
        )
    if status == 404:
        return NotFound(
            f"{service} could not find it ({reason}).", status=status, body=body, detail=detail
        )
    if status == 409:
        return Conflict(
            f"{service} reported a conflict ({reason}).", status=status, body=body, detail=detail
        )
    if status == 413:
        return PayloadTooLarge(
            f"The file is too large for {service} ({reason}).",
            status=status,
            body=body,
            detail=detail,
        )
    if status in (408, 429) or status >= 500:
        return ServiceUnavailable(
            f"{service} is not answering properly right now (HTTP {status}); retry later.",
            status=status,
            body=body,
            detail=detail,
        )
    return Rejected(
        f"{service} refused the request: {reason}", status=status, body=body, detail=detail
    )


def _safe_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:2000] if response.text else None


def describe_body(body: Any) -> str:
    """A short human description of an error body in any of the shapes services use."""
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(detail, list) and detail:
            parts = []
            for item in detail[:3]:
                if isinstance(item, dict):
                    loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                    parts.append(f"{loc}: {item.get('msg', '')}".strip(": "))
            return "; ".join(parts)
        for key in ("message", "error", "title"):
            value = body.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])
    if isinstance(body, str):
        match = re.search(r"<Message>(.*?)</Message>", body)
        if match:
            return match.group(1)
        return body.strip()[:300]
    return ""


# --------------------------------------------------------------------------- retry policy


RETRYABLE_STATUS = frozenset({408, 429})


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUS or status >= 500


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; ``Retry-After`` wins when the server sends it."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 15.0
    max_retry_after: float = 120.0
    jitter: float = 0.25

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based), without a server hint."""
        delay = min(self.base_delay * 2.0 ** (attempt - 1), self.max_delay)
        return delay * (1 - self.jitter * random.random())

    def delay_for(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        return self.backoff(attempt)


DEFAULT_POLICY = RetryPolicy()


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


RetryNotice = Callable[[int, float, str], None]
"""``on_retry(attempt, delay_seconds, reason)``: lets the UI say "retrying in 4 s"."""


async def send(
    client: httpx.AsyncClient,
    build: Callable[[], httpx.Request],
    *,
    service: str,
    retry: bool = True,
    policy: RetryPolicy = DEFAULT_POLICY,
    on_retry: RetryNotice | None = None,
    ok: Callable[[httpx.Response], bool] | None = None,
) -> httpx.Response:
    """Send the request ``build()`` makes, retrying transient failures per the policy.

    ``build`` is called for every attempt so that streamed bodies start afresh. The final
    response is returned when ``ok(response)`` (default: status < 400, or any status that
    is not retryable, which the caller then maps); transport errors that outlast the
    retries raise :class:`ConnectionFailed`. With ``retry=False`` exactly one attempt is
    made (a create POST without an idempotency key).
    """
    attempt = 0
    while True:
        attempt += 1
        request = build()
        try:
            response = await client.send(request)
        except httpx.TransportError as exc:
            if not retry or attempt >= policy.max_attempts:
                raise ConnectionFailed(
                    f"Could not reach {service}: check your connection, then retry.",
                    detail=f"{type(exc).__name__}: {redact(str(exc))}",
                ) from exc
            delay = policy.delay_for(attempt, None)
            reason = "connection problem"
        else:
            status = response.status_code
            retryable = is_retryable_status(status)
            if (ok(response) if ok is not None else not retryable) or not retry:
                return response
            if attempt >= policy.max_attempts:
                return response
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            await response.aclose()
            delay = policy.delay_for(attempt, retry_after)
            reason = "rate limited" if status == 429 else f"service error {status}"
        log.info("%s: %s, retry %d in %.1f s", service, reason, attempt, delay)
        if on_retry is not None:
            on_retry(attempt, delay, reason)
        await asyncio.sleep(delay)


def json_or_error(response: httpx.Response, service: str) -> Any:
    """The JSON body of a successful response, or :class:`BadResponse` in plain words."""
    try:
        return response.json()
    except ValueError as exc:
        raise BadResponse(
            f"{service} sent an answer Extractdesk could not read.",
            status=response.status_code,
            detail=f"Body is not JSON: {response.text[:200]!r}",
        ) from exc


# --------------------------------------------------------------------------- auth


def origin(url: httpx.URL | str) -> tuple[str, str, int | None]:
    parsed = httpx.URL(url) if isinstance(url, str) else url
    port = parsed.port
    if port is None:
        port = {"http": 80, "https": 443}.get(parsed.scheme)
    return (parsed.scheme, parsed.host, port)


class HeaderAuth(httpx.Auth):
    """Adds secret headers only to requests whose origin is the API's own origin."""

    def __init__(self, api_url: str, headers: dict[str, str]) -> None:
        self._origin = origin(api_url)
        self._headers = headers
        for value in headers.values():
            register_secret(value)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if origin(request.url) == self._origin:
            request.headers.update(self._headers)
        yield request


def api_client(
    base_url: str, auth_headers: dict[str, str], *, timeout: httpx.Timeout = API_TIMEOUT
) -> httpx.AsyncClient:
    """A client for the API origin: secret headers scoped to it, redirects not followed."""
    return httpx.AsyncClient(
        base_url=base_url,
        auth=HeaderAuth(base_url, auth_headers),
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
    )


def bare_client(*, timeout: httpx.Timeout = TRANSFER_TIMEOUT) -> httpx.AsyncClient:
    """A client for presigned URLs: no auth of any kind, no automatic redirects."""
    return httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
    )


MAX_REDIRECTS = 5


async def get_following_redirects(
    client: httpx.AsyncClient,
    url: str,
    *,
    service: str,
    policy: RetryPolicy = DEFAULT_POLICY,
    on_retry: RetryNotice | None = None,
) -> httpx.Response:
    """GET ``url`` with ``client`` (no auth) and follow redirects by hand, never adding
    credentials. The caller reads and closes the returned (streamed) response."""
    current = httpx.URL(url)
    for _ in range(MAX_REDIRECTS + 1):
        target = current
        response = await send(
            client,
            functools.partial(client.build_request, "GET", target),
            service=service,
            policy=policy,
            on_retry=on_retry,
        )
        if response.is_redirect and "Location" in response.headers:
            current = target.join(response.headers["Location"])
            await response.aclose()
            continue
        return response
    raise BadResponse(
        f"{service} redirected too many times.", detail=f"more than {MAX_REDIRECTS} redirects"
    )


# --------------------------------------------------------------------------- redaction


_secrets: set[str] = set()
_QUERY_RE = re.compile(r"(https?://[^\s?#'\"<>]+)\?[^\s#'\"<>]*")


def register_secret(value: str) -> None:
    """Remember a secret so that :func:`redact` removes it from any log text."""
    if value and len(value) >= 6:
        _secrets.add(value)


def redact_url(url: str) -> str:
    """Drop a URL's query string, where presigned URLs carry their signature."""
    return _QUERY_RE.sub(r"\1?<redacted>", url)


def redact(text: str) -> str:
    text = redact_url(text)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "<redacted>")
    return text


class RedactingFilter(logging.Filter):
    """Rewrites log records so that keys and presigned query strings never reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Formatting the traceback happens later; make sure its text is clean too.
            import traceback

            formatted = "".join(traceback.format_exception(*record.exc_info))
            cleaned = f"{cleaned}\n{redact(formatted)}"
            record.exc_info = None
            record.exc_text = None
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True


def quiet_transport_loggers() -> None:
    """httpx logs every URL at INFO, presigned signatures included: keep it at WARNING."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
