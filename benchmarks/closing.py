"""Closing the window under load: from the close to the process's exit, ≤ 2 s in every state.

Each case runs the real app in a fresh process (``python -c CLOSE_UNDER_LOAD <case>``), arms
its load, closes the window and reports when it closed; the parent times the exit. The test
suite runs the same script for what it checks without timing it (tests/ui/test_reliability.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from ._harness import Row

ROOT = Path(__file__).resolve().parents[1]
CASES = ("keras", "gif", "training", "photo", "resized")

CLOSE_UNDER_LOAD = textwrap.dedent("""
    import os, sys, time, tempfile
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from convstudio import app as app_module
    from convstudio.ui import main_window

    CASE = sys.argv[1]

    def close(w):
        print("closing", time.perf_counter(), flush=True)
        w.close()

    def arm():
        w = next(x for x in QApplication.topLevelWidgets()
                 if isinstance(x, main_window.MainWindow))
        w.save_session_on_close = CASE in ("photo", "resized")
        if CASE == "keras":
            w.workspace.compare_with_keras()
        elif CASE == "gif":
            w.show_tab("animator")  # the default glyph source: a GIF of ~900 frames
            out = os.path.join(tempfile.mkdtemp(), "run.gif")
            if not w.animator.exporter.start("gif", out):
                print("export did not start", flush=True)
        elif CASE == "training":
            w.show_tab("training")
            tab = w.training
            def start_when_loaded():
                if tab.dataset is None:
                    QTimer.singleShot(20, start_when_loaded)
                    return
                if not tab.start():
                    print("training did not start", flush=True)
                QTimer.singleShot(300, lambda: close(w))  # inside the TensorFlow import
            start_when_loaded()
            return
        elif CASE in ("photo", "resized"):
            rng = np.random.default_rng(0)  # a noisy 12-megapixel photo: the session is large
            photo = rng.integers(0, 256, (3000, 4000, 3)).astype(np.float32) / np.float32(255)
            w.model.set_source(photo, "noisy 4000x3000")
            if CASE == "resized":  # the largest image, of pixels that are not whole numbers
                w.model.resize(4096, 4096)
        QTimer.singleShot(300, lambda: close(w))

    QTimer.singleShot(0, arm)
    sys.exit(app_module.main([]))
""")


@dataclass
class Closed:
    """What one close under load did."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float  # from the close to the process's exit (nan if it never closed)


def close_under_load(case: str, *, timeout: float = 240.0) -> Closed:
    """Run the app in a fresh process, load it with ``case``, close it, and time the exit."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": home,
               "HOME": home}
        proc = subprocess.run([sys.executable, "-c", CLOSE_UNDER_LOAD, case], env=env,
                              capture_output=True, text=True, timeout=timeout, cwd=ROOT)
        end = time.perf_counter()
    seconds = float("nan")
    if "closing" in proc.stdout:
        seconds = end - float(proc.stdout.split("closing")[1].split()[0])
    return Closed(proc.returncode, proc.stdout, proc.stderr, seconds)


def closing_rows() -> list[Row]:
    """One row per case: seconds from the close to the exit, target ≤ 2 s."""
    rows = []
    for case in CASES:
        r = close_under_load(case)
        clean = r.returncode == 0 and "Destroyed while thread" not in r.stderr
        rows.append(Row(f"closing: window close → process exit, {case}", r.seconds, "s",
                        "≤ 2", clean and r.seconds <= 2.0,
                        "" if clean else f"exit code {r.returncode}"))
    return rows
