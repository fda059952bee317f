"""Starting the window: ``extractdesk`` and ``extractdesk FILE...`` end up in :func:`run_gui`.

Order matters for a quick start: the QApplication, the qasync loop and the window come first
and the window is shown; the journal's documents are listed and kept jobs resumed on the
first turn of the event loop (:meth:`MainWindow.start_up`).
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtWidgets import QApplication

from app import paths
from ui import icons
from ui.messages import ErrorReporter, setup_logging

if TYPE_CHECKING:
    from app.local_engine import LocalEngine
    from app.settings import Settings
    from ui.main_window import MainWindow, Services

PROBE_ENV = "EXTRACTDESK_STARTUP_PROBE"
"""Benchmarks set this: the app prints ``shown <unix time>`` once the window is on screen,
then closes."""


class LazyLocalEngine:
    """The local engine, loaded (and started) by the first job that needs it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._engine: LocalEngine | None = None

    async def ensure_started(self) -> tuple[str, str]:
        if self._engine is None:
            from app.local_engine import LocalEngine

            self._engine = LocalEngine(self.data_dir)
        return await self._engine.ensure_started()

    def stop(self) -> None:
        if self._engine is not None:
            self._engine.stop()


def save_settings(settings: Settings) -> None:
    from app import settings as settings_store

    settings_store.save(settings)


def provider_hint() -> str | None:
    """The provider chosen last time, read without the settings model (which loads
    pydantic): only to preselect it while the window appears."""
    try:
        data = json.loads((paths.config_dir() / "settings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("provider") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def build_services() -> Services:
    """Everything the window works on, cheaply: the settings, the pipeline and the HTTP
    stack are loaded on the first turn of the event loop, after the window is shown."""
    from ui.main_window import Services

    return Services(
        journal=None,
        journal_path=paths.journal_path(),
        results_dir=paths.results_dir(),
        engine=LazyLocalEngine(paths.local_engine_dir()),
        settings=None,
        save_settings=save_settings,
        provider_hint=provider_hint(),
    )


class Application(QApplication):
    """The application object. On macOS, Finder's "Open with" and drops on the Dock icon
    arrive as file-open events, not as command-line arguments: they are kept in
    :attr:`opened_files` and announced by ``filesOpened(list)``.

    (An ``event()`` override here sees only events sent to the application object
    itself, unlike an application-wide event filter, which would see every event.)
    """

    filesOpened = Signal(list)

    def __init__(self, argv: list[str]) -> None:
        super().__init__(argv)
        self.opened_files: list[str] | None = []
        """Kept until :meth:`take_opened_files` (the window is ready): then None."""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen:
            from PySide6.QtGui import QFileOpenEvent

            if isinstance(event, QFileOpenEvent) and event.file():
                if self.opened_files is not None:
                    self.opened_files.append(event.file())
                self.filesOpened.emit([event.file()])
            return True
        return super().event(event)

    def take_opened_files(self) -> list[Path]:
        """The files opened so far; later ones only come through ``filesOpened``."""
        files, self.opened_files = self.opened_files or [], None
        return [Path(f) for f in files]


def make_application(argv0: str = "extractdesk") -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = Application([argv0])
    app.setApplicationName("Extractdesk")
    app.setOrganizationName("Extractdesk")
    app.setDesktopFileName("extractdesk")
    app.setWindowIcon(icons.app_icon())
    return app


def run_gui(argv: Sequence[str] = ()) -> int:
    """Open the main window with ``argv`` (files and folders) queued. Returns the exit
    status once the window has closed and its work has stopped.

    The window is built and painted first; the event loop (asyncio + qasync), the log
    file, the settings and the pipeline load right after, on the first turn of the loop.
    """
    files = [Path(a) for a in argv]
    app = make_application(sys.argv[0] if sys.argv else "extractdesk")
    from ui import instance

    data_dir = paths.data_dir()
    if instance.hand_over(files, data_dir):
        return 0  # the window already open took the files
    from ui.main_window import MainWindow

    app.setQuitOnLastWindowClosed(False)  # quit only after the shutdown work is done
    window: MainWindow | None = None
    reporter = ErrorReporter(lambda: window)
    reporter.install()
    services = build_services()
    window = MainWindow(services, lazy_views=True)
    window.shutdownFinished.connect(app.quit)
    window.show()
    app.processEvents()  # the first frame, before anything else loads
    if os.environ.get(PROBE_ENV):
        sys.stdout.write(f"shown {time.time():.6f}\n")
        sys.stdout.flush()

    handler = setup_logging()
    listener = instance.InstanceServer(data_dir)
    if not listener.listen() and instance.hand_over(files, data_dir, marked_only=False):
        window.hide()  # another window opened at the same moment, and took the files
        reporter.uninstall()
        handler.close()
        return 0
    listener.filesReceived.connect(window.receive_files)
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import qasync  # after PySide6, so qasync picks the right binding

    loop = qasync.QEventLoop(app)
    # plain threads for hashing, folder walks and exports (not qasync's QThreadExecutor)
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="extractdesk")
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    if isinstance(app, Application):  # files from Finder's "Open with" (macOS)
        files += app.take_opened_files()  # (those of the first frame: before the loop ran)
        app.filesOpened.connect(window.receive_files)
    QTimer.singleShot(0, lambda: window.start_up(files))
    QTimer.singleShot(0, settle_memory)
    QTimer.singleShot(0, lambda: loop.run_in_executor(None, preload_modules))
    if os.environ.get(PROBE_ENV):
        QTimer.singleShot(0, lambda: _close_when_idle(window))
    # let Python see Ctrl+C in a terminal: close the window like the person would
    signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, window.close))
    wake = QTimer()
    wake.start(500)
    wake.timeout.connect(lambda: None)
    try:
        with loop:
            status = loop.run_forever()
    finally:
        listener.close()
        reporter.uninstall()
        executor.shutdown(wait=False, cancel_futures=True)
        if services.journal is not None:
            services.journal.close()
        handler.close()
    return int(status or 0)


PRELOAD = (
    "httpcore",
    "httpcore._async.http11",
    "httpcore._backends.anyio",
    "anyio._backends._asyncio",
    "h11",
    "certifi",
    "ui.svg_icons",
)
"""What the first job and the first rows would import on the event loop's thread: the HTTP
stack below httpx (~70 modules, ~40 ms of imports, each also read by PySide6's import
hook) and the SVG renderer of the state icons."""


def preload_modules() -> None:
    """Import :data:`PRELOAD` on a worker thread after start-up, so that the window does
    not stall for them when the first documents go out. A thread that imports gives up
    the GIL every few milliseconds: the window stays responsive meanwhile."""
    import importlib
    import logging

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError as exc:  # the job imports it again, and reports what is wrong
            logging.getLogger("extractdesk.ui").debug("preloading %s: %s", name, exc)


def settle_memory() -> None:
    """Move everything built at start-up (modules, Qt wrappers, the window) out of the
    garbage collector's sight: its full collections then scan only what came later, and
    stop pausing the window for tens of milliseconds while documents flow."""
    gc.collect()
    gc.freeze()


def _close_when_idle(window: MainWindow, tries: int = 200) -> None:
    """(Start-up probe) close once the start-up work (listing, queuing) has settled."""
    if len(window.tasks) and tries > 0:
        QTimer.singleShot(50, lambda: _close_when_idle(window, tries - 1))
        return
    window.close()


def main() -> int:
    return run_gui(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
