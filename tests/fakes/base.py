"""Common infrastructure of the service fakes: a strict local HTTP server per service.

A fake is a Starlette app served by uvicorn on ``127.0.0.1`` (a free port) in a background
thread with its own event loop. Tests drive the application under test against
:attr:`FakeService.url` and then inspect what the fake saw:

* :attr:`FakeService.requests`: every request received, in order (:class:`RecordedRequest`).
* :attr:`FakeService.violations`: one line per spec violation detected. Every violation is
  also answered with a 4xx in the service's own error shape, so the client notices too.
  :meth:`FakeService.assert_clean` fails a test that caused any;
  :meth:`FakeService.take_violations` returns and forgets them (for tests that cause one on
  purpose).

What counts as a violation: anything the client controls and the spec rules out (missing
or malformed auth headers, a body or query the spec does not allow, a path that does not
exist, a resource used in the wrong state). What does not: outcomes the client cannot avoid
and must handle (a *well-formed* but wrong or expired key, an id that no longer exists,
limits that only the server knows, such as an account's batch size or a size cap lowered by
a test, races such as cancelling a batch that has just ended).

Faults (:meth:`FakeService.fault`) are injected in front of the routes. ``method`` (None or
``"*"`` for any) and ``path_regex`` (matched against the whole path, ``re.fullmatch``)
select requests; each rule applies to the next ``times`` matching requests (None: all).
The rule object is returned; its ``hits`` and ``remaining`` show whether it fired.

=============== ===============================================================================
kind            effect (options)
=============== ===============================================================================
``429``         rate-limited answer in the service's shape with a ``Retry-After`` header
                (``retry_after`` seconds, default 1); the request is not processed
``529``         Anthropic only: ``overloaded_error`` (``retry_after`` optional, default none)
``5xx_before``  server error without processing (``status`` 500-599, default 500)
``5xx_after``   the request IS processed, then the answer is replaced by a server error
                (``status``): a retry must not duplicate the work
``drop``        the response headers promise a body (``Content-Length``) and the connection
                is closed before it: the client sees an ``httpx.TransportError``.
                ``process`` (default True) handles the request first, like a response
                lost on the way back; False drops it unprocessed
``slow``        waits ``delay`` seconds (default 1.0) before processing; stopping the fake
                cuts the wait short
``expire_url``  presigned URLs handed out in the response are already expired (services
                without presigned URLs reject this kind)
=============== ===============================================================================

Time is deterministic: jobs advance one step per poll (``steps_to_finish``, default 2,
read when a job is created), never by wall-clock sleeps.

Thread-safety: the request log, violations and faults are locked. Service state is touched
by the server thread while it handles a request, and by tests through plain attributes
(``outcome_for`` and friends): set those between requests, not during one.
"""

from __future__ import annotations

import asyncio
import base64
import calendar
import contextlib
import email.message
import email.utils
import hashlib
import hmac
import json
import logging
import re
import secrets
import socket
import string
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message, Receive, Scope, Send

__all__ = [
    "COMMON_FAULT_KINDS",
    "FakeService",
    "Fault",
    "FormPart",
    "MultipartError",
    "RecordedRequest",
    "canonical_json",
    "new_id",
    "parse_multipart",
    "png_bytes",
    "rfc3339",
]

COMMON_FAULT_KINDS: frozenset[str] = frozenset(
    {"429", "5xx_before", "5xx_after", "drop", "slow", "expire_url"}
)
"""Fault kinds every fake understands (subclasses may add or remove some)."""

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

Handler = Callable[[Request], Awaitable[Response]]

_FORM_VALUE_SHOWN = 1000
_ALNUM = string.ascii_letters + string.digits

# Scope keys the outer layer uses to talk to the route handlers.
SCOPE_RECORD = "fakes.record"
SCOPE_DELAY = "fakes.delay"
SCOPE_EXPIRE_URLS = "fakes.expire_urls"
SCOPE_REQUEST_ID = "fakes.request_id"


# Small helpers -------------------------------------------------------------------------------


def new_id(prefix: str, length: int = 24) -> str:
    """A random id like the service's own: ``prefix`` + ``length`` letters and digits."""
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length))


def new_uuid() -> str:
    """A random UUID4 in its canonical text form."""
    return str(uuid.uuid4())


