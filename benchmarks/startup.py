"""Start-up: process start → first window painted, ours ÷ a bare PySide6 + pyqtgraph window.

NOT in the table yet: run from the benchmark harness this hung (the app alone prints
"painted" in ~2 s with CONVSTUDIO_EXIT_AFTER_PAINT=1); see the issue 7 note.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ._harness import Row

ROOT = Path(__file__).resolve().parents[1]

# The reference: a QMainWindow holding one pyqtgraph plot, timed to its first paint.
BARE = """
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
import pyqtgraph as pg
app = QApplication([])
w = QMainWindow()
w.setCentralWidget(pg.PlotWidget())
class P(QObject):
    def eventFilter(self, o, e):
        if e.type() == QEvent.Type.Paint and o is w:
            o.removeEventFilter(self); print("painted", flush=True); QTimer.singleShot(0, app.quit)
        return False
p = P(); w.installEventFilter(p); w.resize(1440, 900); w.show(); app.exec()
"""


def _time_to_paint(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                            cwd=ROOT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "painted":
            took = time.perf_counter() - t0
            break
    else:
        proc.wait()
        raise RuntimeError(f"{cmd[:3]} exited before painting (status {proc.returncode})")
    proc.wait(timeout=30)
    return took


def startup_rows(rounds: int = 5) -> list[Row]:
    """Median of alternating runs of each; the ratio is what the target is about."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               CONVSTUDIO_EXIT_AFTER_PAINT="1")
    ours_cmd = [sys.executable, "-m", "convstudio", "--size", "1440x900"]
    bare_cmd = [sys.executable, "-c", BARE]
    _time_to_paint(bare_cmd, env)  # warm the file cache for both
    _time_to_paint(ours_cmd, env)
    ours, bare = [], []
    for _ in range(rounds):
        bare.append(_time_to_paint(bare_cmd, env))
        ours.append(_time_to_paint(ours_cmd, env))
    o, b = statistics.median(ours), statistics.median(bare)
    ratio = o / b
    return [Row("start-up: first window painted, ours ÷ bare PySide6 + pyqtgraph", ratio, "×",
                "≤ 1.3", ratio <= 1.3, f"medians of {rounds}: {o:.2f} s vs {b:.2f} s")]
