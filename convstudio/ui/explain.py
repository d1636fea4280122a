"""The “?” beside each panel's title: what the panel shows and its formula, in a popup.

The same text is the panel's What's This (Help ▸ What's this?, Shift+F1), so a click in that mode
explains any panel as well. Texts live in :mod:`convstudio.explanations` (no Qt).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QToolButton,
    QWidget,
)

from ..explanations import EXPLANATIONS
from .theme import presentation, scale_font

POPUP_WIDTH = 460  # px at zoom 1; grows with projection mode and zoom


class ExplanationPopup(QLabel):
    """A closable popup: Escape, a click outside it, or a second click on its "?" closes it.

    A plain ``QLabel`` with ``Qt.Popup`` kept the mouse and keyboard and ignored Escape, so the
    window looked frozen. It opens inside the available screen area, flipping above the button
    or shifting left where it would be cut.
    """

    def __init__(self, html: str, owner: QWidget) -> None:
        super().__init__(html, owner.window(), Qt.WindowType.Popup)
        self.owner = owner
        self.setObjectName("explanation")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setMargin(12)
        self.setFrameShape(QFrame.Shape.Box)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        """Escape closes; every other key is the window's again once the popup is gone."""
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            event.accept()
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        """Close on a press outside; on the "?" that opened it, do not replay that press."""
        if self.rect().contains(event.position().toPoint()):
            super().mousePressEvent(event)
            return
        on_owner = self.owner.rect().contains(
            self.owner.mapFromGlobal(event.globalPosition().toPoint()))
        self.setAttribute(Qt.WidgetAttribute.WA_NoMouseReplay, on_owner)
        self.close()

    def place_below(self, anchor: QWidget) -> None:
        """Move under ``anchor`` (above it if there is no room), wholly inside its screen."""
        self.adjustSize()
        screen = anchor.screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        if self.height() > area.height():
            self.setFixedHeight(area.height())
        below = anchor.mapToGlobal(QPoint(0, anchor.height()))
        above = anchor.mapToGlobal(QPoint(0, 0)).y() - self.height()
        y = below.y() if below.y() + self.height() <= area.bottom() + 1 else above
        x = min(below.x(), area.right() + 1 - self.width())
        self.move(max(x, area.left()), max(min(y, area.bottom() + 1 - self.height()), area.top()))


class ExplainButton(QToolButton):
    """A small “?” that shows its panel's explanation (``example`` adds a worked line)."""

    def __init__(self, target: QWidget, key: str,
                 example: Callable[[], str] | None = None) -> None:
        super().__init__(target)
        if key not in EXPLANATIONS:
            raise KeyError(f"no explanation {key!r}")
        self.key, self.target, self.example = key, target, example
        self.setText("?")
        self.setToolTip("What am I seeing?")
        self.setAccessibleName(f"What am I seeing? ({EXPLANATIONS[key].title})")
        self.setAutoRaise(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrow keys stay with the animator
        scale_font(self, 1.0, bold=True)
        self.popup: ExplanationPopup | None = None
        self.clicked.connect(self.toggle_explanation)
        target.setWhatsThis(EXPLANATIONS[key].html())

    def html(self) -> str:
        """Return the explanation, worked out for what is on screen now."""
        return EXPLANATIONS[self.key].html(self.example() if self.example else "")

    def toggle_explanation(self) -> None:
        """Open the explanation, or close it if it is open (a second click on "?")."""
        if self.popup is not None and self.popup.isVisible():
            self.popup.close()
        else:
            self.show_explanation()

    def show_explanation(self) -> ExplanationPopup:
        """Open the explanation under the button; Escape or a click elsewhere closes it."""
        if self.popup is not None:
            self.popup.close()
        popup = ExplanationPopup(self.html(), self)
        room = (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()
        popup.setFixedWidth(min(round(POPUP_WIDTH * presentation().scale), room.width() - 16))
        popup.destroyed.connect(functools.partial(self._forget_popup, popup))
        popup.place_below(self)
        popup.show()
        popup.place_below(self)  # once shown: some platforms shift a window that moved unshown
        popup.setFocus(Qt.FocusReason.PopupFocusReason)
        self.popup = popup
        return popup

    def _forget_popup(self, popup: ExplanationPopup, *_: object) -> None:
        # A replaced popup is deleted after its successor opened: forget only the current one.
        if self.popup is popup:
            self.popup = None


class _Corner(QObject):
    """Keeps a button in its target's top-right (or top-left) corner."""

    def __init__(self, target: QWidget, button: QWidget, side: str) -> None:
        super().__init__(target)
        self.target, self.button, self.side = target, button, side
        target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.button.adjustSize()
            x = 4 if self.side == "left" else self.target.width() - self.button.width() - 4
            self.button.move(x, 2)
            self.button.raise_()
        return False


def explain(target: QWidget, key: str, *, beside: QWidget | None = None,
            example: Callable[[], str] | None = None, corner: str = "right") -> ExplainButton:
    """Give ``target`` a “?” right after its title ``beside``, else in a top ``corner``.

    ``corner="left"`` suits plots, whose titles are centred and whose top-left is axis margin.
    """
    button = ExplainButton(target, key, example)
    if beside is None or not _insert_after(beside, button):
        _Corner(target, button, corner)
    return button


def _containing(layout: QLayout | None, widget: QWidget) -> QLayout | None:
    if layout is None:
        return None
    if layout.indexOf(widget) >= 0:
        return layout
    for i in range(layout.count()):
        item = layout.itemAt(i)
        found = _containing(item.layout() if item is not None else None, widget)
        if found is not None:
            return found
    return None


def _insert_after(anchor: QWidget, button: QWidget) -> bool:
    parent = anchor.parentWidget()
    layout = _containing(parent.layout() if parent is not None else None, anchor)
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    if isinstance(layout, QBoxLayout):
        index = layout.indexOf(anchor)
        if layout.direction() in (QBoxLayout.Direction.LeftToRight,
                                  QBoxLayout.Direction.RightToLeft):
            layout.insertWidget(index + 1, button)
            return True
        layout.removeWidget(anchor)
        row.addWidget(anchor, 1)
        row.addWidget(button)
        layout.insertLayout(index, row)
        return True
    if isinstance(layout, QGridLayout):
        position = layout.getItemPosition(layout.indexOf(anchor))
        assert isinstance(position, tuple)
        r, c, rs, cs = (int(v) for v in position)
        layout.removeWidget(anchor)
        row.addWidget(anchor, 1)
        row.addWidget(button)
        layout.addLayout(row, r, c, rs, cs)
        return True
    return False
