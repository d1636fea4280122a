"""Issue 17: the course in the lesson panel — steps, checked exercises, the path, progress."""

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor

from convstudio import course
from convstudio import lessons as L
from convstudio.ui.course_path import DONE_COLOUR
from convstudio.ui.main_window import MainWindow
from convstudio.ui.theme import presentation

from .window_state import settle

LESSON = "strides-padding"


def _panel(w):
    return w.lesson_panel.course


def _type(qtbot, box, text):
    box.answer.clear()
    qtbot.keyClicks(box.answer, text)


def _answer_right(qtbot, box):
    ex = box.exercise
    if ex.form == "choice":
        box.choose(ex.answer)
        qtbot.mouseClick(box.check_button, Qt.MouseButton.LeftButton)
    else:
        _type(qtbot, box, ex.answer_text)
        qtbot.keyClick(box.answer, Qt.Key.Key_Return)
    assert box.last_feedback is not None and box.last_feedback.correct, ex.id


def _colour_at(widget, point):
    return QColor(widget.grab().toImage().pixel(point.toPoint()))


def test_a_whole_lesson_wrong_right_next_lesson_and_a_restart(window, qtbot):
    w = window
    assert w.open_builtin(LESSON)
    panel = _panel(w)
    box = panel.exercise_box
    assert panel.key == LESSON and w.lesson_panel.isVisible()
    # The steps, one at a time.
    steps = course.lesson(LESSON).steps
    assert "255×510" in panel.browser.toPlainText()
    assert "size formula" not in panel.browser.toPlainText()
    qtbot.mouseClick(panel.next_step_button, Qt.MouseButton.LeftButton)
    assert panel.step == 1 and "size formula" in panel.browser.toPlainText()
    assert panel.step_label.text() == f"Step 2 of {len(steps)}"

    # A wrong answer: the feedback names the misconception, in red.
    assert box.exercise.id == f"{LESSON}/stride-2-1"
    _type(qtbot, box, "256x510")
    qtbot.mouseClick(box.check_button, Qt.MouseButton.LeftButton)
    fb = box.last_feedback
    assert not fb.correct and fb.misconception == "no-floor"
    assert box.feedback.isVisible() and box.feedback.text() == "✗ " + fb.message
    assert "#b3261e" in box.feedback.styleSheet()
    assert box.mistake.text() == "Likely mistake: forgot the floor in the size formula"
    assert not panel.progress.is_solved(box.exercise.id)

    # The right answer: solved, green, kept; Return again moves on to the next exercise.
    _type(qtbot, box, "255 x 510")
    qtbot.keyClick(box.answer, Qt.Key.Key_Return)
    assert box.last_feedback.correct and box.feedback.text().startswith("✓ Right.")
    assert "#1b7f3b" in box.feedback.styleSheet() and not box.mistake.isVisible()
    assert box.title.text() == "Exercise 1 of 6 — solved ✓"
    assert panel.progress.is_solved(f"{LESSON}/stride-2-1")
    qtbot.keyClick(box.answer, Qt.Key.Key_Return)
    assert box.index == 1 and box.exercise.id == f"{LESSON}/same"
    assert box.answer.text() == "" and not box.feedback.isVisible()
    assert box.title.text() == "Exercise 2 of 6"

    # The rest of the lesson: the path marks it done once every exercise is solved.
    while True:
        _answer_right(qtbot, box)
        if not box.next_button.isEnabled():
            break
        qtbot.mouseClick(box.next_button, Qt.MouseButton.LeftButton)
    assert "6 of 6" in panel.summary.text() and "solved" in panel.summary.text()
    assert panel.path.marks()[LESSON] == "current"

    # Next lesson: one click.
    qtbot.mouseClick(panel.next_lesson_button, Qt.MouseButton.LeftButton)
    assert panel.key == "dilation"
    assert w.lesson_panel.title == course.lesson("dilation").title
    assert w.model.params.dilation == (2, 2)       # the lesson's state was applied
    marks = panel.path.marks()
    assert (marks[LESSON], marks["dilation"], marks["max-pooling"]) == ("done", "current",
                                                                        "next")
    assert marks["line-filters"] == "todo"
    done_centre = panel.path.centre_of(LESSON)
    done_centre.setX(done_centre.x() - panel.path._cell()[0] * 0.3)  # beside the ✓
    assert _colour_at(panel.path, done_centre).name() == DONE_COLOUR["light"]

    # A restart reads the progress back.
    second = MainWindow()
    qtbot.addWidget(second)
    second.save_session_on_close = False
    again = _panel(second)
    assert again.progress.current == "dilation"
    assert all(again.progress.is_solved(e.id) for e in again.bank()[LESSON])
    second.show()
    second.lesson_panel.show()   # View ▸ Lesson text, before any lesson is opened
    assert again.path.marks() == marks
    assert again.continue_button.isVisible()
    assert again.continue_button.text() == "Continue the course"
    qtbot.mouseClick(again.continue_button, Qt.MouseButton.LeftButton)
    assert again.key == "dilation" and second.lesson_panel.title == w.lesson_panel.title
    second.close()


