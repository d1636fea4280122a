"""In projection mode the controls fold away: the visual is the screen.

Each tab registers its side panel of controls. In projection mode they are hidden; F2 (View ▸
Show controls) opens them as a drawer beside the visual, and the drawer closes itself when the
presenter clicks the visual, presses Escape or F2 again, or turns projection mode off. In normal
mode the side panels are always shown.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from .theme import presentation


class ControlsDrawer(QObject):
    """The side panels of ``window``'s tabs, shown or folded away; ``changed`` after each."""

    changed = Signal()

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.panels: list[QWidget] = []
        self.is_open = False
        presentation().changed.connect(self._on_presentation)
        self._projection = presentation().projection

    @property
    def folded(self) -> bool:
        """Whether the side panels are folded away now (projection mode, drawer closed)."""
        return presentation().projection and not self.is_open

    def add(self, panel: QWidget) -> None:
        """Register a tab's side panel (shown or folded with the others)."""
        self.panels.append(panel)
        panel.destroyed.connect(lambda _=None, p=panel: self._forget(p))
        panel.setVisible(not self.folded)

    def _forget(self, panel: QWidget) -> None:
        if panel in self.panels:
            self.panels.remove(panel)

    def set_open(self, on: bool) -> None:
        """Open or close the drawer (it only matters in projection mode)."""
        on = bool(on)
        if on == self.is_open:
            return
        self.is_open = on
        app = QApplication.instance()
        if app is not None:
            if on:
                app.installEventFilter(self)
            else:
                app.removeEventFilter(self)
        self._apply()

    def toggle(self) -> None:
        """Open the drawer if closed, else close it (F2)."""
        self.set_open(not self.is_open)

    def _on_presentation(self) -> None:
        projection = presentation().projection
        if projection != self._projection:
            self._projection = projection
            self.set_open(False)  # each switch starts folded (projection) or plain (normal)
            self._apply()

    def _apply(self) -> None:
        visible = not self.folded
        for panel in self.panels:
            panel.setVisible(visible)
        self.changed.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Close the open drawer on a click on the visual, or on Escape."""
        if not (self.is_open and presentation().projection):
            return False
        kind = event.type()
        if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_Escape and QApplication.activePopupWidget() is None:
                self.set_open(False)
        elif (kind == QEvent.Type.MouseButtonPress and isinstance(watched, QWidget)
              and QApplication.activePopupWidget() is None
              and watched.window() is self.window
              and not any(p.isAncestorOf(watched) or p is watched for p in self.panels)
              and self._on_a_tab_page(watched)):
            self.set_open(False)
        return False

    def _on_a_tab_page(self, widget: QWidget) -> bool:
        """Whether ``widget`` lies on a tab's page (not the menu bar, tab bar or a dock)."""
        tabs = getattr(self.window, "tabs", None)
        page = tabs.currentWidget() if tabs is not None else None
        return page is not None and (page is widget or page.isAncestorOf(widget))
