"""The training form: the model's architecture, its summary table, and the run's settings.

Every number is typed in a :class:`~convstudio.ui.numbers.WholeBox` or
:class:`~convstudio.ui.numbers.DecimalBox`: the same rule in every locale (``1.5`` and ``1,5``
alike), and a value that is out of range or unreadable is refused with a message
(``messageRaised``) instead of being clamped or read ten times too large.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ...core.limits import FloatRange, IntRange
from ...training import LR_SCHEDULES
from ...training.models import ModelConfig, layer_costs, summary
from ...training.settings import FIELDS, OPTIMIZERS, TrainingSettings
from ..numbers import DecimalBox, WholeBox

TIPS = {
    "blocks": "How many Conv2D (+ MaxPooling2D) blocks the image passes through",
    "filters": "Filters of the first Conv2D layer: how many feature maps it makes. While "
               "every layer has as many, this box sets them all; the boxes beside it are "
               "the later layers' own (32 then 64: each of the 64 spans all 32 maps)",
    "kernel_size": "Each filter's height and width (3 → 3×3 weights per channel)",
    "pooling": "Halve each feature map with a 2×2 max pool after every conv",
    "dense": "Neurons in the hidden Dense layer after Flatten",
    "dropout": "Fraction of the Dense layer's outputs dropped at random while training "
               "(0 = no Dropout layer)",
    "optimizer": "How the weights are moved along the gradient",
    "learning_rate": "Step size of each update (the rate at the start of the run)",
    "schedule": "Cosine: the rate falls smoothly to 0 by the last batch of the planned run "
                "(the lessons' CNN, 5 epochs of Fashion-MNIST: 91.6–91.8 % test accuracy "
                "against 89.9 % at Adam's constant 0.001); Resume after a Stop goes on along "
                "it. Constant: the same rate throughout",
    "batch_size": "Images per gradient step; the input is (batch, 28, 28, 1)",
    "epochs": "Passes over the training images",
    "val_split": "The last fraction of the training images, held out to measure validation "
                 "loss and accuracy after each epoch",
    "seed_kernel": "Put the kernel from the Workspace into the first layer's filter 0",
    "freeze_seed": "Keep filter 0 equal to your kernel while the others learn",
    "limit": "Train on only the first N images (a quick run; 0 or 'all': every image)",
}


def _whole(key: str) -> tuple[int, int]:
    rule = FIELDS[key]
    assert isinstance(rule, IntRange)
    return rule.lo, rule.hi


def _decimal(key: str) -> tuple[float, float]:
    rule = FIELDS[key]
    assert isinstance(rule, FloatRange)
    return rule.lo, rule.hi


def stacking_text(config: ModelConfig) -> str:
    """Say how each later conv layer combines the maps before it (empty for one layer)."""
    parts = []
    for i in range(1, len(config.blocks)):
        before, block = config.blocks[i - 1].filters, config.blocks[i]
        k = block.kernel
        parts.append(f"conv{i + 1}: {block.filters} filters, each of {k}×{k}×{before} weights "
                     f"(all {before} maps of conv{i}), make {block.filters} maps, "
                     f"not {block.filters}×{before}.")
    return (" " + " ".join(parts)) if parts else ""


class LimitBox(WholeBox):
    """The "use first N images" box: 0 shows (and "all" may be typed) as "all"."""

    def validate(self, text: str, pos: int) -> Any:  # noqa: D102 (Qt override)
        typed, special = text.strip().lower(), self.specialValueText().lower()
        if typed and special.startswith(typed):
            state = QValidator.State.Acceptable if typed == special else (
                QValidator.State.Intermediate)
            return state, text, pos
        return super().validate(text, pos)

    def valueFromText(self, text: str) -> int:  # noqa: N802, D102 (Qt override)
        if text.strip().lower() == self.specialValueText().lower():
            return self.minimum()
        return super().valueFromText(text)

    def fixup(self, text: str) -> str:  # noqa: D102 (Qt override)
        if text.strip().lower() == self.specialValueText().lower():
            return text
        return super().fixup(text)


class TrainingForm(QObject):
    """The form's widgets and what they describe; the tab lays the boxes out.

    ``edited`` is emitted when the user changes any setting (read them with :meth:`values`);
    ``messageRaised`` carries a refused value's message. :meth:`show_settings` shows a model's
    settings without emitting ``edited``.
    """

    edited = Signal()
    messageRaised = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Every range and default is the settings schema's (training/settings.py).
        self.limit = LimitBox("Use first", *_whole("limit"))
        self.limit.setSingleStep(1000)
        self.limit.setSpecialValueText("all")
        self.blocks = WholeBox("Conv blocks", *_whole("blocks"))
        # One box per conv layer, as many shown as there are blocks; the first is ``filters``.
        self.layer_filters = tuple(WholeBox(f"Filters of conv{i}", *_whole("filters"))
                                   for i in range(1, _whole("blocks")[1] + 1))
        self.filters = self.layer_filters[0]
        self.filters_row = QWidget()
        row = QHBoxLayout(self.filters_row)
        row.setContentsMargins(0, 0, 0, 0)
        for layer_box in self.layer_filters:
            row.addWidget(layer_box)
        self._shown_filters = self.blocks.value()
        self._first_filters = self.filters.value()
        self.kernel_size = WholeBox("Kernel size", *_whole("kernel_size"))
        self.pooling = QCheckBox("MaxPooling2D(2×2) after each conv")
        self.dense = WholeBox("Dense units", *_whole("dense"))
        self.dropout = DecimalBox("Dropout", *_decimal("dropout"), decimals=2, step=0.1)
        self.optimizer = QComboBox()
        self.optimizer.addItems(list(OPTIMIZERS))
        self.learning_rate = DecimalBox("Learning rate", *_decimal("learning_rate"),
                                        decimals=5, step=0.0005)
        self.batch_size = WholeBox("Batch size", *_whole("batch_size"))
        self.epochs = WholeBox("Epochs", *_whole("epochs"))
        self.val_split = DecimalBox("Validation split", *_decimal("validation_split"),
                                    decimals=2, step=0.05)
        self.schedule = QComboBox()
        labels = {"cosine": "cosine decay to 0", "constant": "constant"}
        for key in LR_SCHEDULES:
            self.schedule.addItem(labels[key], key)
        self.show_settings(TrainingSettings())
        self.seed_kernel = QCheckBox("Seed filter 0 with my workspace kernel")
        self.freeze_seed = QCheckBox("…and keep it frozen")
        for box in self.numbers():
            box.valueRefused.connect(self.messageRaised)
        # Before ``edited``: the later layers follow, then the settings are read.
        self.blocks.valueChanged.connect(self._on_blocks)
        self.filters.valueChanged.connect(self._on_first_filters)
        for box in self.numbers():
            box.valueChanged.connect(self.edited)
        self.pooling.toggled.connect(self.edited)
        self.optimizer.currentIndexChanged.connect(self.edited)
        self.schedule.currentIndexChanged.connect(self.edited)
        self.summary_table = QTableWidget(0, 4)
        self.summary_table.setHorizontalHeaderLabels(["layer", "output shape", "parameters",
                                                      "multiply-adds"])
        self.summary_table.verticalHeader().setVisible(False)
        self.summary_table.setMinimumHeight(230)
        self.summary_note = QLabel("")
        self.summary_note.setWordWrap(True)
        for name, text in TIPS.items():
            getattr(self, name).setToolTip(text)
        for i, box in enumerate(self.layer_filters[1:], start=2):
            box.setToolTip(f"Filters of conv{i}: each spans all the maps of conv{i - 1} "
                           f"(3×3 filters on 32 maps: 3×3×32 weights) and makes one map")

    def _on_blocks(self, n: int) -> None:
        """Show one filter box per block; a new block starts with the last one's count."""
        last = self.layer_filters[self._shown_filters - 1].value()
        for box in self.layer_filters[self._shown_filters:n]:
            box.blockSignals(True)
            box.setValue(last)
            box.blockSignals(False)
        self._show_filter_boxes(n)

    def _on_first_filters(self, value: int) -> None:
        """While every layer has the first one's count, it sets them all (one number)."""
        later = self.layer_filters[1:self._shown_filters]
        if all(box.value() == self._first_filters for box in later):
            for box in later:
                box.blockSignals(True)
                box.setValue(value)
                box.blockSignals(False)
        self._first_filters = value

    def _show_filter_boxes(self, n: int) -> None:
        self._shown_filters = n
        for i, box in enumerate(self.layer_filters):
            box.setVisible(i < n)

    def numbers(self) -> tuple[WholeBox | DecimalBox, ...]:
        """Return every typed-number box of the form."""
        return (self.limit, self.blocks, *self.layer_filters, self.kernel_size, self.dense,
                self.dropout, self.learning_rate, self.batch_size, self.epochs, self.val_split)

    def architecture_widgets(self) -> tuple[QWidget, ...]:
        """Return the controls that change the model (locked while it trains)."""
        return (self.blocks, *self.layer_filters, self.kernel_size, self.pooling, self.dense,
                self.dropout)

    def model_box(self) -> QGroupBox:
        """Return the "Model" group: the architecture and its summary."""
        box = QGroupBox("Model")
        form = QFormLayout(box)
        form.addRow("Conv blocks", self.blocks)
        form.addRow("Filters per conv", self.filters_row)
        form.addRow("Kernel size", self.kernel_size)
        form.addRow(self.pooling)
        form.addRow("Dense units", self.dense)
        form.addRow("Dropout", self.dropout)
        form.addRow(self.summary_table)
        form.addRow(self.summary_note)
        return box

    def run_box(self) -> QGroupBox:
        """Return the "Training" group: optimizer, rate, batches, epochs, seed filter."""
        box = QGroupBox("Training")
        form = QFormLayout(box)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("Rate schedule", self.schedule)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Epochs", self.epochs)
        form.addRow("Validation split", self.val_split)
        form.addRow(self.seed_kernel)
        form.addRow(self.freeze_seed)
        return box

    # --- what the form describes -------------------------------------------------------------
    def values(self, dataset: str) -> TrainingSettings:
        """Return the settings the boxes hold, for ``dataset`` (the dataset box's choice)."""
        return TrainingSettings(
            dataset=dataset, limit=self.limit.value(), blocks=self.blocks.value(),
            filters=tuple(box.value() for box in self.layer_filters[:self.blocks.value()]),
            kernel_size=self.kernel_size.value(),
            pooling=self.pooling.isChecked(), dense=self.dense.value(),
            dropout=round(self.dropout.value(), 3), optimizer=self.optimizer.currentText(),
            learning_rate=self.learning_rate.value(), batch_size=self.batch_size.value(),
            epochs=self.epochs.value(), validation_split=round(self.val_split.value(), 3),
            lr_schedule=str(self.schedule.currentData()))

    def model_config(self, n_classes: int) -> ModelConfig:
        """Return the architecture the boxes describe (ValueError if it cannot be built)."""
        return ModelConfig.from_settings(self.values("shapes"), n_classes)

    def refresh_summary(self, n_classes: int) -> bool:
        """Redraw the summary table; return whether the model can be built."""
        try:
            config = self.model_config(n_classes)
            rows = summary(config)
        except ValueError as exc:
            self.summary_note.setText(f"<b>Cannot build this model:</b> {exc}")
            return False
        costs = layer_costs(config)  # one per summary line: parameters and multiply-adds
        table = self.summary_table
        table.setRowCount(len(rows) + 1)
        for i, (r, cost) in enumerate(zip(rows, costs, strict=True)):
            shape = "(" + ", ".join("batch" if d is None else str(d) for d in r.output_shape) + ")"
            texts = (f"{r.name} ({r.kind})", shape, f"{r.params:,}",
                     f"{cost.mult_adds:,}" if cost.mult_adds else "")
            for j, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setToolTip(r.note if j < 2 else (cost.params_text if j == 2
                                                       else cost.mult_adds_text))
                table.setItem(i, j, item)
        table.setItem(len(rows), 0, QTableWidgetItem("total"))
        table.setItem(len(rows), 2, QTableWidgetItem(f"{sum(r.params for r in rows):,}"))
        table.setItem(len(rows), 3, QTableWidgetItem(f"{sum(c.mult_adds for c in costs):,}"))
        table.resizeColumnsToContents()
        self.summary_note.setText(
            "Keras trains on batches, so the input is 4-D: (batch, 28, 28, 1). ConvStudio adds "
            "the channel axis for you, so Keras' \"expected 4 dimensions\" error cannot happen."
            + stacking_text(config))
        return True

    # --- the model's settings, shown ----------------------------------------------------------
    def show_settings(self, settings: TrainingSettings) -> None:
        """Show ``settings`` in the boxes (``edited`` is not emitted)."""
        widgets = (*self.numbers(), self.pooling, self.optimizer, self.schedule)
        for w in widgets:
            w.blockSignals(True)
        try:
            s = settings
            counts = s.layer_filters()
            # A box past the blocks holds the last count: shown if a block is added.
            layers = tuple((box, counts[min(i, len(counts) - 1)])
                           for i, box in enumerate(self.layer_filters))
            for whole, n in ((self.limit, s.limit), (self.blocks, s.blocks), *layers,
                             (self.kernel_size, s.kernel_size),
                             (self.dense, s.dense), (self.batch_size, s.batch_size),
                             (self.epochs, s.epochs)):
                if whole.value() != n:
                    whole.setValue(n)
            self._first_filters = counts[0]
            self._show_filter_boxes(s.blocks)
            for decimal, x in ((self.dropout, s.dropout), (self.learning_rate, s.learning_rate),
                               (self.val_split, s.validation_split)):
                if decimal.value() != x:
                    decimal.setValue(x)
            self.pooling.setChecked(s.pooling)
            self.optimizer.setCurrentText(s.optimizer)
            self.schedule.setCurrentIndex(self.schedule.findData(s.lr_schedule))
        finally:
            for w in widgets:
                w.blockSignals(False)
