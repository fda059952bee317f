"""Start-up time of the installed (frozen) app against a venv run, printed from one run.

    python bench/startup.py [--runs 7] [--installed PATH] [--venv-command CMD]

Both start the real window offscreen with ``EXTRACTDESK_STARTUP_PROBE=1``: ui/app.py then
prints ``shown <unix time>`` on the first turn of the event loop after ``window.show()`` and
closes the window. "shown" is that time minus the launcher's clock just before the process
was started; "exit" is the wall time of the whole process (including the shutdown).

Two conditions, runs interleaved (venv, installed, venv, ...) after one warm-up each:

* warm: the files are in the page cache (a second start of the day);
* cold: before every run the program's own files are dropped from the page cache with
  ``posix_fadvise(POSIX_FADV_DONTNEED)`` (the venv, the Python installation it runs on and
  the repository's code; the whole bundle). System libraries (Qt's libGL, fontconfig, ...)
  are shared by both and stay cached.

``--installed`` defaults to /opt/extractdesk/extractdesk when the .deb is installed, else to
dist/extractdesk/extractdesk (the same files the .deb puts in /opt). Target (issue 6):
installed <= 1.2x venv. Both use a throw-away data and config folder.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.2


def default_installed() -> Path:
    installed = Path("/opt/extractdesk/extractdesk")
    return installed if installed.exists() else ROOT / "dist" / "extractdesk" / "extractdesk"


def evict(paths: list[Path]) -> int:
    """Drop every file under ``paths`` from the page cache; returns the number of files."""
    count = 0
    for top in paths:
        walker = [(str(top), [], [top.name])] if top.is_file() else os.walk(top)
        for folder, _dirs, files in walker:
            for name in files:
                path = os.path.join(folder, name) if not top.is_file() else str(top)
                try:
                    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
                except OSError:
                    continue
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                    count += 1
                finally:
                    os.close(fd)
    return count


def venv_files(command: list[str]) -> list[Path]:
    """What a venv start reads: the venv, the base Python installation, our code."""
    venv = Path(command[0]).resolve().parents[1] if command else ROOT / ".venv"
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    libdir = Path(sysconfig.get_config_var("LIBDIR") or stdlib.parent)
    libpython = libdir / str(sysconfig.get_config_var("LDLIBRARY") or "")
    return [
        p
        for p in (venv, stdlib, libpython, ROOT / "app", ROOT / "ui", ROOT / "resources")
        if p.exists()
    ]


def start_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """One start: (seconds until the window was shown, seconds until the process exited)."""
    t0 = time.time()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    wall = time.time() - t0
    for line in proc.stdout.splitlines():
        if line.startswith("shown "):
            return float(line.split()[1]) - t0, wall
    raise RuntimeError(
        f"{shlex.join(command)} exited {proc.returncode} without 'shown':\n{proc.stderr[-2000:]}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per case (after a warm-up)")
    parser.add_argument("--installed", type=Path, default=default_installed())
    parser.add_argument(
        "--venv-command",
        default=str(ROOT / ".venv" / "bin" / "extractdesk"),
        help="how the venv run starts the window (default: .venv/bin/extractdesk)",
    )
    parser.add_argument("--no-cold", action="store_true", help="skip the page-cache-cold runs")
    args = parser.parse_args()

    venv_cmd = shlex.split(args.venv_command)
    installed = args.installed
    if not installed.exists():
        sys.stderr.write(
            f"{installed} does not exist: build it (.ci/package) or pass --installed\n"
        )
        return 2
    cases = {"venv": venv_cmd, "installed": [str(installed)]}
    evictable = {"venv": venv_files(venv_cmd), "installed": [installed.resolve().parent]}

    with tempfile.TemporaryDirectory(prefix="extractdesk-startup-") as scratch:
        env = dict(os.environ)
        env.update(
            QT_QPA_PLATFORM="offscreen",
            EXTRACTDESK_STARTUP_PROBE="1",
            EXTRACTDESK_DATA_DIR=str(Path(scratch) / "data"),
            EXTRACTDESK_CONFIG_DIR=str(Path(scratch) / "config"),
            EXTRACTDESK_LOG_DIR=str(Path(scratch) / "log"),
        )
        env.pop("PYTHONPATH", None)
        conditions = ["warm"] + ([] if args.no_cold else ["cold"])
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for condition in conditions:
            for command in cases.values():  # warm-up (also creates the data folders)
                start_once(command, env)
            for _ in range(args.runs):
                for name, command in cases.items():
                    if condition == "cold":
                        evict(evictable[name])
                    results.setdefault((condition, name), []).append(start_once(command, env))

    print(f"Start-up until the window is shown (offscreen, {args.runs} runs, medians)")
    print(f"  venv:      {shlex.join(venv_cmd)}")
    print(f"  installed: {installed}")
    print()
    print(f"{'condition':<10} {'case':<10} {'shown':>8} {'exit':>8}   runs (shown, s)")
    ratios = {}
    for condition in conditions:
        medians = {}
        for name in cases:
            runs = results[(condition, name)]
            shown = statistics.median(r[0] for r in runs)
            wall = statistics.median(r[1] for r in runs)
            medians[name] = shown
            listing = " ".join(f"{r[0]:.3f}" for r in runs)
            print(f"{condition:<10} {name:<10} {shown:>7.3f}s {wall:>7.3f}s   {listing}")
        ratios[condition] = medians["installed"] / medians["venv"]
    print()
    for condition, ratio in ratios.items():
        verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
        print(
            f"{condition}: installed / venv = {ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
