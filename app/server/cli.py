"""Command line of the local server; ``extractdesk serve`` delegates to :func:`serve_main`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import sys
import threading
from collections.abc import Callable, Generator
from pathlib import Path

import uvicorn

from app.server.app import create_app
from app.server.config import (
    API_KEY_ENV,
    DEFAULT_ITEM_TIMEOUT,
    DEFAULT_MAX_UPLOAD_BYTES,
    DEFAULT_RESULT_URL_TTL,
    DEFAULT_UPLOAD_URL_TTL,
    ServerConfig,
    default_workers,
)

_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name)
)


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``serve`` command line."""
    parser = argparse.ArgumentParser(
        prog="extractdesk serve",
        description=(
            "Run the local extract.page-compatible extraction server. The API key is read "
            f"from {API_KEY_ENV}; when it is unset, a key is generated and shown once."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port (0: pick a free one)")
    parser.add_argument("--data-dir", type=Path, required=True, help="state, uploads, results")
    parser.add_argument(
        "--workers", type=_positive_int, help=f"extraction processes (default {default_workers()})"
    )
    parser.add_argument(
        "--max-upload-bytes",
        type=_positive_int,
        default=DEFAULT_MAX_UPLOAD_BYTES,
        help="largest accepted size_bytes (default 2 GiB)",
    )
    parser.add_argument(
        "--url-ttl",
        type=_positive_float,
        help=(
            "lifetime of presigned URLs in seconds (default "
            f"{DEFAULT_UPLOAD_URL_TTL:g} for uploads, {DEFAULT_RESULT_URL_TTL:g} for results)"
        ),
    )
    parser.add_argument(
        "--item-timeout",
        type=_positive_float,
        default=DEFAULT_ITEM_TIMEOUT,
        help=f"seconds one document may take (default {DEFAULT_ITEM_TIMEOUT:g})",
    )
    parser.add_argument(
        "--test-mode",
        action="store_true",
        help="enable the /_test control routes and the worker's crash/hang test hooks",
    )
    parser.add_argument(
        "--watch-stdin",
        action="store_true",
        help="shut down when standard input is closed (used by the app's launcher)",
    )
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    return parser


class _Server(uvicorn.Server):
    """uvicorn's server, announcing readiness and exiting normally on SIGTERM/SIGINT."""

    def __init__(self, config: uvicorn.Config, *, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Like uvicorn's, but without re-raising the signal after a graceful shutdown."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in _STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start serving, then announce the URL."""
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            self._on_ready()


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind a listening socket ourselves, so that port 0 yields a known port."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _socket_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _exit_when_stdin_closes(server: uvicorn.Server) -> None:
    """Stop the server when the launching process closes our stdin (or dies)."""
    stdin = sys.stdin
    if stdin is None:
        return

    def watch() -> None:
        with contextlib.suppress(OSError, ValueError):
            stdin.buffer.read()
        server.should_exit = True

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()


def serve_main(argv: list[str] | None = None) -> int:
    """Run the server until SIGTERM/SIGINT; return the process exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    api_key = os.environ.get(API_KEY_ENV, "")
    if not api_key:
        api_key = secrets.token_urlsafe(32)
        sys.stderr.write(f"{API_KEY_ENV} is not set; this server's API key is: {api_key}\n")
        sys.stderr.flush()
    config = ServerConfig(
        data_dir=args.data_dir.resolve(),
        api_key=api_key,
        workers=args.workers or default_workers(),
        max_upload_bytes=args.max_upload_bytes,
        upload_url_ttl=args.url_ttl or DEFAULT_UPLOAD_URL_TTL,
        result_url_ttl=args.url_ttl or DEFAULT_RESULT_URL_TTL,
        item_timeout=args.item_timeout,
        test_mode=args.test_mode,
    )
    sock = bind_socket(args.host, args.port)
    url = _socket_url(sock)

    def announce() -> None:
        sys.stdout.write(json.dumps({"url": url, "pid": os.getpid()}) + "\n")
        sys.stdout.flush()

    try:
        server = _Server(
            uvicorn.Config(
                create_app(config),
                http="h11",
                loop="asyncio",
                ws="none",
                lifespan="on",
                log_config=None,
                log_level=args.log_level,
                access_log=False,
                timeout_graceful_shutdown=5,
            ),
            on_ready=announce,
        )
        if args.watch_stdin:
            _exit_when_stdin_closes(server)
        asyncio.run(server.serve(sockets=[sock]))
    finally:
        sock.close()
    return 0 if server.started else 1
