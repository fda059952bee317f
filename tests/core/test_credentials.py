"""API keys: the keychain, the environment override, and a real Secret Service."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import keyring.backends.fail
import pytest

from app import credentials
from tests.conftest import MemoryKeyring


def test_keychain_round_trip_and_environment_wins(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert credentials.get_key("extract-page") is None
    credentials.set_key("extract-page", "ep-key-123456")
    assert memory_keyring.store[("extractdesk", "extract-page")] == "ep-key-123456"
    assert credentials.get_key("extract-page") == "ep-key-123456"
    monkeypatch.setenv("EXTRACTDESK_EXTRACT_PAGE_API_KEY", "from-env-999999")
    assert credentials.get_key("extract-page") == "from-env-999999"
    monkeypatch.delenv("EXTRACTDESK_EXTRACT_PAGE_API_KEY")
    credentials.delete_key("extract-page")
    assert credentials.get_key("extract-page") is None


def test_without_a_keychain_the_key_lives_for_this_session_only(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(credentials.KeychainUnavailable) as info:
        credentials.set_key("extract-page", "session-only-key")
    assert "this session only" in info.value.message
    assert credentials.get_key("extract-page") == "session-only-key"
    credentials.delete_key("extract-page")
    assert credentials.get_key("extract-page") is None
    # nothing was written anywhere on disk
    assert not any(
        "session-only-key" in p.read_text(errors="ignore")
        for p in tmp_path.rglob("*")
        if p.is_file()
    )


ROUND_TRIP = textwrap.dedent("""
    import keyring
    from app import credentials
    print(type(keyring.get_keyring()).__module__)
    credentials.set_key("extract-page", "real-secret-service-key")
    print(credentials.get_key("extract-page"))
    credentials.delete_key("extract-page")
    print(credentials.get_key("extract-page"))
""")


def test_real_secret_service_round_trip(tmp_path: Path) -> None:
    """A real gnome-keyring inside its own D-Bus session (as on a Linux desktop)."""
    tools = [shutil.which("dbus-run-session"), shutil.which("gnome-keyring-daemon")]
    if not all(tools):
        if os.environ.get("CI"):
            pytest.fail("CI must provide dbus-run-session and gnome-keyring-daemon")
        pytest.skip("no dbus-run-session / gnome-keyring-daemon on this machine")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBUS_")}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env.update(
        HOME=str(tmp_path),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_RUNTIME_DIR=str(runtime),
        PYTHONPATH=str(Path.cwd()),
    )
    script = tmp_path / "roundtrip.py"
    script.write_text(ROUND_TRIP)
    shell = (
        f"echo test-password | gnome-keyring-daemon --unlock --components=secrets "
        f">/dev/null 2>&1; exec {sys.executable} {script}"
    )
    done = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", shell],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    backend, got, after = done.stdout.split()
    assert backend == "keyring.backends.SecretService"
    assert got == "real-secret-service-key"
    assert after == "None"
