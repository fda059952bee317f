"""Shared test set-up.

* Qt runs offscreen (set before any QApplication exists).
* Every test gets its own data, config and log folders, and an in-memory keychain.
* A test fails if anything logs a WARNING or worse that the test did not ask to see
  (by taking the ``caplog`` fixture), like qutebrowser's logfail helper.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keychain for tests (keyring has none built in)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.store[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


@pytest.fixture(scope="session")
def qapp_cls() -> type:
    """Tests run the app's own QApplication subclass (pytest-qt makes the one instance)."""
    from ui.app import Application

    return Application


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "appdirs"
    for name in ("DATA", "CONFIG", "LOG"):
        monkeypatch.setenv(f"EXTRACTDESK_{name}_DIR", str(home / name.lower()))
    for name in list(os.environ):
        if name.startswith("EXTRACTDESK_") and name.endswith("_API_KEY"):
            monkeypatch.delenv(name)
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def _fail_on_unexpected_logs(request: pytest.FixtureRequest) -> Iterator[None]:
    collector = _Collector()
    root = logging.getLogger()
    root.addHandler(collector)
    yield
    root.removeHandler(collector)
    if "caplog" in request.fixturenames:
        return  # the test inspects its own log output
    if collector.records:
        lines = "\n".join(f"{r.levelname} {r.name}: {r.getMessage()}" for r in collector.records)
        pytest.fail(f"unexpected log messages:\n{lines}", pytrace=False)


@pytest.fixture(scope="session")
def _session_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from tests.local_server import ServerControl, start_test_server

    server = start_test_server(tmp_path_factory.mktemp("engine"), workers=2)
    control = ServerControl(server)
    yield control
    control.close()
    server.stop()


@pytest.fixture
def engine(_session_server: object) -> Iterator[object]:
    """The shared real local server in test mode, with faults, log and hold reset."""
    from tests.local_server import ServerControl

    assert isinstance(_session_server, ServerControl)
    _session_server.reset()
    yield _session_server
    _session_server.reset()


# ---------------------------------------------------------------------------- Qt + asyncio


@pytest.fixture(scope="session")
def _qasync_session_loop(qapp: object) -> Iterator[object]:
    """One qasync loop for the whole session, marked running only while a UI test runs.

    Never ``loop.stop()`` here: qasync's stop() calls ``QApplication.exit()``, after which
    every later ``qtbot.wait*`` returns at once (see the shared qasync notes)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-ui")
    loop.set_default_executor(executor)
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
    yield loop
    asyncio.events._set_running_loop(None)
    executor.shutdown(wait=True)


@pytest.fixture
def qloop(_qasync_session_loop: object, qtbot: object) -> Iterator[object]:
    """The qasync loop, running for this test; leftover tasks are cancelled afterwards and
    an exception nobody retrieved fails the test."""
    import asyncio

    loop = _qasync_session_loop
    assert isinstance(loop, asyncio.AbstractEventLoop)
    asyncio.events._set_running_loop(loop)
    asyncio.set_event_loop(loop)
    errors: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        yield loop
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            qtbot.waitUntil(lambda: all(t.done() for t in pending), timeout=10_000)  # type: ignore[attr-defined]
    finally:
        loop.set_exception_handler(None)
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)
    assert not errors, f"unhandled errors in the event loop: {errors}"
