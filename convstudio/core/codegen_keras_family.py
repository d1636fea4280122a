"""Show code in Keras for the conv family modes: Conv2DTranspose, DepthwiseConv2D, SeparableConv2D.

Nothing here imports Keras: it writes programs that do. Each program sets the layer's weights
as the workspace's mode uses its one kernel (:mod:`.pipeline_family`). Where TensorFlow
refuses a setting the app computes, the program says so in a comment and computes the same
numbers another way instead of failing:

- ``DepthwiseConv2D`` and ``SeparableConv2D`` take only equal strides on both axes (as
  "Compare with Keras" says): pad as the app does, filter with stride 1, keep every s-th row
  and column;
- TensorFlow's CPU ``Conv2DTranspose`` has no dilation: the kernel with d − 1 zeros between
  its taps, undilated;
- Keras pads only "valid" or "same": ``ZeroPadding2D`` before a depthwise step, a crop after
  a transposed one.
"""

from __future__ import annotations

from .codegen_family import transposed_geometry
from .codegen_parts import conv_pads, keras_tail
from .pipeline_params import PipelineParams
from .transpose_shape import conv_transpose_output_shape

__all__ = ["family_keras_lines"]

LAYERS = {"transposed": "Conv2DTranspose", "depthwise": "DepthwiseConv2D",
          "separable": "SeparableConv2D"}


def _layer_options(p: PipelineParams) -> str:
    text = ""
    if p.activation == "relu":
        text += ', activation="relu"'
    return text + f", use_bias={bool(p.bias)}"


def family_keras_lines(input_shape: tuple[int, ...], khw: tuple[int, int],
                       p: PipelineParams) -> list[str]:
    """Return the lines after ``image`` and ``kernel`` that leave ``conv`` and ``pooled``."""
    if p.family not in LAYERS:
        raise ValueError(f"family must be one of {', '.join(LAYERS)} here, got {p.family!r}")
    c = input_shape[2] if len(input_shape) == 3 else 1
    lines = [
        "",
        f"# --- the same layer in Keras: {LAYERS[p.family]} ------------------------------",
        "# Keras wants a batch of images with channels: (batch, height, width, channels)",
        f"x = image.reshape(1, image.shape[0], image.shape[1], {c}).astype(np.float32)",
        "inputs = keras.Input(x.shape[1:])",
    ]
    if p.family == "transposed":
        return lines + _transposed(input_shape, khw, p, c)
    return lines + _depthwise(input_shape, khw, p, c)


def _transposed(input_shape: tuple[int, ...], khw: tuple[int, int], p: PipelineParams,
                c: int) -> list[str]:
    hw = (input_shape[0], input_shape[1])
    kh, kw = khw
    (dh, dw) = p.dilation
    lines: list[str] = []
    weight = "kernel"
    size = (kh, kw)
    if (dh, dw) != (1, 1):
        size = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
        lines += [
            "# TensorFlow's Conv2DTranspose has no dilation on the CPU: the same kernel with",
            f"# dilation - 1 zeros between its taps, {size[0]}×{size[1]}, does the same sums",
            f"dilated = np.zeros({size}, dtype=np.float32)",
            f"dilated[::{dh}, ::{dw}] = kernel",
        ]
        weight = "dilated"
    op = p.output_padding
    explicit = p.padding not in ("valid", "same")
    padding = "valid" if explicit else p.padding
    extra = "" if op is None else f", output_padding={tuple(op)}"
    lines += [f"conv_layer = keras.layers.Conv2DTranspose(1, {size}, strides={tuple(p.stride)}, "
              f"padding=\"{padding}\"{extra}{_layer_options(p)})",
              "conv_out = conv_layer(inputs)"]
    if explicit:
        (ho, wo), (top, _, left, _) = transposed_geometry(hw, khw, p)
        lh, lw = conv_transpose_output_shape(hw, khw, stride=p.stride, padding="valid",
                                             output_padding=op, dilation=p.dilation)
        lines += [f"# Keras pads only 'valid' or 'same': crop the 'valid' output as padding "
                  f"{p.padding!r} does",
                  f"conv_out = keras.layers.Cropping2D((({top}, {lh - top - ho}), "
                  f"({left}, {lw - left - wo})))(conv_out)"]
    weights = (f"np.repeat({weight}[:, :, None, None], {c}, axis=3)" if c > 1
               else f"{weight}.reshape({size[0]}, {size[1]}, 1, 1)")
    bias = f", np.array([{p.bias!r}], dtype=np.float32)" if p.bias else ""
    return lines + keras_tail(p, [
        "# Conv2DTranspose weights: (height, width, output filters F, input channels C)"
        + (f"; your kernel for each of the {c}" if c > 1 else ""),
        f"conv_layer.set_weights([{weights}{bias}])"], "0, :, :, 0")


def _depthwise(input_shape: tuple[int, ...], khw: tuple[int, int], p: PipelineParams,
               c: int) -> list[str]:
    hw = (input_shape[0], input_shape[1])
    m = p.depth_multiplier
    layer = LAYERS[p.family]
    stride, dilation = tuple(p.stride), tuple(p.dilation)
    split = stride[0] != stride[1]
    explicit = split or p.padding not in ("valid", "same")
    lines = ["t = inputs"]
    if split:
        lines += [f"# TensorFlow's {layer} takes only equal strides on both axes, not {stride}:",
                  "# pad as the app does, filter with stride 1, then keep one row in "
                  f"{stride[0]} and one",
                  f"# column in {stride[1]}: the same numbers"]
    padding = "valid" if explicit else p.padding
    pads = conv_pads(hw, khw, p)
    if explicit and any(pads):
        top, bottom, left, right = pads
        lines.append(f"t = keras.layers.ZeroPadding2D((({top}, {bottom}), ({left}, {right})))(t)"
                     f"  # padding {p.padding!r}")
    extra = f", dilation_rate={dilation}" if dilation != (1, 1) else ""
    filters = "1, " if p.family == "separable" else ""
    lines += [f"conv_layer = keras.layers.{layer}({filters}{tuple(khw)}, "
              f"strides={(1, 1) if split else stride}, padding=\"{padding}\", "
              f"depth_multiplier={m}{extra}{_layer_options(p)})",
              "conv_out = conv_layer(t)"]
    if split:
        lines.append(f"conv_out = keras.layers.Lambda(lambda v: v[:, ::{stride[0]}, "
                     f"::{stride[1]}, :])(conv_out)  # strides {stride}")
    kh, kw = khw
    weight_lines = [f"# depthwise weights: (height, width, channels C, multiplier M) = "
                    f"({kh}, {kw}, {c}, {m}), your kernel in each",
                    f"depthwise = np.tile(kernel.reshape({kh}, {kw}, 1, 1), (1, 1, {c}, {m}))"]
    weights = ["depthwise"]
    if p.family == "separable":
        weight_lines.append(f"pointwise = np.ones((1, 1, {c * m}, 1), dtype=np.float32)"
                            "  # 1×1 weights all 1: the maps' sum")
        weights.append("pointwise")
    if p.bias:
        n = c * m if p.family == "depthwise" else 1
        weight_lines.append(f"bias = np.full({n}, {p.bias!r}, dtype=np.float32)")
        weights.append("bias")
    weight_lines.append(f"conv_layer.set_weights([{', '.join(weights)}])")
    index = "0" if p.family == "depthwise" else "0, :, :, 0"
    return lines + keras_tail(p, weight_lines, index)
