"""Messages for people, the log file, and uncaught errors.

* :func:`show_message` is the one function that both logs a message and shows it (in the
  status bar, or in a non-modal box for things that need reading).
* :func:`setup_logging` writes a rotating log file in the platform log folder; every record
  passes :class:`app.http.RedactingFilter`, so keys and presigned URLs never reach it.
* :class:`ErrorReporter` is ``sys.excepthook``: an uncaught exception (including one from an
  async task) is logged with its traceback and shown in a non-modal dialog whose technical
  part sits behind a "Details" button.
"""

from __future__ import annotations

import enum
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QtMsgType, Signal, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from app import paths

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox, QWidget

    from ui.error_dialog import ErrorDialog

log = logging.getLogger("extractdesk.ui")

LOG_FILE_NAME = "extractdesk.log"


class Level(enum.IntEnum):
    INFO = logging.INFO
    WARNING = logging.WARNING
    ERROR = logging.ERROR


class MessageBridge(QObject):
    """Carries messages from anywhere to whichever window shows them."""

    shown = Signal(int, str, str, bool)  # level, text, detail, as_box


_bridge: MessageBridge | None = None


def bridge() -> MessageBridge:
    global _bridge
    if _bridge is None:
        _bridge = MessageBridge()
    return _bridge


def message_box(
    parent: QWidget | None, level: Level, text: str, detail: str = "", title: str = ""
) -> QMessageBox:
    """A non-modal message box (``show()``, deleted on close). Never ``exec()``."""
    from ui.error_dialog import message_box as make

    return make(parent, level, text, detail, title)


def show_message(level: Level, text: str, *, detail: str = "", box: bool = False) -> None:
    """Log ``text`` (with ``detail``) and show it to the person.

    ``box`` asks for a non-modal message box instead of the status bar, for messages with
    something to read (a list of skipped files, a reason with a next step)."""
    if detail:
        log.log(level, "%s [%s]", text, detail)
    else:
        log.log(level, "%s", text)
    bridge().shown.emit(int(level), text, detail, box)


# ---------------------------------------------------------------------------- logging


def log_file() -> Path:
    return paths.log_dir() / LOG_FILE_NAME


def setup_logging(level: int = logging.INFO, *, qt_messages: bool = True) -> logging.Handler:
    """Send the app's logs (and Qt's own warnings, with ``qt_messages``) to a rotating file
    (1 MB × 5), with secrets redacted."""
    import logging.handlers

    handler = logging.handlers.RotatingFileHandler(
        log_file(), maxBytes=1_000_000, backupCount=5, encoding="utf-8", delay=True
    )
    handler.addFilter(LazyRedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.WARNING, level))
    for name in ("httpx", "httpcore"):  # they log presigned URLs at INFO
        logging.getLogger(name).setLevel(logging.WARNING)
    if qt_messages:
        _route_qt_messages()
    return handler


class LazyRedactingFilter(logging.Filter):
    """:class:`app.http.RedactingFilter`, loaded with the first record (app.http imports
    httpx, which the window does not need before it is on screen)."""

    def __init__(self) -> None:
        super().__init__()
        self._filter: logging.Filter | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self._filter is None:
            from app.http import RedactingFilter

            self._filter = RedactingFilter()
        return bool(self._filter.filter(record))


def _route_qt_messages() -> None:
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }
    qt_log = logging.getLogger("extractdesk.qt")

    def handler(kind: QtMsgType, context: object, message: str) -> None:
        qt_log.log(levels.get(kind, logging.WARNING), "%s", message)

    qInstallMessageHandler(handler)


# ---------------------------------------------------------------------------- errors


class ErrorReporter:
    """``sys.excepthook`` (and ``threading.excepthook``) for the window."""

    def __init__(self, parent: Callable[[], QWidget | None] = lambda: None) -> None:
        self._parent = parent
        self.dialog: ErrorDialog | None = None  # made on the first error
        self._previous_hook = sys.excepthook
        self.count = 0

    def install(self) -> None:
        self._previous_hook = sys.excepthook
        sys.excepthook = self.hook
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        sys.excepthook = self._previous_hook
        threading.excepthook = threading.__excepthook__

    def hook(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._previous_hook(exc_type, exc, tb)
            return
        self.count += 1
        log.error("Unexpected error", exc_info=(exc_type, exc, tb))
        from app.http import redact

        text = redact("".join(traceback.format_exception(exc_type, exc, tb)))
        if QApplication.instance() is None:
            return
        if self.dialog is None:
            from ui.error_dialog import ErrorDialog

            self.dialog = ErrorDialog(self._parent())
            self.dialog.destroyed.connect(self._forget)
        self.dialog.add_details(text)
        self.dialog.show()
        self.dialog.raise_()

    def _forget(self) -> None:
        self.dialog = None

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        log.error(
            "Unexpected error in thread %s",
            getattr(args.thread, "name", "?"),
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )
