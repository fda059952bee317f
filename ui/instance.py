"""One window per person: a second ``extractdesk FILE...`` (a file manager's "Open with"
while Extractdesk is open) hands its files to the running window and exits, instead of
opening a second window on the same journal that would resume the same jobs.

The running window listens on a local socket (QLocalServer: a Unix socket, or a named pipe
on Windows) named after the data folder, so each person, and each data folder, has its
own. It leaves a marker file in the data folder while it listens: a start that finds no
marker knows at once that nothing is running and does not load QtNetwork (~8 ms) before
its first frame. A marker left by a crash is found stale (nobody answers) and replaced.

The message is one line of JSON, ``{"files": [absolute paths]}``, answered by ``ok``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger("extractdesk.ui")

MARKER_NAME = "window.running"
CONNECT_MS = 1000
ANSWER_MS = 5000
MAX_MESSAGE = 1 << 20
"""A hand-over longer than this (1 MiB of paths) is refused."""


def server_name(data_dir: Path) -> str:
    """The socket's name: the same for every start on this data folder and this account."""
    import hashlib

    user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
    digest = hashlib.sha256(f"{user}\0{data_dir.resolve()}".encode()).hexdigest()[:16]
    return f"extractdesk-{digest}"


def marker_path(data_dir: Path) -> Path:
    return data_dir / MARKER_NAME


def hand_over(files: Sequence[Path], data_dir: Path, *, marked_only: bool = True) -> bool:
    """Give ``files`` to the window already running on ``data_dir``. True when it took
    them (this start should then end); False when no window answers. ``marked_only``:
    without a marker file, do not even try (the quick path of every usual start)."""
    if marked_only and not marker_path(data_dir).exists():
        return False  # nothing is running: the usual start, without loading QtNetwork
    from PySide6.QtNetwork import QLocalSocket

    socket = QLocalSocket()
    socket.connectToServer(server_name(data_dir))
    if not socket.waitForConnected(CONNECT_MS):
        return False  # a marker left by a crash
    message = {"files": [str(Path(f).absolute()) for f in files]}
    socket.write(json.dumps(message).encode() + b"\n")
    socket.flush()
    answer = b""
    while not answer.endswith(b"\n") and socket.waitForReadyRead(ANSWER_MS):
        answer += socket.readAll().data()
    socket.disconnectFromServer()
    taken = answer.strip() == b"ok"
    if not taken:
        log.warning("The running Extractdesk did not answer; opening another window.")
    return taken


class InstanceServer(QObject):
    """Listens for later starts' files while this window runs.

    Signals:
        filesReceived(list): absolute paths (possibly none: then just show the window).
    """

    filesReceived = Signal(list)

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self._server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Start listening. False when another window already listens on this data folder
        (it started at the same moment: hand the files over to it and end)."""
        from PySide6.QtNetwork import QLocalServer

        name = server_name(self.data_dir)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(name):
            if self._someone_answers(name):
                return False
            QLocalServer.removeServer(name)  # a socket file left by a crash
            if not server.listen(name):
                log.warning("Not listening for other starts: %s", server.errorString())
                return True  # this window works all the same
        server.newConnection.connect(self._accept)
        self._server = server
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            marker_path(self.data_dir).write_text(name, encoding="utf-8")
        except OSError as exc:  # later starts then open their own window
            log.warning("Could not write %s: %s", marker_path(self.data_dir), exc)
        return True

    def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        self._server = None
        marker_path(self.data_dir).unlink(missing_ok=True)

    @staticmethod
    def _someone_answers(name: str) -> bool:
        from PySide6.QtNetwork import QLocalSocket

        probe = QLocalSocket()
        probe.connectToServer(name)
        alive = probe.waitForConnected(CONNECT_MS)
        probe.abort()
        return alive

    def _accept(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            if socket is None:
                break
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + socket.readAll().data()
        if len(data) > MAX_MESSAGE:
            log.warning("Refused an over-long message from another start.")
            socket.abort()
            return
        if b"\n" not in data:
            self._buffers[socket] = data
            return
        line = data.split(b"\n", 1)[0]
        try:
            message = json.loads(line)
            files = [str(f) for f in message["files"]]
        except (ValueError, KeyError, TypeError):
            log.warning("Ignored a message another start sent: it was not understood.")
            socket.abort()
            return
        socket.write(b"ok\n")
        socket.flush()
        socket.disconnectFromServer()
        self.filesReceived.emit(files)

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()
