"""In projection mode the controls fold away: the visual is the screen.

Each tab registers its side panel of controls. In projection mode they are hidden; F2 (View ▸
Show controls) opens the current tab's as a drawer laid over the left of the visual (the layout
and the window's size do not change), and the drawer closes itself when the presenter clicks
the visual, presses Escape or F2 again, changes tab, or turns projection mode off. In normal
mode the side panels are always shown, in their place.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QSplitter, QWidget

from .theme import presentation


class ControlsDrawer(QObject):
    """The side panels of ``window``'s tabs, shown or folded away; ``changed`` after each."""

    changed = Signal()

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.panels: list[QWidget] = []
        self.is_open = False
        # The panel laid over its page while the drawer is open: (panel, splitter, index).
        self._lifted: tuple[QWidget, QSplitter, int] | None = None
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
        panel.setVisible(not presentation().projection)

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
        self._put_back()
        self._apply()
        if on and presentation().projection:
            self._lift()

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
        visible = not presentation().projection
        for panel in self.panels:
            panel.setVisible(visible)
        self.changed.emit()

    def _page(self) -> QWidget | None:
        tabs = getattr(self.window, "tabs", None)
        return tabs.currentWidget() if tabs is not None else None

    def _lift(self) -> None:
        """Lay the current tab's panel over the left of its page, as wide as it needs."""
        page = self._page()
        panel = next((p for p in self.panels if page is not None and page.isAncestorOf(p)), None)
        splitter = panel.parentWidget() if panel is not None else None
        if panel is None or page is None or not isinstance(splitter, QSplitter):
            return
        self._lifted = (panel, splitter, splitter.indexOf(panel))
        panel.setParent(page)
        self._place()
        panel.show()
        panel.raise_()

    def _place(self) -> None:
        if self._lifted is None:
            return
        panel = self._lifted[0]
        page = panel.parentWidget()
        if page is not None:
            width = min(max(panel.minimumSizeHint().width(), panel.sizeHint().width()),
                        page.width())
            panel.setGeometry(0, 0, width, page.height())

    def _put_back(self) -> None:
        if self._lifted is not None:
            panel, splitter, index = self._lifted
            self._lifted = None
            splitter.insertWidget(index, panel)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Close the open drawer on a click on the visual, or on Escape."""
        if not (self.is_open and presentation().projection):
            return False
        kind = event.type()
        if self._lifted is not None and watched is self._lifted[0].parentWidget() and (
                kind == QEvent.Type.Resize):
            self._place()
            return False
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
