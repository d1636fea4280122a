"""Text that changes without laying the window out again: titles and the step position.

A QLabel asks its parents for a new layout on every setText, and a word-wrapping one repaints
itself and the page beneath it whenever the window lays out; while playing, the window lays
out ten times a second. These widgets only repaint themselves, and their size hints change
only when their text does (titles) or never (the position).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPaintEvent, QTextDocumentFragment
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..theme import scale_font

MIN_POSITION_SCALE = 0.7   # the position's text shrinks to this before it is cut


class Title(QWidget):
    """A bold title on one line where there is room; in a narrow column it wraps at words."""

    def __init__(self, text: str) -> None:
        super().__init__()
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self._html = ""
        self._words: list[str] = []
        self._fm: QFontMetrics | None = None
        self._wrapped: dict[int, list[str]] = {}
        scale_font(self, 1.15)
        self.setText(f"<b>{text}</b>")

    def setText(self, html: str) -> None:  # noqa: N802 (the QLabel name, for callers)
        """Show ``html`` (its text, in bold)."""
        if html == self._html:
            return
        self._html = html
        self._words = QTextDocumentFragment.fromHtml(html).toPlainText().split()
        self._wrapped.clear()
        self.updateGeometry()
        self.update()

    def text(self) -> str:
        """Return the HTML shown."""
        return self._html

    def _bold(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        return font

    def _metrics(self) -> QFontMetrics:
        if self._fm is None:
            self._fm = QFontMetrics(self._bold())
        return self._fm

    def _lines(self, width: int) -> list[str]:
        lines = self._wrapped.get(width)
        if lines is None:
            fm = self._metrics()
            lines = []
            for word in self._words:
                if lines and fm.horizontalAdvance(f"{lines[-1]} {word}") <= width:
                    lines[-1] = f"{lines[-1]} {word}"
                else:
                    lines.append(word)
            lines = self._wrapped[width] = lines or [""]
        return lines

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        """Say that a wrapped title is taller."""
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt override)
        """Return the height of the title wrapped to ``width``."""
        return len(self._lines(width)) * self._metrics().height()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Ask for the whole title on one line."""
        fm = self._metrics()
        return QSize(fm.horizontalAdvance(" ".join(self._words)) + 4, fm.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """As narrow as its longest word."""
        fm = self._metrics()
        return QSize(max((fm.horizontalAdvance(w) for w in self._words), default=0) + 4,
                     fm.height())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        """Follow font changes (projection mode, zoom)."""
        if event.type() == QEvent.Type.FontChange:
            self._fm = None
            self._wrapped.clear()
            self.updateGeometry()
        super().changeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """Draw the lines, top-left aligned."""
        p = QPainter(self)
        p.setFont(self._bold())
        p.setPen(self.palette().windowText().color())
        fm = self._metrics()
        for i, line in enumerate(self._lines(self.width())):
            p.drawText(QPoint(0, i * fm.height() + fm.ascent()), line)
        p.end()


class PositionText(QWidget):
    """One right-aligned line that takes the room it is given; a long text gets smaller."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._text = ""

    def setText(self, text: str) -> None:  # noqa: N802 (the QLabel name, for callers)
        """Show ``text``: a repaint, never a new layout."""
        if text != self._text:
            self._text = text
            self.update()

    def text(self) -> str:
        """Return the whole text (:meth:`shown_text` is what is drawn)."""
        return self._text

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Room for a typical position ("step 123,456 of 325,125 — …")."""
        fm = self.fontMetrics()
        return QSize(fm.averageCharWidth() * 44, fm.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Leave room for a short position at the smallest size it shrinks to."""
        fm = self.fontMetrics()
        return QSize(round(fm.averageCharWidth() * 30 * MIN_POSITION_SCALE), fm.height())

    def shown_text(self) -> str:
        """Return what is drawn: the text, or the last of its parts (" — " apart) that fit.

        Parts are dropped only where even the smallest size would not fit, so that a part is
        never cut in the middle ("— conv 3000/…" for "step 3000 of … — conv 3000/…").
        """
        parts = self._text.split(" — ")
        small = QFont(self.font())
        small.setPointSizeF(small.pointSizeF() * MIN_POSITION_SCALE)
        fm = QFontMetrics(small)
        while len(parts) > 1 and fm.horizontalAdvance(" — ".join(parts)) > self.width() > 0:
            parts.pop(0)
        return " — ".join(parts)

    def fitted_font(self, text: str | None = None) -> QFont:
        """Return the font ``text`` (the text shown) is drawn in: smaller where it would not fit."""
        font = QFont(self.font())
        width = QFontMetrics(font).horizontalAdvance(self.shown_text() if text is None else text)
        if width > self.width() > 0:
            size = max(font.pointSizeF() * MIN_POSITION_SCALE,
                       font.pointSizeF() * self.width() / width * 0.98)
            font.setPointSizeF(size)
        return font

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """Draw the text right-aligned and vertically centred."""
        text = self.shown_text()
        p = QPainter(self)
        p.setFont(self.fitted_font(text))
        p.setPen(self.palette().windowText().color())
        p.drawText(QRect(0, 0, self.width(), self.height()),
                   int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), text)
        p.end()
