"""Window-level panels and dialogs: Show code, shortcut sheet, preferences, About, figures."""

from __future__ import annotations

import html
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtGui import QFontDatabase, QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..core.codegen import Source, keras_code, numpy_code, program, save_input
from .theme import INTENSITY_MAPS, THEMES, presentation, scale_font
from .workspace.model import WorkspaceModel

FIGURE = "figure"  # dynamic property marking a view that File ▸ Export view / Ctrl+C take

# (keys, what they do): the sheet on F1 and "?", and the About box's list.
SHORTCUTS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Animator (from any panel; a presenter clicker's keys too)", (
        ("Space", "play / pause"),
        ("→  or  Page Down", "next step"),
        ("←  or  Page Up", "previous step"),
        ("↓ / ↑", "next / previous row"),
        ("Home / End", "first conv step / last pool step (in Learn: its first / last)"),
        ("+ / −", "faster / slower"),
        ("1 / 2 / 3", "conv / pool / learn phase"),
        ("T / F / R", "Learn: train one step / 50 steps / random start"),
    )),
    ("Window", (
        ("F5", "projection mode (large text and cells)"),
        ("F2", "projection mode: show the controls (a click on the picture hides them)"),
        ("F3", "show or fold the lesson text"),
        ("F11", "full screen"),
        ("Ctrl + / Ctrl − / Ctrl 0", "zoom the whole interface in / out / back"),
        ("Ctrl 1 / 2 / 3", "Workspace / Animator / Training tab"),
        ("F1  or  ?", "this sheet"),
    )),
    ("Files and figures", (
        ("Ctrl O", "open an image"),
        ("Ctrl Shift O / Ctrl Shift S", "open / save a lesson"),
        ("Ctrl E", "export the workspace output"),
        ("Ctrl Shift E", "export the view under the pointer as PNG at 2×"),
        ("Ctrl C", "copy that view as an image (in a text field: copy text)"),
        ("Ctrl Z / Ctrl Shift Z", "undo / redo a kernel edit"),
    )),
)


def figure_at(root: QWidget, fallback: QWidget) -> QWidget:
    """Return the marked view under the pointer, else the one with focus, else ``fallback``."""
    from PySide6.QtGui import QCursor

    app = QGuiApplication.instance()
    candidates: list[QWidget | None] = []
    if isinstance(app, QGuiApplication):
        from PySide6.QtWidgets import QApplication

        candidates = [QApplication.widgetAt(QCursor.pos()), QApplication.focusWidget()]
    for w in candidates:
        while w is not None and root.isAncestorOf(w):
            if w.property(FIGURE) and w.isVisible():
                return w
            w = w.parentWidget()
    return fallback


def render_figure(widget: QWidget, scale: float = 2.0) -> QImage:
    """Render ``widget`` at ``scale`` × its size (text and lines redrawn, not upscaled)."""
    size = widget.size()
    pm = QPixmap(QSize(round(size.width() * scale), round(size.height() * scale)))
    pm.setDevicePixelRatio(scale)
    pm.fill(widget.palette().window().color())
    widget.render(pm)
    return pm.toImage()


def program_source(model: WorkspaceModel) -> Source | None:
    """Return where a program can load the workspace's input from, or None if it cannot.

    A sample or a file as it was opened (a large photo shrunk as the app shrank it) is loaded
    by the program itself; the source is trusted only if loading it gives the app's pixels.
    """
    from ..core import sample_names

    name, rgb = model.source_name, model.rgb
    if name in sample_names():
        candidates = [Source("sample", name)]
    elif Path(name).is_file():
        path = str(Path(name).resolve())
        candidates = [Source("file", path), Source("file", path, shrink_to=rgb.shape[:2])]
    else:
        return None
    for candidate in candidates:
        try:
            loaded = candidate.load_rgb()
        except (OSError, ValueError):
            return None
        if loaded.shape == rgb.shape and np.array_equal(loaded, rgb):
            return candidate
    return None


