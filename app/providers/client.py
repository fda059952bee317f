"""The HTTP plumbing every provider client shares.

Two httpx clients: one for the service's own origin, carrying the credentials (scoped to
that origin by :class:`app.http.HeaderAuth`), and one with no credentials at all for
presigned URLs; the retry policy; and small helpers for JSON answers and waits.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from app import http
from app.http import BadResponse, RetryPolicy
from app.providers.base import RetryCallback


class ServiceClient:
    service_name = "the service"

    def __init__(
        self,
        base_url: str,
        auth_headers: dict[str, str],
        *,
        policy: RetryPolicy = http.DEFAULT_POLICY,
        on_retry: RetryCallback | None = None,
        timeout: httpx.Timeout = http.API_TIMEOUT,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.policy = policy
        self.on_retry = on_retry
        self._api = http.api_client(self.base_url, auth_headers, timeout=timeout)
        self._api.headers.update(headers or {})
        self._bare = http.bare_client()

    async def aclose(self) -> None:
        await self._api.aclose()
        await self._bare.aclose()

    async def _call(
        self, method: str, url: str, *, retry: bool = True, stream: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """One API request under the retry policy (``retry=False``: a single attempt).
        The body is read unless ``stream``; the caller then reads and closes it."""

        def build() -> httpx.Request:
            return self._api.build_request(method, url, **kwargs)

        response = await http.send(
            self._api,
            build,
            service=self.service_name,
            retry=retry,
            policy=self.policy,
            on_retry=self.on_retry,
        )
        if not stream:
            await response.aread()
        return response

    async def _pause(self, attempt: int, retry_after: float | None, reason: str) -> None:
        """Wait before attempt ``attempt + 1`` of a request retried by hand, and say so."""
        delay = self.policy.delay_for(attempt, retry_after)
        if self.on_retry is not None:
            self.on_retry(attempt, delay, reason)
        await asyncio.sleep(delay)

    def _json(self, response: httpx.Response) -> Any:
        return http.json_or_error(response, self.service_name)

    def _json_object(self, response: httpx.Response) -> dict[str, Any]:
        data = self._json(response)
        if not isinstance(data, dict):
            raise BadResponse(
                f"{self.service_name} sent an answer Extractdesk could not read.",
                detail=str(data)[:200],
            )
        return data
