"""The main window: three tabs, menus and a status bar."""

from __future__ import annotations

import functools
from collections.abc import Callable

from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QTabWidget, QWidget

from .. import __version__
from .animator import AnimatorModel, AnimatorTab
from .training import TrainingTab
from .workspace import WorkspaceModel, WorkspaceTab
from .workspace.kernel_editor import kernel_as_list


class MainWindow(QMainWindow):
    """ConvStudio's single window."""

    def __init__(self, model: WorkspaceModel | None = None) -> None:
        super().__init__()
        self.setWindowTitle("ConvStudio")
        self.model = model or WorkspaceModel(self)
        if self.model.result is None:
            self.model.compute_now()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self._tab_index: dict[str, int] = {}
        self.workspace = WorkspaceTab(self.model)
        self.workspace.messageRaised.connect(self._on_message)
        self._add_tab("workspace", self.workspace, "&Workspace")
        self.animator_model = AnimatorModel(self.model, self)
        self.animator = AnimatorTab(self.animator_model)
        self.animator.messageRaised.connect(self._on_message)
        self.animator.workspaceRegionRequested.connect(self._pick_region)
        self._add_tab("animator", self.animator, "&Animator")
        self.training = TrainingTab(self.model)
        self.training.messageRaised.connect(self._on_message)
        self._add_tab("training", self.training, "&Training")
        self.setCentralWidget(self.tabs)
        self._build_menus()
        self.statusBar().showMessage("Ready")

    def _add_tab(self, key: str, widget: QWidget, label: str) -> None:
        self._tab_index[key] = self.tabs.addTab(widget, label)

    def show_tab(self, key: str) -> None:
        """Bring tab ``key`` (workspace, animator or training) to the front."""
        self.tabs.setCurrentIndex(self._tab_index[key])

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self._action("&Open image…", self.workspace.open_dialog,
                                         QKeySequence.StandardKey.Open))
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()
        file_menu.addAction(self._action("&Export output…", self.workspace.export_dialog,
                                         QKeySequence("Ctrl+E")))
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        edit_menu = bar.addMenu("&Edit")
        stack = self.model.undo_stack
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo_action = stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self._action("Copy kernel as Python &list", self._copy_kernel))

        view_menu = bar.addMenu("&View")
        for n, key in enumerate(self._tab_index, start=1):
            label = self.tabs.tabText(self._tab_index[key]).replace("&", "")
            view_menu.addAction(self._action(label, functools.partial(self.show_tab, key),
                                             QKeySequence(f"Ctrl+{n}")))
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&About ConvStudio", self._on_about))

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        recent = self.workspace.recent_files()
        for n, path in enumerate(recent, start=1):
            action = menu.addAction(f"&{n} {path}" if n < 10 else path)
            action.triggered.connect(functools.partial(self.workspace.open_path, path))
        if not recent:
            menu.addAction("(none yet)").setEnabled(False)
            return
        menu.addSeparator()
        menu.addAction("Clear list").triggered.connect(self.workspace.clear_recent_files)

    def _pick_region(self) -> None:
        self.show_tab("workspace")
        self.workspace.select_button.setChecked(True)
        self._on_message("Drag the orange rectangle to the part you want to animate, then "
                         "choose Workspace region on the Animator tab.")

    def _copy_kernel(self) -> None:
        text = kernel_as_list(self.model.kernel.entries)
        QGuiApplication.clipboard().setText(text)
        self._on_message(f"Copied {text}")

    def _on_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)

    def _on_about(self) -> None:
        QMessageBox.about(
            self,
            "About ConvStudio",
            f"<b>ConvStudio {__version__}</b><p>See how convolutional neural networks see.</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        """Stop background work before the window goes."""
        self.training.shutdown()
        self.animator.shutdown()
        self.workspace.shutdown()
        super().closeEvent(event)
