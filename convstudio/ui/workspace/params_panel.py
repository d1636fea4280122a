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
from ..numbers import WholeBox
from .model import WorkspaceModel

PADDINGS = ("valid", "same", "full", "custom")
TIPS = {
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
                     self.dil_w, self.pool_h, self.pool_w, self.pst_h, self.pst_w):
            spin.valueChanged.connect(self._push)
            spin.valueRefused.connect(self.messageRaised)
        for combo in (self.padding, self.activation, self.pool):
            combo.currentTextChanged.connect(self._push)
        self.pool_stride_same.toggled.connect(self._push)
        self.display.currentTextChanged.connect(model.set_display_mode)
        model.paramsChanged.connect(self._refresh)
        model.displayChanged.connect(self._refresh)
        self._refresh()

    def _push(self) -> None:
        if self._updating:
            return
        mode = self.padding.currentText()
        padding = (self.pad_h.value(), self.pad_w.value()) if mode == "custom" else mode
        same = self.pool_stride_same.isChecked()
        self.model.set_params(
            stride=(self.stride_h.value(), self.stride_w.value()),
            padding=padding,
            dilation=(self.dil_h.value(), self.dil_w.value()),
            activation=self.activation.currentText(),
            pool=self.pool.currentText(),
            pool_size=(self.pool_h.value(), self.pool_w.value()),
            pool_stride=None if same else (self.pst_h.value(), self.pst_w.value()),
        )

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
        finally:
            self._updating = False
