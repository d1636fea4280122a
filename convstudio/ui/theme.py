"""Application style and the colour maps the views share."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

BASE_POINT_SIZE = 11


def apply_theme(app: QApplication) -> None:
    """Use Fusion (the same look on every desktop) with a legible base font."""
    app.setStyle("Fusion")
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)


def diverging_cmap() -> pg.ColorMap:
    """Blue–white–red, centred on zero (CET-D1A from colorcet: colour-blind friendly)."""
    return pg.colormap.get("CET-D1A")


def sequential_cmap(kind: str = "sequential") -> pg.ColorMap:
    """Viridis for magnitudes, plain grey for the lessons' clipped 0..255 view."""
    if kind == "grey":
        return pg.ColorMap([0.0, 1.0], [(0, 0, 0), (255, 255, 255)])
    return pg.colormap.get("viridis")


def signed_tint(value: float, scale: float) -> tuple[int, int, int]:
    """Cell colour for a kernel weight: blue for negative, red for positive, white at 0."""
    t = 0.0 if scale <= 0 else max(-1.0, min(1.0, value / scale))
    lo, hi = (255, 255, 255), ((214, 96, 77) if t > 0 else (67, 147, 195))
    a = abs(t) * 0.85
    r, g, b = (round(lo[i] + (hi[i] - lo[i]) * a) for i in range(3))
    return r, g, b
