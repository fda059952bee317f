"""`extractdesk extract` as a person runs it: real subprocesses, real servers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.documents import make_pdf, make_pdfs
from tests.fakes.anthropic import AnthropicFake
from tests.fakes.fixtures import anthropic_fake, olostep_fake
from tests.fakes.olostep import OlostepFake
from tests.local_server import ServerControl

__all__ = ["anthropic_fake", "olostep_fake"]

pytestmark = pytest.mark.slow


def run_cli(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTRACTDESK_")}
    env.update(
        EXTRACTDESK_DATA_DIR=str(tmp_path / "data"),
        EXTRACTDESK_CONFIG_DIR=str(tmp_path / "config"),
        EXTRACTDESK_LOG_DIR=str(tmp_path / "logs"),
        PYTHONPATH=str(Path.cwd()),
        **extra,
    )
    return env


def test_local_engine_by_default_writes_markdown_and_json(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    make_pdfs(folder / "sub", 2)
    make_pdf(folder / "top.pdf", ["Quarterly numbers", "Second page"])
    (folder / "notes.txt").write_text("not a document")
    out = tmp_path / "out"
    done = run_cli(["extract", str(folder), "--out", str(out)], cli_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "doc000.json",
        "doc000.md",
        "doc001.json",
        "doc001.md",
        "top.json",
        "top.md",
    ]
    assert "Quarterly numbers" in (out / "top.md").read_text()
    raw = json.loads((out / "top.json").read_text())
    assert raw["chunks"][0]["page_no"] == 1
    assert "skipped" in done.stderr and "notes.txt" in done.stderr
    assert "3 of 3 documents extracted" in done.stderr
    assert "[" in done.stderr and "3/3" in done.stderr  # the overall bar


def test_failures_are_listed_and_exit_status_is_1(tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "good.pdf", ["fine"])
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    out = tmp_path / "out"
    done = run_cli(
        ["extract", str(good), str(empty), str(tmp_path / "missing.pdf"), "--out", str(out)],
        cli_env(tmp_path),
    )
    assert done.returncode == 1
    assert (out / "good.md").exists()
    assert f"FAILED   {empty}: “empty.pdf” is empty" in done.stderr
    assert "missing.pdf" in done.stderr and "no longer exists" in done.stderr


def test_cloud_provider_without_a_key_says_how_to_add_one(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", ["x"])
    done = run_cli(["extract", str(pdf), "--provider", "extract-page"], cli_env(tmp_path))
    assert done.returncode == 2
    assert "EXTRACTDESK_EXTRACT_PAGE_API_KEY" in done.stderr


def test_killed_mid_batch_resumes_without_uploading_twice(
    engine: ServerControl, tmp_path: Path
) -> None:
    files = make_pdfs(tmp_path / "in", 6)
    out = tmp_path / "out"
    env = cli_env(tmp_path, EXTRACTDESK_EXTRACT_PAGE_API_KEY=engine.api_key)
    args = [
        "extract",
        *map(str, files),
        "--out",
        str(out),
        "--provider",
        "extract-page",
        "--base-url",
        engine.url,
    ]
    engine.hold(True)  # the batch stays pending, so the kill lands mid-batch
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(
            r["method"] == "GET" and r["path"].startswith("/v1/batches/") for r in engine.requests()
        ):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the CLI never started polling"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        if proc.stderr:
            proc.stderr.close()
    batches_after_kill = [b["id"] for b in engine.batches()]

    engine.hold(False)
    done = run_cli(args, env)
    assert done.returncode == 0, done.stderr
    assert "Resuming" in done.stderr
    assert len(list(out.glob("*.md"))) == 6
    log = engine.requests()
    puts = [r for r in log if r["method"] == "PUT"]
    assert len(puts) == 6 and len({r["path"] for r in puts}) == 6  # nothing uploaded twice
    assert len([r for r in log if r["method"] == "POST" and r["path"] == "/v1/batches"]) == 1
    assert [b["id"] for b in engine.batches()] == batches_after_kill  # no second batch


def test_cli_olostep_reads_links_and_link_lists(olostep_fake: OlostepFake, tmp_path: Path) -> None:
    listing = tmp_path / "links.txt"
    listing.write_text("https://example.com/one\nhttps://example.com/two\n")
    out = tmp_path / "out"
    env = cli_env(tmp_path, EXTRACTDESK_OLOSTEP_API_KEY=olostep_fake.api_key)
    done = run_cli(
        [
            "extract",
            "https://example.com/zero",
            str(listing),
            "--provider",
            "olostep",
            "--base-url",
            olostep_fake.url,
            "--out",
            str(out),
        ],
        env,
    )
    assert done.returncode == 0, done.stderr
    pages = sorted(p.name for p in out.glob("*.md"))
    assert pages == ["example.com_one.md", "example.com_two.md", "example.com_zero.md"]
    assert "Content of https://example.com/two" in (out / "example.com_two.md").read_text()


def test_cli_anthropic_writes_markdown_and_fields(
    anthropic_fake: AnthropicFake, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.json").write_text(
        json.dumps({"anthropic": {"fields": [{"name": "total", "type": "number"}]}})
    )
    out = tmp_path / "out"
    env = cli_env(tmp_path, EXTRACTDESK_ANTHROPIC_API_KEY=anthropic_fake.api_key)
    pdf = make_pdf(tmp_path / "bill.pdf", ["Total 12"])
    done = run_cli(
        [
            "extract",
            str(pdf),
            "--provider",
            "anthropic",
            "--base-url",
            anthropic_fake.url,
            "--out",
            str(out),
        ],
        env,
    )
    assert done.returncode == 0, done.stderr
    text = (out / "bill.md").read_text()
    assert text.startswith("# bill.pdf") and "## Fields" in text and "**total**" in text
