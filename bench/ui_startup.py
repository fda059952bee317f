"""Cold start: how long from launching the process to the window on screen?

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui_startup.py [--runs 7]

Each run is a fresh process (imports, Qt start, window built and shown); the clock starts
just before the process is spawned and stops when the process reports its window shown
(the first turn of the event loop after ``show()``). Runs alternate, medians compared:

* baseline: a bare PySide6 QMainWindow (QApplication, window, show);
* ours: ``python -m ui`` with an empty data folder (EXTRACTDESK_STARTUP_PROBE set: the app
  prints the time once shown, then closes).

Target: ours ≤ 1.5 × baseline.

The project's own modules are byte-compiled first (``compileall``), as an installed or
packaged app's are: PySide6's already are, and with ``PYTHONDONTWRITEBYTECODE`` set (or a
read-only checkout) every run would otherwise compile ``ui/*.py`` from source (~20 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1180, 780)
window.setWindowTitle("bare")
window.show()
def shown():
    sys.stdout.write(f"shown {time.time():.6f}\\n")
    sys.stdout.flush()
    app.quit()
QTimer.singleShot(0, shown)
app.exec()
"""


def run_once(argv: list[str], env: dict[str, str]) -> float:
    started = time.time()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("shown ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{argv} failed ({done.returncode}): {done.stderr[-2000:]}")
    return float(lines[0].split()[1]) - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = str(ROOT)
    work = Path(tempfile.mkdtemp(prefix="extractdesk-bench-start-"))
    ours_env = {
        **env,
        "EXTRACTDESK_STARTUP_PROBE": "1",
        "EXTRACTDESK_DATA_DIR": str(work / "data"),
        "EXTRACTDESK_CONFIG_DIR": str(work / "config"),
        "EXTRACTDESK_LOG_DIR": str(work / "log"),
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            *(str(ROOT / p) for p in ("app", "ui", "resources")),
        ],
        env={k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"},
        check=True,
        capture_output=True,
    )
    bare_cmd = [sys.executable, "-c", BARE]
    ours_cmd = [sys.executable, "-m", "ui"]
    run_once(bare_cmd, env)  # warm the page cache for both, as a person's second start
    run_once(ours_cmd, ours_env)
    bare, ours = [], []
    for _ in range(args.runs):
        bare.append(run_once(bare_cmd, env))
        ours.append(run_once(ours_cmd, ours_env))
    b, o = statistics.median(bare), statistics.median(ours)
    sys.stdout.write(
        f"process start → window shown ({env['QT_QPA_PLATFORM']}), median of {args.runs}:\n"
        f"  baseline: bare PySide6 QMainWindow   {b * 1000:6.0f} ms  "
        f"{[round(t * 1000) for t in bare]}\n"
        f"  ours: extractdesk window             {o * 1000:6.0f} ms  "
        f"{[round(t * 1000) for t in ours]}\n"
        f"  ratio ours/baseline                  {o / b:6.2f}×\n"
        f"target: ≤ 1.5× → {'PASS' if o / b <= 1.5 else 'FAIL'}\n"
    )
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
