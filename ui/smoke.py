"""``extractdesk --smoke-test FILE``: the installed app, end to end, without a person.

Opens the real main window (offscreen when there is no screen), hands it FILE the way a
file manager's "Open with" does while the window is open (a second ``extractdesk FILE``
start, which passes the file over the local socket and exits), lets the local engine
extract it (server process and worker processes), checks that
the window shows a non-empty text, closes the window (which stops the engine) and exits 0.
Any other outcome exits 1 with the reason on stderr. Used by CI on the installed .deb.

It works in a throw-away data and config folder, so a person's journal, settings and
window layout are never touched.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TextIO

DEFAULT_TIMEOUT = 180.0
_DIRS = {"EXTRACTDESK_DATA_DIR": "data", "EXTRACTDESK_CONFIG_DIR": "config",
         "EXTRACTDESK_LOG_DIR": "log"}  # fmt: skip


def run_smoke(pdf: Path, timeout: float = DEFAULT_TIMEOUT) -> int:
    """Extract ``pdf`` through the window and the local engine; 0 on success, else 1."""
    pdf = Path(pdf).resolve()
    if not pdf.is_file():
        return _fail(f"{pdf} is not a file")
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    saved = {name: os.environ.get(name) for name in _DIRS}
    with tempfile.TemporaryDirectory(prefix="extractdesk-smoke-") as scratch:
        for name, sub in _DIRS.items():
            os.environ[name] = str(Path(scratch) / sub)
        try:
            return _run(pdf, timeout)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _run(pdf: Path, timeout: float) -> int:
    from PySide6.QtCore import QTimer

    from app import paths
    from app.models import DocumentState
    from ui import instance
    from ui.app import build_services, make_application
    from ui.main_window import MainWindow

    app = make_application()
    app.setQuitOnLastWindowClosed(False)

    import qasync  # after PySide6, so qasync picks the right binding

    loop = qasync.QEventLoop(app)
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="extractdesk-smoke")
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    services = build_services()
    window = MainWindow(services)
    window.shutdownFinished.connect(app.quit)
    listener = instance.InstanceServer(paths.data_dir())
    second: list[subprocess.Popen[bytes]] = []
    started = time.monotonic()
    outcome: list[str] = []  # the first entry decides: "" = passed, else the reason
    chosen: list[str] = []

    def finish(reason: str) -> None:
        if outcome:
            return
        outcome.append(reason)
        window.close()  # the window's own shutdown: stops the pipeline and the engine
        if getattr(window, "close_question", None) is not None:  # still working (failure)
            window.close_buttons["cancel"].click()
        QTimer.singleShot(60_000, app.quit)  # a shutdown that hangs still ends the run

    def check() -> None:
        if outcome or chosen:
            return
        rows = list(window.model.rows())
        settled = [r for r in rows if r.state.terminal]
        if not settled:
            return
        row = settled[0]
        if row.state is not DocumentState.DONE:
            finish(f"the document ended as {row.state.label!r}: {row.error} {row.detail}".strip())
            return
        chosen.append(row.doc_id)
        if not window.select_doc(row.doc_id):  # the viewer loads the result of the selection
            finish("the finished document could not be selected")

    def shown(doc_id: str) -> None:
        if not chosen or doc_id != chosen[0] or outcome:
            return
        text = window.result_view.browser.toPlainText().strip()
        if not text:
            finish("the result view shows no text")
            return
        _say(
            sys.stdout,
            f"smoke test passed: {pdf.name} extracted by the local engine in "
            f"{time.monotonic() - started:.1f} s; the window shows {len(text)} characters",
        )
        finish("")

    def too_late() -> None:
        rows = window.model.rows()
        states = ", ".join(r.state.label for r in rows)
        view = window.result_view
        placeholder = getattr(view, "placeholder", None)
        finish(
            f"not finished within {timeout:g} s ({states or 'nothing queued'}; selected "
            f"{chosen or 'nothing'}; the result view says "
            f"{placeholder.text() if placeholder is not None else '?'!r})"
        )

    window.model.countsChanged.connect(check)  # emitted after each flush of the model
    window.result_view.loaded.connect(shown)
    window.show()

    def start() -> None:
        window.start_up()
        if not listener.listen():
            finish("another window already listens on the smoke test's own data folder")
            return
        listener.filesReceived.connect(window.receive_files)
        # what a file manager's "Open with" does while the window is open
        second.append(
            subprocess.Popen(
                [*_app_command(), str(pdf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        )

    def second_start_ended() -> None:
        if not second or outcome:
            return
        status = second[0].poll()
        if status not in (None, 0):
            stderr = second[0].stderr.read().decode(errors="replace") if second[0].stderr else ""
            finish(f"a second start could not hand the file over (exit {status}): {stderr}")

    watch = QTimer()
    watch.timeout.connect(second_start_ended)
    watch.start(200)
    QTimer.singleShot(0, start)
    QTimer.singleShot(int(timeout * 1000), too_late)
    try:
        with loop:
            loop.run_forever()
    finally:
        listener.close()
        if second and second[0].poll() is None:
            second[0].kill()
        if services.engine is not None:
            services.engine.stop()  # no-op after a clean shutdown
        executor.shutdown(wait=False, cancel_futures=True)
        if services.journal is not None:  # opened by the window on first use
            services.journal.close()
    if not outcome:
        return _fail("the window quit before the document was done")
    return _fail(outcome[0]) if outcome[0] else 0


def _app_command() -> list[str]:
    """How to start Extractdesk again: the installed program, or this Python."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "app.cli"]


def _fail(reason: str) -> int:
    _say(sys.stderr, f"smoke test FAILED: {reason}")
    return 1


def _say(stream: TextIO | None, text: str) -> None:
    if stream is not None:  # a windowed Windows program has no standard streams
        stream.write(text + "\n")
        stream.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="extractdesk --smoke-test",
        description="Open the window, extract FILE with the local engine, exit 0 if it worked.",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="a PDF (or any document)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    return run_smoke(args.file, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
