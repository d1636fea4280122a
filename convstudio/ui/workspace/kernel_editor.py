"""Kernel editor: a grid of cells, presets, weight, bias and the kernel's undo history."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core import get_preset, limits, preset_names
from ..numbers import DecimalBox, WholeBox
from ..theme import presentation, scale_font, signed_tint
from .model import WorkspaceModel

CELL_PX = 52
MAX_WEIGHT = limits.MAX_KERNEL_ENTRY


def parse_cell(text: str) -> float:
    """Parse a cell: a number or a fraction such as ``1/9``; raise ValueError otherwise."""
    cleaned = text.strip().replace("−", "-").replace(",", ".")
    if not cleaned:
        raise ValueError("a kernel cell cannot be empty; type a number such as 0, -1 or 1/9")
    too_large = f"{text!r} is too large; weights must lie between -1e6 and 1e6"
    if len(cleaned) > 32:
        raise ValueError(too_large if cleaned.lstrip("+-").replace(".", "").isdigit()
                         else f"{text!r} is not a number; type a number such as 2 or 1/9")
    try:
        value = float(Fraction(cleaned))
    except (ValueError, ZeroDivisionError):
        raise ValueError(
            f"{text!r} is not a number; type a number such as 2, -0.5 or 1/9"
        ) from None
    except OverflowError:
        raise ValueError(too_large) from None
    if not math.isfinite(value) or abs(value) > MAX_WEIGHT:
        raise ValueError(too_large)
    return value


def format_weight(w: float) -> str:
    """Show a weight as the lessons do: 1/9 rather than 0.111…, when it is a unit fraction."""
    if w == 1.0:
        return "1"
    inv = 1.0 / w if w else 0.0
    if inv and abs(inv - round(inv)) < 1e-9:
        return f"1/{round(inv)}"
    return f"{w:.4g}"


def resize_centred(entries: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Grow with zeros or crop, keeping the kernel's centre in the centre."""
    out = np.zeros((rows, cols), dtype=np.float32)
    kh, kw = entries.shape
    h, w = min(rows, kh), min(cols, kw)
    sr, sc = (kh - h) // 2, (kw - w) // 2
    dr, dc = (rows - h) // 2, (cols - w) // 2
    out[dr:dr + h, dc:dc + w] = entries[sr:sr + h, sc:sc + w]
    return out


