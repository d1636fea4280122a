"""Stride, padding, dilation, activation, pooling and display controls."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QWidget,
)

from ...core import limits
from ...core.limits import DISPLAY_MODES
from ...core.pipeline import FAMILIES
from ..numbers import WholeBox
from .model import WorkspaceModel

PADDINGS = ("valid", "same", "full", "custom")
TIPS = {
    "family": "standard: Conv2D. transposed: Conv2DTranspose, each input pixel scatters the "
              "kernel into a larger output. depthwise: DepthwiseConv2D, each channel filtered "
              "on its own. separable: depthwise, then a 1×1 pointwise conv.",
    "output_padding": "Transposed only: extra rows/columns at the bottom/right of the output, "
                      "smaller than the stride. Keras' default: the size a stride-s conv "
                      "would map back to the input's.",
    "depth_multiplier": "Depthwise and separable: kernels per input channel (M); the "
                        "depthwise output has C·M maps.",
    "map": "Which of the depthwise output's C·M maps the output panel shows.",
    "stride": "How far the window jumps between outputs (rows, columns). Stride 2 halves a side.",
    "padding": "valid: no padding, the output shrinks. same: zeros around the input so stride "
               "1 keeps the size (TensorFlow's rule). full: every overlap. custom: your own.",
    "dilation": "Spacing between kernel taps: a 3×3 kernel with dilation 2 spans 5×5.",
    "activation": "ReLU sets negative outputs to 0, as most CNN layers do.",
    "pool": "Max keeps each block's largest value; average keeps its mean.",
    "display": "signed: blue below 0, red above. absolute: |value|. clipped: 0..255 in grey, "
               "as the lessons display results.",
}


def _pair(label: str, lo: int, hi: int, value: int,
          tip: str) -> tuple[QWidget, WholeBox, WholeBox]:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    spins = []
    for side in ("rows", "columns"):
        s = WholeBox(f"{label} ({side})", lo, hi)
        s.setValue(value)
        s.setToolTip(tip)
        spins.append(s)
    layout.addWidget(spins[0])
    layout.addWidget(QLabel(","))
    layout.addWidget(spins[1])
    layout.addStretch(1)
    return box, spins[0], spins[1]


class ParamsPanel(QWidget):
    """Edits the model's pipeline parameters and display mode."""

    messageRaised = Signal(str)

    def __init__(self, model: WorkspaceModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._updating = False
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.form = form
        self.family = QComboBox()
        self.family.addItems(list(FAMILIES))
        self.family.setToolTip(TIPS["family"])
        form.addRow("Conv family", self.family)
        box, self.stride_h, self.stride_w = _pair("Stride", *limits.STRIDE, 1, TIPS["stride"])
        form.addRow("Stride (h, w)", box)
        self.padding = QComboBox()
        self.padding.addItems(PADDINGS)
        self.padding.setToolTip(TIPS["padding"])
        form.addRow("Padding", self.padding)
        self.custom_box, self.pad_h, self.pad_w = _pair("Padding", *limits.PADDING, 1,
                                                        "Zeros added on each side")
        form.addRow("Custom padding", self.custom_box)
        box, self.dil_h, self.dil_w = _pair("Dilation", *limits.DILATION, 1, TIPS["dilation"])
        form.addRow("Dilation (h, w)", box)
        self.op_default = QCheckBox("Keras' default")
        self.op_default.setChecked(True)
        self.op_default.setToolTip(TIPS["output_padding"])
        self.op_box, self.op_h, self.op_w = _pair("Output padding", *limits.OUTPUT_PADDING, 0,
                                                  TIPS["output_padding"])
        self.op_row = QWidget()
        rl = QHBoxLayout(self.op_row)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.op_default)
        rl.addWidget(self.op_box)
        form.addRow("Output padding", self.op_row)
        self.depth_multiplier = WholeBox("Depth multiplier", *limits.DEPTH_MULTIPLIER)
        self.depth_multiplier.setToolTip(TIPS["depth_multiplier"])
        form.addRow("Depth multiplier", self.depth_multiplier)
        self.output_map = WholeBox("Map shown", 1, 1)
        self.output_map.setToolTip(TIPS["map"])
        form.addRow("Map shown", self.output_map)
        self.activation = QComboBox()
        self.activation.addItems(["none", "relu"])
        self.activation.setToolTip(TIPS["activation"])
        form.addRow("Activation", self.activation)
        self.pool = QComboBox()
        self.pool.addItems(["none", "max", "avg"])
        self.pool.setToolTip(TIPS["pool"])
        form.addRow("Pooling", self.pool)
        box, self.pool_h, self.pool_w = _pair("Pool size", *limits.POOL_SIZE, 2,
                                              "Pooling window size")
        form.addRow("Pool size", box)
        self.pool_stride_same = QCheckBox("= pool size")
        self.pool_stride_same.setChecked(True)
        self.pool_stride_box, self.pst_h, self.pst_w = _pair("Pool stride", *limits.POOL_STRIDE, 2,
                                                             "Pooling stride")
        row = QWidget()
        rl = QHBoxLayout(row)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.pool_stride_same)
        rl.addWidget(self.pool_stride_box)
        form.addRow("Pool stride", row)
        self.display = QComboBox()
        self.display.addItems(list(DISPLAY_MODES))
        self.display.setToolTip(TIPS["display"])
        form.addRow("Display", self.display)

        for spin in (self.stride_h, self.stride_w, self.pad_h, self.pad_w, self.dil_h,
                     self.dil_w, self.pool_h, self.pool_w, self.pst_h, self.pst_w, self.op_h,
                     self.op_w, self.depth_multiplier):
            spin.valueChanged.connect(self._push)
            spin.valueRefused.connect(self.messageRaised)
        for combo in (self.padding, self.activation, self.pool, self.family):
            combo.currentTextChanged.connect(self._push)
        self.pool_stride_same.toggled.connect(self._push)
        self.op_default.toggled.connect(self._push)
        self.display.currentTextChanged.connect(model.set_display_mode)
        self.output_map.valueChanged.connect(self._on_map)
        self.output_map.valueRefused.connect(self.messageRaised)
        model.paramsChanged.connect(self._refresh)
        model.displayChanged.connect(self._refresh)
        model.sourceChanged.connect(self._refresh)
        self._refresh()

    def _push(self) -> None:
        if self._updating:
            return
        mode = self.padding.currentText()
        padding = (self.pad_h.value(), self.pad_w.value()) if mode == "custom" else mode
        same = self.pool_stride_same.isChecked()
        changes = dict(
            family=self.family.currentText(),
            output_padding=None if self.op_default.isChecked() else (self.op_h.value(),
                                                                      self.op_w.value()),
            depth_multiplier=self.depth_multiplier.value(),
            stride=(self.stride_h.value(), self.stride_w.value()),
            padding=padding,
            dilation=(self.dil_h.value(), self.dil_w.value()),
            activation=self.activation.currentText(),
            pool=self.pool.currentText(),
            pool_size=(self.pool_h.value(), self.pool_w.value()),
            pool_stride=None if same else (self.pst_h.value(), self.pst_w.value()),
        )
        try:
            self.model.set_params(**changes)
        except ValueError as exc:  # e.g. output padding not below the stride: keep the state
            self.messageRaised.emit(f"Not changed: {exc}.")
            self._refresh()

    def _on_map(self, shown: int) -> None:
        if not self._updating and shown <= self.model.output_maps:
            self.model.set_output_map(shown - 1)

    def _refresh(self) -> None:
        p = self.model.params
        self._updating = True
        try:
            self.stride_h.setValue(p.stride[0])
            self.stride_w.setValue(p.stride[1])
            custom = not isinstance(p.padding, str)
            self.padding.setCurrentText("custom" if custom else str(p.padding))
            if not isinstance(p.padding, str):
                ph, pw = (p.padding, p.padding) if isinstance(p.padding, int) else p.padding
                self.pad_h.setValue(ph)
                self.pad_w.setValue(pw)
            self.custom_box.setEnabled(custom)
            self.dil_h.setValue(p.dilation[0])
            self.dil_w.setValue(p.dilation[1])
            self.activation.setCurrentText(p.activation)
            self.pool.setCurrentText(p.pool)
            self.pool_h.setValue(p.pool_size[0])
            self.pool_w.setValue(p.pool_size[1])
            self.pool_stride_same.setChecked(p.pool_stride is None)
            if p.pool_stride is not None:
                self.pst_h.setValue(p.pool_stride[0])
                self.pst_w.setValue(p.pool_stride[1])
            self.pool_stride_box.setEnabled(p.pool_stride is not None)
            self.display.setCurrentText(self.model.display_mode)
            self.family.setCurrentText(p.family)
            self.op_default.setChecked(p.output_padding is None)
            if p.output_padding is not None:
                self.op_h.setValue(p.output_padding[0])
                self.op_w.setValue(p.output_padding[1])
            self.op_box.setEnabled(p.output_padding is not None)
            self.depth_multiplier.setValue(p.depth_multiplier)
            maps = self.model.output_maps
            self.output_map.setRange(1, maps)
            self.output_map.setValue(self.model.output_map + 1)
            # Each mode shows only its own fields (output padding: transposed only).
            self.form.setRowVisible(self.op_row, p.family == "transposed")
            self.form.setRowVisible(self.depth_multiplier, p.family in ("depthwise",
                                                                        "separable"))
            self.form.setRowVisible(self.output_map, maps > 1)
        finally:
            self._updating = False