class CodePanel(QDockWidget):
    """The NumPy and the Keras code that reproduce the workspace's settings, copyable.

    The programs follow the workspace's conv family mode and load their own input: the sample
    or the file, or, for a drawn or edited image, the ``.npy`` that Save input writes.
    """

    def __init__(self, model: WorkspaceModel, parent: QWidget | None = None) -> None:
        super().__init__("Show code", parent)
        self.setObjectName("codePanel")
        self.model = model
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.tabs = QTabWidget()
        self.numpy_edit = QPlainTextEdit()
        self.keras_edit = QPlainTextEdit()
        for edit, label in ((self.numpy_edit, "NumPy"), (self.keras_edit, "Keras")):
            edit.setReadOnly(True)
            edit.setFont(mono)
            scale_font(edit, 1.0)  # the code grows with projection mode and zoom too
            edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            self.tabs.addTab(edit, label)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the code shown to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton("Save input…")
        self.save_button.setToolTip("Save the workspace's input as .npy for the programs to "
                                    "load (a drawn, cropped or resized image)")
        self.save_button.clicked.connect(self._on_save_input)
        self.note = QLabel()
        self.note.setWordWrap(True)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.addWidget(self.note)
        lay.addWidget(self.tabs, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.save_button)
        row.addWidget(self.copy_button)
        lay.addLayout(row)
        self.setWidget(body)
        self._stale = True  # generated when first shown or asked for
        # (the RGB array it was worked out for, its source): loading is checked once per image
        self._source: tuple[np.ndarray, Source | None] | None = None
        for signal in (model.kernelChanged, model.paramsChanged, model.sourceChanged):
            signal.connect(self.refresh)

    def refresh(self) -> None:
        """Regenerate both listings; while the panel is hidden, only note they are stale."""
        if not self.isVisible():
            self._stale = True
            return
        self._generate()

    def source(self) -> Source | None:
        """Where the programs load the input from; None: they expect a variable ``image``."""
        rgb = self.model.rgb
        if self._source is None or self._source[0] is not rgb:
            self._source = (rgb, program_source(self.model))
        return self._source[1]

    def _generate(self) -> None:
        self._stale = False
        m = self.model
        shape = tuple(int(v) for v in m.source.shape)
        source = self.source()
        done = ("it runs as pasted into Python or a notebook and leaves <code>image</code>, "
                "<code>kernel</code>, <code>conv</code> (and <code>pooled</code>), the "
                f"numbers the app shows in {m.params.family} mode.")
        if source is not None:
            try:
                texts = [program(kind, source=source, channel=m.channel,
                                 kernel=m.kernel.entries, use_weight=m.kernel.use_weight,
                                 params=m.params, input_shape=shape)
                         for kind in ("numpy", "keras")]
            except ValueError:  # a setting that cannot run: the listing below says why
                source = None
        if source is None:
            kernel = m.kernel.effective
            texts = [numpy_code(shape, kernel, m.params), keras_code(shape, kernel, m.params)]
            self.note.setText("This input was drawn or edited, so each program expects it in a "
                              "variable <code>image</code> (or press Save input… and the "
                              f"programs load it from the file); {done}")
        else:
            where = {"sample": "the sample", "file": "the file", "npy": "the saved input"}
            self.note.setText(f"Each program loads its own input ({where[source.kind]} "
                              f"{html.escape(Path(source.name).name)}); {done}")
        self.numpy_edit.setPlainText(texts[0])
        self.keras_edit.setPlainText(texts[1])

    def _on_save_input(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save input", "convstudio-input.npy",
                                              "NumPy array (*.npy)")
        if path:
            self.save_input(path)

    def save_input(self, path: str | Path) -> Path | None:
        """Save the input as ``.npy`` and show programs that load it; None if it failed."""
        rgb = self.model.rgb
        try:
            written = save_input(rgb, path)
        except (OSError, ValueError) as exc:
            self.note.setText(f"Could not save the input to {html.escape(str(path))}: "
                              f"{html.escape(str(exc))}. Choose another folder.")
            return None
        self._source = (rgb, Source("npy", str(Path(written).resolve())))
        self._generate()
        return Path(written)

    def showEvent(self, event: object) -> None:  # noqa: N802 (Qt override)
        """Catch up with edits made while hidden."""
        super().showEvent(event)  # type: ignore[arg-type]
        if self._stale:
            self._generate()

    def code(self, which: str = "numpy") -> str:
        """Return the current listing for ``which`` ("numpy" or "keras"), hidden or not."""
        if self._stale:
            self._generate()
        return (self.numpy_edit if which == "numpy" else self.keras_edit).toPlainText()

    def copy(self) -> None:
        """Copy the listing on the front tab."""
        edit = self.tabs.currentWidget()
        assert isinstance(edit, QPlainTextEdit)
        QGuiApplication.clipboard().setText(edit.toPlainText())


