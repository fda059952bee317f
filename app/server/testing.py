"""Test mode (``--test-mode`` only): fault injection, a request log and a dispatch hold.

Control routes, which need no API key:

- ``POST /_test/faults`` ``{"rules": [...]}`` appends fault rules; ``DELETE`` clears them;
  ``GET`` lists the active ones.
- ``GET /_test/requests`` lists every request received (except ``/_test/*``) in order,
  with the value of any ``X-API-KEY`` header redacted; ``DELETE`` clears the log.
- ``POST /_test/hold`` ``{"hold": true|false}`` pauses or resumes starting new items.

A rule matches a request when its ``method`` (any if omitted) equals the request's and
its ``path`` regex matches the whole path; it applies to the next ``times`` matches.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.server.context import EXPIRE_URLS_SCOPE_KEY, ServerContext
from app.server.models import parse_body

POLL_RATE_LIMIT_DETAIL = (
    "Polling rate limit exceeded. Use webhooks for completion notification instead of polling."
)

FaultKind = Literal["429", "5xx_after", "5xx_before", "drop", "slow", "expire_url"]


class FaultRule(BaseModel):
    """One fault to inject into matching requests."""

    method: str | None = None
    path: str
    fault: FaultKind
    times: int = Field(default=1, ge=1)
    retry_after: int = Field(default=1, ge=0)
    status: Literal[500, 502, 503, 504] = 500
    delay: float = Field(default=1.0, ge=0, le=600)

    @field_validator("path")
    @classmethod
    def _valid_regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value


class FaultRules(BaseModel):
    """Body of ``POST /_test/faults``."""

    rules: list[FaultRule]


class HoldRequest(BaseModel):
    """Body of ``POST /_test/hold``."""

    hold: bool


@dataclass
class _ActiveRule:
    rule: FaultRule
    pattern: re.Pattern[str]
    remaining: int

    def describe(self) -> dict[str, Any]:
        return {**self.rule.model_dump(), "times": self.remaining}


class ControlState:
    """The mutable state behind the test-mode routes (used on the event loop only)."""

    def __init__(self) -> None:
        self.rules: list[_ActiveRule] = []
        self.requests: list[dict[str, Any]] = []

    def take_fault(self, method: str, path: str) -> FaultRule | None:
        """The first active rule matching this request, using up one of its ``times``."""
        for active in self.rules:
            wanted = active.rule.method
            if (wanted is None or wanted.upper() == method) and active.pattern.fullmatch(path):
                active.remaining -= 1
                if active.remaining == 0:
                    self.rules.remove(active)
                return active.rule
        return None


def _shown_header_value(name: bytes, value: bytes) -> str:
    return "<redacted>" if name == b"x-api-key" else value.decode("latin-1")


async def _discard(message: Message) -> None:
    """An ASGI ``send`` that throws the application's response away."""


class FaultInjectionMiddleware:
    """Records every request and injects the configured faults."""

    def __init__(self, app: ASGIApp, *, control: ControlState) -> None:
        self._app = app
        self._control = control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_test/"):
            await self._app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        record: dict[str, Any] = {
            "method": scope["method"],
            "path": path,
            "query_string": scope["query_string"].decode("latin-1"),
            "headers": [
                [name.decode("latin-1"), _shown_header_value(name, value)]
                for name, value in scope["headers"]
            ],
            "content_length": int(length) if length and length.isdigit() else None,
            "body_bytes_received": 0,
            "status": None,
            "fault": None,
        }
        self._control.requests.append(record)

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                record["body_bytes_received"] += len(message.get("body", b""))
            return message

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record["status"] = message["status"]
            await send(message)

        rule = self._control.take_fault(scope["method"], path)
        if rule is not None:
            record["fault"] = rule.fault
        await self._apply(rule, scope, counting_receive, recording_send)

    async def _apply(
        self, rule: FaultRule | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if rule is None:
            await self._app(scope, receive, send)
        elif rule.fault == "429":
            headers = {"Retry-After": str(rule.retry_after)}
            await JSONResponse({"detail": POLL_RATE_LIMIT_DETAIL}, 429, headers=headers)(
                scope, receive, send
            )
        elif rule.fault == "5xx_before":
            await _injected_error(rule)(scope, receive, send)
        elif rule.fault == "5xx_after":
            await self._app(scope, receive, _discard)
            await _injected_error(rule)(scope, receive, send)
        elif rule.fault == "drop":
            await self._app(scope, receive, _discard)
            # Promise a body, send none and return: uvicorn closes the connection.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
                }
            )
        elif rule.fault == "slow":
            await asyncio.sleep(rule.delay)
            await self._app(scope, receive, send)
        else:  # expire_url
            scope[EXPIRE_URLS_SCOPE_KEY] = True
            await self._app(scope, receive, send)


def _injected_error(rule: FaultRule) -> Response:
    return JSONResponse({"detail": f"Injected fault ({rule.fault})."}, rule.status)


class ControlRoutes:
    """Handlers of the ``/_test`` control routes."""

    def __init__(self, ctx: ServerContext, control: ControlState) -> None:
        self._ctx = ctx
        self._control = control

    def routes(self) -> list[BaseRoute]:
        """The test-mode control routes."""
        return [
            Route("/_test/faults", self.add_faults, methods=["POST"]),
            Route("/_test/faults", self.list_faults, methods=["GET"]),
            Route("/_test/faults", self.clear_faults, methods=["DELETE"]),
            Route("/_test/requests", self.list_requests, methods=["GET"]),
            Route("/_test/requests", self.clear_requests, methods=["DELETE"]),
            Route("/_test/hold", self.hold, methods=["POST"]),
        ]

    def _rules(self) -> JSONResponse:
        return JSONResponse({"rules": [active.describe() for active in self._control.rules]})

    async def add_faults(self, request: Request) -> Response:
        """Append fault rules."""
        body = parse_body(FaultRules, await request.body())
        self._control.rules.extend(
            _ActiveRule(rule=rule, pattern=re.compile(rule.path), remaining=rule.times)
            for rule in body.rules
        )
        return self._rules()

    async def list_faults(self, request: Request) -> Response:
        """The active fault rules."""
        return self._rules()

    async def clear_faults(self, request: Request) -> Response:
        """Remove every fault rule."""
        self._control.rules.clear()
        return self._rules()

    async def list_requests(self, request: Request) -> Response:
        """Every request received so far, oldest first."""
        return JSONResponse(self._control.requests)

    async def clear_requests(self, request: Request) -> Response:
        """Forget the recorded requests."""
        self._control.requests.clear()
        return JSONResponse([])

    async def hold(self, request: Request) -> Response:
        """Pause or resume starting new items."""
        body = parse_body(HoldRequest, await request.body())
        self._ctx.pool.set_hold(body.hold)
        return JSONResponse({"hold": self._ctx.pool.held})
