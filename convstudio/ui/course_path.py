"""The course's progress (kept in QSettings) and the path that shows it: one mark per lesson.

A lesson is *done* when every one of its exercises is solved, *current* while it is open (or
was when the app last closed), and the lesson after the current one is *next*, which is where
"Next lesson" goes. The path draws the lessons in course order as numbered circles joined by a
line, wrapping onto more rows when the panel is narrow; a click opens a lesson.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from PySide6.QtCore import QPointF, QRectF, QSettings, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from .theme import presentation

SOLVED_KEY = "course/solved"
CURRENT_KEY = "course/current"
MARKS = ("done", "current", "next", "todo")
DONE_COLOUR = {"light": "#1b7f3b", "dark": "#81c995"}   # the feedback's "right" green


class CourseProgress:
    """Which exercises are solved and which lesson is current, read from and kept in QSettings.

    Ids are stored as one space-separated string: QSettings' INI format reads a one-element
    list back as a plain string, and exercise ids hold no spaces.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = tuple(keys)
        s = QSettings()
        self._solved = set(str(s.value(SOLVED_KEY, "") or "").split())
        current = str(s.value(CURRENT_KEY, "") or "")
        self._current = current if current in self.keys else None

    @property
    def current(self) -> str | None:
        """The lesson open now, or when the app last closed (None before the first one)."""
        return self._current

    def set_current(self, key: str) -> None:
        """Make ``key`` the current lesson (kept at once)."""
        if key not in self.keys or key == self._current:
            return
        self._current = key
        QSettings().setValue(CURRENT_KEY, key)

    def is_solved(self, exercise_id: str) -> bool:
        """Whether the exercise was answered right, now or in an earlier session."""
        return exercise_id in self._solved

    def mark_solved(self, exercise_id: str) -> None:
        """Remember a right answer (kept at once)."""
        if exercise_id in self._solved:
            return
        self._solved.add(exercise_id)
        QSettings().setValue(SOLVED_KEY, " ".join(sorted(self._solved)))

    def done(self, exercise_ids: Iterable[str]) -> bool:
        """Whether every one of a lesson's exercises is solved (a lesson without any is not)."""
        ids = list(exercise_ids)
        return bool(ids) and all(i in self._solved for i in ids)

    def next_key(self) -> str | None:
        """Return the lesson after the current one (the first, before any was opened)."""
        if self._current is None:
            return self.keys[0] if self.keys else None
        i = self.keys.index(self._current)
        return self.keys[i + 1] if i + 1 < len(self.keys) else None

    def marks(self, bank: Mapping[str, Sequence[str]]) -> dict[str, str]:
        """Return each lesson's mark: done, current, next or todo (``bank``: ids by lesson)."""
        nxt = self.next_key()
        out: dict[str, str] = {}
        for key in self.keys:
            if key == self._current:
                out[key] = "current"
            elif self.done(bank.get(key, ())):
                out[key] = "done"
            elif key == nxt:
                out[key] = "next"
            else:
                out[key] = "todo"
        return out