class KernelEditor(QWidget):
    """Edits the model's kernel; every change is one undoable step."""

    messageRaised = Signal(str)

    def __init__(self, model: WorkspaceModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._updating = False
        self._rng = np.random.default_rng()

        self.table = QTableWidget()
        # As in a spreadsheet: a click selects a cell, typing replaces its value, a double
        # click or F2 edits it in place. An editor opened on every click put the next click's
        # cursor inside the old text ("1" typed before "0" gave 10), and arrow keys then moved
        # that cursor instead of the selection.
        triggers = QAbstractItemView.EditTrigger
        self.table.setEditTriggers(triggers.DoubleClicked | triggers.EditKeyPressed
                                   | triggers.AnyKeyPressed)
        self.table.horizontalHeader().hide()
        self.table.verticalHeader().hide()
        for header in (self.table.horizontalHeader(), self.table.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            header.setDefaultSectionSize(CELL_PX)
        scale_font(self.table, 14 / 11)
        presentation().changed.connect(self._refresh)
        self.table.itemChanged.connect(self._on_item_changed)

        self.rows = WholeBox("Kernel rows", *limits.KERNEL_SIDE)
        self.cols = WholeBox("Kernel columns", *limits.KERNEL_SIDE)
        for spin in (self.rows, self.cols):
            spin.valueChanged.connect(self._on_size_changed)
            spin.valueRefused.connect(self.messageRaised)
        self.rows.setToolTip("Kernel height (rows)")
        self.cols.setToolTip("Kernel width (columns)")

        self.presets = QComboBox()
        self.presets.addItem("Presets…", "")
        for name in preset_names():
            preset = get_preset(name)
            self.presets.addItem(preset.label, name)
            self.presets.setItemData(self.presets.count() - 1, preset.description,
                                     Qt.ItemDataRole.ToolTipRole)
        self.presets.activated.connect(self._on_preset)

        self.use_weight = QCheckBox()
        self.use_weight.setToolTip("Multiply the entries so they sum to 1 (unless they sum to 0)")
        self.use_weight.toggled.connect(self._on_weight_toggled)
        self.bias = DecimalBox("Bias", *limits.BIAS, decimals=limits.BIAS_DECIMALS, step=1.0)
        self.bias.setToolTip("Added to every output pixel after the sum")
        self.bias.valueRefused.connect(self.messageRaised)
        self.bias.valueChanged.connect(lambda v: self.model.set_params(bias=float(v)))

        buttons = {
            "Randomise": self._on_randomise,
            "Transpose": self._on_transpose,
            "Flip 180°": self._on_flip,
            "Copy as list": self.copy_as_list,
        }
        self.buttons: dict[str, QPushButton] = {}
        row = QGridLayout()
        for i, (text, slot) in enumerate(buttons.items()):
            b = QPushButton(text)
            b.clicked.connect(slot)
            self.buttons[text] = b
            row.addWidget(b, i // 2, i % 2)
        self.buttons["Flip 180°"].setToolTip(
            "Rotate the kernel by 180°: true convolution is cross-correlation with the flipped "
            "kernel. Symmetric kernels look the same either way.")
        self.undo_button = QPushButton("Undo")
        self.redo_button = QPushButton("Redo")
        stack = model.undo_stack
        self.undo_button.clicked.connect(stack.undo)
        self.redo_button.clicked.connect(stack.redo)
        stack.canUndoChanged.connect(self.undo_button.setEnabled)
        stack.canRedoChanged.connect(self.redo_button.setEnabled)
        # The workspace's one stack: the buttons undo its last change, kernel or not.
        stack.undoTextChanged.connect(self._on_undo_text)
        stack.redoTextChanged.connect(self._on_redo_text)
        self.undo_button.setEnabled(False)
        self.redo_button.setEnabled(False)
        row.addWidget(self.undo_button, 2, 0)
        row.addWidget(self.redo_button, 2, 1)

        size_row = QHBoxLayout()
        size_row.addWidget(QLabel("Size"))
        size_row.addWidget(self.rows)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.cols)
        size_row.addStretch(1)
        size_row.addWidget(self.presets)
        bias_row = QHBoxLayout()
        bias_row.addWidget(QLabel("Bias"))
        bias_row.addWidget(self.bias)
        bias_row.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(size_row)
        layout.addWidget(self.table)
        layout.addWidget(self.use_weight)
        layout.addLayout(bias_row)
        layout.addLayout(row)
        # Refresh on the next turn of the event loop: rewriting items inside itemChanged, while
        # the cell editor is still committing, makes Qt drop the edit ("editing failed").
        model.kernelChanged.connect(lambda: QTimer.singleShot(0, self._refresh))
        model.paramsChanged.connect(self._on_params_changed)
        self._refresh()

    def _on_undo_text(self, text: str) -> None:
        self.undo_button.setToolTip(f"Undo {text} (Ctrl+Z)")

    def _on_redo_text(self, text: str) -> None:
        self.redo_button.setToolTip(f"Redo {text} (Ctrl+Shift+Z)")

    @staticmethod
    def cell_px(kh: int, kw: int) -> int:
        """Cell side: CELL_PX scaled with projection mode and zoom; smaller for big kernels."""
        cell = round(CELL_PX * presentation().scale)
        return max(24, min(cell, 480 // max(kh, kw, 1)))

    # --- model → view -------------------------------------------------------------------
    def _refresh(self) -> None:
        state = self.model.kernel
        kh, kw = state.entries.shape
        self._updating = True
        try:
            self.rows.setValue(kh)
            self.cols.setValue(kw)
            self.table.setRowCount(kh)
            self.table.setColumnCount(kw)
            cell = self.cell_px(kh, kw)
            for header in (self.table.horizontalHeader(), self.table.verticalHeader()):
                header.setDefaultSectionSize(cell)
            self.table.setFixedSize(kw * cell + 4, kh * cell + 4)
            scale = float(np.abs(state.entries).max()) or 1.0
            for r in range(kh):
                for c in range(kw):
                    v = float(state.entries[r, c])
                    item = self.table.item(r, c)
                    if item is None:
                        item = QTableWidgetItem()
                        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                        self.table.setItem(r, c, item)
                    item.setText(f"{v:g}")
                    item.setBackground(QBrush(QColor(*signed_tint(v, scale))))
                    item.setForeground(QBrush(QColor(0, 0, 0)))
            total = float(state.entries.sum())
            self.use_weight.setText(
                f"Apply weight {format_weight(state.weight)} (entries sum to {total:g})")
            self.use_weight.setChecked(state.use_weight)
        finally:
            self._updating = False

    def _on_params_changed(self) -> None:
        if self.bias.value() != self.model.params.bias:
            self.bias.blockSignals(True)
            self.bias.setValue(self.model.params.bias)
            self.bias.blockSignals(False)

    # --- view → model -------------------------------------------------------------------
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._updating:
            return
        try:
            value = parse_cell(item.text())
            self.model.set_entry(item.row(), item.column(), value)
        except ValueError as exc:
            self.messageRaised.emit(f"Kernel cell ({item.row() + 1},{item.column() + 1}): {exc}")
            QTimer.singleShot(0, self._refresh)  # put the previous value back

    def _on_size_changed(self) -> None:
        if self._updating:
            return
        entries = resize_centred(self.model.kernel.entries, self.rows.value(), self.cols.value())
        rows, cols = entries.shape
        self.model.set_kernel(entries, text=f"Resize kernel to {rows}×{cols}")

    def _on_preset(self, index: int) -> None:
        name = self.presets.itemData(index)
        if name:
            self.model.apply_preset(name)
        self.presets.setCurrentIndex(0)

    def _on_weight_toggled(self, on: bool) -> None:
        if not self._updating:
            self.model.set_kernel(self.model.kernel.entries, use_weight=on,
                                  text="Apply weight" if on else "Remove weight")

    def _on_randomise(self) -> None:
        shape = self.model.kernel.entries.shape
        entries = np.round(self._rng.uniform(-2, 2, size=shape), 1).astype(np.float32)
        self.model.set_kernel(entries, text="Randomise kernel")

    def _on_transpose(self) -> None:
        self.model.set_kernel(self.model.kernel.entries.T.copy(), text="Transpose kernel")

    def _on_flip(self) -> None:
        self.model.set_kernel(self.model.kernel.entries[::-1, ::-1].copy(), text="Flip kernel")

    def copy_as_list(self) -> None:
        """Put the kernel on the clipboard as a Python list literal (Edit menu, button)."""
        text = kernel_as_list(self.model.kernel.entries)
        QGuiApplication.clipboard().setText(text)
        self.messageRaised.emit(f"Copied {text}")


def kernel_as_list(entries: np.ndarray) -> str:
    """Return the entries as a Python list literal, ints where they are whole numbers."""
    def fmt(v: float) -> str:
        return str(int(v)) if float(v).is_integer() else repr(float(v))
    return "[" + ", ".join("[" + ", ".join(fmt(v) for v in row) + "]" for row in entries) + "]"
