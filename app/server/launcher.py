"""Start and stop a local server process from the app (sync or asyncio code).

The server is a child process (``python -m app.server``) with a random API key passed
through the environment. It prints one JSON line, ``{"url": ..., "pid": ...}``, when it
listens. Its stdin is a pipe that only we hold: if the app dies, the pipe closes and the
server shuts itself down, so no server outlives the app.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from app.server.config import API_KEY_ENV

logger = logging.getLogger(__name__)

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_STDERR_LINES = 200


FROZEN_SERVER_FLAG = "--local-engine-server"
"""Hidden first argument that makes a frozen (PyInstaller) Extractdesk run the server."""


def server_command(arguments: Sequence[str]) -> list[str]:
    """The argv that runs the server with ``arguments``.

    A frozen build has no Python interpreter to run ``-m app.server`` with: there
    ``sys.executable`` is the bundle's own program, which serves when its first argument is
    :data:`FROZEN_SERVER_FLAG` (see packaging/pyinstaller/extractdesk_main.py)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, FROZEN_SERVER_FLAG, *arguments]
    return [sys.executable, "-m", "app.server", *arguments]


def _server_env(api_key: str, extra_env: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra_env or {})
    env[API_KEY_ENV] = api_key
    if not getattr(sys, "frozen", False):
        paths = [str(_PROJECT_ROOT), *filter(None, [env.get("PYTHONPATH")])]
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


class LocalServer:
    """One local extract.page-compatible server process.

    ``port`` 0 picks a free port. Presigned URLs stay valid across a restart on the same
    data dir; pass the previous port to keep their host part valid too.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        workers: int | None = None,
        test_mode: bool = False,
        max_upload_bytes: int | None = None,
        url_ttl: float | None = None,
        item_timeout: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self._data_dir = Path(data_dir)
        self._workers = workers
        self._test_mode = test_mode
        self._max_upload_bytes = max_upload_bytes
        self._url_ttl = url_ttl
        self._item_timeout = item_timeout
        self._host = host
        self._port = port
        self._extra_env = dict(extra_env or {})
        self._api_key = secrets.token_urlsafe(32)
        self._proc: subprocess.Popen[bytes] | None = None
        self._url: str | None = None
        self._pid: int | None = None
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)
        self._threads: list[threading.Thread] = []

    # Properties -----------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:53124``."""
        if self._url is None:
            raise RuntimeError("The local server is not running.")
        return self._url

    @property
    def data_dir(self) -> Path:
        """The server's data directory."""
        return self._data_dir

    @property
    def api_key(self) -> str:
        """The key to send as ``X-API-KEY`` (fixed for this object, across restarts)."""
        return self._api_key

    @property
    def pid(self) -> int:
        """Process id of the server."""
        if self._pid is None:
            raise RuntimeError("The local server is not running.")
        return self._pid

    @property
    def running(self) -> bool:
        """Whether the server process was started and has not exited."""
        return self._proc is not None and self._proc.poll() is None

    def stderr_tail(self) -> str:
        """The last lines the server wrote to stderr (for diagnostics)."""
        return "".join(self._stderr_tail)

    # Lifecycle ------------------------------------------------------------

    def _arguments(self) -> list[str]:
        args = ["--host", self._host, "--port", str(self._port)]
        args += ["--data-dir", str(self._data_dir), "--watch-stdin"]
        if self._workers is not None:
            args += ["--workers", str(self._workers)]
        if self._max_upload_bytes is not None:
            args += ["--max-upload-bytes", str(self._max_upload_bytes)]
        if self._url_ttl is not None:
            args += ["--url-ttl", repr(float(self._url_ttl))]
        if self._item_timeout is not None:
            args += ["--item-timeout", repr(float(self._item_timeout))]
        if self._test_mode:
            args.append("--test-mode")
        return args

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until it listens; RuntimeError if it does not."""
        if self._proc is not None:
            raise RuntimeError("The local server is already started.")
        self._stderr_tail.clear()
        proc = subprocess.Popen(
            server_command(self._arguments()),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_server_env(self._api_key, self._extra_env),
        )
        self._proc = proc
        assert proc.stdout is not None
        assert proc.stderr is not None
        lines: queue.Queue[str | None] = queue.Queue()
        self._threads = [
            threading.Thread(
                target=self._read_stdout, args=(proc.stdout, lines), daemon=True, name="srv-out"
            ),
            threading.Thread(
                target=self._read_stderr, args=(proc.stderr,), daemon=True, name="srv-err"
            ),
        ]
        for thread in self._threads:
            thread.start()
        try:
            self._wait_ready(lines, timeout)
        except BaseException:
            self.stop()
            raise
        logger.info("Local server listening on %s (pid %d)", self._url, self._pid)

    async def astart(self) -> None:
        """:meth:`start` without blocking the event loop."""
        await asyncio.to_thread(self.start)

    def _wait_ready(self, lines: queue.Queue[str | None], timeout: float) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._startup_error(f"did not start within {timeout:g} s")
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if line is None:
                self._proc.wait(5)
                raise self._startup_error(f"exited with status {self._proc.returncode}")
            try:
                ready: Any = json.loads(line)
                self._url, self._pid = str(ready["url"]), int(ready["pid"])
            except (ValueError, TypeError, KeyError):
                logger.warning("Unexpected output from the local server: %.200s", line)
                continue
            return

    def _startup_error(self, what: str) -> RuntimeError:
        # Give the stderr reader a moment to collect the last words of a dying server.
        if self._proc is not None and self._proc.poll() is not None:
            self._threads[1].join(2)
        tail = self.stderr_tail().strip() or "(no output)"
        return RuntimeError(f"The local extraction server {what}. Its last output:\n{tail}")

    @staticmethod
    def _read_stdout(stream: IO[bytes], lines: queue.Queue[str | None]) -> None:
        for raw in iter(stream.readline, b""):
            lines.put(raw.decode("utf-8", "replace").strip())
        lines.put(None)

    def _read_stderr(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            text = raw.decode("utf-8", "replace")
            self._stderr_tail.append(text)
            logger.debug("server: %s", text.rstrip())

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to shut down (SIGTERM / stdin closed), then kill it if it hangs."""
        proc = self._proc
        if proc is None:
            return
        if proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass
        if proc.poll() is None and os.name != "nt":
            proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            logger.warning("The local server did not stop within %g s; killing it", timeout)
            proc.kill()
            proc.wait()
        for thread in self._threads:
            thread.join(5)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None and not any(t.is_alive() for t in self._threads):
                stream.close()
        self._proc = None
        self._url = None
        self._pid = None

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the server process to exit by itself; return its exit status."""
        if self._proc is None:
            raise RuntimeError("The local server is not running.")
        return self._proc.wait(timeout)

    async def astop(self) -> None:
        """:meth:`stop` without blocking the event loop."""
        await asyncio.to_thread(self.stop)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
