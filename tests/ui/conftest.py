"""Windows on the real local server (the session's test-mode server, through ``engine``)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from app import paths
from app import settings as settings_store
from app.journal import Journal
from app.models import DocumentState
from app.pipeline import PipelineConfig
from app.settings import Settings
from tests.local_server import ServerControl
from ui.main_window import MainWindow, Services

OFFSCREEN_NOISE = (
    # The offscreen platform plugin cannot raise windows or grab the keyboard (menus and
    # dialogs ask for both); harmless, and not emitted on a real screen.
    r"This plugin does not support raise\(\)",
    r"This plugin does not support grabbing the keyboard",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE))


@pytest.fixture(autouse=True)
def _app(qapp: QApplication) -> QApplication:
    """Every UI test runs with the application (models start timers)."""
    return qapp


QUICK = PipelineConfig(poll_initial=0.05, poll_max=0.3, upload_concurrency=4)
WAIT = 30_000


class ServerEngine:
    """The window's "local engine", played by the shared test-mode server."""

    def __init__(self, control: ServerControl) -> None:
        self.control = control
        self.started = 0
        self.stopped = 0

    async def ensure_started(self) -> tuple[str, str]:
        self.started += 1
        return self.control.url, self.control.api_key

    def stop(self) -> None:
        self.stopped += 1  # the session's server outlives each window


class WindowFactory:
    def __init__(self, qtbot: Any, engine: ServerControl) -> None:
        self.qtbot = qtbot
        self.engine = engine
        self.windows: list[MainWindow] = []
        self.opened: list[QUrl] = []

    def __call__(
        self,
        settings: Settings | None = None,
        *,
        journal_path: Path | None = None,
        start: bool = True,
        show: bool = True,
    ) -> MainWindow:
        journal = Journal(journal_path or paths.journal_path())
        services = Services(
            journal=journal,
            results_dir=paths.results_dir(),
            engine=ServerEngine(self.engine),
            settings=settings or Settings(),
            save_settings=settings_store.save,
            pipeline_config=QUICK,
        )
        window = MainWindow(services)
        window.open_url = self._open_url
        self.windows.append(window)
        if show:
            window.show()
            self.qtbot.waitExposed(window)
            window.activateWindow()  # shortcuts need the active window
            self.qtbot.waitUntil(window.isActiveWindow)
        if start:
            window.start_up()
        return window

    def _open_url(self, url: QUrl) -> bool:
        self.opened.append(url)
        return True

    def shut_down(self, window: MainWindow) -> None:
        if window._closed:
            return
        # Let jobs whose documents have all settled finish on their own first: cancelling a
        # job while it closes its connections leaves sockets open (core: the lane's
        # aclose() in Pipeline._run_job_once is not shielded from cancellation).
        pipeline = window.host.pipeline

        def settled() -> bool:
            rows = window.model.rows()
            return not any(pipeline.running(j.id) for j in window.journal.unfinished_jobs()) or any(
                not r.state.terminal for r in rows
            )

        try:
            self.qtbot.waitUntil(settled, timeout=5000)
        except Exception:
            pass
        task = asyncio.ensure_future(window._shutdown(cancel=False))
        self.qtbot.waitUntil(task.done, timeout=WAIT)

    def close_all(self) -> None:
        for window in self.windows:
            if window.close_question is not None:
                window.close_question.close()
            self.shut_down(window)
            window.journal.close()
            window.deleteLater()
        self.qtbot.wait(1)  # let deleteLater run


@pytest.fixture
def make_window(qtbot: Any, qloop: object, engine: ServerControl) -> Iterator[WindowFactory]:
    factory = WindowFactory(qtbot, engine)
    yield factory
    factory.close_all()


@pytest.fixture
def window(make_window: WindowFactory) -> MainWindow:
    return make_window()


# ---------------------------------------------------------------------------- helpers

ROOT = Path(__file__).resolve().parents[2]


def app_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of an ``extractdesk`` process with its own folders in ``tmp_path``,
    offscreen; documents wait for Start (nothing runs, so closing asks nothing)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTRACTDESK_")}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        EXTRACTDESK_DATA_DIR=str(tmp_path / "data"),
        EXTRACTDESK_CONFIG_DIR=str(tmp_path / "config"),
        EXTRACTDESK_LOG_DIR=str(tmp_path / "logs"),
        PYTHONPATH=str(ROOT),
        **extra,
    )
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "settings.json").write_text('{"start_automatically": false}')
    return env


def run_extractdesk(
    args: list[str], env: dict[str, str], cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """``extractdesk ARGS`` in a process of its own, to the end."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def app_log(tmp_path: Path) -> str:
    path = tmp_path / "logs" / "extractdesk.log"
    return path.read_text() if path.exists() else ""


def mime_for(paths: list[Path]) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drag_event(
    kind: type[QDropEvent],
    pos: QPoint,
    mime: QMimeData,
    actions: Qt.DropAction = Qt.DropAction.CopyAction,
) -> QDropEvent:
    """A real drag or drop event. PySide6 6.12 wants the QPointF overload (the QPoint one is
    deprecated there); 6.11 has only the QPoint one."""
    rest = (actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    try:
        return kind(QPointF(pos), *rest)
    except TypeError:
        return kind(pos, *rest)


def drop(target: QWidget, mime: QMimeData) -> tuple[bool, bool]:
    """Drag ``mime`` onto ``target`` with real Qt events: (enter accepted, drop accepted)."""
    pos = target.rect().center()
    both = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    enter = drag_event(QDragEnterEvent, pos, mime, both)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False, False
    dropped = drag_event(QDropEvent, pos, mime, both)
    QApplication.sendEvent(target, dropped)
    assert dropped.dropAction() == Qt.DropAction.CopyAction  # never move a person's files
    return True, dropped.isAccepted()


def states(window: MainWindow) -> dict[str, DocumentState]:
    window.model.flush()
    return {row.name: row.state for row in window.model.rows()}


def wait_states(
    qtbot: Any,
    window: MainWindow,
    expected: dict[str, DocumentState] | Callable[[dict[str, DocumentState]], bool],
    timeout: int = WAIT,
) -> None:
    def check() -> bool:
        current = states(window)
        if callable(expected):
            return expected(current)
        return all(current.get(name) is state for name, state in expected.items())

    qtbot.waitUntil(check, timeout=timeout)


def all_in(state: DocumentState, count: int) -> Callable[[dict[str, DocumentState]], bool]:
    return lambda current: len(current) == count and all(s is state for s in current.values())
