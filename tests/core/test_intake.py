"""What happens to the files a person hands over: types, names, bad input."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from app import doctypes
from app.models import ErrorCode
from app.uploads import FileChanged, PrepareError, file_chunks, prepare_sync

PDF_BYTES = b"%PDF-1.4\n%minimal\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_types_are_detected_from_content_not_only_the_name(tmp_path: Path) -> None:
    cases = {
        "a.pdf": (PDF_BYTES, "application/pdf"),
        "renamed.bin": (PDF_BYTES, "application/pdf"),
        "p.png": (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "image/png"),
        "j.jpg": (b"\xff\xd8\xff\xe0" + b"\0" * 20, "image/jpeg"),
        "w.webp": (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
        "t.tif": (b"II*\x00" + b"\0" * 20, "image/tiff"),
        "d.docx": (b"PK\x03\x04" + b"\0" * 20, doctypes.DOCX.mime),
    }
    for name, (data, mime) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        prepared = prepare_sync(path)
        assert prepared.content_type == mime, name
        assert prepared.sha256 == hashlib.sha256(data).hexdigest()
        assert prepared.size == len(data)


@pytest.mark.parametrize(
    ("setup", "code", "words"),
    [
        (lambda p: p.write_bytes(b""), ErrorCode.FILE_EMPTY, "is empty"),
        (lambda p: None, ErrorCode.FILE_MISSING, "no longer exists"),
        (
            lambda p: p.write_bytes(b"MZ\x90\0 not a document"),
            ErrorCode.UNSUPPORTED_TYPE,
            "not a document type",
        ),
        (
            lambda p: p.write_bytes(b"PK\x03\x04 a zip that is no office file"),
            ErrorCode.UNSUPPORTED_TYPE,
            "Supported:",
        ),
    ],
)
def test_bad_input_gets_a_plain_reason(tmp_path: Path, setup, code, words) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "input.zip"
    setup(path)
    with pytest.raises(PrepareError) as info:
        prepare_sync(path)
    assert info.value.failure.code == code
    assert words in info.value.failure.message
    assert "input.zip" in info.value.failure.message


def test_unreadable_file_says_so(tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:
        # root reads anything; simulate with a directory posing as a file instead
        path = tmp_path / "folder.pdf"
        path.mkdir()
        with pytest.raises(PrepareError) as info:
            prepare_sync(path)
        assert "not a regular file" in info.value.failure.message
        return
    path = tmp_path / "secret.pdf"
    path.write_bytes(PDF_BYTES)
    path.chmod(0)
    with pytest.raises(PrepareError) as info:
        prepare_sync(path)
    assert info.value.failure.code == ErrorCode.FILE_UNREADABLE


def test_filenames_are_sanitised_for_the_service() -> None:
    assert doctypes.sanitize_filename("re\x00port\x1b\n.pdf") == "re port .pdf"
    long = "x" * 700 + ".pdf"
    cleaned = doctypes.sanitize_filename(long)
    assert len(cleaned) == 512 and cleaned.endswith(".pdf")
    assert doctypes.sanitize_filename("\x01\x02") == "document"


def test_folders_are_walked_and_skips_are_listed(tmp_path: Path) -> None:
    (tmp_path / "docs" / "deep").mkdir(parents=True)
    (tmp_path / "docs" / "a.pdf").write_bytes(PDF_BYTES)
    (tmp_path / "docs" / "deep" / "b.PNG").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "docs" / "notes.exe").write_bytes(b"MZ")
    (tmp_path / "empty").mkdir()
    intake = doctypes.collect([tmp_path / "docs", tmp_path / "empty"])
    assert [p.name for p in intake.files] == ["a.pdf", "b.PNG"]
    reasons = {p.name: why for p, why in intake.skipped}
    assert "not a document type" in reasons["notes.exe"]
    assert "no documents" in reasons["empty"]


def test_upload_body_is_exactly_the_file_and_reports_progress(tmp_path: Path) -> None:
    data = bytes(range(256)) * 5000  # 1.28 MB: more than one chunk
    path = tmp_path / "f.pdf"
    path.write_bytes(data)
    seen: list[int] = []

    async def read_all() -> bytes:
        return b"".join([c async for c in file_chunks(path, len(data), seen.append, 65536)])

    assert asyncio.run(read_all()) == data
    assert seen[-1] == len(data) and seen == sorted(seen)


def test_upload_body_refuses_a_file_that_changed_size(tmp_path: Path) -> None:
    path = tmp_path / "f.pdf"
    path.write_bytes(b"x" * 1000)

    async def read(size: int) -> None:
        async for _ in file_chunks(path, size):
            pass

    with pytest.raises(FileChanged):
        asyncio.run(read(2000))
    with pytest.raises(FileChanged):
        asyncio.run(read(500))
