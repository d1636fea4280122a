"""The Workspace tab: image source, kernel editor, parameters, and live output views."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...core import (
    ImageLoadError,
    limits,
    load_image,
    sample_image,
    sample_names,
)
from ...core.images import sample_description
from ...core.limits import CHANNELS
from ...core.pipeline import PipelineResult, connections
from ..explain import explain
from ..side_panel import SidePanel
from ..theme import scale_font
from .export import export_output
from .keras_compare import FLOAT32_AGREEMENT, KerasComparison
from .kernel_editor import KernelEditor
from .model import MAX_RESIZE, WorkspaceModel
from .params_panel import ParamsPanel
from .user_files import clear_recent_files, read_kernel_file, recent_files, remember
from .views import ImagePanel, PanelGroup, size_formulas, window_geometry

MAX_SIDE = limits.MAX_IMAGE_SIDE
DOWNSCALE_SIDE = 2048
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"


class WorkspaceTab(QWidget):
    """Everything on the Workspace tab; the model is shared with the rest of the window."""

    messageRaised = Signal(str)

    def __init__(self, model: WorkspaceModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setAcceptDrops(True)

        self.samples = QComboBox()
        for name in sample_names():
            self.samples.addItem(name, name)
            self.samples.setItemData(self.samples.count() - 1, sample_description(name),
                                     Qt.ItemDataRole.ToolTipRole)
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

        self.kernel_editor = KernelEditor(model)
        self.kernel_editor.messageRaised.connect(self.show_message)
        kernel_box = QGroupBox("Kernel")
        QVBoxLayout(kernel_box).addWidget(self.kernel_editor)
        self.params_panel = ParamsPanel(model)
        self.params_panel.messageRaised.connect(self.show_message)
        params_box = QGroupBox("Parameters")
        QVBoxLayout(params_box).addWidget(self.params_panel)

        self.compare_button = QPushButton("Compare with Keras")
        self.compare_button.setToolTip("Build a keras.layers.Conv2D with exactly these weights "
                                       "and compare its output with ours")
        self.compare_button.clicked.connect(self.compare_with_keras)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setVisible(False)
        self.compare_label = QLabel("")
        self.compare_label.setWordWrap(True)
        self.export_button = QPushButton("Export output…")
        self.export_button.clicked.connect(self.export_dialog)
        tools = QGroupBox("Check and export")
        tl = QVBoxLayout(tools)
        tl.addWidget(self.compare_button)
        tl.addWidget(self.busy)
        tl.addWidget(self.compare_label)
        tl.addWidget(self.export_button)

        controls = QWidget()
        cl = QVBoxLayout(controls)
        for box in (image_box, kernel_box, params_box, tools):
            cl.addWidget(box)
        cl.addStretch(1)
        # Folds away in projection mode (drawer.py); never scrolls sideways (side_panel.py).
        scroll = self.side_panel = SidePanel(controls, 380)

        self.banner = QLabel()
        self.banner.setObjectName("banner")
        scale_font(self.banner, 15 / 11, bold=True)
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.connections = QLabel()
        self.connections.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setObjectName("error")
        self.error_label.setStyleSheet("color: #b2182b; font-weight: bold;")
        self.error_label.setWordWrap(True)
        self.input_panel = ImagePanel("Input")
        self.output_panel = ImagePanel("Convolution output")
        self.pooled_panel = ImagePanel("Pooled")
        self.roi = pg.RectROI([0, 0], [8, 8], pen=pg.mkPen("#ffb000", width=3),
                              translateSnap=True, scaleSnap=True, snapSize=1.0)
        self.roi.setZValue(10)
        self.roi.setVisible(False)
        self.input_panel.view.addItem(self.roi)
        self.roi.sigRegionChanged.connect(self._on_roi_moved)
        panels = QSplitter(Qt.Orientation.Horizontal)
        for i, panel in enumerate((self.input_panel, self.output_panel, self.pooled_panel)):
            panels.addWidget(panel)
            panels.setStretchFactor(i, 1)
        # One scale for the three: true relative sizes, widths in proportion (views.py).
        self._shown_shapes: tuple[object, object] = (None, None)
        self.panel_group = PanelGroup([self.input_panel, self.output_panel, self.pooled_panel],
                                      panels)
        right = self.main_visual = QWidget()  # the picture (screen_fit, drawer)
        rl = QVBoxLayout(right)
        rl.addWidget(self.banner)
        rl.addWidget(self.connections)
        rl.addWidget(self.error_label)
        rl.addWidget(panels, 1)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(scroll)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([400, 1200])
        QHBoxLayout(self).addWidget(split)
        self.explain_buttons = {
            "input": explain(self.input_panel, "workspace.input", beside=self.input_panel.title),
            "kernel": explain(kernel_box, "workspace.kernel"),
            "params": explain(params_box, "workspace.params", example=self.size_example),
            "output": explain(self.output_panel, "workspace.output",
                              beside=self.output_panel.title, example=self.size_example),
            "pooled": explain(self.pooled_panel, "workspace.pooled",
                              beside=self.pooled_panel.title),
        }

        self.keras = KerasComparison(self)
        self.last_keras_difference: float | None = None
        self._compared: PipelineResult | None = None  # the result the comparison is about
        self.keras.finished.connect(self._on_keras_finished)
        model.sourceChanged.connect(self._on_source_changed)
        model.selectionChanged.connect(self._on_selection_changed)
        model.resultChanged.connect(self._on_result)
        model.displayChanged.connect(self._on_display_changed)
        model.errorChanged.connect(self._on_error)
        self._on_source_changed()
        if model.result is not None:
            self._on_result(model.result)

    def size_example(self) -> str:
        """Return the output-size formula worked out for the image and settings on screen."""
        return "" if self.model.result is None else size_formulas(self.model.result)

    # --- messages ------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        """Show a message under the banner and in the status bar."""
        self.error_label.setText(text)
        self.messageRaised.emit(text)

    def _on_error(self, text: str) -> None:
        if text:
            self.show_message(f"Cannot compute: {text}. Showing the last valid result.")
        else:
            self.error_label.setText("")

    # --- source --------------------------------------------------------------------------
    def load_sample(self, name: str) -> None:
        """Use one of the offline sample images."""
        self.model.set_source(sample_image(name, mode="rgb"), name)
        self.messageRaised.emit(f"Sample image: {sample_description(name)}")

    def open_dialog(self) -> None:
        """Ask for an image file and open it."""
        path, _ = QFileDialog.getOpenFileName(self, "Open image", "", IMAGE_FILTER)
        if path:
            self.open_path(path)

    def confirm_downscale(self, w: int, h: int) -> bool:
        """Ask whether to shrink an image larger than MAX_SIDE (tests replace this)."""
        answer = QMessageBox.question(
            self, "Large image",
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
        path, _ = QFileDialog.getOpenFileName(self, "Open kernel", "",
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
        self._on_selection_changed()

    # --- results -------------------------------------------------------------------------
    def _on_result(self, result: PipelineResult) -> None:
        # A verdict or a message about an earlier state must not stay beside a new one.
        if result is not self._compared and not self.keras.running:
            self.compare_label.setText("")
        if not self.model.error:
            self.error_label.setText("")
        self.banner.setText(result.banner)
        self.connections.setText(connections(result.input_hw, result.kernel_hw,
                                             result.channels))
        self._show_outputs(result)

    def _on_display_changed(self) -> None:
        if self.model.result is not None:
            self._show_outputs(self.model.result)

    def _show_outputs(self, result: PipelineResult) -> None:
        mode = self.model.display_mode
        origin, step = window_geometry(result)
        out, pooled = self.output_panel, self.pooled_panel
        out.show_array(result.conv, mode, origin=origin, step=step)
        pooled.setVisible(result.pooled is not None)
        # One colour bar per scale: the pooled values are the conv output's (a maximum or a
        # mean of them), so both use its levels and the bar stands once, beside the pooled.
        out.colorbar.setVisible(result.pooled is None and result.conv.ndim == 2)
        if result.pooled is not None:
            p = result.params
            ps = p.pool_stride or p.pool_size
            pstep = (step[0] * ps[1], step[1] * ps[0])
            # A pool window's first cell starts where its first conv pixel starts.
            pooled.show_array(result.pooled, mode, origin=origin, step=pstep,
                              levels=out.colorbar.levels())
            pooled.set_title(f"{p.pool.capitalize()}-pooled")
        shapes = (result.conv.shape, None if result.pooled is None else result.pooled.shape)
        if shapes != self._shown_shapes:
            self._shown_shapes = shapes
            self.panel_group.fit()  # new widths, one new scale
        else:
            self.panel_group.refit_soon()

    # --- Keras comparison ------------------------------------------------------------------
    def compare_with_keras(self) -> None:
        """Run the current settings through keras.layers.Conv2D in the background."""
        if self.keras.running:
            return
        self.compare_button.setEnabled(False)
        self.busy.setVisible(True)
        self.compare_label.setText("Loading TensorFlow and building Conv2D…")
        m = self.model
        self._compared = m.result if m.idle else None
        self.keras.start(m.source, m.effective_kernel, m.params)

    def _on_keras_finished(self, outcome: object) -> None:
        self.compare_button.setEnabled(True)
        self.busy.setVisible(False)
        result = self.model.result
        if isinstance(outcome, BaseException):
            self.compare_label.setText("")
            self._compared = None
            self.show_message(f"Keras comparison failed: {outcome}")
            return
        assert isinstance(outcome, np.ndarray)
        if (result is None or result is not self._compared or not self.model.idle
                or result.conv.shape != outcome.shape):
            self._compared = None
            self.compare_label.setText("The settings changed while Keras ran; compare again.")
            return
        if self.error_label.text().startswith("Keras comparison failed"):
            self.error_label.setText("")
        diff = float(np.abs(result.conv - outcome).max())
        scale = max(1.0, float(np.abs(outcome).max()))
        self.last_keras_difference = diff
        same = diff <= FLOAT32_AGREEMENT * scale
        self.compare_label.setText(
            f"Keras Conv2D output {outcome.shape[0]}×{outcome.shape[1]}: max |ours − Keras| = "
            f"{diff:.3g} ({diff / scale:.2g} of the largest value) — "
            + ("the same numbers, up to float32 rounding." if same else
               "they differ by more than float32 rounding explains."))

    # --- export --------------------------------------------------------------------------
    def export_dialog(self) -> None:
        """Ask where to save the convolution output (PNG as shown, or .npy values)."""
        if self.model.result is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export output", "output.png",
                                              "PNG image (*.png);;NumPy array (*.npy)")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> Path | None:
        """Write the convolution output to ``path``; report failures in the window."""
        result = self.model.result
        if result is None:
            return None
        try:
            written = export_output(path, result.conv, self.model.display_mode)
        except OSError as exc:
            self.show_message(f"Could not save {path}: {exc.strerror or exc}")
            return None
        self.messageRaised.emit(f"Saved {written}")
        return written

    def shutdown(self) -> None:
        """Stop background work before the window closes."""
        self.keras.wait()
        self.model.shutdown()
