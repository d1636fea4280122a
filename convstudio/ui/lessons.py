"""Capture the window's state as a lesson, apply a lesson to it, and the lesson text panel."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

import numpy as np
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QWidget

from .. import files
from .. import lessons as L
from ..core import sample_image
from ..core.kernels import validate_kernel
from ..lesson_text import sanitise
from ..training.settings import TrainingSettings
from .course_panel import CoursePanel
from .workspace.model import PIXEL_SCALE, WorkspaceModel

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTabWidget

    from .animator.model import AnimatorModel
    from .training.model import TrainingModel


class LessonHost(Protocol):
    """What capturing and applying a lesson needs of the window (not the window itself).

    Its models, its tabs and the lesson panel: an interface, so that this module does not
    depend on the main window that uses it.
    """

    model: WorkspaceModel
    animator_model: AnimatorModel
    training_model: TrainingModel
    lesson_panel: LessonPanel
    tabs: QTabWidget
    tab_index: dict[str, int]

    def show_tab(self, key: str) -> None:
        """Bring a tab to the front."""

    def open_builtin(self, name: str) -> bool:
        """Open a built-in lesson by key (the course panel's path and Next lesson)."""


def session_path() -> Path:
    """Where the session is saved on exit: beside the app's settings file."""
    return Path(QSettings().fileName()).parent / "last-session.convstudio"


def capture(window: LessonHost, *, title: str = "My lesson", text: str = "") -> L.Lesson:
    """Return the window's current state as a lesson (the image embedded)."""
    ws = window.model
    an = window.animator_model
    tab = next((k for k, i in window.tab_index.items() if i == window.tabs.currentIndex()),
               "workspace")
    lesson = L.Lesson(
        title=title, text=text, tab=tab, image=ws.rgb.copy(), image_name=ws.source_name,
        channel=ws.channel, kernel=ws.kernel.entries.copy(), use_weight=ws.kernel.use_weight,
        params=ws.params, selection=ws.selection, display=ws.display_mode,
        animator_source=an.source_kind, animator_step=an.cursor.step,
        training=window.training_model.settings.as_dict())
    # The animator rebuilds its trace on the next event after an edit; until then its step
    # may belong to the previous trace, past the end of the one the lesson describes.
    steps = L.animator_steps(lesson)
    if steps is not None:
        lesson.animator_step = min(lesson.animator_step, steps - 1)
    return lesson


def untouched(window: LessonHost) -> bool:
    """Return whether the window still holds the state a plain start gives (nothing to keep)."""
    tr = window.training_model
    if (not tr.untouched() or window.lesson_panel.text
            or window.tabs.currentIndex() != 0):
        return False
    from .animator.model import AnimatorModel

    ws, an = window.model, window.animator_model
    fresh = WorkspaceModel()
    fresh_an = AnimatorModel(fresh)
    try:
        return (ws.source_name == fresh.source_name and ws.channel == fresh.channel
                and ws.kernel.same_as(fresh.kernel) and ws.params == fresh.params
                and ws.selection == fresh.selection and ws.display_mode == fresh.display_mode
                and an.source_kind == fresh_an.source_kind
                and an.cursor.step == fresh_an.cursor.step
                and ws.rgb.shape == fresh.rgb.shape and bool(np.array_equal(ws.rgb, fresh.rgb)))
    finally:
        fresh.shutdown()
        fresh_an.deleteLater()
        fresh.deleteLater()


def model_file(lesson: L.Lesson, path: str | Path) -> tuple[Path | None, str]:
    """Return the lesson's model file to load (or None) and a note for the user.

    Checked before the lesson is applied, so nothing about the model can fail half-way.
    """
    if not lesson.model_file:
        return None, ""
    model = L.model_path(lesson, path)
    if model is None:
        return None, (f" It names a model outside its own folder ({lesson.model_file!r}); "
                      "it was not opened — load it from the Training tab if you trust it.")
    if not model.exists():
        return None, f" Its model {model.name} is missing beside it."
    try:
        files.check_regular(model)
    except files.FileReadError as exc:
        return None, f" Its model was not opened: {str(exc).rstrip('.')}."
    return model, ""


def _fit(rect: tuple[int, int, int, int] | None,
         hw: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """Clip a selection to an image as the workspace does; None when nothing is left."""
    if rect is None:
        return None
    top, left, height, width = rect
    height, width = min(height, hw[0] - top), min(width, hw[1] - left)
    return (top, left, height, width) if height >= 1 and width >= 1 else None


def apply(window: LessonHost, lesson: L.Lesson) -> None:
    """Set the window to a lesson that :func:`lessons.parse` accepted (or a built-in one).

    Everything that could fail is done before the first change, so a refused lesson leaves
    the window exactly as it was; the model file is handled by the caller.

    Raises
    ------
    lessons.LessonError
        Before anything changed: the sample image cannot be read here, or the kernel is not
        one the workspace holds.
    """
    ws = window.model
    image01: np.ndarray | None = None
    if lesson.image is not None:
        image01 = lesson.image / np.float32(PIXEL_SCALE)
    elif lesson.sample is not None:
        try:
            image01 = sample_image(lesson.sample, mode="rgb")
        except ValueError as exc:
            raise L.LessonError(f"workspace.sample: {exc}") from None
    try:
        kernel = validate_kernel(lesson.kernel)
    except ValueError as exc:
        raise L.LessonError(f"workspace.kernel: {exc}") from None
    hw = image01.shape[:2] if image01 is not None else ws.rgb.shape[:2]
    # A lesson without an image of its own keeps the current one: clip its selection to it.
    selection = _fit(lesson.selection, (int(hw[0]), int(hw[1])))

    try:
        training = TrainingSettings.from_dict(lesson.training, where="training",
                                              base=window.training_model.settings)
    except ValueError as exc:
        raise L.LessonError(str(exc)) from None
    try:
        ws.set_state(image01=image01, name=(lesson.sample if lesson.sample and lesson.image is None
                                            else lesson.image_name),
                     channel=lesson.channel, kernel=kernel, use_weight=lesson.use_weight,
                     params=lesson.params, selection=selection, display=lesson.display,
                     text=f"Lesson {lesson.title}")
    except ValueError as exc:  # parse checked all of it; a built-in lesson could still be off
        raise L.LessonError(f"workspace: {exc}") from None
    window.training_model.set_settings(training)
    window.animator_model.set_source_kind(lesson.animator_source)
    window.animator_model.rebuild()
    window.animator_model.go_to(lesson.animator_step)
    window.show_tab(lesson.tab)
    window.lesson_panel.show_lesson(lesson)


class LessonPanel(QDockWidget):
    """The open lesson, docked beside the tabs (or above or below them, as a strip).

    A built-in lesson (or a lesson file with one's very title and text) shows the course's
    steps and exercises; any other lesson shows its text.

    Show me and the path's lessons go through the window (``apply`` and ``open_builtin``), so a
    state the window refuses changes nothing and the panel says why.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Lesson", parent)
        self.setObjectName("lessonPanel")
        self.course = CoursePanel()
        self.browser = self.course.browser
        self.setWidget(self.course)
        self.setAllowedAreas(Qt.DockWidgetArea.LeftDockWidgetArea
                             | Qt.DockWidgetArea.RightDockWidgetArea
                             | Qt.DockWidgetArea.TopDockWidgetArea
                             | Qt.DockWidgetArea.BottomDockWidgetArea)
        self.dockLocationChanged.connect(self._on_area)
        self.course.showMeRequested.connect(self._show_me)
        self.course.lessonRequested.connect(self._open_builtin)
        self.title = ""
        self.text = ""

    def show_lesson(self, lesson: L.Lesson) -> None:
        """Show the lesson's text (and a built-in one's exercises); no text hides the panel."""
        self.title, self.text = lesson.title, lesson.text
        if not lesson.text:
            self.hide()
            return
        key = self.course.match(lesson.title, lesson.text)
        if key is not None:
            self.course.show_course(key)
        else:
            # Rich text, but only the sanitised subset (Qt's layout time grows exponentially
            # with nesting), and a document that never loads anything (no remote images).
            title = _escape(lesson.title[:L.MAX_TITLE_CHARS])
            self.course.show_text(f"<h3>{title}</h3>{sanitise(lesson.text)}")
        self.show()

    def _host(self) -> LessonHost:
        return cast("LessonHost", self.parentWidget())

    def _show_me(self, lesson: L.Lesson) -> None:
        try:
            apply(self._host(), lesson)
        except L.LessonError as exc:
            self.course.exercise_box.refused(str(exc).rstrip("."))

    def _open_builtin(self, key: str) -> None:
        self._host().open_builtin(key)

    def _on_area(self, area: Qt.DockWidgetArea) -> None:
        self.course.set_strip(area in (Qt.DockWidgetArea.TopDockWidgetArea,
                                       Qt.DockWidgetArea.BottomDockWidgetArea))
        # The dock keeps the minimum its layout last gave it (a strip's three panes side by
        # side are wide); forget it so that the new arrangement's minimum applies.
        self.setMinimumSize(0, 0)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