def test_progress_lives_in_qsettings_under_course(window, qtbot):
    w = window
    w.open_builtin("max-pooling")
    box = _panel(w).exercise_box
    _answer_right(qtbot, box)
    s = QSettings()
    assert s.value("course/current") == "max-pooling"
    assert s.value("course/solved") == box.exercise.id
    assert [k for k in s.allKeys() if k.startswith("course/")] == ["course/current",
                                                                     "course/solved"]


def test_a_solved_lesson_opens_at_its_first_unsolved_exercise(window, qtbot):
    w = window
    w.open_builtin("dilation")
    box = _panel(w).exercise_box
    _answer_right(qtbot, box)
    w.open_builtin(LESSON)
    w.open_builtin("dilation")
    assert box.index == 1


def test_the_built_in_lessons_menu_opens_a_lesson_with_its_exercises(window):
    w = window
    title = course.lesson("max-pooling").title
    menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&File")
    builtin = next(a.menu() for a in menu.actions() if a.text() == "&Built-in lessons")
    next(a for a in builtin.actions() if a.text() == title).trigger()
    panel = _panel(w)
    assert panel.key == "max-pooling" and panel.exercise_scroll.isVisible()
    assert panel.exercise_box.exercise.id == "max-pooling/four-by-four"
    assert panel.exercise_box.prompt.text().startswith("Max-pool this 4×4 block")


