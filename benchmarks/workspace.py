"""Workspace rows: kernel edit → new output image handed to the view, real widgets offscreen."""

from __future__ import annotations

import time

from ._harness import Row, percentiles


def edit_latency_rows(edits: int = 60) -> list[Row]:
    """p50/p95 from model.set_entry() to the output panel's imageShown, at 512² and 2048²."""
    import cv2
    from PySide6.QtWidgets import QApplication

    from convstudio.core import sample_image
    from convstudio.ui.workspace import WorkspaceModel, WorkspaceTab

    app = QApplication.instance() or QApplication([])
    rows: list[Row] = []
    for side, target in ((512, 0.016), (2048, 0.033)):
        model = WorkspaceModel()
        photo = sample_image("camera", mode="rgb")
        if side != 512:
            photo = cv2.resize(photo, (side, side), interpolation=cv2.INTER_CUBIC)
        tab = WorkspaceTab(model)
        tab.resize(1600, 1000)
        tab.show()
        model.set_source(photo, f"camera {side}²")
        shown: list[float] = []
        tab.output_panel.imageShown.connect(lambda s=shown: s.append(time.perf_counter()))
        samples: list[float] = []
        for i in range(edits + 3):
            while not model.idle:
                app.processEvents()
            app.processEvents()
            shown.clear()
            t0 = time.perf_counter()
            model.set_entry(1, 1, float(i % 7 - 3))
            while not shown:
                app.processEvents()
            if i >= 3:  # the first edits warm caches and OpenCV's thread pool
                samples.append(shown[-1] - t0)
        p50, p95 = percentiles(samples)
        label = f"workspace kernel edit → output shown, {side}²"
        rows.append(Row(f"{label}: p50", p50 * 1e3, "ms", "(info)", True))
        rows.append(Row(f"{label}: p95", p95 * 1e3, "ms", f"≤ {target * 1e3:.0f}",
                        p95 <= target, f"{edits} edits"))
        tab.shutdown()
        tab.close()
        tab.deleteLater()
        app.processEvents()
    return rows


def relayout_rows(repeats: int = 20) -> list[Row]:
    """Projection toggle and window resize → laid out again and painted, 1920×1080, 512²."""
    from PySide6.QtWidgets import QApplication

    from convstudio.ui.main_window import MainWindow
    from convstudio.ui.theme import presentation

    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    window.save_session_on_close = False
    window.resize(1920, 1080)
    window.show()
    for _ in range(10):
        app.processEvents()
    pres = presentation()

    def settle_and_paint() -> None:
        app.processEvents()  # the layout, the image panels' refit (a zero-delay timer) …
        while not window.updatesEnabled():  # (painting waits for the last of them)
            app.processEvents()
        app.processEvents()
        window.repaint()     # … and a full paint of the window

    toggles: list[float] = []
    sizes: list[float] = []
    for i in range(repeats + 2):
        t0 = time.perf_counter()
        pres.set_projection(not pres.projection, remember=False)
        settle_and_paint()
        t1 = time.perf_counter()
        window.resize(*((1280, 720) if i % 2 == 0 else (1920, 1080)))
        settle_and_paint()
        t2 = time.perf_counter()
        if i >= 2:
            toggles.append(t1 - t0)
            sizes.append(t2 - t1)
    pres.set_projection(False, remember=False)
    window.close()
    window.deleteLater()
    app.processEvents()
    rows = []
    for label, samples in (("projection toggle", toggles), ("window resize 1920×1080 ↔ 1280×720",
                                                            sizes)):
        p50, p95 = percentiles(samples)
        rows.append(Row(f"workspace {label} → laid out and painted, 512²: p95", p95 * 1e3, "ms",
                        "≤ 100", p95 <= 0.100, f"p50 {p50 * 1e3:.0f} ms, {repeats} times"))
    return rows
