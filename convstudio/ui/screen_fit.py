"""The window on its screen: inside the available area, lesson text and code as strips.

:func:`fit_to_screen` shrinks and moves a window onto its screen (a first start on a projector,
a layout saved on a larger monitor). :class:`Strips` docks the lesson text and Show code as
strips (under the menu bar, above the status bar) in projection mode and on screens narrower
than :data:`STRIP_SCREEN_WIDTH`, so the picture keeps the screen's width, and beside the tabs
on a wide desktop; F3 and Ctrl+K fold them away and back. When the tab and the lesson strip
together cannot fit the screen, the strip folds and the status bar says how to show it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

from .theme import presentation

STRIP_SCREEN_WIDTH = 1600  # narrower screens get the lesson text and the code as strips
PICTURE_SHARE = 0.55  # in projection mode the picture keeps at least this share of the window


def _screen(window: QWidget) -> QScreen | None:
    return window.screen() or QGuiApplication.primaryScreen()


def fit_to_screen(window: QWidget) -> None:
    """Shrink ``window`` (the main window, a dialog) into its screen's available area."""
    screen = _screen(window)
    if screen is None or window.isFullScreen() or window.isMaximized():
        return
    room = screen.availableGeometry()
    frame = window.frameGeometry().size() - window.geometry().size()  # title bar, borders
    least = window.minimumSizeHint()
    window.resize(max(min(window.width(), room.width() - frame.width()), least.width()),
                  max(min(window.height(), room.height() - frame.height()), least.height()))
    x = min(max(window.x(), room.left()), room.right() - window.frameGeometry().width() + 1)
    y = min(max(window.y(), room.top()), room.bottom() - window.frameGeometry().height() + 1)
    window.move(max(room.left(), x), max(room.top(), y))


class Strips(QObject):
    """Places ``window.lesson_panel`` and ``window.code_panel``: strips or side panels."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.as_strips: bool | None = None
        self.place()
        window.lesson_panel.visibilityChanged.connect(
            lambda shown: shown and QTimer.singleShot(0, self, self.size))
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Once the window is shown, fold a lesson strip opened before (from the command line)."""
        if watched is self.window and event.type() == QEvent.Type.Show:
            QTimer.singleShot(0, self, self.fold_if_too_tall)
        return super().eventFilter(watched, event)

    def place(self) -> None:
        """Dock both panels as strips or beside the tabs, as the screen and mode want."""
        w = self.window
        screen = _screen(w)
        narrow = screen is not None and screen.availableGeometry().width() < STRIP_SCREEN_WIDTH
        strips = presentation().projection or narrow
        if strips == self.as_strips:
            return
        self.as_strips = strips
        area = Qt.DockWidgetArea
        for dock, strip in ((w.lesson_panel, area.TopDockWidgetArea),
                            (w.code_panel, area.BottomDockWidgetArea)):
            dock.setAllowedAreas(area.AllDockWidgetAreas)
            shown = dock.isVisible()
            w.addDockWidget(strip if strips else area.RightDockWidgetArea, dock)
            dock.setVisible(shown)
        QTimer.singleShot(0, self, self.size)  # (never after the window is gone)

    def size(self) -> None:
        """Give each strip a share of the window's height (after a layout).

        A sixth on a projector, where the picture comes first; a third on a narrow desktop,
        where a student alone reads the step, answers the exercise and sees the feedback.
        """
        w = self.window
        if self.as_strips:
            high = max(110, w.height() // (6 if presentation().projection else 3))
            w.resizeDocks([w.lesson_panel, w.code_panel], [high, high], Qt.Orientation.Vertical)

    def picture_share(self) -> float:
        """Return the share of the window the current tab's picture has (1 outside projection).

        A tab names its picture ``main_visual`` (the Workspace's banner and images, the
        Training tab's views, the Animator's pages).
        """
        w = self.window
        page = w.tabs.currentWidget()
        visual = getattr(page, "main_visual", None) or getattr(page, "pages", None)
        if not presentation().projection or not isinstance(visual, QWidget):
            return 1.0
        return visual.width() * visual.height() / max(1, w.width() * w.height())

    def fold_if_too_tall(self) -> None:
        """Fold the lesson strip when the window cannot fit, or the picture is squeezed.

        It folds when the tab and the strip together cannot fit the screen, or when the strip
        would leave the picture less than :data:`PICTURE_SHARE` of the window: on a projector
        the picture comes first. F3 shows the strip again, and the status bar says so.
        """
        w = self.window
        screen = _screen(w)
        if screen is None or not (self.as_strips and w.lesson_panel.isVisible()):
            return
        # The sizes the new fonts ask for, not the last layout's: flush the pending relayouts.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        layout = w.layout()
        if layout is not None:
            layout.activate()
        room = screen.availableGeometry().height()
        told = presentation().screen_height  # the projector a --screenshot renders for
        if told:
            room = min(room, told)
        if w.minimumSizeHint().height() > room or self.picture_share() < PICTURE_SHARE:
            w.lesson_panel.hide()
            QTimer.singleShot(0, self, lambda: fit_to_screen(w))  # back inside, now that it can be
            # What to do first: on a narrow projector the status line's end is cut.
            w._on_message("Lesson text folded to fit the screen: F3 shows it. "
                          + w.last_message)
