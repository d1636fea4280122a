"""The lesson panel's contents: the course path, the lesson's steps and its checked exercises.

A built-in lesson shows one step of text at a time (Back / Next step) and its exercises (an
:class:`~convstudio.ui.exercise_box.ExerciseBox`); the path above marks each lesson done,
current or next, and "Next lesson" opens the next one. Any other lesson shows its whole text.
Three panes — the path, the text, the exercise — stand one above the other in a side panel and
side by side in a strip (the panel docked above or below the tabs). The panel changes no state
itself: Show me and the lesson buttons ask the window through signals.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QImage, QResizeEvent, QShowEvent, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from .. import course
from ..exercises import Exercise, all_exercises
from .course_path import CoursePath, CourseProgress
from .exercise_box import ExerciseBox, wrapped
from .theme import presentation


class NoResourceDocument(QTextDocument):
    """A document that loads nothing: a lesson's <img src=…> or link reads no file."""

    def loadResource(self, kind: int, name: QUrl | str) -> object:  # noqa: N802 (Qt override)
        """Answer every resource with an empty image (Qt would otherwise read local files)."""
        return QImage()


class NoResourceBrowser(QTextBrowser):
    """Rich text for lessons, with a document that never loads a resource."""

    def __init__(self) -> None:
        super().__init__()
        self.setDocument(NoResourceDocument(self))
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)


def _column(*widgets: QWidget, stretch: QWidget | None = None) -> QWidget:
    pane = QWidget()
    lay = QVBoxLayout(pane)
    lay.setContentsMargins(4, 4, 4, 4)
    for w in widgets:
        lay.addWidget(w, 1 if w is stretch else 0)
    if stretch is None:
        lay.addStretch(1)
    return pane


