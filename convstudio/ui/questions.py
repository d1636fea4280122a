"""Help ▸ Questions: the learners' questions, each answered with a Show me that sets the state.

The texts are in :mod:`convstudio.questions` (no Qt); this module lists them in a submenu, shows
one in a small window and sets its demonstration through the window's models — the training
settings, the workspace's image, kernel and parameters, the tab — checking all of it before the
first change, so a demonstration the window refuses changes nothing.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING, Protocol

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..core import sample_image
from ..core.kernels import validate_kernel
from ..core.pipeline import check_workspace_limits
from ..questions import Demo, Question, question, questions
from ..training.settings import TrainingSettings
from .course_panel import NoResourceBrowser
from .screen_fit import fit_to_screen
from .theme import scale_font

if TYPE_CHECKING:
    from .drawer import ControlsDrawer
    from .training.model import TrainingModel
    from .training.tab import TrainingTab
    from .workspace.model import WorkspaceModel


class QuestionHost(Protocol):
    """What a demonstration needs of the window: its models, its tabs and the drawer."""

    model: WorkspaceModel
    training_model: TrainingModel
    drawer: ControlsDrawer

    @property
    def training(self) -> TrainingTab:
        """The Training tab (built when first asked for)."""

    def show_tab(self, key: str) -> None:
        """Bring a tab to the front."""


def demonstrate(window: QuestionHost, demo: Demo) -> str:
    """Set the window to ``demo``; return the program it shows ("" for none).

    Raises
    ------
    ValueError
        Before anything changed, naming what the window cannot take.
    """
    ws, tr = window.model, window.training_model
    settings = TrainingSettings.from_dict(demo.training, base=tr.settings, where="training")
    image01 = sample_image(demo.sample, mode="rgb") if demo.sample else None
    kernel = validate_kernel(np.array(demo.kernel, np.float32)) if demo.kernel else None
    params = dataclasses.replace(ws.params, **demo.params)
    check_workspace_limits(params)
    code = _program(tr, settings) if demo.code == "cnn" else ""
    if image01 is not None or kernel is not None or demo.channel or demo.params:
        ws.set_state(image01=image01, name=demo.sample or "",
                     channel=demo.channel or ws.channel,
                     kernel=ws.kernel.entries if kernel is None else kernel,
                     use_weight=True if kernel is not None else ws.kernel.use_weight,
                     params=params, selection=None if image01 is not None else ws.selection,
                     display=ws.display_mode, text="Question: Show me")
    tr.set_settings(settings)
    window.show_tab(demo.tab)
    if demo.reveal is not None:
        _reveal(window, demo.reveal)
    return code


def _reveal(window: QuestionHost, part: str) -> None:
    """Bring a part of the Training tab into view (the controls' drawer opens if folded)."""
    tab = window.training
    widget = {"summary": tab.summary_table, "save": tab.save_button,
              "drawing": tab.canvas}[part]
    if window.drawer.folded:
        window.drawer.set_open(True)
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    if isinstance(parent, QScrollArea):
        area = parent
        # Once the tab (perhaps built just now) is laid out.
        QTimer.singleShot(0, lambda: area.ensureWidgetVisible(widget))


def _program(tr: TrainingModel, settings: TrainingSettings) -> str:
    from ..core import codegen
    from ..training.datasets import IDX_DATASETS
    from ..training.models import ModelConfig

    # The settings' dataset (a demonstration may change it), else the one loaded (a folder).
    names = IDX_DATASETS.get(settings.dataset) or tr.class_names() or None
    saved = tr.saved_file() if settings == tr.settings else None
    if saved is not None and saved.is_file():
        # The network on screen is saved: the program rebuilds that file's network and loads
        # the file by its path, as --print-code cnn --model does.
        from ..training.keras_file import model_config_from_file
        from ..training.persist import ModelFileError

        try:
            model = model_config_from_file(saved)
        except ModelFileError:
            model = None
        if model is not None:
            fits = names is not None and len(names) == model.n_classes
            return codegen.program("cnn", model=model, model_path=str(saved.resolve()),
                                   class_names=names if fits else None)
    n = len(names) if names else tr.n_classes
    return codegen.program("cnn", model=ModelConfig.from_settings(settings, n),
                           class_names=names)


class QuestionDialog(QDialog):
    """One question: its answer, what Show me does, and (for a program) the program."""

    def __init__(self, window: QuestionHost, item: Question,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_host = window
        self.question = item
        self.setWindowTitle("Questions learners ask")
        self.title = QLabel(item.question)
        self.title.setWordWrap(True)
        scale_font(self.title, 1.2, bold=True)
        self.browser = NoResourceBrowser()
        self.browser.setHtml(item.answer)
        self.browser.setMinimumHeight(self.fontMetrics().height() * 6)
        self.says = QLabel(item.demo.says)
        self.says.setWordWrap(True)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.hide()
        self.code = QPlainTextEdit()
        self.code.setReadOnly(True)
        self.code.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        mono = QFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family())
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.code.setFont(mono)
        scale_font(self.code, 0.9)  # follows projection mode and zoom like the body text
        self.code.hide()
        self.show_me_button = QPushButton("Show me")
        self.show_me_button.setDefault(True)
        self.show_me_button.clicked.connect(self.show_me)
        self.copy_button = QPushButton("Copy program")
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.code.toPlainText()))
        self.copy_button.hide()
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        row = QHBoxLayout()
        row.addWidget(self.show_me_button)
        row.addWidget(self.copy_button)
        row.addStretch(1)
        row.addWidget(close)
        lay = QVBoxLayout(self)
        for w in (self.title, self.browser, self.says, self.message, self.code):
            lay.addWidget(w, 1 if w in (self.browser, self.code) else 0)
        lay.addLayout(row)
        self.resize(self.fontMetrics().averageCharWidth() * 70,
                    self.fontMetrics().height() * 26)

    def show_me(self) -> bool:
        """Set the window to the demonstration; say why if it cannot be shown."""
        try:
            code = demonstrate(self.window_host, self.question.demo)
        except ValueError as exc:
            self.message.setText(f"Cannot show this here: {str(exc).rstrip('.')}. Nothing was "
                                 "changed.")
            self.message.show()
            return False
        self.message.hide()
        self.code.setPlainText(code)
        self.code.setVisible(bool(code))
        self.copy_button.setVisible(bool(code))
        return True


def open_question(window: QuestionHost, key: str) -> QuestionDialog:
    """Show question ``key`` in its own window (beside the main window, not blocking it)."""
    dialog = QuestionDialog(window, question(key),
                            window if isinstance(window, QWidget) else None)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    fit_to_screen(dialog)  # 70 characters × 26 lines of projection text outgrow a projector
    return dialog


def add_questions_menu(window: QuestionHost, menu: QMenu) -> QMenu:
    """Add Help ▸ Questions to ``menu``: one entry per question."""
    sub = menu.addMenu("&Questions")
    for item in questions():
        action = sub.addAction(item.question)
        action.triggered.connect(functools.partial(open_question, window, item.key))
    return sub
