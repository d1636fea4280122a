"""The Keras parts of Show code: the workspace's layers, and the Training tab's CNN (no Keras here).

Nothing in this module imports Keras: it writes programs that do. The CNN's configuration is
read by duck typing (``blocks``, ``dense_units``, ``dropout``, ``n_classes``) so that the core
does not depend on :mod:`convstudio.training`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .codegen_input import GLYPH_LINES
from .codegen_parts import keras_tail
from .pipeline import PipelineParams


def keras_lines(input_shape: tuple[int, ...], khw: tuple[int, int], p: PipelineParams,
                pads: tuple[int, ...]) -> list[str]:
    """Return the lines after ``image`` and ``kernel`` that leave ``conv`` and ``pooled``."""
    kh, kw = khw
    c = input_shape[2] if len(input_shape) == 3 else 1
    stride, dilation = tuple(p.stride), tuple(p.dilation)
    # Keras refuses strides with dilation: pad as the app does, convolve with stride 1 and
    # keep every stride-th row and column, which gives the same numbers.
    split = stride != (1, 1) and dilation != (1, 1)
    explicit = split or p.padding not in ("valid", "same")
    lines = [
        "",
        "# --- the same layers in Keras ---------------------------------------------",
        "# Keras wants a batch of images with channels: (batch, height, width, channels)",
        f"x = image.reshape(1, image.shape[0], image.shape[1], {c}).astype(np.float32)",
        "inputs = keras.Input(x.shape[1:])",
        "t = inputs",
    ]
    padding = p.padding
    if explicit:
        top, bottom, left, right = pads
        lines.append(f"t = keras.layers.ZeroPadding2D((({top}, {bottom}), ({left}, {right})))(t)"
                     f"  # padding {p.padding!r}")
        padding = "valid"
    extra = ""
    if dilation != (1, 1):
        extra += f", dilation_rate={dilation}"
    if p.activation == "relu":
        extra += ', activation="relu"'
    use_bias = bool(p.bias)
    lines += [f"conv_layer = keras.layers.Conv2D(1, ({kh}, {kw}), "
              f"strides={(1, 1) if split else stride}, padding=\"{padding}\"{extra}, "
              f"use_bias={use_bias})",
              "conv_out = conv_layer(t)"]
    if split:
        lines.append(f"conv_out = keras.layers.Lambda(lambda m: m[:, ::{stride[0]}, "
                     f"::{stride[1]}, :])(conv_out)  # strides {stride}")
    weights = f"np.repeat(kernel[:, :, None], {c}, axis=2)" if c > 1 else "kernel"
    bias = f", np.array([{p.bias!r}], dtype=np.float32)" if use_bias else ""
    return lines + keras_tail(p, [
        "# weights: (height, width, input channels, output channels); no training needed",
        f"conv_layer.set_weights([{weights}.reshape({kh}, {kw}, {c}, 1){bias}])",
    ], "0, :, :, 0")


def cnn_code(model: Any, *, model_path: str | None = None,
             class_names: Sequence[str] | None = None, images: str | None = None) -> str:
    """Return a program that rebuilds the Training tab's model, loads its weights, predicts.

    Parameters
    ----------
    model : ModelConfig-like
        ``blocks`` (each ``filters``, ``kernel``, ``pool``), ``dense_units``, ``dropout``,
        ``n_classes``.
    model_path : str, optional
        The ``.keras`` file the Training tab saved; without it the program says where to put
        one and predicts with untrained weights.
    class_names : sequence of str, optional
        One name per class (default: the class numbers).
    images : str, optional
        A ``.npy`` of (N, 28, 28) or (N, 28, 28, 1) images, uint8 0..255 or floats 0..1
        (default: ConvStudio's 28×28 handwritten 7).
    """
    n = int(model.n_classes)
    names = list(class_names) if class_names is not None else [str(i) for i in range(n)]
    if len(names) != n:
        raise ValueError(f"the model has {n} classes but {len(names)} class names were given")
    layers = ['    keras.Input((28, 28, 1), name="input"),  # 28×28 images, one channel']
    for i, b in enumerate(model.blocks, start=1):
        layers.append(f"    keras.layers.Conv2D({int(b.filters)}, ({int(b.kernel)}, "
                      f"{int(b.kernel)}), activation=\"relu\", name=\"conv{i}\"),")
        if b.pool:
            layers.append(f"    keras.layers.MaxPooling2D((2, 2), name=\"pool{i}\"),")
    layers += ['    keras.layers.Flatten(name="flatten"),',
               f'    keras.layers.Dense({int(model.dense_units)}, activation="relu", '
               'name="dense"),']
    if model.dropout > 0:
        layers.append(f'    keras.layers.Dropout({float(model.dropout)!r}, name="dropout"),')
    layers.append(f'    keras.layers.Dense({n}, activation="softmax", name="output"),')
    lines = ['"""ConvStudio: the Training tab\'s CNN, rebuilt in Keras, with its saved weights."""',
             "", "import numpy as np", "import keras", ""]
    if images is None:
        lines += GLYPH_LINES + ["images = pixels01.reshape(1, 28, 28, 1)  # a batch of one"]
    else:
        lines += [f"images = np.load({images!r}, allow_pickle=False)",
                  "if images.dtype == np.uint8:",
                  "    images = images.astype(np.float32) / np.float32(255.0)",
                  "images = images.reshape(-1, 28, 28, 1).astype(np.float32)"
                  "  # (batch, 28, 28, 1): 4-D, as Conv2D expects"]
    lines += ["", f"CLASS_NAMES = {names!r}",
              "model = keras.Sequential([", *layers, '], name="convstudio_cnn")']
    if model_path is not None:
        lines += [f"model.load_weights({str(model_path)!r})  # the .keras file the Training "
                  "tab saved"]
    else:
        lines += ["# model.load_weights(\"my-model.keras\")  # the .keras file the Training tab "
                  "saves; until then the weights are random"]
    lines += [
        "probabilities = model.predict(images, verbose=0)  # one row per image, summing to 1",
        "predicted = probabilities.argmax(axis=1)",
        "for p, k in zip(probabilities, predicted):",
        "    print(f\"{CLASS_NAMES[k]}: {p[k]:.1%}\")",
    ]
    return "\n".join(lines) + "\n"
