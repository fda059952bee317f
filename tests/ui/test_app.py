"""Start-up, errors and messages: the entry point, the error dialog, the log file."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from app import http, paths
from app.cli import main as cli_main
from app.journal import Journal
from tests.ui.conftest import app_env, run_extractdesk
from ui.async_qt import TaskSet, dialog_result
from ui.messages import ErrorReporter, Level, bridge, setup_logging, show_message


def test_show_message_logs_and_shows(qtbot: Any, caplog: Any) -> None:
    shown: list[tuple[int, str, str, bool]] = []
    bridge().shown.connect(lambda *args: shown.append(args))
    with caplog.at_level(logging.INFO, logger="extractdesk.ui"):
        show_message(Level.WARNING, "The file is locked.", detail="EACCES")
    assert shown[-1] == (int(Level.WARNING), "The file is locked.", "EACCES", False)
    assert "The file is locked. [EACCES]" in caplog.text


def test_uncaught_errors_open_a_dialog_with_details_and_reach_the_log(
    qtbot: Any, caplog: Any
) -> None:
    root_level = logging.getLogger().level
    handler = setup_logging(qt_messages=False)  # pytest-qt keeps Qt's messages
    secret = "sk-live-abcdefghijklmnop"
    http.register_secret(secret)
    reporter = ErrorReporter()
    try:
        try:
            raise RuntimeError(f"boom with {secret}")
        except RuntimeError as exc:
            reporter.hook(type(exc), exc, exc.__traceback__)
        dialog = reporter.dialog
        assert dialog is not None and dialog.isVisible() and not dialog.isModal()
        assert not dialog.details.isVisible()
        dialog.details_button.click()
        assert dialog.details.isVisible()
        details = dialog.details.toPlainText()
        assert "RuntimeError: boom with <redacted>" in details and secret not in details
        try:  # a second error joins the same dialog
            raise ValueError("again")
        except ValueError as exc:
            reporter.hook(type(exc), exc, exc.__traceback__)
        assert reporter.dialog is dialog and "ValueError: again" in dialog.details.toPlainText()
        dialog.close()
    finally:
        handler.close()
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(root_level)
    log = (paths.log_dir() / "extractdesk.log").read_text()
    assert "Unexpected error" in log and "RuntimeError: boom" in log
    assert secret not in log


def test_task_errors_go_to_the_excepthook(
    qtbot: Any, qloop: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    caught: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda t, e, tb: caught.append(e))
    tasks = TaskSet()

    async def fails() -> None:
        await asyncio.sleep(0)
        raise KeyError("lost")

    tasks.spawn(fails())
    qtbot.waitUntil(lambda: bool(caught))
    assert isinstance(caught[0], KeyError) and len(tasks) == 0


def test_dialogs_resolve_a_future_without_exec(qtbot: Any, qloop: object) -> None:
    box = QMessageBox()
    qtbot.addWidget(box)
    box.setText("Continue?")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    future = dialog_result(box)
    assert box.isVisible() and not future.done()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(future.done)
    assert future.result() == QMessageBox.StandardButton.Yes
    dialog = QDialog()
    qtbot.addWidget(dialog)
    rejected = dialog_result(dialog)
    dialog.reject()
    qtbot.waitUntil(rejected.done)
    assert rejected.result() == QDialog.DialogCode.Rejected


def test_without_a_screen_the_command_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert cli_main([]) == 2
    assert "extractdesk extract FILE" in capsys.readouterr().err
    assert cli_main(["--help"]) == 0
    assert "extractdesk [FILE...]" in capsys.readouterr().out
    assert cli_main(["--bogus"]) == 2


@pytest.mark.slow
def test_extractdesk_opens_the_window_and_quits_cleanly(tmp_path: Path) -> None:
    sample = Path("resources/samples/welcome.pdf").resolve()
    done = run_extractdesk([str(sample)], app_env(tmp_path, EXTRACTDESK_STARTUP_PROBE="1"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("shown ")
    assert "Traceback" not in done.stderr
    assert (tmp_path / "config" / "window.ini").exists()  # size and splitter remembered
    log = (tmp_path / "logs" / "extractdesk.log").read_text()
    assert "Added 1 documents." in log
    assert "Unexpected error" not in log and "Traceback" not in log, log
    # the file named on the command line was journaled before the window closed
    journal = Journal(tmp_path / "data" / "journal.sqlite3")
    try:
        assert [d.name for d in journal.documents()] == ["welcome.pdf"]
    finally:
        journal.close()


def test_preloading_finds_every_module_it_names() -> None:
    """The modules warmed on a worker thread after start-up all exist (a renamed one would
    silently be imported on the window's thread again, mid-job)."""
    from ui.app import PRELOAD, preload_modules

    preload_modules()
    assert [name for name in PRELOAD if name not in sys.modules] == []
