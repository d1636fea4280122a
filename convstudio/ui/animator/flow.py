"""A control strip that wraps onto more rows when the window is narrow (projection mode).

Items keep their preferred widths, left to right; one item may ``grow`` (the source note): it
takes what its row leaves, never less than its minimum, and wraps its own text. When the strip
needs another row, or one fewer, it asks its parents to lay out again, so the window's
minimum height always counts the rows the strip has at its width.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget, QWidgetItem


class FlowLayout(QLayout):
    """Left-to-right rows of widgets; the ``grow`` widget fills the rest of its row."""

    def __init__(self, parent: QWidget | None = None, *, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._grow: QLayoutItem | None = None
        self._grow_min = 0
        self._spacing = spacing
        self._width = 0       # the width last laid out at
        self._rows = 1
        self._cache: dict[object, QSize] = {}  # sizes until the next invalidate()
        self._grow_widths: dict[tuple[str, float], int] = {}
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    # --- QLayout ------------------------------------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt override)
        """Append ``item`` (Qt calls this for addWidget)."""
        self._items.append(item)

    def add(self, widget: QWidget, *, grow: bool = False, min_chars: int = 0) -> None:
        """Append ``widget``; a ``grow`` widget fills its row, ``min_chars`` of its font wide."""
        self.addChildWidget(widget)
        item = QWidgetItem(widget)
        self._items.append(item)
        if grow:
            self._grow, self._grow_min = item, min_chars
        self.invalidate()

    def count(self) -> int:
        """Return the number of items."""
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt override)
        """Return the item at ``index``, or None."""
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt override)
        """Remove and return the item at ``index``."""
        if not 0 <= index < len(self._items):
            return None
        item = self._items.pop(index)
        if item is self._grow:
            self._grow = None
        return item

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt override)
        """Grow sideways only."""
        return Qt.Orientation.Horizontal

    def invalidate(self) -> None:
        """Forget the sizes worked out (an item or the font changed)."""
        self._cache.clear()
        super().invalidate()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Everything on one row."""
        hint = self._cache.get("hint")
        if hint is None:
            hint = self._cache["hint"] = self._one_row()
        return hint

    def _one_row(self) -> QSize:
        shown = self._shown()
        width = sum(self._width_of(i) for i in shown) + self._spacing * max(0, len(shown) - 1)
        height = max((i.sizeHint().height() for i in shown), default=0)
        return QSize(width, height)

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt override)
        """As wide as the widest item; as high as the rows the strip has at its width."""
        key = ("min", self._width)
        size = self._cache.get(key)
        if size is None:
            width = max((self._width_of(i) for i in self._shown()), default=0)
            size = self._cache[key] = QSize(
                width, self._height(self._width or self.sizeHint().width()))
        return size

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt override)
        """Place the items in rows; ask for a new layout when the number of rows changed."""
        super().setGeometry(rect)
        rows = self._place(rect, apply=True)
        self._width = rect.width()
        if len(rows) != self._rows:
            self._rows = len(rows)
            self.invalidate()
            parent = self.parentWidget()
            if parent is not None:
                parent.updateGeometry()

    # --- rows ---------------------------------------------------------------------------------
    def _shown(self) -> list[QLayoutItem]:
        shown = []
        for item in self._items:
            widget = item.widget()
            if widget is None or not widget.isHidden():
                shown.append(item)
        return shown

    def _width_of(self, item: QLayoutItem) -> int:
        widget = item.widget()
        if item is self._grow and widget is not None:
            # On two lines at most where the row has room for that: a note wrapped into a
            # tall column would cost the grids more height than another row of controls.
            text = getattr(widget, "text", str)()
            key = (text, widget.font().pointSizeF())
            width = self._grow_widths.get(key)
            if width is None:
                fm = widget.fontMetrics()
                width = self._grow_widths[key] = max(fm.averageCharWidth() * self._grow_min,
                                                     fm.horizontalAdvance(text) * 6 // 10)
            return width
        return item.sizeHint().width()

    def _rows_for(self, width: int) -> list[list[QLayoutItem]]:
        rows: list[list[QLayoutItem]] = [[]]
        x = 0
        for item in self._shown():
            w = self._width_of(item)
            if rows[-1] and x + self._spacing + w > width:
                rows.append([])
                x = 0
            x += (self._spacing if rows[-1] else 0) + w
            rows[-1].append(item)
        return rows

    def _row_height(self, row: list[QLayoutItem], widths: list[int]) -> int:
        height = 0
        for item, w in zip(row, widths, strict=True):
            h = item.heightForWidth(w) if item.hasHeightForWidth() else -1
            height = max(height, h if h >= 0 else item.sizeHint().height())
        return height

    def _widths(self, row: list[QLayoutItem], width: int) -> list[int]:
        widths = [self._width_of(i) for i in row]
        if self._grow in row:
            spare = width - sum(widths) - self._spacing * (len(row) - 1)
            widths[row.index(self._grow)] += max(0, spare)
        return widths

    def _height(self, width: int) -> int:
        rows = self._rows_for(width)
        heights = [self._row_height(r, self._widths(r, width)) for r in rows if r]
        return sum(heights) + self._spacing * max(0, len(heights) - 1)

    def _place(self, rect: QRect, *, apply: bool) -> list[list[QLayoutItem]]:
        rows = self._rows_for(rect.width())
        y = rect.y()
        for row in rows:
            if not row:
                continue
            widths = self._widths(row, rect.width())
            height = self._row_height(row, widths)
            x = rect.x()
            for item, w in zip(row, widths, strict=True):
                h = min(height, max(item.sizeHint().height(), item.minimumSize().height()))
                if item is self._grow:
                    h = height
                if apply:
                    item.setGeometry(QRect(QPoint(x, y + (height - h) // 2), QSize(w, h)))
                x += w + self._spacing
            y += height + self._spacing
        return rows
