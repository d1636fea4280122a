"""Animator rows: jump to a step, frame cost at 120 steps/s, memory over many steps.

All with the real main window offscreen at 1920×1080, so the numbers include the views.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from ._harness import Row, percentiles


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux /proc; 0 where unavailable)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _window():
    from PySide6.QtWidgets import QApplication

    from convstudio.app import settle_memory
    from convstudio.ui.main_window import MainWindow
    from convstudio.ui.theme import apply_theme

    app = QApplication.instance() or QApplication([])
    apply_theme(app)  # type: ignore[arg-type]
    window = MainWindow()
    window.resize(1920, 1080)
    window.show_tab("animator")
    window.show()
    for _ in range(5):
        app.processEvents()
    settle_memory()
    return app, window


def _jumps(app, go, count: int, jumps: int, seed: int, flush) -> tuple[list[float], list[float]]:
    """Jump ``jumps`` times to random steps of ``count`` with ``go``; time each jump.

    Return (handled, shown): the call alone (the cursor move and every view's handler), and
    with the layout and repaint the event loop then does for it. Five warm-up jumps first.
    """
    rng = random.Random(seed)
    handled: list[float] = []
    shown: list[float] = []
    for k in range(jumps + 5):
        i = rng.randrange(count)
        app.processEvents()
        t0 = time.perf_counter()
        go(i)
        t1 = time.perf_counter()
        flush()
        t2 = time.perf_counter()
        if k >= 5:
            handled.append(t1 - t0)
            shown.append(t2 - t0)
    return handled, shown


def _learn_jump_row(app, anim, jumps: int, flush) -> Row:
    """Jump to random sub-steps of the Learn phase (the backward pass) of the 512² trace."""
    m = anim.model
    m.random_start()
    m.rebuild()
    m.enter_learn()
    app.processEvents()
    handled, _ = _jumps(app, m.learn_go_to, m.n_learn, jumps, 1, flush)
    p50, p95 = percentiles(handled)
    stages = ", ".join(f"{s} {n:,}" for s, n in m.learn_trace().stages)
    m.leave_learn()
    m.workspace.undo_stack.undo()
    m.rebuild()
    app.processEvents()
    return Row("animator Learn: jump to a random backward step of a 512² trace: p95",
               p95 * 1e3, "ms", "≤ 5", p95 <= 0.005,
               f"cursor + the Learn page updated; p50 {p50 * 1e3:.2f} ms; {stages}")


def _transpose_rows(app, anim, jumps: int, flush) -> list[Row]:
    """The Workspace in transposed mode (stride 2): jumps through a 512² source's input pixels."""
    m = anim.model
    ws = m.workspace
    ws.set_params(family="transposed", stride=(2, 2))
    m.rebuild()
    app.processEvents()
    rows = []
    for view in ("scatter", "correlation"):
        m.set_correlation(view == "correlation")
        app.processEvents()
        handled, _ = _jumps(app, m.go_to, m.n_conv, jumps, 3, flush)
        p50, p95 = percentiles(handled)
        h, w = m.source.shape[:2]
        oh, ow = m.transpose.output.shape[:2]
        detail = (f"cursor + the transposed page updated; p50 {p50 * 1e3:.2f} ms; "
                  f"{h}×{w} → {oh}×{ow}")
        if view == "scatter":
            rows.append(Row(f"animator transposed jump, {h}² source, stride 2: p95", p95 * 1e3,
                            "ms", "≤ 5", p95 <= 0.005, detail))
        else:  # information: the zero-inserted input is a correlation's trace of its own
            rows.append(Row(f"animator transposed jump as a correlation, {h}² source: p95",
                            p95 * 1e3, "ms", "(info)", True, detail))
    m.set_correlation(False)
    ws.set_params(family="standard", stride=(1, 1))
    m.rebuild()
    app.processEvents()
    return rows


def _train_rows() -> list[Row]:
    """Train 50 steps of the Learn phase in NumPy: the glyph on the GUI thread, 512² off it."""
    from functools import partial

    import numpy as np

    from convstudio.core import sample_image
    from convstudio.core.learn import (
        LearnSetup,
        edge_kernel,
        forward,
        glorot_kernel,
        learning_rate_for,
        train,
    )

    from ._harness import best_time

    rows = []
    setup = LearnSetup(relu=True)
    k0 = glorot_kernel(3, 3, 1)
    for name, limit in (("glyph", 0.05), ("camera", None)):
        x = sample_image(name) * np.float32(255)
        target = forward(x, edge_kernel(), setup).p
        lr = learning_rate_for(x, (3, 3), setup)
        t = best_time(partial(train, x, k0, target, setup, lr, 50), min_total=0.3, repeat=3)
        h, w = x.shape
        if limit is None:
            rows.append(Row(f"Learn: Train 50 steps on a {h}×{w} source (on a worker thread)",
                            t * 1e3, "ms", "(info)", True, "conv → ReLU → max-pool, SGD"))
        else:
            rows.append(Row(f"Learn: Train 50 steps on the {h}×{w} glyph (on the GUI thread)",
                            t * 1e3, "ms", "≤ 50", t <= limit, "conv → ReLU → max-pool, SGD"))
    return rows


def _channel_rows(app, anim, jumps: int, flush, play_seconds: float) -> list[Row]:
    """The colour image as a layer of 8 filters (512²×3 → 510²×8): jumps and playing at 60/s."""
    m = anim.model
    anim.source.setCurrentIndex(anim.source.findData("rgb"))
    app.processEvents()
    handled, _ = _jumps(app, m.go_to, m.n_conv, jumps, 2, flush)
    p50, p95 = percentiles(handled)
    h, w, c = m.source.shape
    f = m.conv.filters
    rows = [Row(f"animator multi-channel jump, {h}²×{c} source, {f} filters: p95", p95 * 1e3,
                "ms", "≤ 5", p95 <= 0.005,
                f"cursor + all views updated; p50 {p50 * 1e3:.2f} ms, {m.n_conv:,} conv steps")]
    frames, _ = _play(app, anim, 60, play_seconds, flush)
    worst = max(frames[1:]) if len(frames) > 1 else float("nan")
    p50, p95 = percentiles(frames[1:])
    rows.append(Row(f"animator at 60 steps/s, {h}²×{c} source, {f} filters: worst frame",
                    worst * 1e3, "ms", "≤ 16", worst <= 0.016,
                    f"p50 {p50 * 1e3:.1f}, p95 {p95 * 1e3:.1f} ms; {len(frames)} frames"))
    return rows


def _play(app, anim, speed: float, seconds: float, flush, *,
          from_start: bool = False) -> tuple[list[float], int]:
    """Play from the first step, or one near the middle of the first map; each tick with its
    repaint, timed. Return the frames' times and the steps taken."""
    m, player = anim.model, anim.player
    if from_start:
        m.start()
    else:
        m.go_to(m.n_conv // 16)
    app.processEvents()
    start_step = m.cursor.step
    frames: list[float] = []
    original = player._on_tick

    def timed_tick() -> None:
        t0 = time.perf_counter()
        original()
        flush()
        frames.append(time.perf_counter() - t0)

    player._timer.timeout.disconnect(original)
    player._timer.timeout.connect(timed_tick)
    player.set_speed(speed)
    player.play()
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end and player.playing:
        app.processEvents()
        time.sleep(0.001)
    player.pause()
    player._timer.timeout.disconnect(timed_tick)
    player._timer.timeout.connect(original)
    return frames, m.cursor.step - start_step


def animator_rows(jumps: int = 200, play_seconds: float = 3.0,
                  soak_steps: int = 20000) -> list[Row]:
    """Jump p95/max on a 512² trace; worst frame at 120 steps/s; memory growth over steps."""
    from PySide6.QtCore import QCoreApplication

    def flush() -> None:
        """Deliver what the step posted (layout, then the repaint of dirty widgets) now."""
        QCoreApplication.sendPostedEvents()

    app, window = _window()
    anim = window.animator
    m = anim.model
    anim.source.setCurrentIndex(anim.source.findData("image"))
    app.processEvents()
    rows: list[Row] = []

    # Jump: the cursor move and every view's handler (the views have their new state) and,
    # separately, the layout and repaint the event loop then does for it.
    handled, shown = _jumps(app, m.go_to, m.total, jumps, 0, flush)
    p50, p95 = percentiles(handled)
    rows.append(Row("animator jump to a random step of a 512² trace: p95", p95 * 1e3, "ms",
                    "≤ 5", p95 <= 0.005,
                    f"cursor + all views updated; p50 {p50 * 1e3:.2f} ms, {m.total:,} steps"))
    p50, p95 = percentiles(shown)
    # Information, not a target: a random jump re-renders two following viewports.
    rows.append(Row("animator jump, 512² trace, until repainted: p95", p95 * 1e3, "ms",
                    "(info)", True,
                    f"p50 {p50 * 1e3:.2f} ms, max {max(shown) * 1e3:.2f} ms"))

    rows.append(_learn_jump_row(app, anim, jumps, flush))
    rows.extend(_transpose_rows(app, anim, jumps, flush))
    rows.extend(_train_rows())
    rows.extend(_channel_rows(app, anim, jumps, flush, play_seconds))

    # Playing at 120 steps/s: each timer tick plus the layout and repaint it causes.
    for kind in ("glyph", "image"):
        anim.source.setCurrentIndex(anim.source.findData(kind))
        app.processEvents()
        frames, taken = _play(app, anim, 120, play_seconds, flush, from_start=True)
        worst = max(frames[1:]) if len(frames) > 1 else float("nan")
        p50, p95 = percentiles(frames[1:])
        rate = taken / play_seconds
        rows.append(Row(f"animator at 120 steps/s, {m.source.shape[0]}² source: worst frame",
                        worst * 1e3, "ms", "≤ 16", worst <= 0.016,
                        f"p50 {p50 * 1e3:.1f}, p95 {p95 * 1e3:.1f} ms; {len(frames)} frames, "
                        f"{rate:.0f} steps/s achieved"))

    # Memory: take many steps; resident memory must not follow the step count.
    anim.source.setCurrentIndex(anim.source.findData("image"))
    app.processEvents()
    m.start()
    for _ in range(1000):
        m.next()
    app.processEvents()
    before = rss_mb()
    for k in range(soak_steps):
        if not m.next():
            m.start()
        if k % 50 == 0:
            flush()
    app.processEvents()
    growth = rss_mb() - before
    rows.append(Row(f"animator memory growth over {soak_steps:,} steps", growth, "MB", "≤ 5",
                    growth <= 5.0, "resident set, after 1,000 warm-up steps"))
    window.close()
    window.deleteLater()
    app.processEvents()
    return rows
