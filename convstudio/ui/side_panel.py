"""A tab's side panel of controls: it scrolls up and down, never sideways, and cuts nothing.

Its minimum width is its content's (plus the scroll bar), so in projection mode, where the text
is large, no label or button is ever cut ("Open ima", "Resto"); the base width (scaled like the
text, up to ``theme.MAX_PANEL_SCALE``) is a floor.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtWidgets import QScrollArea, QStyle, QWidget

from .theme import BASE_WIDTH, MAX_PANEL_SCALE, presentation, scale_width


class SidePanel(QScrollArea):
    """A vertical scroll area around ``content``, at least as wide as the content needs."""

    def __init__(self, content: QWidget, base_width: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scale_width(self, base_width)
        content.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Widen to the content when its needs change (a new font, a new row).

        The need is set as the minimum width: a splitter keeps the sizes it was given and
        only an explicit minimum makes it give the panel more (a size hint did not).
        """
        if watched is self.widget() and event.type() in (QEvent.Type.LayoutRequest,
                                                         QEvent.Type.Show):
            self.fit_content()
        return super().eventFilter(watched, event)

    def fit_content(self) -> None:
        """Make the minimum width the content's need, or the scaled base width if larger.

        The theme calls this after a change of projection or zoom (instead of setting the
        base width alone, which cut the content when its font had not changed).
        """
        floor = round(float(self.property(BASE_WIDTH)) * min(presentation().scale,
                                                             MAX_PANEL_SCALE))
        self.setMinimumWidth(max(floor, self.content_width()))
        self.updateGeometry()

    def content_width(self) -> int:
        """Return the width that shows the content whole, with room for the scroll bar."""
        content = self.widget()
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        need = content.minimumSizeHint().width() if content is not None else 0
        return need + bar + 2 * self.frameWidth()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """As wide as the content needs; as short as a few rows (it scrolls)."""
        hint = super().minimumSizeHint()
        return QSize(max(hint.width(), self.minimumWidth(), self.content_width()), hint.height())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Return the content's width, and whatever height is free."""
        hint = super().sizeHint()
        return QSize(max(hint.width(), self.minimumSizeHint().width()), hint.height())
