"""Soak: many kernel edits, animator steps and train start/stop cycles in one process.

``python -m benchmarks soak`` runs the full version (10,000 edits, 100,000 steps, 20 cycles);
tests/ui/test_soak.py runs a short one through the same functions.
"""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass

from ._harness import Row
from .animator import rss_mb


@dataclass
class SoakResult:
    """Memory growth (MB) of each phase and the threads left running after training."""

    edits: int
    edit_growth: float
    steps: int
    step_growth: float
    cycles: int
    train_growth: float
    threads_left: int
    seconds: float


def _settle() -> float:
    gc.collect()
    return rss_mb()


def run_soak(edits: int = 10_000, steps: int = 100_000, cycles: int = 20) -> SoakResult:
    """Drive a real window; measure resident-memory growth of each phase."""
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from convstudio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    t0 = time.perf_counter()
    window = MainWindow()
    window.save_session_on_close = False
    window.resize(1440, 900)
    window.show()
    app.processEvents()
    model = window.model
    rng = np.random.default_rng(0)

    def idle() -> None:
        app.processEvents()
        while not model.idle:
            time.sleep(0.001)
            app.processEvents()

    # Warm up every path once so first-use allocations are not counted as growth.
    for i in range(50):
        model.set_entry(i % 3, (i // 3) % 3, float(rng.integers(-5, 6)))
        idle()
    before = _settle()
    for i in range(edits):
        model.set_entry(i % 3, (i // 3) % 3, float(rng.integers(-9, 10)))
        if i % 20 == 0:
            idle()
    idle()
    edit_growth = _settle() - before

    window.show_tab("animator")
    anim = window.animator_model
    app.processEvents()
    for _ in range(500):
        anim.next()
    app.processEvents()
    before = _settle()
    for i in range(steps):
        if not anim.next():
            anim.start()
        if i % 50 == 0:
            app.processEvents()
    app.processEvents()
    step_growth = _settle() - before

    train_growth, threads_left = 0.0, 0
    if cycles:
        train_growth, threads_left = _train_cycles(window, cycles)
    window.close()
    app.processEvents()
    return SoakResult(edits, edit_growth, steps, step_growth, cycles, train_growth,
                      threads_left, time.perf_counter() - t0)


def _train_cycles(window: object, cycles: int) -> tuple[float, int]:
    from PySide6.QtWidgets import QApplication

    from convstudio.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    app = QApplication.instance()
    assert app is not None
    tab = window.training
    window.show_tab("training")
    tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("shapes"))

    def wait(cond: object, limit: float = 120.0) -> None:
        end = time.perf_counter() + limit
        while not cond():  # type: ignore[operator]
            app.processEvents()
            time.sleep(0.005)
            if time.perf_counter() > end:
                raise TimeoutError("training soak: a step did not finish in time")

    wait(lambda: tab.dataset is not None and tab.dataset.name == "shapes")
    tab.limit.setValue(600)
    tab.filters.setValue(8)
    tab.dense.setValue(16)
    tab.epochs.setValue(50)
    # Reset asks before it throws away a trained model that is not saved: here, it may.
    tab.confirm_discard = lambda action: True  # type: ignore[method-assign]

    def one_cycle() -> None:
        tab.reset()
        assert tab.start(), tab.error_label.text()
        wait(lambda: tab.status.text().startswith("epoch"))
        tab.stop()
        wait(lambda: not tab.model.runner.running)

    one_cycle()  # TensorFlow's import and first traces are not growth
    threads_before = threading.active_count()
    before = _settle()
    for _ in range(cycles):
        one_cycle()
    growth = _settle() - before
    left = max(0, threading.active_count() - threads_before)
    return growth, left


def soak_rows() -> list[Row]:
    """The soak's rows: memory growth per phase and threads left behind."""
    r = run_soak()
    return [
        Row(f"soak: resident growth over {r.edits:,} kernel edits", r.edit_growth, "MB",
            "< 20", r.edit_growth < 20),
        Row(f"soak: resident growth over {r.steps:,} animator steps", r.step_growth, "MB",
            "< 20", r.step_growth < 20),
        Row(f"soak: resident growth over {r.cycles} train start/stop cycles", r.train_growth,
            "MB", "< 50", r.train_growth < 50, f"{r.threads_left} thread(s) left; "
            f"{r.seconds:.0f} s in all"),
        Row("soak: threads left after the train cycles", r.threads_left, "", "0",
            r.threads_left == 0),
    ]