class CoursePath(QWidget):
    """The lessons in order as numbered circles: done filled, current ringed, next outlined."""

    lessonClicked = Signal(str)

    def __init__(self, titles: Mapping[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.titles = dict(titles)
        self.keys = tuple(titles)
        self._marks: dict[str, str] = dict.fromkeys(self.keys, "todo")
        self._solved_of: dict[str, bool] = {}
        self.compact = False
        # Not a height-for-width widget: that makes a dock's minimum width follow its width.
        # The path sets its own height when its width changes instead.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.setAccessibleName("Course path")
        presentation().changed.connect(self._fit)
        self.setFixedHeight(self.heightForWidth(self.sizeHint().width()))

    def marks(self) -> dict[str, str]:
        """Each lesson's mark as shown (done, current, next, todo)."""
        return dict(self._marks)

    def set_marks(self, marks: Mapping[str, str], done: Mapping[str, bool]) -> None:
        """Show new marks; ``done`` also rings the current lesson green when it is complete."""
        self._marks = {k: marks.get(k, "todo") for k in self.keys}
        self._solved_of = dict(done)
        words = ", ".join(f"{n} {self._marks[k]}" for n, k in enumerate(self.keys, start=1))
        self.setAccessibleDescription(words)
        self.setToolTip("The course: ✓ done, ● current, ○ next. Click a lesson to open it.")
        self.update()

    # --- geometry -------------------------------------------------------------------------
    def set_compact(self, compact: bool) -> None:
        """Small dots without numbers (a low strip), or numbered circles."""
        if compact != self.compact:
            self.compact = compact
            self._fit()

    def _cell(self) -> tuple[float, float]:
        d = self.fontMetrics().height() * (0.7 if self.compact else 1.35)
        return d, d * (0.6 if self.compact else 0.45)  # circle diameter, gap between circles

    def _per_row(self, width: int) -> int:
        d, gap = self._cell()
        fits = max(1, int((width - 2 + gap) // (d + gap)))
        rows = -(-len(self.keys) // fits)
        return max(1, -(-len(self.keys) // rows))  # rows of even length: 6 + 5, not 10 + 1

    def _rows(self, width: int) -> int:
        per = self._per_row(width)
        return max(1, -(-len(self.keys) // per))

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt override)
        """Return the height of the rows of circles that fit ``width``."""
        d, gap = self._cell()
        rows = self._rows(width)
        return int(rows * d + (rows - 1) * gap + 4)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """One row when there is room."""
        d, gap = self._cell()
        width = int(len(self.keys) * (d + gap))
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """As narrow as one circle (the path wraps)."""
        d, _ = self._cell()
        return QSize(int(d) + 4, int(d) + 4)

    def _rects(self) -> list[QRectF]:
        d, gap = self._cell()
        per = self._per_row(self.width())
        return [QRectF(1 + (i % per) * (d + gap), 2 + (i // per) * (d + gap), d, d)
                for i in range(len(self.keys))]

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Take the height the rows of circles need at the new width."""
        self._fit()

    def _fit(self) -> None:
        height = self.heightForWidth(self.width())
        if height != self.height() or self.minimumHeight() != height:
            self.setFixedHeight(height)
        self.update()

    # --- painting and clicks --------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """Draw the line, then each lesson's circle and number."""
        pal = self.palette()
        green = QColor(DONE_COLOUR.get(presentation().theme, DONE_COLOUR["light"]))
        accent = pal.color(QPalette.ColorRole.Highlight)
        muted = pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
        text = pal.color(QPalette.ColorRole.WindowText)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rects = self._rects()
        width = max(1.5, self.fontMetrics().height() / 10)
        p.setPen(QPen(muted, width))
        for a, b in zip(rects, rects[1:], strict=False):
            if abs(a.center().y() - b.center().y()) < 1:
                p.drawLine(QPointF(a.right(), a.center().y()), QPointF(b.left(), b.center().y()))
        font = QFont(self.font())
        for n, (key, r) in enumerate(zip(self.keys, rects, strict=True), start=1):
            mark = self._marks[key]
            inner = r.adjusted(width, width, -width, -width)
            fill, ring, ink = pal.color(QPalette.ColorRole.Base), muted, text
            if mark == "done" or (mark == "current" and self._solved_of.get(key)):
                fill, ring, ink = green, green, QColor("#ffffff" if presentation().theme ==
                                                       "light" else "#000000")
            if mark == "current":
                ring = accent
            elif mark == "next":
                ring = accent
            pen = QPen(ring, width * (2.2 if mark == "current" else 1.0))
            if mark == "next":
                pen.setStyle(Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(fill)
            p.drawEllipse(inner)
            font.setBold(mark in ("current", "next"))
            p.setFont(font)
            p.setPen(ink)
            if not self.compact:  # a dot is too small for its number: the tooltip says it
                p.drawText(r, Qt.AlignmentFlag.AlignCenter, "✓" if mark == "done" else str(n))
        p.end()

    def key_at(self, pos: QPointF) -> str | None:
        """Return the lesson whose circle is under ``pos`` (None between circles)."""
        for key, r in zip(self.keys, self._rects(), strict=True):
            if r.contains(pos):
                return key
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        """Name the lesson under the pointer in the tooltip."""
        key = self.key_at(event.position())
        if key is None:
            self.setToolTip("The course: ✓ done, ● current, ○ next. Click a lesson to open it.")
            self.unsetCursor()
            return
        n = self.keys.index(key) + 1
        self.setToolTip(f"{n}. {self.titles[key]} ({self._marks[key]})")
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        """Open the clicked lesson."""
        key = self.key_at(event.position())
        if key is not None and event.button() == Qt.MouseButton.LeftButton:
            self.lessonClicked.emit(key)

    def centre_of(self, key: str) -> QPointF:
        """Where lesson ``key``'s circle is (tests click there)."""
        return self._rects()[self.keys.index(key)].center()