def test_a_choice_is_answered_with_its_option_buttons(window, qtbot):
    w = window
    w.open_builtin("line-filters")
    box = _panel(w).exercise_box
    box.go_to(next(i for i, e in enumerate(box.items) if e.id.endswith("conv2d-direction")))
    assert not box.answer.isVisible() and box.choices.isVisible()
    assert "\nA)" not in box.prompt.text()            # the options are the buttons
    qtbot.mouseClick(box.check_button, Qt.MouseButton.LeftButton)
    assert box.last_feedback.message == "Pick one of the options first."
    labels = [box.choice_grid.itemAtPosition(i, 1).widget() for i in range(2)]
    assert [label.text() for label in labels] == ["vertical lines", "horizontal lines"]
    qtbot.mouseClick(labels[0], Qt.MouseButton.LeftButton)   # a click on the text picks it
    assert box.choice_group.checkedId() == 0
    qtbot.mouseClick(box.check_button, Qt.MouseButton.LeftButton)
    assert box.last_feedback.misconception == "loop-not-conv2d"
    assert box.mistake.text() == "Likely mistake: answered for the course's loop, not Conv2D"
    qtbot.mouseClick(labels[1], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(box.check_button, Qt.MouseButton.LeftButton)
    assert box.last_feedback.correct


def test_hint_and_reveal_show_text_and_reveal_does_not_solve(window, qtbot):
    w = window
    w.open_builtin(LESSON)
    box = _panel(w).exercise_box
    ex = box.exercise
    qtbot.mouseClick(box.hint_button, Qt.MouseButton.LeftButton)
    assert box.hint.isVisible() and box.hint.text() == f"Hint: {ex.hint}"
    qtbot.mouseClick(box.reveal_button, Qt.MouseButton.LeftButton)
    assert box.revealed.text() == f"Answer: {ex.answer_text}\n{ex.explanation}"
    assert not _panel(w).progress.is_solved(ex.id)
    _type(qtbot, box, "what?")
    qtbot.keyClick(box.answer, Qt.Key.Key_Return)
    assert box.last_feedback.misconception == "unreadable" and not box.mistake.isVisible()


def test_show_me_applies_the_exercise_state_and_keeps_the_place(window, qtbot):
    w = window
    w.open_builtin("line-filters")
    panel = _panel(w)
    box = panel.exercise_box
    i = next(i for i, e in enumerate(box.items) if e.id.endswith("conv2d-direction"))
    box.go_to(i)
    panel.go_to_step(2)
    ex = box.exercise
    qtbot.mouseClick(box.show_me_button, Qt.MouseButton.LeftButton)
    settle(qtbot, w)
    assert w.model.source_name == (ex.state.sample or ex.state.image_name)
    np.testing.assert_array_equal(w.model.kernel.entries, ex.state.kernel)
    assert (box.index, panel.step, panel.key) == (i, 2, "line-filters")


def test_show_me_of_a_state_the_window_refuses_changes_nothing(window, qtbot):
    w = window
    w.open_builtin(LESSON)
    settle(qtbot, w)
    box = _panel(w).exercise_box
    box.exercise.state.kernel = np.ones((9, 9), np.float32)  # larger than the editor holds
    before = (w.model.kernel.entries.copy(), w.model.params, w.model.source_name)
    qtbot.mouseClick(box.show_me_button, Qt.MouseButton.LeftButton)
    assert box.feedback.text().startswith("✗ Cannot show this exercise: workspace.kernel")
    assert box.feedback.text().endswith("Nothing was changed.")
    np.testing.assert_array_equal(w.model.kernel.entries, before[0])
    assert (w.model.params, w.model.source_name) == before[1:]


def test_a_lesson_outside_the_course_shows_its_text_and_no_exercises(window):
    lesson = L.builtin_lessons()[LESSON]
    lesson.text = "<p>My own notes on strides.</p>"
    window.lesson_panel.show_lesson(lesson)
    panel = _panel(window)
    assert panel.key is None and not panel.exercise_scroll.isVisible()
    assert not panel.steps_row.isVisible()
    assert "My own notes on strides." in panel.browser.toPlainText()


def test_a_click_on_the_path_opens_that_lesson(window, qtbot):
    w = window
    w.open_builtin(LESSON)
    path = _panel(w).path
    qtbot.mouseClick(path, Qt.MouseButton.LeftButton, pos=path.centre_of("max-pooling").toPoint())
    assert w.lesson_panel.title == course.lesson("max-pooling").title


@pytest.mark.parametrize("area, strip", [(Qt.DockWidgetArea.RightDockWidgetArea, False),
                                         (Qt.DockWidgetArea.TopDockWidgetArea, True),
                                         (Qt.DockWidgetArea.LeftDockWidgetArea, False)])
def test_the_panel_is_a_narrow_column_or_a_strip(window, qtbot, area, strip):
    w = window
    w.open_builtin(LESSON)
    w.addDockWidget(area, w.lesson_panel)
    w.lesson_panel.show()
    qtbot.wait(10)
    panel = _panel(w)
    assert panel.strip is strip
    assert panel.splitter.orientation() == (Qt.Orientation.Horizontal if strip
                                            else Qt.Orientation.Vertical)
    if not strip:
        assert w.lesson_panel.minimumSizeHint().width() <= 260
        assert w.lesson_panel.minimumSize().width() <= 260


def test_the_panel_follows_projection_mode_and_zoom(window, qtbot):
    w = window
    w.open_builtin(LESSON)
    w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, w.lesson_panel)  # numbered circles
    panel = _panel(w)

    def sizes():
        qtbot.wait(10)
        return (panel.path._cell()[0], panel.exercise_box.check_button.sizeHint().height(),
                panel.exercise_box.prompt.fontInfo().pointSizeF())

    small = sizes()
    presentation().set_projection(True, remember=False)
    big = sizes()
    assert big[0] > 1.5 * small[0] and big[1] > 1.3 * small[1] and big[2] > 1.5 * small[2]
    presentation().set_projection(False, remember=False)
    presentation().set_zoom(1.5)
    zoomed = sizes()
    assert zoomed[0] > 1.3 * small[0] and zoomed[2] > 1.3 * small[2]


def test_a_low_strip_draws_the_path_as_dots_and_scrolls_instead_of_overlapping(window, qtbot):
    w = window
    w.open_builtin(LESSON)
    w.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, w.lesson_panel)
    panel = _panel(w)
    w.resize(1024, 560)
    qtbot.wait(50)
    w.resizeDocks([w.lesson_panel], [panel.fontMetrics().height() * 6], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: panel.path.compact)
    assert panel.path.height() < panel.fontMetrics().height() * 3   # two rows of dots
    assert w.lesson_panel.minimumSizeHint().height() <= panel.fontMetrics().height() * 7
    # Every pane scrolls: none is squeezed below what it needs.
    for area in (panel.nav_scroll, panel.text_scroll, panel.exercise_scroll):
        inner = area.widget()
        assert inner.height() >= inner.minimumSizeHint().height()
    assert panel.browser.toPlainText().startswith(panel.lessons[LESSON].title)