def rfc3339(moment: datetime | None = None) -> str:
    """``2025-06-12T14:56:10.682461Z`` (UTC, microseconds, a ``Z`` suffix)."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def canonical_json(value: Any) -> str:
    """One text per JSON value, whatever the key order or spacing it was sent with."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def png_bytes(width: int = 4, height: int = 4, rgb: tuple[int, int, int] = (40, 90, 200)) -> bytes:
    """A real, valid PNG image (solid colour), small enough to embed in responses."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def fake_jwt(lifetime_s: int = 30 * 24 * 3600) -> str:
    """A JWT-looking access token (SimpleJWT claims); the signature is random bytes."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    header = {"alg": "HS256", "typ": "JWT"}
    claims = {
        "token_type": "access",
        "exp": int(time.time()) + lifetime_s,
        "iat": int(time.time()),
        "jti": secrets.token_hex(16),
        "user_id": 1,
    }
    return ".".join(
        [
            b64(json.dumps(header).encode()),
            b64(json.dumps(claims).encode()),
            b64(secrets.token_bytes(32)),
        ]
    )


# Multipart -----------------------------------------------------------------------------------


class MultipartError(ValueError):
    """The body is not valid ``multipart/form-data`` (RFC 7578)."""


@dataclass(frozen=True)
class FormPart:
    """One part of a ``multipart/form-data`` body."""

    name: str
    filename: str | None
    """None when the part has no ``filename`` parameter (a plain field)."""
    content_type: str | None
    """The part's own ``Content-Type`` header, as sent (None when absent)."""
    data: bytes
    headers: dict[str, str]

    @property
    def is_file(self) -> bool:
        """Whether the part was sent as a file (it has a ``filename`` parameter)."""
        return self.filename is not None

    @property
    def base_content_type(self) -> str | None:
        """The part's media type without parameters, lower-cased."""
        if self.content_type is None:
            return None
        return self.content_type.split(";", 1)[0].strip().lower()

    def text(self) -> str:
        """The value of a plain field (UTF-8); MultipartError if it is not UTF-8."""
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MultipartError(f"field {self.name!r} is not UTF-8 text") from exc

    def summary(self) -> Any:
        """What :class:`RecordedRequest` keeps of this part."""
        if self.is_file:
            return {
                "filename": self.filename,
                "content_type": self.content_type,
                "size": len(self.data),
            }
        return self.data[:_FORM_VALUE_SHOWN].decode("utf-8", "replace")


def _header_param(header_value: str, header: str, param: str) -> str | None:
    message = email.message.Message()
    message[header] = header_value
    value = message.get_param(param, header=header)
    if value is None:
        return None
    if isinstance(value, tuple):
        return email.utils.collapse_rfc2231_value(value)
    return str(value)


