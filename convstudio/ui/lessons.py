"""Capture the window's state as a lesson, apply a lesson to it, and the lesson text panel."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QDockWidget, QTextBrowser, QWidget

from .. import lessons as L
from ..core import sample_image
from .workspace.model import PIXEL_SCALE

if TYPE_CHECKING:
    from .main_window import MainWindow


def session_path() -> Path:
    """Where the session is saved on exit: beside the app's settings file."""
    return Path(QSettings().fileName()).parent / "last-session.convstudio"


def capture(window: MainWindow, *, title: str = "My lesson", text: str = "") -> L.Lesson:
    """Return the window's current state as a lesson (the image embedded)."""
    ws = window.model
    an = window.animator_model
    tab = next((k for k, i in window.tab_index.items() if i == window.tabs.currentIndex()),
               "workspace")
    return L.Lesson(
        title=title, text=text, tab=tab, image=ws.rgb.copy(), image_name=ws.source_name,
        channel=ws.channel, kernel=ws.kernel.entries.copy(), use_weight=ws.kernel.use_weight,
        params=ws.params, selection=ws.selection, display=ws.display_mode,
        animator_source=an.source_kind, animator_step=an.cursor.step,
        training=window.training.settings() if window.training_built else {})


def apply(window: MainWindow, lesson: L.Lesson) -> None:
    """Set the window to a validated lesson (the model file is handled by the caller)."""
    ws = window.model
    if lesson.image is not None:
        ws.set_source(lesson.image / np.float32(PIXEL_SCALE), lesson.image_name)
    elif lesson.sample is not None:
        ws.set_source(sample_image(lesson.sample, mode="rgb"), lesson.sample)
    if ws.channel != lesson.channel:
        ws.set_channel(lesson.channel)
    ws.set_kernel(lesson.kernel, use_weight=lesson.use_weight, text=f"Lesson {lesson.title}")
    ws.params = lesson.params
    ws.paramsChanged.emit()
    ws.request()
    if lesson.selection is not None:
        try:
            ws.set_selection(lesson.selection)
        except ValueError:
            ws.set_selection(None)  # larger than this image: show all of it
    ws.set_display_mode(lesson.display)
    window.training.apply_settings(lesson.training)
    an_tab = window.animator
    an_tab.source.setCurrentIndex(an_tab.source.findData(lesson.animator_source))
    window.animator_model.rebuild()
    window.animator_model.go_to(lesson.animator_step)
    window.show_tab(lesson.tab)
    window.lesson_panel.show_lesson(lesson)


class _NoResourceDocument(QTextDocument):
    """A document that loads nothing: a lesson's <img src=…> or link reads no file."""

    def loadResource(self, kind: int, name: QUrl | str) -> object:  # noqa: N802 (Qt override)
        """Answer every resource with an empty image (Qt would otherwise read local files)."""
        return QImage()


class _NoResourceBrowser(QTextBrowser):
    """Rich text for lessons, with a document that never loads a resource."""

    def __init__(self) -> None:
        super().__init__()
        self.setDocument(_NoResourceDocument(self))
        self.setOpenLinks(False)


class LessonPanel(QDockWidget):
    """The open lesson's title and text, docked beside the tabs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Lesson", parent)
        self.setObjectName("lessonPanel")
        self.browser = _NoResourceBrowser()
        self.browser.setOpenExternalLinks(False)
        self.browser.setMinimumWidth(260)
        self.setWidget(self.browser)
        self.setAllowedAreas(Qt.DockWidgetArea.LeftDockWidgetArea
                             | Qt.DockWidgetArea.RightDockWidgetArea)
        self.title = ""
        self.text = ""

    def show_lesson(self, lesson: L.Lesson) -> None:
        """Show the lesson's text; a lesson without text hides the panel."""
        self.title, self.text = lesson.title, lesson.text
        if not lesson.text:
            self.hide()
            return
        # Lesson text is shown as rich text, but never loads anything (no remote images/links).
        self.browser.setHtml(f"<h3>{_escape(lesson.title)}</h3>{lesson.text}")
        self.show()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
