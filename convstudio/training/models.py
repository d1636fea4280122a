"""The lessons' CNN and its variants: a config, the Keras model, and a summary without Keras."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NoReturn

from ..core.costs import layer_cost
from ..core.limits import IntRange
from .settings import FIELDS, OPTIMIZERS, TrainingSettings, check

__all__ = ["IMAGE_SHAPE", "OPTIMIZERS", "ConvBlock", "LayerCostRow", "LayerRow", "ModelConfig",
           "build_model", "compile_model", "first_conv", "layer_costs", "output_classes",
           "summary"]

IMAGE_SHAPE = (28, 28, 1)
_DEFAULTS = TrainingSettings()


@dataclass(frozen=True)
class ConvBlock:
    """Conv2D(filters, kernel×kernel, ReLU), optionally followed by MaxPooling2D(2×2)."""

    filters: int = _DEFAULTS.layer_filters()[0]
    kernel: int = _DEFAULTS.kernel_size
    pool: bool = _DEFAULTS.pooling


@dataclass(frozen=True)
class ModelConfig:
    """Architecture: 1–3 conv blocks, one hidden dense layer, optional dropout, a softmax."""

    blocks: tuple[ConvBlock, ...] = field(
        default_factory=lambda: (ConvBlock(),) * _DEFAULTS.blocks)
    dense_units: int = _DEFAULTS.dense
    dropout: float = _DEFAULTS.dropout
    n_classes: int = 10

    def __post_init__(self) -> None:
        # The ranges are the Training tab's (settings.FIELDS), written once.
        blocks = FIELDS["blocks"]
        assert isinstance(blocks, IntRange)
        if not blocks.allows(len(self.blocks)):
            raise ValueError(f"the model needs {blocks.lo} to {blocks.hi} conv blocks")
        for b in self.blocks:
            check("filters", b.filters)
            check("kernel_size", b.kernel, "kernel size")
        check("dense", self.dense_units, "dense units")
        check("dropout", self.dropout)
        if self.n_classes < 2:
            raise ValueError("a classifier needs at least 2 classes")
        summary(self)  # raises if a block shrinks the image to nothing

    @classmethod
    def from_settings(cls, settings: TrainingSettings, n_classes: int = 10) -> ModelConfig:
        """Return the architecture the Training tab's settings describe.

        Raises ValueError if a block would leave no pixels.
        """
        s = settings
        blocks = tuple(ConvBlock(f, s.kernel_size, s.pooling) for f in s.layer_filters())
        return cls(blocks, s.dense, round(s.dropout, 3), n_classes)


@dataclass(frozen=True)
class LayerRow:
    """One line of the model summary."""

    name: str
    kind: str
    output_shape: tuple[int | None, ...]
    params: int
    note: str = ""


def summary(config: ModelConfig) -> list[LayerRow]:
    """Each layer's output shape (batch first, as Keras prints it) and parameter count.

    Raises
    ------
    ValueError
        If a conv or pool would leave no pixels.
    """
    h, w, c = IMAGE_SHAPE
    rows = [LayerRow("input", "Input", (None, h, w, c), 0,
                     "a batch of 28×28 images with 1 channel: 4-D, as Conv2D expects")]
    for i, b in enumerate(config.blocks, start=1):
        h, w = h - b.kernel + 1, w - b.kernel + 1
        if h < 1 or w < 1:
            raise ValueError(f"conv block {i} leaves no pixels: use smaller kernels or fewer "
                             "pooling layers")
        params = b.kernel * b.kernel * c * b.filters + b.filters
        rows.append(LayerRow(f"conv{i}", "Conv2D", (None, h, w, b.filters), params,
                             f"{b.filters} filters of {b.kernel}×{b.kernel}×{c} + bias"))
        c = b.filters
        if b.pool:
            h, w = h // 2, w // 2
            if h < 1 or w < 1:
                raise ValueError(f"pooling after conv block {i} leaves no pixels")
            rows.append(LayerRow(f"pool{i}", "MaxPooling2D", (None, h, w, c), 0))
    flat = h * w * c
    rows.append(LayerRow("flatten", "Flatten", (None, flat), 0))
    rows.append(LayerRow("dense", "Dense", (None, config.dense_units),
                         flat * config.dense_units + config.dense_units, "ReLU"))
    if config.dropout > 0:
        rows.append(LayerRow("dropout", "Dropout", (None, config.dense_units), 0,
                             f"rate {config.dropout:g}"))
    rows.append(LayerRow("output", "Dense", (None, config.n_classes),
                         config.dense_units * config.n_classes + config.n_classes, "softmax"))
    return rows


@dataclass(frozen=True)
class LayerCostRow:
    """Parameters and multiply-adds of one summary line (0 and 0 for layers without weights)."""

    name: str
    kind: str
    params: int
    mult_adds: int
    params_text: str = ""
    mult_adds_text: str = ""


def layer_costs(config: ModelConfig) -> list[LayerCostRow]:
    """Return the cost of each line of :func:`summary`, in the same order.

    Conv and dense layers are counted by :func:`convstudio.core.costs.layer_cost` from the
    shape each one receives; pooling, flattening and dropout cost no multiply-adds.
    """
    rows = summary(config)
    out: list[LayerCostRow] = []
    prev: tuple[int | None, ...] = rows[0].output_shape
    blocks = iter(config.blocks)
    for row in rows:
        in_shape = tuple(int(s) for s in prev[1:] if s is not None)
        cost = None
        if row.kind == "Conv2D":
            b = next(blocks)
            cost = layer_cost("standard", in_shape, b.kernel, b.filters)
        elif row.kind == "Dense":
            cost = layer_cost("dense", in_shape, filters=int(row.output_shape[-1] or 0))
        if cost is None:
            out.append(LayerCostRow(row.name, row.kind, 0, 0))
        else:
            assert cost.params == row.params, (row, cost)
            out.append(LayerCostRow(row.name, row.kind, cost.params, cost.mult_adds,
                                    cost.params_text, cost.mult_adds_text))
        prev = row.output_shape
    return out


def build_model(config: ModelConfig, *, optimizer: str = "adam",
                learning_rate: float = 1e-3) -> Any:
    """Build and compile the Keras model described by ``config``."""
    from .backend import load_keras

    keras = load_keras()

    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
    layers: list[Any] = [keras.Input(IMAGE_SHAPE, name="input")]
    for i, b in enumerate(config.blocks, start=1):
        layers.append(keras.layers.Conv2D(b.filters, (b.kernel, b.kernel), activation="relu",
                                          name=f"conv{i}"))
        if b.pool:
            layers.append(keras.layers.MaxPooling2D((2, 2), name=f"pool{i}"))
    layers.append(keras.layers.Flatten(name="flatten"))
    layers.append(keras.layers.Dense(config.dense_units, activation="relu", name="dense"))
    if config.dropout > 0:
        layers.append(keras.layers.Dropout(config.dropout, name="dropout"))
    layers.append(keras.layers.Dense(config.n_classes, activation="softmax", name="output"))
    model = keras.Sequential(layers, name="convstudio_cnn")
    compile_model(model, optimizer, learning_rate)
    return model


def compile_model(model: Any, optimizer: str, learning_rate: float) -> None:
    """Compile ``model`` for integer class labels, as every model here is trained."""
    from .backend import load_keras

    keras = load_keras()
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
    opt = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD,
           "rmsprop": keras.optimizers.RMSprop}[optimizer](learning_rate=learning_rate)
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])


class IncompatibleModelError(ValueError):
    """A Keras model the Training tab cannot show or train; the message says what it needs."""


def needs_text(n_classes: int | None) -> str:
    """Say in words what the Training tab needs of a model."""
    classes = "one per class" if n_classes is None else f"{n_classes}, one per class"
    return ("one input of 28×28×1 images, a Conv2D first layer (its filters are shown) and one "
            f"softmax output of class probabilities ({classes})")


def first_conv(model: Any) -> Any:
    """Return the model's first layer after its input: a Conv2D (see :func:`check_model`)."""
    return next((layer for layer in model.layers if type(layer).__name__ != "InputLayer"), None)


