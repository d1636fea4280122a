"""The Workspace tab: image source, kernel editor, parameters, and live output views."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...core.pipeline import PipelineResult, connections
from ...core.pipeline_family import cost_text
from ..explain import explain
from ..side_panel import SidePanel
from ..theme import presentation, scale_font
from .export import export_output
from .keras_compare import FLOAT32_AGREEMENT, KERAS_LAYERS, KerasComparison
from .kernel_editor import KernelEditor
from .model import WorkspaceModel
from .params_panel import ParamsPanel
from .source_controls import SourceControls
from .undo_keys import route_undo_keys
from .views import ImagePanel, PanelGroup, output_title, size_formulas, window_geometry


class WorkspaceTab(SourceControls, QWidget):
    """Everything on the Workspace tab; the model is shared with the rest of the window."""

    messageRaised = Signal(str)

    def __init__(self, model: WorkspaceModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setAcceptDrops(True)

        image_box = self._build_image_box()


        self.kernel_editor = KernelEditor(model)
        self.kernel_editor.messageRaised.connect(self.show_message)
        kernel_box = QGroupBox("Kernel")
        QVBoxLayout(kernel_box).addWidget(self.kernel_editor)
        self.params_panel = ParamsPanel(model)
        self.params_panel.messageRaised.connect(self.show_message)
        params_box = QGroupBox("Parameters")
        QVBoxLayout(params_box).addWidget(self.params_panel)

        self.compare_button = QPushButton("Compare with Keras")
        self.compare_button.setToolTip("Build the mode's Keras layer (Conv2D, Conv2DTranspose, "
                                       "DepthwiseConv2D or SeparableConv2D) with exactly these "
                                       "weights and compare its output with ours")
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
        # The layer's parameters and multiply-adds in the current mode, beside its output.
        self.cost = QLabel()
        self.cost.setObjectName("cost")
        self.cost.setWordWrap(True)
        self.cost.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
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
        rl.addWidget(self.cost)
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

        route_undo_keys(controls)  # Ctrl+Z in a number box undoes the workspace
        self.keras = KerasComparison(self)
        self.last_keras_difference: float | None = None
        self._compared: PipelineResult | None = None  # the result the comparison is about
        self.keras.finished.connect(self._on_keras_finished)
        model.sourceChanged.connect(self._on_source_changed)
        model.selectionChanged.connect(self._on_selection_changed)
        model.resultChanged.connect(self._on_result)
        model.displayChanged.connect(self._on_display_changed)
        model.errorChanged.connect(self._on_error)
        presentation().changed.connect(self._show_cost)
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

    # --- results -------------------------------------------------------------------------
    def _on_result(self, result: PipelineResult) -> None:
        # A verdict or a message about an earlier state must not stay beside a new one.
        if result is not self._compared and not self.keras.running:
            self.compare_label.setText("")
        if not self.model.error:
            self.error_label.setText("")
        self.banner.setText(result.banner)
        # A family mode says what it does with the one kernel; standard, what a pixel sees.
        self.connections.setText(result.note or connections(result.input_hw, result.kernel_hw,
                                                            result.channels))
        self._show_cost()
        self._show_outputs(result)

    def _show_cost(self) -> None:
        # Projected, the totals; the products they come from stay in the tooltip.
        result = self.model.result
        cost = None if result is None else result.cost
        self.cost.setText("" if cost is None else
                          cost_text(cost, short=presentation().projection))
        self.cost.setToolTip("" if cost is None else cost_text(cost))

    def _on_display_changed(self) -> None:
        if self.model.result is not None:
            self._show_outputs(self.model.result)

    def _show_outputs(self, result: PipelineResult) -> None:
        mode = self.model.display_mode
        origin, step = window_geometry(result)
        out, pooled = self.output_panel, self.pooled_panel
        conv, pool = result.conv, result.pooled
        if conv.ndim == 3:  # a depthwise output: one of its C·M maps
            k = min(self.model.output_map, conv.shape[2] - 1)
            conv = conv[:, :, k]
            pool = None if pool is None else pool[:, :, k]
        out.show_array(conv, mode, origin=origin, step=step)
        out.set_title(output_title(result, self.model.output_map))
        pooled.setVisible(pool is not None)
        # One colour bar per scale: the pooled values are the conv output's (a maximum or a
        # mean of them), so both use its levels and the bar stands once, beside the pooled.
        out.colorbar.setVisible(pool is None)
        if pool is not None:
            p = result.params
            ps = p.pool_stride or p.pool_size
            pstep = (step[0] * ps[1], step[1] * ps[0])
            # A pool window's first cell starts where its first conv pixel starts.
            pooled.show_array(pool, mode, origin=origin, step=pstep,
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
            f"Keras {KERAS_LAYERS[result.params.family]} output {outcome.shape[0]}×"
            f"{outcome.shape[1]}: max |ours − Keras| = "
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
