"""Pieces every Show code program shares: numbers as text, slices, the activation and pooling.

The NumPy programs of every conv family mode (:mod:`.codegen`, :mod:`.codegen_family`) end the
same way: the bias, the ReLU and the pooling, written here once.
"""

from __future__ import annotations

import numpy as np

from .convolution import resolve_padding
from .pipeline_params import PipelineParams


def num(v: float) -> str:
    """Return the shortest text that parses back to the same float32."""
    f = np.float32(v)
    return repr(int(f)) if float(f).is_integer() and abs(f) < 1e15 else str(f)


def axis_slice(tap: str, dilation: int, stride: int, count: str) -> str:
    """Return the slice of one axis that tap ``tap`` reads (or writes) for ``count`` pixels."""
    start = tap if dilation == 1 else f"{tap} * {dilation}"
    if stride == 1:
        return f"{start}:{start} + {count}"
    return f"{start}:{start} + ({count} - 1) * {stride} + 1:{stride}"


def conv_pads(hw: tuple[int, int], khw: tuple[int, int],
              p: PipelineParams) -> tuple[int, int, int, int]:
    """Return the zeros (top, bottom, left, right) a forward conv of ``hw`` adds."""
    pads = resolve_padding(hw, khw, stride=p.stride, padding=p.padding, dilation=p.dilation)
    return pads.top, pads.bottom, pads.left, pads.right


def padding_comment(pads: tuple[int, int, int, int], p: PipelineParams, verb: str = "") -> str:
    """Return the comment line that spells the padding's zeros on each side."""
    top, bottom, left, right = pads
    odd = " (TensorFlow puts the odd pixel at the bottom/right)" if p.padding == "same" else ""
    return (f"# padding {p.padding!r}{verb}: {top} top, {bottom} bottom, {left} left, "
            f"{right} right{odd}")


def finish_lines(p: PipelineParams, maps: int = 0) -> list[str]:
    """Return the bias, ReLU and pooling lines after ``conv`` (``maps``: its third axis, if any)."""
    lines = []
    if p.bias:
        lines.append(f"conv = conv + np.float32({num(p.bias)})  # the bias")
    if p.activation == "relu":
        lines.append("conv = np.maximum(conv, np.float32(0.0))  # ReLU")
    return lines + pool_lines(p, maps)


def pool_lines(p: PipelineParams, maps: int = 0) -> list[str]:
    """Return the pooling lines that leave ``pooled`` (none without pooling)."""
    if p.pool == "none":
        return []
    ph, pw = p.pool_size
    sh, sw = p.pool_stride or p.pool_size
    views = f"conv[{axis_slice('i', 1, sh, 'qh')}, {axis_slice('j', 1, sw, 'qw')}]"
    shape = f"(qh, qw, {maps})" if maps else "(qh, qw)"
    lines = [
        "",
        f"# --- {ph}×{pw} {p.pool} pooling, stride ({sh}, {sw}), 'valid'"
        + (", each map on its own ---" if maps else " -------------------"),
        f"qh, qw = (conv.shape[0] - {ph}) // {sh} + 1, (conv.shape[1] - {pw}) // {sw} + 1",
    ]
    if p.pool == "max":
        return lines + [
            f"pooled = np.full({shape}, -np.inf, dtype=np.float32)",
            f"for i in range({ph}):",
            f"    for j in range({pw}):",
            f"        pooled = np.maximum(pooled, {views})  # keep the largest",
        ]
    return lines + [
        f"pooled = np.zeros({shape}, dtype=np.float32)",
        f"for i in range({ph}):",
        f"    for j in range({pw}):",
        f"        pooled += {views}",
        f"pooled = pooled / np.float32({ph * pw})  # the mean of each window",
    ]


def keras_tail(p: PipelineParams, weights: list[str], conv_index: str) -> list[str]:
    """Return the pooling, model, weights and predict lines after ``conv_out``.

    ``conv_index`` picks the one image (and map) out of ``model.predict``'s batch.
    """
    outputs = "conv_out"
    lines = []
    if p.pool != "none":
        name = "MaxPooling2D" if p.pool == "max" else "AveragePooling2D"
        pool_stride = ""
        if p.pool_stride is not None and tuple(p.pool_stride) != tuple(p.pool_size):
            pool_stride = f", strides={tuple(p.pool_stride)}"
        lines.append(f"pool_out = keras.layers.{name}({tuple(p.pool_size)}{pool_stride})"
                     "(conv_out)")
        outputs = "[conv_out, pool_out]"
    lines += [f"model = keras.Model(inputs, {outputs})", *weights]
    if p.pool == "none":
        return lines + [f"conv = model.predict(x, verbose=0)[{conv_index}]"]
    return lines + ["conv_batch, pooled_batch = model.predict(x, verbose=0)",
                    f"conv = conv_batch[{conv_index}]",
                    f"pooled = pooled_batch[{conv_index}]"]
