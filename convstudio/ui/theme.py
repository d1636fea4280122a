"""Application style and the colour maps the views share."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

BASE_POINT_SIZE = 11


def apply_theme(app: QApplication) -> None:
    """Use Fusion (the same look on every desktop) with a legible base font."""
    app.setStyle("Fusion")
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
