"""Process lifecycle: restart and resume, the command line, launcher errors, no orphans."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import httpx
import psutil
import pytest

from app.server.config import API_KEY_ENV
from app.server.launcher import LocalServer, server_command
from app.server.worker import CRASH_MARKER, HANG_MARKER
from tests.server.helpers import (
    all_items,
    assert_all_gone,
    create_file,
    get_batch,
    make_pdf,
    s3_code,
    start_batch,
    upload,
    wait_for_batch,
    wait_for_item,
    wait_until,
)


def _client(local: LocalServer) -> httpx.Client:
    return httpx.Client(base_url=local.url, headers={"X-API-KEY": local.api_key}, timeout=10)


def test_restart_resumes_pending_and_interrupted_items(tmp_path: Path) -> None:
    first = LocalServer(tmp_path, workers=1, test_mode=True)
    first.start()
    port = httpx.URL(first.url).port
    try:
        with _client(first) as api, httpx.Client(timeout=10) as storage:
            hang = upload(api, storage, HANG_MARKER, filename="hang.pdf")
            pdfs = [upload(api, storage, make_pdf(f"Resume{n}")) for n in range(2)]
            late = create_file(api, 5)
            interrupted = start_batch(api, [hang])
            wait_for_item(api, interrupted["id"], 0, "running")
            httpx.post(f"{first.url}/_test/hold", json={"hold": True}).raise_for_status()
            held = start_batch(api, pdfs)
            assert get_batch(api, held["id"])["status"] == "pending"
        processes = psutil.Process(first.pid).children(recursive=True)
        assert len(processes) >= 2
    finally:
        first.stop()
    assert_all_gone(processes)

    second = LocalServer(tmp_path, workers=1, test_mode=True, item_timeout=1.5, port=port or 0)
    with second, _client(second) as api, httpx.Client(timeout=10) as storage:
        done = wait_for_batch(api, held["id"])
        assert done["status"] == "completed"
        (resumed,) = all_items(api, wait_for_batch(api, interrupted["id"])["id"])
        assert resumed["status"] == "failed"  # hung again, then timed out
        assert resumed["attempts"] == 2
        # An upload URL issued by the first process is still valid.
        assert storage.put(late["upload"]["url"], content=b"12345").status_code == 200
        assert api.get(f"/v1/files/{late['id']}").json()["status"] == "uploaded"


def _read_lines(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def test_command_line_in_normal_mode(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != API_KEY_ENV}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    args = ["--data-dir", str(tmp_path), "--url-ttl", "1", "--max-upload-bytes", "1000"]
    proc = subprocess.Popen(
        server_command(args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    out: queue.Queue[str] = queue.Queue()
    err: queue.Queue[str] = queue.Queue()
    readers = [
        threading.Thread(target=_read_lines, args=(proc.stdout, out), daemon=True),
        threading.Thread(target=_read_lines, args=(proc.stderr, err), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        ready = json.loads(out.get(timeout=30))
        assert set(ready) == {"url", "pid"}
        assert ready["pid"] == proc.pid
        assert ready["url"].startswith("http://127.0.0.1:")
        key_line = wait_until(lambda: _find(err, "API key is: "), what="the generated key")
        key = key_line.rsplit(": ", 1)[1].strip()
        with (
            httpx.Client(base_url=ready["url"], headers={"X-API-KEY": key}) as api,
            httpx.Client(timeout=10) as storage,
        ):
            for method, path in (("GET", "/_test/requests"), ("POST", "/_test/hold")):
                assert api.request(method, path, json={"hold": True}).status_code == 404
            response = api.post("/v1/files", json={"size_bytes": 1001})
            assert response.json() == {"detail": "size_bytes 1001 exceeds maximum of 1000."}

            # Test hooks are off: a "crash" document is just an unsupported file.
            crash = upload(api, storage, CRASH_MARKER, filename="c.bin", content_type=None)
            batch = wait_for_batch(api, start_batch(api, [crash])["id"])
            assert all_items(api, batch["id"])[0]["error"]["code"] == "unsupported_input"

            # --url-ttl 1: the upload URL stops working within about two seconds.
            url = create_file(api, 3)["upload"]["url"]

            def refused() -> httpx.Response | None:
                response = storage.put(url, content=b"abc")
                return response if response.status_code == 403 else None

            response = wait_until(refused, timeout=5, what="the URL to expire")
            assert s3_code(response) == ("AccessDenied", "Request has expired")
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        assert_all_gone(children)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for reader in readers:
            reader.join(5)
        proc.stdout.close()
        proc.stderr.close()
    stderr = "".join(err.queue)
    assert stderr.count(key) == 1  # shown once, never logged again
    assert "sig=" not in stderr


def _find(lines: queue.Queue[str], needle: str) -> str | None:
    return next((line for line in list(lines.queue) if needle in line), None)


def test_launcher_reports_a_failed_start(tmp_path: Path) -> None:
    local = LocalServer(tmp_path, workers=0)
    with pytest.raises(RuntimeError, match="must be a positive integer"):
        local.start()
    assert not local.running
    with pytest.raises(RuntimeError, match="not running"):
        _ = local.url


async def test_async_start_and_stop(tmp_path: Path) -> None:
    local = LocalServer(tmp_path, workers=1)
    await local.astart()
    try:
        async with httpx.AsyncClient(
            base_url=local.url, headers={"X-API-KEY": local.api_key}
        ) as api:
            response = await api.get("/v1/batches")
        assert response.json() == {"object": "list", "data": [], "next_cursor": None}
        children = psutil.Process(local.pid).children(recursive=True)
    finally:
        await local.astop()
    assert_all_gone(children)
    assert not local.running


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("how", ["stdin-closed", "SIGTERM", "SIGINT"])
def test_server_shuts_down_cleanly(tmp_path: Path, how: str) -> None:
    local = LocalServer(tmp_path, workers=1)
    local.start()
    try:
        server = psutil.Process(local.pid)
        wait_until(lambda: len(server.children()) >= 2, what="the worker to be spawned")
        children = server.children(recursive=True)
        if how == "stdin-closed":  # what the OS does when the app dies
            proc = local._proc
            assert proc is not None
            assert proc.stdin is not None
            proc.stdin.close()
        else:
            server.send_signal(getattr(signal, how))
        assert local.wait(15) == 0
        assert_all_gone(children)
        assert "Traceback" not in local.stderr_tail()
    finally:
        local.stop()
