"""The main window: three tabs, menus and a status bar."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

from .. import __version__

_PLANNED = {
    "animator": (
        "Animator",
        "Step through one convolution: the 3×3 window slides over the input, the nine "
        "products and their sum appear, the output pixel is written; then the 2×2 pool window "
        "picks its maximum. Step forward and back, scrub, play at any speed, from the keyboard "
        "or a presenter clicker.\n\nComing soon.",
    ),
    "training": (
        "Training",
        "Train a small Keras CNN (Conv2D → MaxPooling2D → … → Dense) on Fashion-MNIST or "
        "another dataset, and watch the loss and accuracy curves, the first layer's filters and "
        "the feature maps of a chosen image change live.\n\nComing soon.",
    ),
}


def _placeholder(title: str, text: str) -> QWidget:
    label = QLabel(f"<h2>{title}</h2><p>{text.replace(chr(10), '<br>')}</p>")
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setMargin(80)
    return label


class MainWindow(QMainWindow):
    """ConvStudio's single window."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("ConvStudio")
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self._tab_index: dict[str, int] = {}
        self._add_tab("workspace", _placeholder("Workspace", "Coming soon."), "&Workspace")
        for key, (title, text) in _PLANNED.items():
            self._add_tab(key, _placeholder(title, text), f"&{title}")
        self.setCentralWidget(self.tabs)
        self._build_menus()
        self.statusBar().showMessage("Ready")

    def _add_tab(self, key: str, widget: QWidget, label: str) -> None:
        self._tab_index[key] = self.tabs.addTab(widget, label)

    def show_tab(self, key: str) -> None:
        """Bring tab ``key`` (workspace, animator or training) to the front."""
        self.tabs.setCurrentIndex(self._tab_index[key])

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = bar.addMenu("&View")
        for n, key in enumerate(self._tab_index, start=1):
            action = QAction(self.tabs.tabText(self._tab_index[key]).replace("&", ""), self)
            action.setShortcut(QKeySequence(f"Ctrl+{n}"))
            action.triggered.connect(lambda _=False, k=key: self.show_tab(k))
            view_menu.addAction(action)
        help_menu = bar.addMenu("&Help")
        about = QAction("&About ConvStudio", self)
        about.triggered.connect(self._on_about)
        help_menu.addAction(about)

    def _on_about(self) -> None:
        QMessageBox.about(
            self,
            "About ConvStudio",
            f"<b>ConvStudio {__version__}</b><p>See how convolutional neural networks see.</p>",
        )