def shortcut_html() -> str:
    """Return the shortcut sheet as HTML."""
    parts = []
    for title, rows in SHORTCUTS:
        parts.append(f"<h3>{html.escape(title)}</h3><table cellpadding='4'>")
        parts += [f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>"
                  for k, v in rows]
        parts.append("</table>")
    return "".join(parts)


class ShortcutSheet(QDialog):
    """Every key ConvStudio answers to, on one page (F1 or ?)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.browser = QTextBrowser()
        self.browser.setHtml(shortcut_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser)
        lay.addWidget(buttons)
        self.resize(640, 620)


class PreferencesDialog(QDialog):
    """Theme, intensity colour map, projection mode and zoom; applied at once, kept."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        pres = presentation()
        self.theme = QComboBox()
        self.theme.addItems(list(THEMES))
        self.theme.setCurrentText(pres.theme)
        self.theme.setToolTip("Light for bright rooms and print; dark for dim rooms")
        self.cmap = QComboBox()
        self.cmap.addItems(list(INTENSITY_MAPS))
        self.cmap.setCurrentText(pres.intensity_map)
        self.cmap.setToolTip("Both are colour-blind safe and print well in grey; signed values "
                             "always use blue–white–red centred on zero")
        self.projection = QComboBox()
        self.projection.addItems(["off", "on"])
        self.projection.setCurrentIndex(int(pres.projection))
        self.projection.setToolTip("Large text, large kernel cells and thick highlights for "
                                   "a projector (F5)")
        form = QFormLayout(self)
        form.addRow("Theme", self.theme)
        form.addRow("Intensity colours", self.cmap)
        form.addRow("Projection mode", self.projection)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.theme.currentTextChanged.connect(pres.set_theme)
        self.cmap.currentTextChanged.connect(pres.set_intensity_map)
        self.projection.currentIndexChanged.connect(lambda i: pres.set_projection(bool(i)))


def versions() -> dict[str, str]:
    """Versions of what ConvStudio runs on; TensorFlow's from its metadata (no import)."""
    import importlib.metadata  # only when About is opened

    import numpy
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    out = {"Python": sys.version.split()[0], "Qt": qVersion(), "PySide6": pyside_version,
           "NumPy": numpy.__version__}
    for dist, label in (("pyqtgraph", "pyqtgraph"), ("tensorflow-cpu", "TensorFlow"),
                        ("tensorflow", "TensorFlow"), ("keras", "Keras")):
        if label in out:
            continue
        try:
            out[label] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    out.setdefault("TensorFlow", "not installed")
    return out


def desktop_file(name: str) -> Path:
    """Return a desktop-integration file installed with the package (icon, .desktop, MIME).

    They ship inside the package (``convstudio/desktop``, links to the top-level resources/
    folder in a checkout), so a wheel install finds them as an editable one does.
    """
    from importlib.resources import files

    return Path(str(files("convstudio") / "desktop" / name))


def icon_path() -> Path:
    """Return the application icon (SVG)."""
    return desktop_file("convstudio.svg")


def about_html() -> str:
    """Return the About box's HTML: version, purpose, and what it runs on (read when asked)."""
    from .. import __version__

    rows = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in versions().items())
    return (f"<b>ConvStudio {__version__}</b><p>See how convolutional neural networks "
            f"see.</p><table cellpadding='2'>{rows}</table><p>Works offline; nothing "
            "touches the network unless you press Download.</p>")


LAYOUT_KEYS = ("window/geometry", "window/state")


def save_layout(window: QMainWindow) -> None:
    """Remember ``window``'s size and place and its panels' (QSettings)."""
    from PySide6.QtCore import QSettings

    settings = QSettings()
    settings.setValue(LAYOUT_KEYS[0], window.saveGeometry())
    settings.setValue(LAYOUT_KEYS[1], window.saveState())


def restore_layout(window: QMainWindow) -> bool:
    """Put ``window`` and its panels back as they were when it last closed, if known."""
    from PySide6.QtCore import QByteArray, QSettings

    settings = QSettings()
    geometry, state = (settings.value(key) for key in LAYOUT_KEYS)
    if not isinstance(geometry, QByteArray) or not window.restoreGeometry(geometry):
        return False
    if isinstance(state, QByteArray):
        window.restoreState(state)
    return True
