"""The Workspace tab's image controls: samples, files, drops, region, crop, resize, channel.

A mixin of :class:`~convstudio.ui.workspace.tab.WorkspaceTab` (kept apart so that the tab stays
small); every change goes through the model, so each one is a step of its undo stack.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...core import ImageLoadError, limits, load_image, sample_image, sample_names
from ...core.images import sample_description
from ...core.limits import CHANNELS
from .model import MAX_RESIZE
from .user_files import clear_recent_files, read_kernel_file, recent_files, remember

if TYPE_CHECKING:
    import pyqtgraph as pg
    from PySide6.QtCore import SignalInstance

    from .model import WorkspaceModel
    from .views import ImagePanel

MAX_SIDE = limits.MAX_IMAGE_SIDE
DOWNSCALE_SIDE = 2048
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"


class SourceControls:
    """Image box and its handlers, for a QWidget with a model, an input panel and a ROI."""

    model: WorkspaceModel
    input_panel: ImagePanel
    roi: pg.RectROI
    error_label: QLabel
    messageRaised: SignalInstance  # noqa: N815 (the tab's Qt signal)
    show_message: Callable[[str], None]

    def _widget(self) -> QWidget:
        return cast("QWidget", self)

    def _build_image_box(self) -> QGroupBox:
        self.samples = QComboBox()
        for name in sample_names():
            self.samples.addItem(name, name)
            self.samples.setItemData(self.samples.count() - 1, sample_description(name),
                                     Qt.ItemDataRole.ToolTipRole)
        self.samples.setPlaceholderText("Sample…")  # shown while the image is not a sample
        self.samples.activated.connect(lambda i: self.load_sample(self.samples.itemData(i)))
        self.open_button = QPushButton("Open image…")
        self.open_button.clicked.connect(self.open_dialog)
        self.channel = QComboBox()
        self.channel.addItems(list(CHANNELS))
        self.channel.setToolTip("Luminance, one colour channel, or all three channels with a "
                                "kernel spanning them (their sums add up)")
        self.channel.currentTextChanged.connect(self._on_channel)
        image_box = QGroupBox("Image")
        il = QVBoxLayout(image_box)
        row = QHBoxLayout()
        row.addWidget(self.samples, 1)
        row.addWidget(self.open_button)
        il.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(QLabel("Channel"))
        row.addWidget(self.channel, 1)
        il.addLayout(row)
        self.select_button = QPushButton("Select region")
        self.select_button.setCheckable(True)
        self.select_button.setToolTip("Show a rectangle on the input; drag it and its corners")
        self.select_button.toggled.connect(self._on_select_toggled)
        self.crop_button = QPushButton("Crop")
        self.crop_button.setToolTip("Keep only the selected rectangle")
        self.crop_button.clicked.connect(self.crop_to_selection)
        self.restore_button = QPushButton("Restore")
        self.restore_button.setToolTip("Back to the image as it was opened")
        self.restore_button.clicked.connect(self.model.restore_original)
        row = QHBoxLayout()
        for b in (self.select_button, self.crop_button, self.restore_button):
            row.addWidget(b)
        il.addLayout(row)
        self.resize_w = QSpinBox()
        self.resize_h = QSpinBox()
        for spin, tip in ((self.resize_w, "New width"), (self.resize_h, "New height")):
            spin.setRange(1, MAX_RESIZE)
            spin.setToolTip(tip)
        self.resize_button = QPushButton("Resize")
        self.resize_button.clicked.connect(self.resize_source)
        row = QHBoxLayout()
        row.addWidget(QLabel("Size"))
        row.addWidget(self.resize_w, 1)
        row.addWidget(QLabel("×"))
        row.addWidget(self.resize_h, 1)
        row.addWidget(self.resize_button)
        il.addLayout(row)
        return image_box

    # --- source --------------------------------------------------------------------------
    def load_sample(self, name: str) -> None:
        """Use one of the offline sample images."""
        self.model.set_source(sample_image(name, mode="rgb"), name)
        self.messageRaised.emit(f"Sample image: {sample_description(name)}")

    def open_dialog(self) -> None:
        """Ask for an image file and open it."""
        path, _ = QFileDialog.getOpenFileName(self._widget(), "Open image", "", IMAGE_FILTER)
        if path:
            self.open_path(path)

    def confirm_downscale(self, w: int, h: int) -> bool:
        """Ask whether to shrink an image larger than MAX_SIDE (tests replace this)."""
        answer = QMessageBox.question(
            self._widget(), "Large image",
            f"This image is {w}×{h}; ConvStudio works on images up to {MAX_SIDE}×{MAX_SIDE}.\n"
            f"Shrink it so its longer side is {DOWNSCALE_SIDE} pixels?")
        return answer == QMessageBox.StandardButton.Yes

    def open_path(self, path: str | Path) -> bool:
        """Load an image file; on any failure keep the current image and say why."""
        try:
            image = load_image(path, mode="rgb")
        except ImageLoadError as exc:
            self.show_message(str(exc) + " The current image is unchanged.")
            return False
        h, w = image.shape[:2]
        if max(h, w) > MAX_SIDE:
            if not self.confirm_downscale(w, h):
                self.show_message(f"Kept the current image: {Path(path).name} is {w}×{h}, "
                                  f"larger than {MAX_SIDE}×{MAX_SIDE}.")
                return False
            import cv2

            f = DOWNSCALE_SIDE / max(h, w)
            image = cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))),
                               interpolation=cv2.INTER_AREA)
        self.model.set_source(image, str(path))
        remember(str(path))
        self.error_label.setText("")
        self.messageRaised.emit(f"Opened {path} ({image.shape[1]}×{image.shape[0]})")
        return True

    def open_kernel_dialog(self) -> None:
        """Ask for a kernel file (.npy array or whitespace-separated text)."""
        path, _ = QFileDialog.getOpenFileName(self._widget(), "Open kernel", "",
                                              "Kernel (*.npy *.txt *.csv)")
        if path:
            self.open_kernel(path)

    def open_kernel(self, path: str | Path) -> bool:
        """Load a 2-D kernel from .npy (no pickles) or text; a bad file changes nothing."""
        p = Path(path)
        try:
            entries = read_kernel_file(p)
            self.model.set_kernel(entries, use_weight=False, text=f"Open kernel {p.name}")
        except (OSError, ValueError) as exc:
            self.show_message(f"Cannot use {p.name} as a kernel: {exc}. The kernel is "
                              "unchanged.")
            return False
        self.error_label.setText("")
        self.messageRaised.emit(f"Opened kernel {p.name}")
        return True

    recent_files = staticmethod(recent_files)
    clear_recent_files = staticmethod(clear_recent_files)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        """Accept files dragged over the tab."""
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        """Open the first dropped file."""
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_path(urls[0].toLocalFile())
            event.acceptProposedAction()

    # --- region, crop and resize -----------------------------------------------------------
    def _on_select_toggled(self, on: bool) -> None:
        if on:
            h, w = self.model.source.shape[:2]
            side_h, side_w = max(1, min(h, 8 if h <= 64 else h // 4)), max(1, min(w, 8 if w <= 64
                                                                                   else w // 4))
            self.model.set_selection(((h - side_h) // 2, (w - side_w) // 2, side_h, side_w))
        else:
            self.model.set_selection(None)

    def _on_roi_moved(self) -> None:
        if not self.roi.isVisible():
            return
        pos, size = self.roi.pos(), self.roi.size()
        rect = (round(pos.y()), round(pos.x()), round(size.y()), round(size.x()))
        try:
            self.model.set_selection(rect)
        except ValueError:
            return  # dragged entirely off the image: keep the last rectangle

    def _on_selection_changed(self) -> None:
        sel = self.model.selection
        self.crop_button.setEnabled(sel is not None)
        self.select_button.blockSignals(True)
        self.select_button.setChecked(sel is not None)
        self.select_button.blockSignals(False)
        if sel is None:
            self.roi.setVisible(False)
            return
        top, left, height, width = sel
        h, w = self.model.source.shape[:2]
        self.roi.blockSignals(True)
        self.roi.maxBounds = QRectF(0, 0, w, h)
        self.roi.setPos((left, top), update=False)
        self.roi.setSize((width, height))
        self.roi.blockSignals(False)
        self.roi.setVisible(True)
        self.messageRaised.emit(f"Region {width}×{height} at x {left}, y {top}")

    def crop_to_selection(self) -> None:
        """Crop the source to the selected rectangle."""
        sel = self.model.selection
        if sel is None:
            self.show_message("Select a region first (Select region, then drag the rectangle).")
            return
        self.model.crop(sel)
        self.messageRaised.emit(f"Cropped to {sel[3]}×{sel[2]}; Restore brings back the image.")

    def resize_source(self) -> None:
        """Resample the source to the size in the two spin boxes."""
        try:
            self.model.resize(self.resize_h.value(), self.resize_w.value())
        except ValueError as exc:
            self.show_message(f"Cannot resize: {exc}.")

    def _on_channel(self, channel: str) -> None:
        self.model.set_channel(channel)

    def _on_source_changed(self) -> None:
        m = self.model
        shown = m.rgb if m.channel == "all" else m.source
        previous = self.input_panel.data
        self.input_panel.show_array(shown, "clipped")
        if previous is not None and previous.shape[:2] != shown.shape[:2]:
            self.input_panel.fit()
        self.channel.blockSignals(True)
        self.channel.setCurrentText(m.channel)
        self.channel.blockSignals(False)
        h, w = m.source.shape[:2]
        for spin, v in ((self.resize_w, w), (self.resize_h, h)):
            spin.blockSignals(True)
            spin.setValue(v)
            spin.blockSignals(False)
        self.restore_button.setEnabled(m.modified)
        # The sample box names the image on screen (a lesson or Undo changes it too), or
        # nothing for a file or a drawing.
        self.samples.blockSignals(True)
        self.samples.setCurrentIndex(self.samples.findData(m.source_name.split(" [")[0]))
        self.samples.blockSignals(False)
        self._on_selection_changed()