def output_classes(model: Any) -> int:
    """Return how many class probabilities the model outputs."""
    return int(model.outputs[0].shape[-1])


def check_model(model: Any, n_classes: int | None = None) -> None:
    """Check that ``model`` fits the Training tab before it replaces anything.

    ``n_classes``: the classes of the dataset it will meet (None: any number, at least 2).

    Raises
    ------
    IncompatibleModelError
        Saying what the model has and what the tab needs.
    """
    from .backend import load_keras

    keras = load_keras()

    def refuse(problem: str) -> NoReturn:
        raise IncompatibleModelError(f"it {problem}; the Training tab needs "
                                     f"{needs_text(n_classes)}")

    inputs, outputs = list(model.inputs), list(model.outputs)
    if len(inputs) != 1:
        refuse(f"has {len(inputs)} inputs")
    shape = tuple(inputs[0].shape[1:])
    if shape != IMAGE_SHAPE:
        refuse(f"takes inputs of shape {shape}")
    if len(outputs) != 1:
        refuse(f"has {len(outputs)} outputs")
    out_shape = tuple(outputs[0].shape[1:])
    if len(out_shape) != 1 or out_shape[0] is None or out_shape[0] < 2:
        refuse(f"outputs shape {out_shape}")
    if n_classes is not None and out_shape[0] != n_classes:
        refuse(f"outputs {out_shape[0]} classes but the current dataset has {n_classes}")
    first = first_conv(model)
    if not isinstance(first, keras.layers.Conv2D):
        refuse(f"starts with a {type(first).__name__} layer, not Conv2D")
    kernel = first.get_weights()[0]
    if kernel.ndim != 4 or kernel.shape[2] != 1:
        refuse(f"has a first Conv2D reading {kernel.shape[2]} channels")
    last = model.layers[-1]
    softmax = isinstance(last, keras.layers.Softmax) or (
        getattr(last, "activation", None) is keras.activations.softmax)
    if not softmax:
        refuse(f"ends with a {type(last).__name__} layer that gives no probabilities (no softmax)")
