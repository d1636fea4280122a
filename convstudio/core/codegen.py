"""The NumPy and the Keras code that reproduce the workspace's current settings.

The NumPy code is self-contained (it needs only a variable ``image``) and computes exactly what
``run_pipeline`` does; tests execute it. The Keras code builds the equivalent layers and sets
the kernel with ``set_weights``.
"""

from __future__ import annotations

import numpy as np

from .convolution import resolve_padding
from .pipeline import PipelineParams


def _num(v: float) -> str:
    """Shortest text that parses back to the same float32."""
    f = np.float32(v)
    return repr(int(f)) if float(f).is_integer() and abs(f) < 1e15 else str(f)


def _kernel_literal(kernel: np.ndarray, indent: str) -> str:
    rows = [indent + "    [" + ", ".join(_num(v) for v in row) + "]," for row in kernel]
    return "np.array([\n" + "\n".join(rows) + "\n" + indent + "], dtype=np.float32)"


def _pads(input_hw: tuple[int, int], kernel_hw: tuple[int, int],
          params: PipelineParams) -> tuple[int, int, int, int]:
    p = resolve_padding(input_hw, kernel_hw, stride=params.stride, padding=params.padding,
                        dilation=params.dilation)
    return int(p.top), int(p.bottom), int(p.left), int(p.right)


def numpy_code(input_shape: tuple[int, ...], kernel: np.ndarray, params: PipelineParams) -> str:
    """Return NumPy code computing ``conv`` (and ``pooled``) from ``image`` of ``input_shape``.

    ``kernel`` is the effective 2-D kernel (weight already applied); an (H, W, C) image uses
    it on every channel and sums the channels, as the workspace does.
    """
    k = np.asarray(kernel, np.float32)
    kh, kw = k.shape[:2]
    h, w = input_shape[0], input_shape[1]
    top, bottom, left, right = _pads((h, w), (kh, kw), params)
    sh, sw = params.stride
    dh, dw = params.dilation
    multi = len(input_shape) == 3
    lines = [
        "import numpy as np",
        "from numpy.lib.stride_tricks import sliding_window_view",
        "",
        f"# image: a float array of shape {tuple(input_shape)}"
        + (" (height, width, channels)" if multi else " (height, width)"),
        f"kernel = {_kernel_literal(k, '')}",
        f"# padding {params.padding!r}: {top} top, {bottom} bottom, {left} left, {right} right"
        + (" (TensorFlow puts the odd pixel at the bottom/right)"
           if params.padding == "same" else ""),
        f"x = np.pad(image.astype(np.float32), (({top}, {bottom}), ({left}, {right})"
        + (", (0, 0)" if multi else "") + "))",
        f"# the window spans (k - 1) * dilation + 1 pixels; dilation {params.dilation}",
        f"span = ({(kh - 1) * dh + 1}, {(kw - 1) * dw + 1})",
    ]
    if multi:
        lines += [
            "windows = sliding_window_view(x, span, axis=(0, 1))"
            f"[::{sh}, ::{sw}, :, ::{dh}, ::{dw}]",
            "# multiply each window by the kernel and add the products (over channels too)",
            'conv = np.einsum("ijckl,kl->ij", windows, kernel)',
        ]
    else:
        lines += [
            f"windows = sliding_window_view(x, span)[::{sh}, ::{sw}, ::{dh}, ::{dw}]",
            "# multiply each window by the kernel and add the products",
            'conv = np.einsum("ijkl,kl->ij", windows, kernel)',
        ]
    if params.bias:
        lines.append(f"conv = conv + np.float32({_num(params.bias)})")
    if params.activation == "relu":
        lines.append("conv = np.maximum(conv, 0)  # ReLU")
    if params.pool != "none":
        ph, pw = params.pool_size
        ps = params.pool_stride or params.pool_size
        op = "max" if params.pool == "max" else "mean"
        lines += [
            f"# {ph}×{pw} {params.pool} pooling, stride {tuple(ps)}, 'valid'",
            f"blocks = sliding_window_view(conv, ({ph}, {pw}))[::{ps[0]}, ::{ps[1]}]",
            f"pooled = blocks.{op}(axis=(2, 3))",
        ]
    return "\n".join(lines) + "\n"


def keras_code(input_shape: tuple[int, ...], kernel: np.ndarray, params: PipelineParams) -> str:
    """Return Keras code building the same layers, with the kernel set by ``set_weights``."""
    k = np.asarray(kernel, np.float32)
    kh, kw = k.shape[:2]
    h, w = input_shape[0], input_shape[1]
    c = input_shape[2] if len(input_shape) == 3 else 1
    layers = []
    padding = params.padding
    if padding not in ("valid", "same"):
        top, bottom, left, right = _pads((h, w), (kh, kw), params)
        layers.append(f"    keras.layers.ZeroPadding2D((({top}, {bottom}), ({left}, {right}))),")
        padding = "valid"
    extra = ""
    if tuple(params.dilation) != (1, 1):
        extra += f", dilation_rate={tuple(params.dilation)}"
    if params.activation == "relu":
        extra += ', activation="relu"'
    use_bias = bool(params.bias)
    conv_index = len(layers)
    layers.append(f"    keras.layers.Conv2D(1, ({kh}, {kw}), strides={tuple(params.stride)}, "
                  f'padding="{padding}"{extra}, use_bias={use_bias}),')
    if params.pool != "none":
        name = "MaxPooling2D" if params.pool == "max" else "AveragePooling2D"
        stride = ""
        if params.pool_stride is not None and tuple(params.pool_stride) != tuple(params.pool_size):
            stride = f", strides={tuple(params.pool_stride)}"
        layers.append(f"    keras.layers.{name}({tuple(params.pool_size)}{stride}),")
    weights = f"np.repeat(kernel[:, :, None], {c}, axis=2)" if c > 1 else "kernel"
    set_w = f"[{weights}.reshape({kh}, {kw}, {c}, 1)"
    set_w += f", np.array([{_num(params.bias)}], np.float32)]" if use_bias else "]"
    lines = [
        "import numpy as np",
        "import keras",
        "",
        f"kernel = {_kernel_literal(k, '')}",
        "# Keras wants a batch of images with channels: (batch, height, width, channels)",
        f"x = image.reshape(1, {h}, {w}, {c}).astype(\"float32\")",
        f"model = keras.Sequential([keras.Input(({h}, {w}, {c})),",
    ]
    lines += layers
    lines += [
        "])",
        f"conv = model.layers[{conv_index}]",
        "# weights: (height, width, input channels, output channels)",
        f"conv.set_weights({set_w})",
        "out = model.predict(x, verbose=0)[0, :, :, 0]",
    ]
    return "\n".join(lines) + "\n"
