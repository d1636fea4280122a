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