def _scrolling(pane: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(pane)
    return area


class CoursePanel(QWidget):
    """Path, steps and exercises of the built-in course; the text of any other lesson."""

    showMeRequested = Signal(object)   # the exercise's state (a Lesson) for the window
    lessonRequested = Signal(str)      # a built-in lesson's key to open

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lessons = {c.key: c for c in course.course()}
        self.progress = CourseProgress(tuple(self.lessons))
        self._bank: dict[str, tuple[Exercise, ...]] | None = None  # built when first needed
        self.key: str | None = None         # the built-in lesson shown, if any
        self.step = 0

        self.path = CoursePath({k: c.title for k, c in self.lessons.items()})
        self.path.lessonClicked.connect(self.lessonRequested)
        self.summary = wrapped()
        self.continue_button = QPushButton("Start the course")
        self.continue_button.clicked.connect(self._on_continue)
        self.next_lesson_button = QPushButton("Next lesson ▸")
        self.next_lesson_button.clicked.connect(self.next_lesson)
        self.nav_pane = _column(self.path, self.summary, self.continue_button,
                                self.next_lesson_button)
        self.nav_scroll = _scrolling(self.nav_pane)  # a low strip scrolls, never overlaps

        self.browser = NoResourceBrowser()
        self.back_button = QPushButton("◂")
        self.back_button.setToolTip("The previous step of the lesson")
        self.step_label = QLabel()
        self.next_step_button = QPushButton("Next step ▸")
        self.back_button.clicked.connect(lambda: self.go_to_step(self.step - 1))
        self.next_step_button.clicked.connect(lambda: self.go_to_step(self.step + 1))
        self.steps_row = QWidget()
        steps = QHBoxLayout(self.steps_row)
        steps.setContentsMargins(0, 0, 0, 0)
        steps.addWidget(self.back_button)
        steps.addWidget(self.step_label, 1)
        steps.addWidget(self.next_step_button)
        self.text_pane = _column(self.browser, self.steps_row, stretch=self.browser)
        self.text_scroll = _scrolling(self.text_pane)

        self.exercise_box = ExerciseBox(self.progress)
        self.exercise_box.solved.connect(lambda _id: self._refresh())
        self.exercise_box.showMeRequested.connect(self.showMeRequested)
        self.exercise_scroll = _scrolling(self.exercise_box)
        self.exercise_box.answered.connect(self._scroll_to_feedback)

        self.splitter = QSplitter()
        self.splitter.setChildrenCollapsible(False)
        for pane in (self.nav_scroll, self.text_scroll, self.exercise_scroll):
            self.splitter.addWidget(pane)
        self.strip = False
        self._dragged = False  # the student moved the splitter: keep their sizes
        self.splitter.splitterMoved.connect(lambda *_: setattr(self, "_dragged", True))
        self.set_strip(False)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.splitter)
        presentation().changed.connect(self._on_presentation)
        self._on_presentation()
        self.show_nothing()

    # --- what is shown ----------------------------------------------------------------------
    def bank(self) -> dict[str, tuple[Exercise, ...]]:
        """Return the exercises by lesson (built when first needed, not with the window)."""
        if self._bank is None:
            bank: dict[str, list[Exercise]] = {k: [] for k in self.lessons}
            for e in all_exercises():
                bank.setdefault(e.lesson, []).append(e)
            self._bank = {k: tuple(v) for k, v in bank.items()}
        return self._bank

    def exercises(self) -> tuple[Exercise, ...]:
        """Return the shown lesson's exercises (none for a lesson outside the course)."""
        return self.bank().get(self.key, ()) if self.key else ()

    def match(self, title: str, text: str) -> str | None:
        """Return the key of the built-in lesson with this very title and text, if any."""
        for key, c in self.lessons.items():
            if c.title == title and c.text == text:
                return key
        return None

    def show_course(self, key: str) -> None:
        """Show built-in lesson ``key`` (its place is kept if it is shown already: Show me)."""
        if key != self.key:
            self.key, self.step = key, 0
            items = self.exercises()
            first = next((i for i, e in enumerate(items) if not self.progress.is_solved(e.id)),
                         0)
            self.exercise_box.set_exercises(items, first)
            self.progress.set_current(key)
        self._show_step()
        self.continue_button.hide()
        self.next_lesson_button.show()
        self.steps_row.show()
        self.exercise_scroll.setVisible(bool(self.exercises()))
        self._refresh()

    def show_text(self, html: str) -> None:
        """Show a lesson that is not part of the course: its whole text, no exercises."""
        self.key = None
        self.browser.setHtml(html)
        self.steps_row.hide()
        self.exercise_scroll.hide()
        self.continue_button.hide()
        self.next_lesson_button.hide()
        self._refresh()

    def show_nothing(self) -> None:
        """No lesson open: the path, and a button to start or continue the course."""
        self.key = None
        self.steps_row.hide()
        self.exercise_scroll.hide()
        self.next_lesson_button.hide()
        target = self.progress.current or self.progress.next_key()
        if target is not None:
            title = self.lessons[target].title
            self.continue_button.setText("Continue the course" if self.progress.current
                                         else "Start the course")
            self.continue_button.setToolTip(title)
            self.browser.setHtml(f"<p>Continue with <b>{_escape(title)}</b>, or pick a lesson "
                                 "on the path.</p>")
        self.continue_button.setVisible(target is not None)
        self._refresh()

    def go_to_step(self, step: int) -> None:
        """Show step ``step`` of the lesson's text (clamped)."""
        if self.key is None:
            return
        self.step = max(0, min(step, len(self.lessons[self.key].steps) - 1))
        self._show_step()

    def _show_step(self) -> None:
        assert self.key is not None
        c = self.lessons[self.key]
        n = len(c.steps)
        # The course's own texts: trusted HTML (a lesson file's text is sanitised by the dock).
        # A low strip has no room for a heading's size: the title in bold, then the step.
        title = (f"<p><b>{_escape(c.title)}</b></p>" if self.strip
                 else f"<h3>{_escape(c.title)}</h3>")
        self.browser.setHtml(title + c.steps[self.step])
        self.step_label.setText(f"Step {self.step + 1} of {n}")
        self.back_button.setEnabled(self.step > 0)
        self.next_step_button.setEnabled(self.step < n - 1)

    def _scroll_to_feedback(self) -> None:
        # After the layout has placed the label just shown (a small strip scrolls).
        box = self.exercise_box
        shown = [w for w in (box.revealed, box.hint, box.mistake, box.feedback) if w.isVisible()]
        if shown:
            QTimer.singleShot(0, lambda: self.exercise_scroll.ensureWidgetVisible(shown[0]))

    def next_lesson(self) -> None:
        """Open the lesson after the current one."""
        key = self.progress.next_key()
        if key is not None:
            self.lessonRequested.emit(key)

    def _on_continue(self) -> None:
        key = self.progress.current or self.progress.next_key()
        if key is not None:
            self.lessonRequested.emit(key)

    # --- path, summary and layout ------------------------------------------------------------
    def _refresh(self) -> None:
        """Mark the path and say where the student is (needs the bank: not before shown)."""
        if self._bank is None and self.key is None and not self.isVisible():
            return
        ids = {k: [e.id for e in v] for k, v in self.bank().items()}
        done = {k: self.progress.done(v) for k, v in ids.items()}
        self.path.set_marks(self.progress.marks(ids), done)
        parts = [f"{sum(done.values())} of {len(self.lessons)} lessons done"]
        if self.key is not None and self.strip:
            parts = []  # the path shows which lessons are done
        if self.key is not None:
            items = self.exercises()
            solved = sum(self.progress.is_solved(e.id) for e in items)
            n = tuple(self.lessons).index(self.key) + 1
            solved_words = "solved" if self.strip else "exercises solved"
            parts[:0] = [f"Lesson {n} of {len(self.lessons)}",
                         f"{solved} of {len(items)} {solved_words}"]
        nxt = self.progress.next_key()
        if nxt and self.key and not self.strip:  # a strip has no room: the button's tooltip
            parts.append(f"next: {self.lessons[nxt].title}")
        self.summary.setText(" · ".join(parts))
        self.next_lesson_button.setEnabled(nxt is not None)
        self.next_lesson_button.setText("Next lesson ▸" if nxt else "Last lesson of the course")
        self.next_lesson_button.setToolTip(self.lessons[nxt].title if nxt else "")
        self.next_lesson_button.setDefault(nxt is not None and bool(self.key)
                                           and done.get(self.key or "", False))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        """Compute the path's marks when the panel is first seen."""
        super().showEvent(event)
        self._refresh()

    def set_strip(self, strip: bool) -> None:
        """Panes side by side (docked above or below the tabs), or one above the other."""
        self.strip = strip
        self._dragged = False
        self._fit_path()
        self.step_label.setWordWrap(not strip)  # narrow column: wrap; low strip: one line
        self.steps_row.updateGeometry()
        if self.key is not None:
            self._show_step()
        self.splitter.setOrientation(Qt.Orientation.Horizontal if strip
                                     else Qt.Orientation.Vertical)
        for i, factor in enumerate((1, 2, 2) if strip else (0, 1, 1)):
            self.splitter.setStretchFactor(i, factor)
        self._on_presentation()
        self._refresh()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Share the room between the panes again (until the student drags a divider)."""
        super().resizeEvent(event)
        self._fit_path()
        self._share()

    def _fit_path(self) -> None:
        # A strip lower than nine lines of text shows the path as dots without numbers.
        self.path.set_compact(self.strip and self.height() < self.fontMetrics().height() * 9)

    def _share(self) -> None:
        """Path: what it needs; text and exercise: the rest, the exercise a little more."""
        if self._dragged:
            return
        if self.strip:
            room = self.splitter.width()
            nav = min(int(self.fontMetrics().height() * 12), room // 4)
        else:
            room = self.splitter.height()
            nav = min(self.nav_pane.sizeHint().height(), room // 3)
        text = (room - nav) * 9 // 20
        self.splitter.setSizes([nav, text, room - nav - text])

    def _on_presentation(self) -> None:
        line = self.fontMetrics().height()
        self.browser.setMinimumHeight(line * (2 if self.strip else 4))
        # The exercise is never cut at the side: the panel is as wide as it needs at least.
        bar = self.exercise_scroll.verticalScrollBar().sizeHint().width()
        frame = 2 * self.exercise_scroll.frameWidth()
        self.exercise_scroll.setMinimumWidth(
            self.exercise_box.narrow_width() + bar + frame)
        self.text_scroll.setMinimumWidth(self.text_pane.minimumSizeHint().width() + bar)
        self._share()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
