"""The “?” beside each panel's title: what the panel shows and its formula, in a popup.

The same text is the panel's What's This (Help ▸ What's this?, Shift+F1), so a click in that mode
explains any panel as well. Texts live in :mod:`convstudio.explanations` (no Qt).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
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
        self.popup: QLabel | None = None
        self.clicked.connect(self.show_explanation)
        target.setWhatsThis(EXPLANATIONS[key].html())

    def html(self) -> str:
        """Return the explanation, worked out for what is on screen now."""
        return EXPLANATIONS[self.key].html(self.example() if self.example else "")

    def show_explanation(self) -> QLabel:
        """Open the explanation under the button; a click elsewhere or Escape closes it."""
        if self.popup is not None:
            self.popup.close()
        popup = QLabel(self.html(), self.window(), Qt.WindowType.Popup)
        popup.setObjectName("explanation")
        popup.setTextFormat(Qt.TextFormat.RichText)
        popup.setWordWrap(True)
        popup.setMargin(12)
        popup.setFrameShape(QFrame.Shape.Box)
        popup.setFixedWidth(round(POPUP_WIDTH * presentation().scale))
        popup.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        popup.destroyed.connect(self._forget_popup)
        popup.adjustSize()
        popup.move(self.mapToGlobal(QPoint(0, self.height())))
        popup.show()
        self.popup = popup
        return popup

    def _forget_popup(self) -> None:
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
