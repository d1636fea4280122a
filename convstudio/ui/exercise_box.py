"""One exercise of the course at a time: its prompt, an answer box, Check, Hint, Reveal, Show me.

Check shows the exercise's :class:`~convstudio.exercises.Feedback` in green or red (with ✓ or
✗, so colour is not the only sign) and names the misconception it recognised; a right answer
is kept in the :class:`~convstudio.ui.course_path.CourseProgress` and Return then moves on to
the next exercise. Show me only asks: the window applies the exercise's state, or refuses it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ..exercises import Exercise, Feedback
from .course_path import CourseProgress
from .theme import presentation, scale_font

# How the answer box reads each form (the exercise's prompt says what to type).
PLACEHOLDERS = {"number": "a number, e.g. 12 or 1/9",
                "numbers": "numbers, e.g. 30×40 or (1, 28, 28, 1)",
                "grid": "rows separated by ;  e.g. 1 0 -1; 2 0 -2; 1 0 -1"}
# Short names for the misconceptions the bank recognises most often; others read from the code.
MISTAKES = {
    "no-floor": "forgot the floor in the size formula", "wrong-side": "padded on the wrong side",
    "side": "padded on the wrong side", "top-left": "kept the top-left pixel, not the maximum",
    "flipped": "flipped the kernel (a textbook convolution)",
    "transposed": "transposed the kernel", "64x32": "counted 64×32 maps instead of 64",
    "no-bias": "forgot the bias", "no-channel": "forgot the channel axis",
    "no-batch": "forgot the batch axis", "one-based": "counted from 1 instead of 0",
    "no-weight": "forgot the normalisation weight", "no-stride": "forgot the stride",
    "no-dilation": "forgot the dilation", "no-pool": "forgot the pooling",
    "loop-not-conv2d": "answered for the course's loop, not Conv2D",
    "conv2d-not-loop": "answered for Conv2D, not the course's loop",
    "swapped": "swapped height and width", "no-shrink": "forgot the border the kernel loses",
    "valid": "computed padding \"valid\"", "same": "computed padding \"same\"",
    "full": "computed padding \"full\"",
    "same-keeps-size": "thought \"same\" keeps the size at any stride",
    "sum": "took the sum instead of 1 / sum", "centre-only": "used only the centre weight",
    "clipped": "clipped the sum to 0…255", "pixel-sum": "added the pixels without weights",
    "k-times-d": "took k × d as the span", "no-channels": "forgot the input channels",
    "one-channel": "counted one channel", "two-d": "left out an axis of the 4-D shape",
    "channels-first": "put the channels first"}
FEEDBACK_COLOURS = {"light": ("#1b7f3b", "#b3261e"), "dark": ("#81c995", "#f28b82")}


def mistake_name(code: str | None) -> str | None:
    """Return a misconception's code as words ("no-floor" → "forgot the floor …").

    None for a code without a short name: the feedback's message explains it in full.
    """
    return MISTAKES.get(code or "")


def wrapped(text: str = "", *, plain: bool = False) -> QLabel:
    """Return a label that wraps between words (``plain``: shown as typed, never as HTML)."""
    label = QLabel(text)
    label.setWordWrap(True)
    if plain:
        label.setTextFormat(Qt.TextFormat.PlainText)  # exercise texts hold "<" and "*"
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class _OptionLabel(QLabel):
    """An option's text beside its button: wraps, and a click picks the option."""

    def __init__(self, text: str, button: QRadioButton) -> None:
        super().__init__(text)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.button = button
        self.setBuddy(button)

    def mouseReleaseEvent(self, event: object) -> None:  # noqa: N802 (Qt override)
        """Pick the option, as a click on its button does."""
        self.button.click()