def parse_multipart(body: bytes, content_type: str) -> list[FormPart]:
    """Parse a ``multipart/form-data`` body strictly (CRLF line ends, closing delimiter).

    Each part must have a ``Content-Disposition: form-data`` header with a ``name``.
    Raises :class:`MultipartError` with a readable reason otherwise.
    """
    if content_type.split(";", 1)[0].strip().lower() != "multipart/form-data":
        raise MultipartError(f"Content-Type is {content_type!r}, not multipart/form-data")
    boundary = _header_param(content_type, "content-type", "boundary")
    if not boundary:
        raise MultipartError("the Content-Type has no boundary parameter")
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    segments = (b"\r\n" + body).split(delimiter)
    if len(segments) < 2:
        raise MultipartError("the body does not contain the boundary")
    parts: list[FormPart] = []
    closed = False
    for segment in segments[1:]:
        if segment.startswith(b"--"):
            closed = True
            break
        line_end = segment.find(b"\r\n")
        if line_end < 0 or segment[:line_end].strip(b" \t"):
            raise MultipartError("a boundary line is not followed by CRLF")
        segment = segment[line_end + 2 :]
        if segment.startswith(b"\r\n"):
            raise MultipartError("a part has no headers (Content-Disposition is required)")
        head, separator, data = segment.partition(b"\r\n\r\n")
        if not separator:
            raise MultipartError("a part's headers are not ended by an empty line")
        headers: dict[str, str] = {}
        for raw in head.split(b"\r\n"):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise MultipartError("a part header is not UTF-8") from exc
            name, colon, value = line.partition(":")
            if not colon or not name.strip():
                raise MultipartError(f"malformed part header {line!r}")
            headers[name.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition")
        if disposition is None:
            raise MultipartError("a part has no Content-Disposition header")
        if disposition.split(";", 1)[0].strip().lower() != "form-data":
            raise MultipartError(f"Content-Disposition {disposition!r} is not form-data")
        name = _header_param(disposition, "content-disposition", "name")
        if name is None:
            raise MultipartError("a part's Content-Disposition has no name")
        filename = _header_param(disposition, "content-disposition", "filename")
        parts.append(FormPart(name, filename, headers.get("content-type"), data, headers))
    if not closed:
        raise MultipartError("the closing boundary (--boundary--) is missing")
    return parts


def form_summary(parts: Iterable[FormPart]) -> dict[str, Any]:
    """``{name: summary}`` (a list of summaries when a name repeats)."""
    grouped: dict[str, list[Any]] = {}
    for part in parts:
        grouped.setdefault(part.name, []).append(part.summary())
    return {name: values[0] if len(values) == 1 else values for name, values in grouped.items()}


# Presigned URLs ------------------------------------------------------------------------------


class Presigner:
    """S3-style presigned URLs (``X-Amz-*`` query) signed with a per-fake secret."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)

    def _signature(self, method: str, path: str, amz_date: str, expires: str) -> str:
        message = f"{method}\n{path}\n{amz_date}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def sign(
        self,
        base_url: str,
        method: str,
        path: str,
        ttl_s: int,
        *,
        expired: bool = False,
        signed_headers: str = "host",
    ) -> str:
        """An absolute URL for ``method path`` valid ``ttl_s`` seconds (or already expired)."""
        issued = time.time() - (ttl_s + 60 if expired else 0)
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(issued))
        query = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": f"AKIAFAKE/{amz_date[:8]}/us-east-1/s3/aws4_request",
            "X-Amz-Date": amz_date,
            "X-Amz-Expires": str(ttl_s),
            "X-Amz-SignedHeaders": signed_headers,
            "X-Amz-Signature": self._signature(method, path, amz_date, str(ttl_s)),
        }
        return f"{base_url}{path}?{urlencode(query)}"

    def check(self, method: str, path: str, query: dict[str, str]) -> str | None:
        """None when valid; ``"expired"``; or a reason why the signature is wrong."""
        amz_date, expires = query.get("X-Amz-Date", ""), query.get("X-Amz-Expires", "")
        signature = query.get("X-Amz-Signature", "")
        if not (amz_date and expires and signature):
            return "the X-Amz-Date, X-Amz-Expires or X-Amz-Signature parameter is missing"
        wanted = self._signature(method, path, amz_date, expires)
        if not hmac.compare_digest(wanted, signature):
            return "the signature does not match (URL altered, or used with another method)"
        try:
            issued = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
            ttl = int(expires)
        except ValueError:
            return "malformed X-Amz-Date or X-Amz-Expires"
        if time.time() > issued + ttl:
            return "expired"
        return None


# Recording and faults ------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    """Query parameters; the last value wins when a name repeats (see ``query_items``)."""
    query_items: list[tuple[str, str]]
    """Every query parameter in order, repeats included."""
    headers: dict[str, str]
    """Lower-cased names; a repeated header's values are joined with ``", "``."""
    body_size: int
    json: Any = None
    """The parsed body when it is JSON (None otherwise or when it does not parse)."""
    form: dict[str, Any] | None = None
    """For multipart bodies: ``{name: value}`` for fields (text, first 1000 characters),
    ``{name: {"filename", "content_type", "size"}}`` for files; a list when a name repeats."""
    status: int | None = None
    """The status code answered (None when no response was sent, e.g. a ``drop``)."""
    fault: str | None = None
    """The kind of fault injected into this request, if any."""
    violations: list[str] = field(default_factory=list)
    """The violations this request caused."""


@dataclass
class Fault:
    """An active fault rule (returned by :meth:`FakeService.fault`)."""

    method: str | None
    path_regex: str
    kind: str
    remaining: int | None
    """How many more matching requests it applies to (None: unlimited)."""
    opts: dict[str, Any]
    hits: int = 0
    """How many requests it has been applied to."""
    pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.pattern = re.compile(self.path_regex)

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to ``method path``."""
        wanted = self.method
        return (wanted is None or wanted.upper() == method) and bool(self.pattern.fullmatch(path))


_FAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "429": {"retry_after": 1},
    "529": {"retry_after": None},
    "5xx_before": {"status": 500},
    "5xx_after": {"status": 500},
    "drop": {"process": True},
    "slow": {"delay": 1.0},
    "expire_url": {},
}


class DropConnection(Exception):
    """Raised by the ``drop`` fault after a partial response so uvicorn closes the socket."""


class _DropLogFilter(logging.Filter):
    """Hides uvicorn's "Exception in ASGI application" record caused by a ``drop`` fault."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DropConnection)


async def _discard(message: Message) -> None:
    """An ASGI ``send`` that throws the response away."""


# The service base ----------------------------------------------------------------------------


class FakeService:
    """Base of the service fakes: server lifecycle, request log, violations and faults.

    Subclasses implement :meth:`routes`, :meth:`reset_state`, :meth:`error_response` and
    :meth:`fault_response`, and may override :meth:`generate_api_key` and
    :meth:`unknown_route`.
    """

    service_name: ClassVar[str] = "fake"
    fault_kinds: ClassVar[frozenset[str]] = COMMON_FAULT_KINDS
    request_id_header: ClassVar[str | None] = None
    """When set, every response carries this header with a fresh ``req_…`` id."""

    def __init__(self, *, api_key: str | None = None, steps_to_finish: int = 2) -> None:
        if steps_to_finish < 0:
            raise ValueError("steps_to_finish must be >= 0")
        self._api_key = api_key if api_key is not None else self.generate_api_key()
        self.steps_to_finish = steps_to_finish
        """Polls a job needs to finish (read when each job is created)."""
        self._lock = threading.RLock()
        self._requests: list[RecordedRequest] = []
        self._violations: list[str] = []
        self._faults: list[Fault] = []
        self._url: str | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread_error: BaseException | None = None
        self._log_filter = _DropLogFilter()
        self.presigner = Presigner()
        routes = [*self.routes(), Route("/{path:path}", self._unknown, methods=ALL_METHODS)]
        self.app = Starlette(routes=routes)
        self.reset_state()

    # To implement ----------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """The service's routes (wrap handlers with :meth:`endpoint`)."""
        raise NotImplementedError

    def reset_state(self) -> None:
        """Forget every resource and outcome control (called by ``__init__`` and reset)."""
        raise NotImplementedError

    def error_response(
        self, request: Request, status: int, code: str, message: str, **extra: Any
    ) -> Response:
        """An error in the service's own shape."""
        raise NotImplementedError

    def fault_response(self, request: Request, kind: str, opts: dict[str, Any]) -> Response:
        """The answer to an injected ``429``/``529``/``5xx`` fault (``kind`` "5xx" for both
        server-error kinds)."""
        raise NotImplementedError

    def generate_api_key(self) -> str:
        """A fresh valid credential for this service."""
        return "fake-" + secrets.token_hex(16)

    async def unknown_route(self, request: Request) -> Response:
        """A path or method the spec does not have: 404 + violation."""
        return self.reject(
            request, 404, "not_found", f"no such route: {request.method} {request.url.path}"
        )

    # Properties ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL of the running fake, e.g. ``http://127.0.0.1:53124`` (no trailing /)."""
        if self._url is None:
            raise RuntimeError(f"The {self.service_name} fake is not started.")
        return self._url

    @property
    def api_key(self) -> str:
        """The credential the fake accepts (assignable, e.g. to simulate a rotated key)."""
        return self._api_key

    @api_key.setter
    def api_key(self, value: str) -> None:
        self._api_key = value

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def violations(self) -> list[str]:
        """Every spec violation detected so far, oldest first (a copy)."""
        with self._lock:
            return list(self._violations)

    @property
    def faults(self) -> list[Fault]:
        """The fault rules still active."""
        with self._lock:
            return list(self._faults)

    def requests_to(self, method: str, path_regex: str) -> list[RecordedRequest]:
        """The recorded requests whose method and whole path match."""
        pattern = re.compile(path_regex)
        return [
            r for r in self.requests if r.method == method.upper() and pattern.fullmatch(r.path)
        ]

    # Control ---------------------------------------------------------------------------------

    def fault(
        self,
        method: str | None,
        path_regex: str,
        kind: str,
        times: int | None = 1,
        **opts: Any,
    ) -> Fault:
        """Inject ``kind`` into the next ``times`` requests matching ``method path_regex``.

        See the module docstring for the kinds and their options. Unknown kinds or
        options raise ValueError/TypeError at once.
        """
        if kind not in self.fault_kinds:
            raise ValueError(
                f"{self.service_name} fake: unknown fault kind {kind!r}; "
                f"known: {sorted(self.fault_kinds)}"
            )
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for unlimited)")
        defaults = _FAULT_OPTIONS[kind]
        unknown = set(opts) - set(defaults)
        if unknown:
            raise TypeError(f"fault {kind!r} takes no option(s) {sorted(unknown)}")
        merged = {**defaults, **opts}
        status = merged.get("status")
        if status is not None and not 500 <= int(status) <= 599:
            raise ValueError("status must be a 5xx code")
        wanted = None if method in (None, "*") else method.upper()
        rule = Fault(wanted, path_regex, kind, times, merged)
        with self._lock:
            self._faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        with self._lock:
            self._faults.clear()

    def take_violations(self) -> list[str]:
        """The violations so far, forgetting them (for tests that cause some on purpose)."""
        with self._lock:
            taken = list(self._violations)
            self._violations.clear()
            return taken

    def reset(self) -> None:
        """Forget requests, violations, faults and all service state (the key is kept)."""
        with self._lock:
            self._requests.clear()
            self._violations.clear()
            self._faults.clear()
            self.reset_state()

    def assert_clean(self) -> None:
        """AssertionError listing the violations, if any were detected."""
        found = self.violations
        if found:
            listed = "\n".join(f"  - {v}" for v in found)
            raise AssertionError(
                f"{self.service_name} fake saw {len(found)} spec violation(s):\n{listed}"
            )

    # Lifecycle -------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> Self:
        """Listen on 127.0.0.1 (a free port) and serve from a background thread."""
        if self._thread is not None:
            raise RuntimeError(f"The {self.service_name} fake is already started.")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            sock.listen(128)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._socket = sock
        port = sock.getsockname()[1]
        self._url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            self._asgi,
            interface="asgi3",
            http="h11",
            ws="none",
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_keep_alive=5,
        )
        self._server = uvicorn.Server(config)
        logging.getLogger("uvicorn.error").addFilter(self._log_filter)
        self._thread = threading.Thread(
            target=self._run, name=f"fake-{self.service_name}-{port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                error = self._thread_error
                self.stop()
                raise RuntimeError(f"The {self.service_name} fake did not start") from error
            time.sleep(0.005)
        return self

    def _run(self) -> None:
        assert self._server is not None and self._socket is not None
        try:
            asyncio.run(self._serve(self._server, self._socket))
        except BaseException as exc:
            self._thread_error = exc

    async def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        await server.serve(sockets=[sock])

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and release the port and the thread (idempotent)."""
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
            loop, stopping = self._loop, self._stopping
            if loop is not None and stopping is not None:
                with contextlib.suppress(RuntimeError):  # the loop has already closed
                    loop.call_soon_threadsafe(stopping.set)
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                raise RuntimeError(f"The {self.service_name} fake did not stop in {timeout} s")
        if self._socket is not None:
            self._socket.close()
        logging.getLogger("uvicorn.error").removeFilter(self._log_filter)
        self._server = self._thread = self._socket = self._loop = self._stopping = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # For subclasses --------------------------------------------------------------------------

    def endpoint(self, handler: Handler, *, own_delay: bool = False) -> Handler:
        """Wrap a route handler: a ``slow`` fault waits before it runs (unless the handler
        calls :meth:`pause` itself at the right moment, ``own_delay=True``)."""

        async def run(request: Request) -> Response:
            if not own_delay:
                await self.pause(request)
            return await handler(request)

        run.__name__ = run.__qualname__ = getattr(handler, "__name__", "endpoint")
        return run

    async def pause(self, request: Request) -> None:
        """Apply the ``slow`` fault's delay to this request, once (no-op without one)."""
        delay = request.scope.pop(SCOPE_DELAY, None)
        if delay and self._stopping is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), float(delay))

    @staticmethod
    def urls_expired(request: Request) -> bool:
        """Whether an ``expire_url`` fault applies to this request."""
        return bool(request.scope.get(SCOPE_EXPIRE_URLS))

    @staticmethod
    def request_id(request: Request) -> str:
        """The ``req_…`` id of this request (the same as the response header, if any)."""
        return str(request.scope.get(SCOPE_REQUEST_ID, ""))

    def violation(self, request: Request, message: str) -> None:
        """Record a spec violation by ``request``."""
        line = f"{request.method} {request.url.path}: {message}"
        record = request.scope.get(SCOPE_RECORD)
        with self._lock:
            self._violations.append(line)
            if isinstance(record, RecordedRequest):
                record.violations.append(message)

    def reject(
        self, request: Request, status: int, code: str, message: str, **extra: Any
    ) -> Response:
        """Record a violation and answer it with the service's error shape."""
        self.violation(request, message)
        return self.error_response(request, status, code, message, **extra)

    @staticmethod
    def query_items(request: Request) -> list[tuple[str, str]]:
        """All query parameters, repeats included."""
        return parse_qsl(request.url.query, keep_blank_values=True)

    def unexpected_query(self, request: Request, allowed: Sequence[str]) -> list[str]:
        """The query parameter names not in ``allowed``."""
        return sorted({k for k, _ in self.query_items(request)} - set(allowed))

    @staticmethod
    def parse_json(body: bytes) -> tuple[bool, Any]:
        """``(True, value)`` when ``body`` is JSON, else ``(False, None)``."""
        try:
            return True, json.loads(body)
        except ValueError:
            return False, None

    # The ASGI layer: record, inject faults, dispatch ---------------------------------------

    async def _unknown(self, request: Request) -> Response:
        return await self.unknown_route(request)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for rule in self._faults:
                if rule.matches(method, path):
                    rule.hits += 1
                    if rule.remaining is not None:
                        rule.remaining -= 1
                        if rule.remaining == 0:
                            self._faults.remove(rule)
                    return rule
        return None

    def _record(self, scope: Scope, body: bytes) -> RecordedRequest:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        items = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        record = RecordedRequest(
            method=scope["method"],
            path=scope["path"],
            query=dict(items),
            query_items=items,
            headers=headers,
            body_size=len(body),
        )
        content_type = headers.get("content-type", "")
        if body and "json" in content_type.lower():
            ok, value = self.parse_json(body)
            record.json = value if ok else None
        elif content_type.lower().startswith("multipart/form-data"):
            with contextlib.suppress(MultipartError):
                record.form = form_summary(parse_multipart(body, content_type))
        return record

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        record = self._record(scope, body)
        with self._lock:
            self._requests.append(record)
        request_id = new_id("req_011C", 20)
        scope[SCOPE_RECORD] = record
        scope[SCOPE_REQUEST_ID] = request_id
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = int(message["status"])
                if self.request_id_header:
                    headers = list(message.get("headers", []))
                    headers.append((self.request_id_header.encode(), request_id.encode()))
                    message = {**message, "headers": headers}
            await send(message)

        rule = self._take_fault(scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, replay, recording_send)
            return
        record.fault = rule.kind
        await self._inject(rule, scope, replay, recording_send)

    async def _inject(self, rule: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        kind, opts = rule.kind, rule.opts
        if kind in ("429", "529", "5xx_before"):
            response = self.fault_response(Request(scope), _fault_family(kind), opts)
            await response(scope, receive, send)
        elif kind == "5xx_after":
            await self.app(scope, receive, _discard)
            response = self.fault_response(Request(scope), "5xx", opts)
            await response(scope, receive, send)
        elif kind == "drop":
            if opts["process"]:
                await self.app(scope, receive, _discard)
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"4096"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b'{"partial":', "more_body": True})
            record = scope.get(SCOPE_RECORD)
            if isinstance(record, RecordedRequest):
                record.status = None  # no complete response was sent
            raise DropConnection(f"drop fault on {scope['method']} {scope['path']}")
        elif kind == "slow":
            scope[SCOPE_DELAY] = float(opts["delay"])
            await self.app(scope, receive, send)
        elif kind == "expire_url":
            scope[SCOPE_EXPIRE_URLS] = True
            await self.app(scope, receive, send)
        else:  # pragma: no cover - fault() validates kinds
            raise AssertionError(kind)


def _fault_family(kind: str) -> str:
    return "5xx" if kind in ("5xx_before", "5xx_after") else kind


def paginate_by_id(
    items: Sequence[Any],
    id_of: Callable[[Any], str],
    *,
    limit: int,
    after_id: str | None,
    before_id: str | None,
) -> tuple[list[Any], bool]:
    """Anthropic-style id cursors over ``items`` (already in list order).

    ``after_id``: the page that follows that object; ``before_id``: the page just before
    it. An id that is not in the list gives an empty page. Returns ``(page, has_more)``.
    """
    ids = [id_of(item) for item in items]
    if after_id is not None:
        if after_id not in ids:
            return [], False
        rest = list(items[ids.index(after_id) + 1 :])
        return rest[:limit], len(rest) > limit
    if before_id is not None:
        if before_id not in ids:
            return [], False
        earlier = list(items[: ids.index(before_id)])
        return earlier[-limit:], len(earlier) > limit
    return list(items[:limit]), len(items) > limit
