"""Preparing files for upload and streaming them from disk.

* Preparation (size, type, SHA-256) runs in a worker thread, never on the event loop.
* The body is streamed in fixed chunks with an exact ``Content-Length`` (httpx then sends
  no chunked transfer encoding), so memory stays flat whatever the file's size.
* The SHA-256 is ours, computed locally and journaled; the services' ``sha256`` field is an
  MD5 ETag and is never compared with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from pathlib import Path

from app import doctypes
from app.models import ErrorCode, Failure

CHUNK_SIZE = 1024 * 1024
HEAD_SIZE = 4096


@dataclass(frozen=True)
class PreparedFile:
    path: Path
    filename: str
    """Sanitised: no control characters, at most 512 characters."""
    size: int
    sha256: str
    doctype: doctypes.DocType

    @property
    def content_type(self) -> str:
        return self.doctype.mime


class PrepareError(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def prepare_sync(path: Path) -> PreparedFile:
    """Check a file and hash it. Raises :class:`PrepareError` with a plain reason."""
    name = path.name
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise PrepareError(
            Failure(
                ErrorCode.FILE_MISSING,
                f"“{name}” no longer exists: it was moved or "
                "deleted. Add it again from its new place.",
                str(exc),
            )
        ) from exc
    except OSError as exc:
        raise PrepareError(
            Failure(
                ErrorCode.FILE_UNREADABLE, f"“{name}” cannot be read ({exc.strerror}).", str(exc)
            )
        ) from exc
    if not path.is_file():
        raise PrepareError(Failure(ErrorCode.UNSUPPORTED_TYPE, f"“{name}” is not a regular file."))
    if st.st_size == 0:
        raise PrepareError(
            Failure(
                ErrorCode.FILE_EMPTY, f"“{name}” is empty (0 bytes): there is nothing to extract."
            )
        )
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_SIZE)
            digest.update(head)
            while chunk := fh.read(CHUNK_SIZE):
                digest.update(chunk)
    except OSError as exc:
        raise PrepareError(
            Failure(
                ErrorCode.FILE_UNREADABLE,
                f"“{name}” cannot be read ({exc.strerror}): "
                "check that you have permission to open it.",
                str(exc),
            )
        ) from exc
    doctype = doctypes.detect(path, head)
    if doctype is None:
        raise PrepareError(
            Failure(
                ErrorCode.UNSUPPORTED_TYPE,
                f"“{name}” is not a document type Extractdesk can read. "
                f"Supported: {doctypes.supported_summary()}.",
            )
        )
    return PreparedFile(
        path=path,
        filename=doctypes.sanitize_filename(name),
        size=st.st_size,
        sha256=digest.hexdigest(),
        doctype=doctype,
    )


async def prepare(path: Path) -> PreparedFile:
    return await asyncio.to_thread(prepare_sync, path)


class FileChanged(Exception):
    """The file's size changed between preparation and upload."""


Progress = Callable[[int], None]


async def file_chunks(
    path: Path, size: int, progress: Progress | None = None, chunk_size: int = CHUNK_SIZE
) -> AsyncGenerator[bytes, None]:
    """Yield exactly ``size`` bytes of ``path``, reading in a worker thread.

    ``progress(bytes_sent_so_far)`` is called after each chunk is handed to the transport.
    Raises :class:`FileChanged` if the file is shorter or longer than ``size``.
    """
    fd = await asyncio.to_thread(os.open, path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        sent = 0
        while sent < size:
            want = min(chunk_size, size - sent)
            chunk = await asyncio.to_thread(os.read, fd, want)
            if not chunk:
                raise FileChanged(f"{path.name} became shorter while it was being uploaded")
            sent += len(chunk)
            yield chunk
            if progress is not None:
                progress(sent)
        extra = await asyncio.to_thread(os.read, fd, 1)
        if extra:
            raise FileChanged(f"{path.name} grew while it was being uploaded")
    finally:
        os.close(fd)


@dataclass(frozen=True)
class MultipartFile:
    """A multipart/form-data body with plain fields and one file part, streamed from disk
    with an exact Content-Length (so memory stays flat and no chunked encoding is used)."""

    prepared: PreparedFile
    file_field: str
    filename: str
    fields: tuple[tuple[str, str], ...] = ()
    boundary: str = ""

    def __post_init__(self) -> None:
        if not self.boundary:
            import uuid

            object.__setattr__(self, "boundary", uuid.uuid4().hex)

    def _head(self) -> bytes:
        parts = [
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in self.fields
        ]
        quoted = self.filename.replace("\\", "\\\\").replace('"', "%22")
        parts.append(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{self.file_field}"; '
            f'filename="{quoted}"\r\nContent-Type: {self.prepared.content_type}\r\n\r\n'
        )
        return "".join(parts).encode("utf-8")

    def _tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def headers(self) -> dict[str, str]:
        length = len(self._head()) + self.prepared.size + len(self._tail())
        return {
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
            "Content-Length": str(length),
        }

    async def body(self, progress: Progress | None = None) -> AsyncGenerator[bytes, None]:
        yield self._head()
        async for chunk in file_chunks(self.prepared.path, self.prepared.size, progress):
            yield chunk
        yield self._tail()
