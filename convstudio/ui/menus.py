"""The main window's menus: File, Edit, View and Help, built from the window's actions."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWhatsThis, QWidget

from .. import lessons as L
from .questions import add_questions_menu
from .theme import presentation

# The window is passed in and typed loosely: importing main_window here, even only for the
# type checker, would make an import cycle (tests/test_boundaries.py).
MainWindow = Any


def action(
    window: QWidget,
    text: str,
    slot: Callable[[], object],
    shortcut: QKeySequence | QKeySequence.StandardKey | None = None,
) -> QAction:
    """Return an action of ``window`` that calls ``slot``."""
    act = QAction(text, window)
    if shortcut is not None:
        act.setShortcut(shortcut)
    act.triggered.connect(slot)
    return act


def build_menus(window: MainWindow) -> None:
    """Build the window's File, Edit, View and Help menus."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(window._action("&Open image…", window.workspace.open_dialog,
                                     QKeySequence.StandardKey.Open))
    file_menu.addAction(window._action("Open &kernel…", window.workspace.open_kernel_dialog))
    window.recent_menu = file_menu.addMenu("Open &recent")
    window.recent_menu.aboutToShow.connect(window._fill_recent_menu)
    window._fill_recent_menu()
    file_menu.addAction(window._action("&Export output…", window.workspace.export_dialog,
                                     QKeySequence("Ctrl+E")))
    file_menu.addAction(window._action("Export &view as PNG (2×)…", window._export_view_dialog,
                                     QKeySequence("Ctrl+Shift+E")))
    file_menu.addSeparator()
    file_menu.addAction(window._action("Open &lesson…", window._open_lesson_dialog,
                                     QKeySequence("Ctrl+Shift+O")))
    builtin = file_menu.addMenu("&Built-in lessons")
    for name, lesson in L.builtin_lessons().items():
        builtin.addAction(window._action(lesson.title,
                                       functools.partial(window.open_builtin, name)))
    file_menu.addAction(window._action("&Save lesson…", window._save_lesson_dialog,
                                     QKeySequence("Ctrl+Shift+S")))
    file_menu.addSeparator()
    file_menu.addAction(window._action("&Quit", window.close, QKeySequence.StandardKey.Quit))

    edit_menu = bar.addMenu("&Edit")
    stack = window.model.undo_stack
    window.undo_action = stack.createUndoAction(window, "&Undo")
    window.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
    window.redo_action = stack.createRedoAction(window, "&Redo")
    window.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    edit_menu.addAction(window.undo_action)
    edit_menu.addAction(window.redo_action)
    edit_menu.addSeparator()
    edit_menu.addAction(window._action("Copy kernel as Python &list",
                                     window.workspace.kernel_editor.copy_as_list))

    edit_menu.addAction(window._action("Copy &view as image", window.copy_view,
                                     QKeySequence.StandardKey.Copy))

    view_menu = bar.addMenu("&View")
    for n, key in enumerate(window.tab_index, start=1):
        label = window.tabs.tabText(window.tab_index[key]).replace("&", "")
        view_menu.addAction(window._action(label, functools.partial(window.show_tab, key),
                                         QKeySequence(f"Ctrl+{n}")))
    view_menu.addSeparator()
    pres = presentation()
    window.projection_action = window._action("&Projection mode", window.toggle_projection,
                                          QKeySequence("F5"))
    window.projection_action.setCheckable(True)
    window.projection_action.setChecked(pres.projection)
    pres.changed.connect(window._sync_projection_action)
    view_menu.addAction(window.projection_action)
    window.controls_action = window._action("Show &controls (projection)",
                                            window.drawer.toggle, QKeySequence("F2"))
    window.controls_action.setCheckable(True)
    window.controls_action.setToolTip("In projection mode the controls fold away; F2 opens "
                                      "them, a click on the picture or Escape closes them")
    window.drawer.changed.connect(
        lambda: window.controls_action.setChecked(not window.drawer.folded))
    window.controls_action.setChecked(not window.drawer.folded)
    view_menu.addAction(window.controls_action)
    window.fullscreen_action = window._action("&Full screen", window.toggle_fullscreen,
                                          QKeySequence("F11"))
    window.fullscreen_action.setCheckable(True)
    view_menu.addAction(window.fullscreen_action)
    zoom_in = window._action("Zoom &in", pres.zoom_in, QKeySequence.StandardKey.ZoomIn)
    zoom_in.setShortcuts([QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")])
    view_menu.addAction(zoom_in)
    view_menu.addAction(window._action("Zoom &out", pres.zoom_out,
                                     QKeySequence("Ctrl+-")))
    view_menu.addAction(window._action("&Actual size", lambda: pres.set_zoom(1.0),
                                     QKeySequence("Ctrl+0")))
    view_menu.addSeparator()
    code = window.code_panel.toggleViewAction()
    code.setText("Show &code")
    code.setShortcut(QKeySequence("Ctrl+K"))
    view_menu.addAction(code)
    lesson_text = window.lesson_panel.toggleViewAction()
    lesson_text.setText("&Lesson text")
    lesson_text.setShortcut(QKeySequence("F3"))  # the strip folds away and back
    view_menu.addAction(lesson_text)
    view_menu.addSeparator()
    view_menu.addAction(window._action("&Preferences…", window.show_preferences,
                                     QKeySequence.StandardKey.Preferences))
    help_menu = bar.addMenu("&Help")
    sheet = window._action("&Keyboard shortcuts", window.show_shortcuts, QKeySequence("F1"))
    sheet.setShortcuts([QKeySequence("F1"), QKeySequence("?")])
    help_menu.addAction(sheet)
    whats_this = QWhatsThis.createAction(window)
    whats_this.setText("&What am I seeing? (then click a panel)")
    help_menu.addAction(whats_this)  # Shift+F1; each panel's "?" shows the same text
    add_questions_menu(window, help_menu)
    help_menu.addAction(window._action("&About ConvStudio", window._on_about))

def fill_recent_menu(window: MainWindow) -> None:
    """List the recent images in File ▸ Open recent."""
    menu = window.recent_menu
    menu.clear()
    recent = window.workspace.recent_files()
    for n, path in enumerate(recent, start=1):
        # A name that is not UTF-8 is shown with "�" and opened by its real bytes.
        shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        action = menu.addAction(f"&{n} {shown}" if n < 10 else shown)
        action.triggered.connect(functools.partial(window.workspace.open_path, path))
    if not recent:
        menu.addAction("(none yet)").setEnabled(False)
        return
    menu.addSeparator()
    menu.addAction("Clear list").triggered.connect(window.workspace.clear_recent_files)