class ExerciseBox(QWidget):
    """The exercises of one lesson, shown one at a time, with Previous and Next."""

    solved = Signal(str)              # an exercise's id, answered right (and kept)
    showMeRequested = Signal(object)  # the exercise's state (a Lesson) for the window
    answered = Signal()               # feedback, a hint or the answer is shown: scroll to it

    def __init__(self, progress: CourseProgress, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress = progress
        self.items: tuple[Exercise, ...] = ()
        self.index = 0
        self.last_feedback: Feedback | None = None
        self.title = wrapped()
        scale_font(self.title, 1.0, bold=True)
        self.prompt = wrapped(plain=True)
        self.answer = QLineEdit()
        self.answer.setClearButtonEnabled(True)
        self.answer.returnPressed.connect(self._on_return)
        self.answer.textEdited.connect(lambda _text: self._forget_feedback())
        self.choices = QWidget()
        self.choice_grid = QGridLayout(self.choices)
        self.choice_grid.setContentsMargins(0, 0, 0, 0)
        self.choice_group = QButtonGroup(self)
        self.choice_group.idClicked.connect(lambda _id: self._forget_feedback())
        self.check_button = QPushButton("Check")
        self.hint_button = QPushButton("Hint")
        self.reveal_button = QPushButton("Reveal")
        self.show_me_button = QPushButton("Show me")
        self.show_me_button.setToolTip("Set the window to this exercise's image, kernel and "
                                       "settings")
        self.reveal_button.setToolTip("Show the answer and why (it does not count as solved)")
        self.check_button.clicked.connect(self.check)
        self.hint_button.clicked.connect(self.show_hint)
        self.reveal_button.clicked.connect(self.reveal)
        self.show_me_button.clicked.connect(self.show_me)
        self.buttons = QGridLayout()
        self.feedback = wrapped(plain=True)
        self.mistake = wrapped(plain=True)
        self.hint = wrapped(plain=True)
        self.revealed = wrapped(plain=True)
        self.previous_button = QPushButton("◂ Previous")
        self.next_button = QPushButton("Next ▸")
        self.previous_button.clicked.connect(lambda: self.go_to(self.index - 1))
        self.next_button.clicked.connect(lambda: self.go_to(self.index + 1))
        nav = QHBoxLayout()
        nav.addWidget(self.previous_button)
        nav.addWidget(self.next_button)
        lay = self.column = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        for widget in (self.title, self.prompt, self.choices):
            lay.addWidget(widget)
        lay.addLayout(self.buttons)
        for label in (self.feedback, self.mistake, self.hint, self.revealed):
            lay.addWidget(label)
        lay.addLayout(nav)
        lay.addStretch(1)
        self.wide: bool | None = None
        self._arrange(False)
        presentation().changed.connect(self._on_presentation)

    @property
    def exercise(self) -> Exercise | None:
        """The exercise shown now (None for a lesson without any)."""
        return self.items[self.index] if 0 <= self.index < len(self.items) else None

    def set_exercises(self, items: tuple[Exercise, ...], index: int = 0) -> None:
        """Show a lesson's exercises, starting at ``index``."""
        self.items = items
        self.go_to(index)

    def go_to(self, index: int) -> None:
        """Show exercise ``index`` (clamped), with an empty answer box."""
        self.index = max(0, min(index, len(self.items) - 1))
        ex = self.exercise
        if ex is None:
            return
        self._show_title()
        self.prompt.setText(ex.prompt.split("\nA) ", 1)[0] if ex.options else ex.prompt)
        self.answer.clear()
        self.answer.setPlaceholderText(PLACEHOLDERS.get(ex.form, ""))
        self.answer.setVisible(ex.form != "choice")
        self._fill_choices(ex.options if ex.form == "choice" else ())
        for label in (self.feedback, self.mistake, self.hint, self.revealed):
            label.clear()
            label.hide()
        self.last_feedback = None
        self.previous_button.setEnabled(self.index > 0)
        self.next_button.setEnabled(self.index < len(self.items) - 1)
        self.next_button.setDefault(False)

    def _show_title(self) -> None:
        ex = self.exercise
        assert ex is not None
        done = " — solved ✓" if self.progress.is_solved(ex.id) else ""
        self.title.setText(f"Exercise {self.index + 1} of {len(self.items)}{done}")

    def _fill_choices(self, options: tuple[str, ...]) -> None:
        for b in self.choice_group.buttons():
            self.choice_group.removeButton(b)
        while self.choice_grid.count():
            item = self.choice_grid.takeAt(0)
            old = item.widget() if item is not None else None
            if old is not None:
                old.deleteLater()
        for i, text in enumerate(options):
            button = QRadioButton(f"{chr(65 + i)})")
            self.choice_group.addButton(button, i)
            self.choice_grid.addWidget(button, i, 0, Qt.AlignmentFlag.AlignTop)
            self.choice_grid.addWidget(_OptionLabel(text, button), i, 1)
        self.choice_grid.setColumnStretch(1, 1)
        self.choices.setVisible(bool(options))

    def choose(self, index: int) -> None:
        """Pick option ``index`` of a choice (as a click on it does)."""
        button = self.choice_group.button(index)
        if button is not None:
            button.click()

    # --- the student's actions ----------------------------------------------------------------
    def check(self) -> Feedback | None:
        """Check the answer box (or the picked option), show the feedback and return it."""
        ex = self.exercise
        if ex is None:
            return None
        if ex.form == "choice":
            picked = self.choice_group.checkedId()
            fb = (ex.check(picked) if picked >= 0
                  else Feedback(False, "Pick one of the options first."))
        else:
            text = self.answer.text()
            fb = ex.check(text) if text.strip() else Feedback(False, "Type your answer first.")
        if fb.correct:
            self.progress.mark_solved(ex.id)
            self._show_title()
            self.next_button.setDefault(self.next_button.isEnabled())
        self._show_feedback(fb)
        if fb.correct:
            self.solved.emit(ex.id)
        return fb

    def _show_feedback(self, fb: Feedback) -> None:
        self.last_feedback = fb
        good, bad = FEEDBACK_COLOURS.get(presentation().theme, FEEDBACK_COLOURS["light"])
        colour = good if fb.correct else bad
        self.feedback.setText(("✓ " if fb.correct else "✗ ") + fb.message)
        self.feedback.setStyleSheet(f"color: {colour}; border-left: 4px solid {colour}; "
                                    "padding-left: 6px;")
        self.feedback.setProperty("correct", fb.correct)
        self.feedback.show()
        name = None if fb.correct else mistake_name(fb.misconception)
        self.mistake.setText(f"Likely mistake: {name}" if name else "")
        self.mistake.setStyleSheet(f"color: {bad}; font-weight: bold;")
        self.mistake.setVisible(name is not None)
        self.answered.emit()

    def _forget_feedback(self) -> None:
        """Make Return check the new answer (not go on to the next exercise)."""
        if self.last_feedback is not None and self.last_feedback.correct:
            self.next_button.setDefault(False)
        self.last_feedback = None

    def _on_return(self) -> None:
        if self.last_feedback is not None and self.last_feedback.correct:
            if self.next_button.isEnabled():
                self.go_to(self.index + 1)
                self.answer.setFocus()
            return
        self.check()

    def show_hint(self) -> None:
        """Show the exercise's hint."""
        ex = self.exercise
        if ex is not None:
            self.hint.setText(f"Hint: {ex.hint}")
            self.hint.show()
            self.answered.emit()

    def reveal(self) -> None:
        """Show the answer and why (revealing does not count as solving)."""
        ex = self.exercise
        if ex is not None:
            self.revealed.setText(f"Answer: {ex.answer_text}\n{ex.explanation}")
            self.revealed.show()
            self.answered.emit()

    def show_me(self) -> None:
        """Ask the window to show the exercise's state (image, kernel, settings, tab)."""
        ex = self.exercise
        if ex is not None:
            self.showMeRequested.emit(ex.state)

    def refused(self, message: str) -> None:
        """Say that the window refused Show me's state (it changed nothing)."""
        self._show_feedback(Feedback(False, f"Cannot show this exercise: {message}. Nothing "
                                            "was changed."))

    # --- layout -------------------------------------------------------------------------------
    def _arrange(self, wide: bool) -> None:
        """Answer and Check in a row, then three buttons (wide); or two by two (narrow)."""
        if wide == self.wide:
            return
        self.wide = wide
        g = self.buttons
        for w in (self.answer, self.check_button, self.hint_button, self.reveal_button,
                  self.show_me_button):
            g.removeWidget(w)
        for column in range(3):
            g.setColumnStretch(column, 0)
        if wide:
            g.addWidget(self.answer, 0, 0, 1, 2)
            g.addWidget(self.check_button, 0, 2)
            for i, b in enumerate((self.hint_button, self.reveal_button, self.show_me_button)):
                g.addWidget(b, 1, i)
        else:
            g.addWidget(self.answer, 0, 0, 1, 2)
            for i, b in enumerate((self.check_button, self.hint_button, self.reveal_button,
                                   self.show_me_button)):
                g.addWidget(b, 1 + i // 2, i % 2)
        for column in range(3 if wide else 2):
            g.setColumnStretch(column, 1)

    def narrow_width(self) -> int:
        """Return the least width the exercise needs (buttons two by two)."""
        m = self.column.contentsMargins()
        spacing = max(0, self.buttons.horizontalSpacing())
        pairs = ((self.check_button, self.hint_button), (self.reveal_button, self.show_me_button),
                 (self.previous_button, self.next_button))
        widest = max(max(a.sizeHint().width(), b.sizeHint().width()) for a, b in pairs)
        return 2 * widest + spacing + m.left() + m.right()

    def _wide_width(self) -> int:
        """Return the width three buttons in a row need."""
        m = self.column.contentsMargins()
        spacing = max(0, self.buttons.horizontalSpacing())
        return (sum(b.sizeHint().width() for b in (self.hint_button, self.reveal_button,
                                                    self.show_me_button))
                + 2 * spacing + m.left() + m.right())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Choose the buttons' arrangement for the width the panel has."""
        super().resizeEvent(event)
        self._arrange(event.size().width() >= self._wide_width())

    def _on_presentation(self) -> None:
        self._arrange(self.width() >= self._wide_width())
        if self.last_feedback is not None:
            self._show_feedback(self.last_feedback)  # the theme's green and red
