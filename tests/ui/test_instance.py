"""One window per person: a second start hands its files to the window already open; on
macOS, Finder's "Open with" arrives as a file-open event instead."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtNetwork import QLocalSocket
from PySide6.QtWidgets import QApplication

from tests.documents import make_pdf
from tests.ui.conftest import ROOT, WindowFactory, app_env, app_log, run_extractdesk, wait_states
from ui import instance
from ui.app import Application


def wait_for(condition: Any, timeout: float = 30.0) -> None:
    """Poll ``condition`` until it holds (a condition wait, not a timer)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def running_window(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """``extractdesk`` with no files, open until the test ends (Ctrl+C closes it)."""
    env = app_env(tmp_path)
    window = subprocess.Popen(
        [sys.executable, "-m", "app.cli"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(
            lambda: instance.marker_path(tmp_path / "data").exists() or window.poll() is not None
        )
        assert window.poll() is None, window.communicate()[1]
        yield window
    finally:
        if window.poll() is None:
            window.send_signal(signal.SIGINT)
        _, stderr = window.communicate(timeout=60)
        assert window.returncode == 0, stderr
        assert "Traceback" not in stderr


def test_a_second_start_hands_its_files_to_the_open_window(
    tmp_path: Path, running_window: subprocess.Popen[str]
) -> None:
    pdf = make_pdf(tmp_path / "docs" / "letter.pdf", ["Dear reader"])
    # a relative path, from another folder: the running window gets it made absolute
    second = run_extractdesk([str(pdf.relative_to(tmp_path))], app_env(tmp_path), tmp_path)
    assert second.returncode == 0, second.stderr
    wait_for(lambda: "Added 1 documents." in app_log(tmp_path))
    # the open window queued it in its journal: one window, one journal
    running_window.send_signal(signal.SIGINT)
    running_window.wait(timeout=60)
    assert not instance.marker_path(tmp_path / "data").exists()  # gone with the window
    from app.journal import Journal

    journal = Journal(tmp_path / "data" / "journal.sqlite3")
    try:
        assert [Path(d.path) for d in journal.documents()] == [pdf]
    finally:
        journal.close()


def test_a_marker_left_by_a_crash_does_not_stop_the_window(tmp_path: Path) -> None:
    env = app_env(tmp_path, EXTRACTDESK_STARTUP_PROBE="1")
    (tmp_path / "data").mkdir()
    instance.marker_path(tmp_path / "data").write_text("extractdesk-gone")  # nobody listens
    pdf = make_pdf(tmp_path / "report.pdf", ["Quarterly report"])
    done = run_extractdesk([str(pdf)], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("shown ")  # its own window opened
    assert "Added 1 documents." in app_log(tmp_path)
    assert not instance.marker_path(tmp_path / "data").exists()


def test_the_listener_answers_files_and_refuses_garbage(
    qtbot: Any, tmp_path: Path, caplog: Any
) -> None:
    server = instance.InstanceServer(tmp_path / "data")
    assert server.listen()
    try:
        assert instance.marker_path(tmp_path / "data").exists()

        def send(payload: bytes) -> QLocalSocket:
            client = QLocalSocket()
            client.connectToServer(instance.server_name(tmp_path / "data"))
            qtbot.waitUntil(lambda: client.state() == QLocalSocket.LocalSocketState.ConnectedState)
            client.write(payload)
            return client

        with qtbot.waitSignal(server.filesReceived) as received:
            client = send(json.dumps({"files": ["/tmp/a.pdf", "/tmp/b.pdf"]}).encode() + b"\n")
        assert received.args == [["/tmp/a.pdf", "/tmp/b.pdf"]]
        qtbot.waitUntil(lambda: client.bytesAvailable() > 0 or not client.isOpen())
        assert client.readAll().data() == b"ok\n"

        with qtbot.assertNotEmitted(server.filesReceived, wait=200):
            garbage = send(b"GET / HTTP/1.1\n")
            qtbot.waitUntil(
                lambda: garbage.state() == QLocalSocket.LocalSocketState.UnconnectedState
            )
        assert "not understood" in caplog.text
    finally:
        server.close()
    assert not instance.marker_path(tmp_path / "data").exists()


def test_received_files_bring_the_window_forward_and_are_added(
    make_window: WindowFactory, qtbot: Any, tmp_path: Path
) -> None:
    window = make_window()
    window.showMinimized()
    pdf = make_pdf(tmp_path / "memo.pdf", ["Memo"])
    window.receive_files([str(pdf)])
    assert not window.isMinimized()
    wait_states(qtbot, window, lambda s: "memo.pdf" in s)


def test_finder_s_open_with_reaches_the_window(
    qapp: Any, make_window: WindowFactory, qtbot: Any, tmp_path: Path
) -> None:
    """macOS sends the files of "Open with" (and of drops on the Dock icon) to the
    application as file-open events."""
    assert isinstance(qapp, Application)
    window = make_window()
    qapp.filesOpened.connect(window.receive_files)
    pdf = make_pdf(tmp_path / "contract.pdf", ["Contract"])
    try:
        with qtbot.waitSignal(qapp.filesOpened) as opened:
            QApplication.sendEvent(qapp, QFileOpenEvent(str(pdf)))
        assert opened.args == [[str(pdf)]]
        assert qapp.take_opened_files() == [pdf]
        QApplication.sendEvent(qapp, QFileOpenEvent(str(pdf)))  # later ones: the signal only
        assert qapp.take_opened_files() == []
        wait_states(qtbot, window, lambda s: "contract.pdf" in s)
    finally:
        qapp.filesOpened.disconnect(window.receive_files)
