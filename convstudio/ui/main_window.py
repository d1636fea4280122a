"""The main window: three tabs, menus and a status bar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .. import files
from .. import lessons as L
from ..core.animator_sources import TRAINED_SOURCE
from ..files import atomic_write
from .animator.model import AnimatorModel
from .animator.trained import TrainedLink, label_trained_source
from .drawer import ControlsDrawer
from .lessons import LessonPanel, apply, capture, model_file, session_path, untouched
from .menus import action, build_menus, fill_recent_menu
from .panels import (
    CodePanel,
    PreferencesDialog,
    ShortcutSheet,
    about_html,
    figure_at,
    icon_path,
    render_figure,
    restore_layout,
    save_layout,
)
from .screen_fit import Strips, fit_to_screen
from .tasks import collect_garbage_on_gui_thread, wait_for_tasks
from .theme import presentation
from .training.model import TrainingModel
from .workspace import WorkspaceModel, WorkspaceTab

if TYPE_CHECKING:
    from .animator import AnimatorTab
    from .training.tab import TrainingTab


DECLINED_KEY = "session/declined"  # the saved session the user said "No, thanks" to


def _session_stamp(path: Path) -> str:
    st = path.stat()
    return f"{st.st_mtime_ns}:{st.st_size}"


class MainWindow(QMainWindow):
    """ConvStudio's single window."""

    # Made by menus.build_menus.
    recent_menu: QMenu
    undo_action: QAction
    redo_action: QAction
    projection_action: QAction
    fullscreen_action: QAction
    controls_action: QAction

    def __init__(self, model: WorkspaceModel | None = None) -> None:
        super().__init__()
        collect_garbage_on_gui_thread()
        self.setWindowTitle("ConvStudio")
        self.model = model or WorkspaceModel(self)
        if self.model.result is None:
            self.model.compute_now()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tab_index: dict[str, int] = {}
        self.drawer = ControlsDrawer(self)
        self.workspace = WorkspaceTab(self.model)
        self.drawer.add(self.workspace.side_panel)
        self.workspace.messageRaised.connect(self._on_message)
        self._add_tab("workspace", self.workspace, "&Workspace")
        self.animator_model = AnimatorModel(self.model, self)
        self.training_model = TrainingModel(lambda: self.model.kernel.effective, self)
        self.training_model.messageRaised.connect(self._on_message)
        TrainedLink(self.animator_model, self.training_model)  # the animator's trained source
        # Animator and training tabs are built when first used: the window paints sooner.
        self._lazy: dict[str, QWidget] = {}
        self._placeholders: dict[str, tuple[QWidget, str]] = {}
        for key, label in (("animator", "&Animator"), ("training", "&Training")):
            page = QWidget()
            self._placeholders[key] = (page, label)
            self._add_tab(key, page, label)
        self.tabs.currentChanged.connect(self._build_current_tab)
        self.tabs.currentChanged.connect(lambda _: self.drawer.set_open(False))
        self.tabs.currentChanged.connect(self._size_by_current_page)
        self._size_by_current_page()
        self.offer_bar = QWidget()
        offer = QHBoxLayout(self.offer_bar)
        offer.setContentsMargins(8, 4, 8, 4)
        self.offer_label = QLabel("")
        self.offer_restore = QPushButton("Restore")
        self.offer_dismiss = QPushButton("No, thanks")
        self.offer_restore.clicked.connect(self.restore_session)
        self.offer_dismiss.clicked.connect(self.decline_session)
        offer.addWidget(self.offer_label, 1)
        offer.addWidget(self.offer_restore)
        offer.addWidget(self.offer_dismiss)
        self.offer_bar.hide()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.offer_bar)
        column.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.lesson_panel = LessonPanel(self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.lesson_panel)
        self.lesson_panel.hide()
        self.code_panel = CodePanel(self.model, self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.code_panel)
        self.code_panel.hide()
        presentation().changed.connect(self._on_presentation)
        self.strips = Strips(self)  # the lesson text and the code: strips or side panels
        if icon_path().is_file():
            from PySide6.QtGui import QIcon

            self.setWindowIcon(QIcon(str(icon_path())))
        self.save_session_on_close = True
        self.ask_before_closing = False  # app.main: ask before a close loses a trained model
        self.last_message = ""
        self._build_menus()
        self.statusBar().showMessage("Ready")

    @property
    def animator(self) -> AnimatorTab:
        """The animator tab, built on first use."""
        from .animator import AnimatorTab

        tab = self._lazy.get("animator") or self._install("animator", self._new_animator())
        assert isinstance(tab, AnimatorTab)
        return tab

    def _new_animator(self) -> AnimatorTab:
        from .animator import AnimatorTab

        tab = AnimatorTab(self.animator_model)
        tab.workspaceRegionRequested.connect(self._pick_region)
        label_trained_source(tab.source, self.animator_model)
        return tab

    @property
    def training(self) -> TrainingTab:
        """The training tab, built on first use."""
        from .training.tab import TrainingTab

        tab = self._lazy.get("training") or self._install(
            "training", TrainingTab(self.training_model))
        assert isinstance(tab, TrainingTab)
        return tab

    @property
    def training_built(self) -> bool:
        """Whether the training tab exists yet (it is built when first shown or used)."""
        return "training" in self._lazy

    def _install(self, key: str, tab: QWidget) -> QWidget:
        """Swap tab ``key``'s placeholder page for ``tab``, quietly: the current tab stays."""
        self._lazy[key] = tab
        side = getattr(tab, "side_panel", None)
        if isinstance(side, QWidget):
            self.drawer.add(side)
        tab.messageRaised.connect(self._on_message)  # type: ignore[attr-defined]
        page, label = self._placeholders.pop(key)
        index = self.tab_index[key]
        current = self.tabs.currentIndex()
        was_blocked = self.tabs.blockSignals(True)
        try:
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, tab, label)
            self.tabs.setCurrentIndex(current)
        finally:
            self.tabs.blockSignals(was_blocked)
        page.deleteLater()
        self._size_by_current_page()
        return tab

    def _size_by_current_page(self, index: int = -1) -> None:
        """Let only the current tab decide the window's minimum size.

        A stacked widget asks for the largest minimum of all its pages: the Animator's, once
        built, kept a projected Workspace from fitting 768 px. Hidden pages are Ignored.
        """
        current = self.tabs.currentWidget()
        policy = QSizePolicy.Policy
        for i in range(self.tabs.count()):
            page = self.tabs.widget(i)
            if page is None:
                continue
            if page is current:
                page.setSizePolicy(policy.Preferred, policy.Preferred)
            else:
                page.setSizePolicy(policy.Ignored, policy.Ignored)

    def _build_current_tab(self, index: int) -> None:
        for key in tuple(self._placeholders):
            if index == self.tab_index[key]:
                getattr(self, key)  # the property builds it

    def _add_tab(self, key: str, widget: QWidget, label: str) -> None:
        self.tab_index[key] = self.tabs.addTab(widget, label)

    def show_tab(self, key: str) -> None:
        """Bring tab ``key`` (workspace, animator or training) to the front."""
        self.tabs.setCurrentIndex(self.tab_index[key])

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | None = None,
    ) -> QAction:
        return action(self, text, slot, shortcut)

    def _build_menus(self) -> None:
        build_menus(self)

    def _fill_recent_menu(self) -> None:
        fill_recent_menu(self)

    def _pick_region(self) -> None:
        self.show_tab("workspace")
        self.workspace.select_button.setChecked(True)
        self._on_message("Drag the orange rectangle to the part you want to animate, then "
                         "choose Workspace region on the Animator tab.")

    def _on_message(self, text: str) -> None:
        self.last_message = text
        self.statusBar().showMessage(text, 15000)

    # --- lessons ----------------------------------------------------------------------------------
    def _open_lesson_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open lesson", "",
                                              f"ConvStudio lesson (*{L.SUFFIX})")
        if path:
            self.open_lesson(path)

    def open_lesson(self, path: str) -> bool:
        """Open a lesson file; a bad one is refused with a message and changes nothing."""
        try:
            lesson = L.read(path)
            model, note = model_file(lesson, path)
            apply(self, lesson)
        except L.LessonError as exc:
            self._on_message(f"Cannot open the lesson: {str(exc).rstrip('.')}. "
                             "Nothing was changed.")
            return False
        if model is not None and not self.training_model.load_from(str(model)):
            note = f" Its model {model.name} could not be loaded."
        elif model is not None and lesson.animator_source == TRAINED_SOURCE:
            self.animator_model.set_source_kind(TRAINED_SOURCE)  # its layer came with the model
            self.animator_model.go_to(lesson.animator_step)
        self._on_message(f"Opened lesson “{lesson.title}”.{note}")
        self.strips.fold_if_too_tall()
        return True

    def open_builtin(self, name: str) -> bool:
        """Open a built-in lesson by name (see ``lessons.builtin_lessons``)."""
        lessons = L.builtin_lessons()
        if name not in lessons:
            self._on_message(f"There is no built-in lesson {name!r}; there are: "
                             f"{', '.join(lessons)}.")
            return False
        try:
            apply(self, lessons[name])
        except L.LessonError as exc:
            self._on_message(f"Cannot open the lesson: {str(exc).rstrip('.')}. "
                             "Nothing was changed.")
            return False
        self._on_message(f"Opened lesson “{lessons[name].title}”.")
        self.strips.fold_if_too_tall()
        return True

    def _save_lesson_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save lesson", "lesson" + L.SUFFIX,
                                              f"ConvStudio lesson (*{L.SUFFIX})")
        if not path:
            return
        with_model = False
        if self.training_model.network is not None:
            with_model = QMessageBox.question(
                self, "Save lesson", "Also save the trained model beside the lesson?"
            ) == QMessageBox.StandardButton.Yes
        self.save_lesson(path, with_model=with_model)

    def save_lesson(self, path: str, *, with_model: bool = False) -> Path | None:
        """Write the current state as a lesson (atomically); optionally the model beside it."""
        panel = self.lesson_panel
        lesson = capture(self, title=panel.title or Path(path).stem, text=panel.text)
        try:
            if with_model and self.training_model.network is not None:
                model_name = Path(path).stem + ".keras"
                if self.training_model.save_to(str(Path(path).with_name(model_name))) is None:
                    return None
                lesson.model_file = model_name
            written = L.write(lesson, path)
        except OSError as exc:
            self._on_message(f"Cannot save the lesson to {path}: {exc.strerror or exc}.")
            return None
        self._on_message(f"Saved lesson {written}")
        return written

    def save_session(self) -> Path | None:
        """Save the current state for the next start (never raises).

        The state a plain start gives is not saved: there would be nothing to restore.
        """
        try:
            if untouched(self):
                return None
            path = session_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            return L.write(capture(self, title="Last session"), path)
        except (OSError, ValueError):
            return None

    def offer_session(self) -> bool:
        """Offer to restore the session saved on exit, if there is a readable one."""
        try:
            path = files.check_regular(session_path(), limit=L.MAX_FILE_BYTES)
        except files.FileReadError:
            return False
        if QSettings().value(DECLINED_KEY, "") == _session_stamp(path):
            return False  # "No, thanks" to this very session
        self.offer_label.setText("Your last session was saved when ConvStudio closed. "
                                 "Restore it?")
        self.offer_bar.show()
        return True

    def decline_session(self) -> None:
        """Hide the offer, and do not offer this same saved session at the next start."""
        self.offer_bar.hide()
        path = session_path()
        if path.is_file():
            QSettings().setValue(DECLINED_KEY, _session_stamp(path))

    def restore_session(self) -> bool:
        """Open the session saved on exit."""
        self.offer_bar.hide()
        ok = self.open_lesson(str(session_path()))
        if ok:
            self.lesson_panel.hide()
        return ok

    def about_text(self) -> str:
        """Return the About box's HTML: version, purpose, and what it runs on (read when asked)."""
        return about_html()

    def _on_about(self) -> None:
        QMessageBox.about(self, "About ConvStudio", self.about_text())

    # --- presentation -------------------------------------------------------------------------
    def toggle_projection(self) -> None:
        """Projection mode on/off (F5)."""
        pres = presentation()
        pres.set_projection(not pres.projection)
        self._on_message("Projection mode on: large text and cells. F5 turns it off."
                         if pres.projection else "Projection mode off.")

    def _on_presentation(self) -> None:
        """Lay the window out once for a new font and scale, then paint it once.

        A projection toggle re-lays out every panel and refits the images on the next turn;
        painting each intermediate layout took ~190 ms at 1920×1080 (the relayout row).
        """
        self.strips.place()
        # Once the new fonts are laid out.
        QTimer.singleShot(0, self.strips, self.strips.fold_if_too_tall)
        if self.isVisible() and self.updatesEnabled():
            self.setUpdatesEnabled(False)
            QTimer.singleShot(0, self, lambda: QTimer.singleShot(0, self, self._resume_painting))

    def _resume_painting(self) -> None:
        self.setUpdatesEnabled(True)

    def _sync_projection_action(self) -> None:
        self.projection_action.setChecked(presentation().projection)

    def fit_to_screen(self) -> None:
        """Shrink the window into its screen's available area and move it fully onto it."""
        fit_to_screen(self)

    def toggle_fullscreen(self) -> None:
        """Full screen on/off (F11)."""
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()
        self.fullscreen_action.setChecked(self.isFullScreen())

    def show_shortcuts(self) -> ShortcutSheet:
        """Open the shortcut sheet (F1 or ?)."""
        sheet = ShortcutSheet(self)
        sheet.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        sheet.show()
        return sheet

    def show_preferences(self) -> PreferencesDialog:
        """Open Preferences (changes apply at once and are kept)."""
        dialog = PreferencesDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    # --- figures ------------------------------------------------------------------------------
    def current_view(self) -> QWidget:
        """Return the view under the pointer or holding focus, else the current tab."""
        tab = self.tabs.currentWidget()
        return figure_at(tab, tab)

    def copy_view(self) -> None:
        """Copy the current view as an image at 2× (Ctrl+C outside text fields)."""
        QGuiApplication.clipboard().setImage(render_figure(self.current_view()))
        self._on_message("Copied the view as an image (2×).")

    def _export_view_dialog(self) -> None:
        view = self.current_view()
        path, _ = QFileDialog.getSaveFileName(self, "Export view as PNG (2×)", "figure.png",
                                              "PNG image (*.png)")
        if path:
            self.export_view(path, view)

    def export_view(self, path: str, view: QWidget | None = None) -> Path | None:
        """Write ``view`` (default: the current one) as a PNG at twice its size."""
        image = render_figure(view or self.current_view())
        target = Path(path) if path.lower().endswith(".png") else Path(path + ".png")
        try:
            atomic_write(target, lambda tmp: image.save(str(tmp)))  # .png picks the format
        except OSError:
            self._on_message(f"Cannot write {target}: is the folder writable?")
            return None
        self._on_message(f"Exported {target} ({image.width()}×{image.height()})")
        return target

    def save_layout(self) -> None:
        """Remember the window's size and place and its panels' (QSettings)."""
        save_layout(self)

    def restore_layout(self) -> bool:
        """Put the window and its panels back as they were when it last closed, if known."""
        return restore_layout(self)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        """Ask before a trained, unsaved model is lost; stop background work; save the session."""
        if (self.ask_before_closing and self.training_model.has_unsaved_model()
                and not self.training_model.confirm_discard("Quitting")):
            event.ignore()
            return
        if self.save_session_on_close:
            self.save_session()
            self.save_layout()
        if "animator" in self._lazy:
            self.animator.shutdown()
        self.training_model.shutdown()
        self.workspace.shutdown()
        wait_for_tasks(300)  # one still inside TensorFlow's import is left to app.main
        super().closeEvent(event)
