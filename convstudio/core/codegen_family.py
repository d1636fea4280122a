"""Show code in NumPy for the conv family modes: transposed, depthwise and separable.

Each program does with the workspace's one kernel what :mod:`.pipeline_family` does, in loops
a student can read, vectorised over the image by one strided slice per kernel tap:

- transposed: every input pixel adds kernel × its value to a larger canvas (tap (i, j) of all
  pixels at once), then the padding is cropped; on all channels their scatters add up;
- depthwise: each channel filtered on its own, its map copied M times (the depth multiplier:
  all C·M kernels are the one kernel);
- separable: that depthwise step, then a 1×1 pointwise conv of weights all 1 into one map.

For one channel the transposed program adds the same products in the same order as
:func:`convstudio.core.conv2d_transpose`, so it agrees bit for bit; the others agree exactly
for whole-number kernels on whole-number images and to float32 rounding otherwise.
"""

from __future__ import annotations

from .codegen_parts import axis_slice, conv_pads, finish_lines, padding_comment
from .convolution import output_shape
from .pipeline import _after_conv
from .pipeline_family import _settings, _shape, transpose_formulas
from .pipeline_params import PipelineParams
from .transpose_shape import _geometry

__all__ = ["family_banner", "family_numpy_lines", "transposed_geometry"]


def transposed_geometry(hw: tuple[int, int], khw: tuple[int, int], p: PipelineParams
                        ) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """Return a transposed conv's output (H', W') and the crop (top, bottom, left, right)."""
    _, _, out_hw, pads = _geometry(hw, khw, p.stride, p.padding, p.output_padding, p.dilation)
    return out_hw, (pads.top, pads.bottom, pads.left, pads.right)


def family_banner(input_shape: tuple[int, ...], khw: tuple[int, int], p: PipelineParams) -> str:
    """Spell a family mode's shapes in one line, as the workspace's banner does."""
    hw = (input_shape[0], input_shape[1])
    c = input_shape[2] if len(input_shape) == 3 else 1
    kernel = f"{khw[0]}×{khw[1]}"
    m = p.depth_multiplier
    if p.family == "transposed":
        out_hw, _ = transposed_geometry(hw, khw, p)
        op = "" if p.output_padding is None else (
            f", output padding ({p.output_padding[0]},{p.output_padding[1]})")
        return (f"input {_shape(hw, c)} ⊛ᵀ {kernel}{'×' + str(c) if c > 1 else ''}, "
                f"{_settings(p)}{op} → {out_hw[0]}×{out_hw[1]} "
                f"({transpose_formulas(hw, khw, p)})" + _after_conv(out_hw, p))
    out_hw = output_shape(hw, khw, stride=p.stride, padding=p.padding, dilation=p.dilation)
    text = (f"input {_shape(hw, c)} → depthwise {kernel}, depth multiplier {m}, "
            f"{_settings(p)} → ")
    if p.family == "depthwise":
        return text + f"{out_hw[0]}×{out_hw[1]}×{c * m}" + _after_conv(out_hw, p, c * m)
    return (text + f"{_shape(out_hw, c * m)} → pointwise 1×1 ({c * m} → 1) → "
            f"{out_hw[0]}×{out_hw[1]}" + _after_conv(out_hw, p))


def family_numpy_lines(input_shape: tuple[int, ...], khw: tuple[int, int],
                       p: PipelineParams) -> list[str]:
    """Return the lines after ``image`` and ``kernel`` that leave ``conv`` (and ``pooled``)."""
    if p.family == "transposed":
        return _transposed_lines(input_shape, khw, p)
    if p.family not in ("depthwise", "separable"):
        raise ValueError(f"family must be transposed, depthwise or separable here, got "
                         f"{p.family!r}")
    return _depthwise_lines(input_shape, khw, p)


def _transposed_lines(input_shape: tuple[int, ...], khw: tuple[int, int],
                      p: PipelineParams) -> list[str]:
    hw = (input_shape[0], input_shape[1])
    multi = len(input_shape) == 3
    kh, kw = khw
    (sh, sw), (dh, dw) = p.stride, p.dilation
    (ho, wo), crop = transposed_geometry(hw, khw, p)
    top, bottom, left, right = crop
    span = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    canvas = (ho + top + bottom, wo + left + right)
    reach = ((hw[0] - 1) * sh + span[0], (hw[1] - 1) * sw + span[1])
    extra = (canvas[0] - reach[0], canvas[1] - reach[1])
    where = (f"(r·{sh} + i{'·' + str(dh) if dh > 1 else ''}, "
             f"c·{sw} + j{'·' + str(dw) if dw > 1 else ''})")
    lines = [
        "",
        "# --- the transposed convolution, as Keras' Conv2DTranspose computes it --------",
        f"# the output's size (Keras' rule): {transpose_formulas(hw, khw, p)}",
        f"# input pixel (r, c) adds kernel[i, j] × its value at {where} of a canvas;",
        "# the canvas is then cropped by the zeros a forward conv of the output would add:",
        padding_comment(crop, p, " crops"),
        f"h, w = image.shape[0], image.shape[1]   # {hw[0]}×{hw[1]}",
        f"full = np.zeros(({canvas[0]}, {canvas[1]}), dtype=np.float32)"
        f"  # (h - 1)·stride + span = {reach[0]}×{reach[1]}"
        + (f", + ({extra[0]}, {extra[1]}) of output padding" if any(extra) else "")
        + (" (Keras' default: stride - span)" if any(extra) and p.output_padding is None
           else ""),
    ]
    target = f"full[{axis_slice('i', dh, sh, 'h')}, {axis_slice('j', dw, sw, 'w')}]"
    taps = [
        f"for i in range({kh}):",
        f"    for j in range({kw}):",
        "        if kernel[i, j] != 0:  # tap (i, j) of every input pixel at once",
    ]
    if multi:
        lines += [
            "# one 2-D kernel on every channel (Keras' kernel (kh, kw, 1, C) holds it C times):",
            "# the channels' scatters add up into one map",
            "for ch in range(image.shape[2]):",
            *("    " + t for t in taps),
            f"                {target} += kernel[i, j] * image[:, :, ch]",
        ]
    else:
        lines += [*taps, f"            {target} += kernel[i, j] * image"]
    lines.append(f"conv = full[{top}:{top + ho}, {left}:{left + wo}]  # the crop: {ho}×{wo}")
    return lines + finish_lines(p)


def _depthwise_lines(input_shape: tuple[int, ...], khw: tuple[int, int],
                     p: PipelineParams) -> list[str]:
    hw = (input_shape[0], input_shape[1])
    multi = len(input_shape) == 3
    c = input_shape[2] if multi else 1
    m = p.depth_multiplier
    kh, kw = khw
    (sh, sw), (dh, dw) = p.stride, p.dilation
    pads = conv_pads(hw, khw, p)
    top, bottom, left, right = pads
    separable = p.family == "separable"
    depth = "depth" if separable else "conv"
    pad = f"(({top}, {bottom}), ({left}, {right}), (0, 0))" if multi else (
        f"(({top}, {bottom}), ({left}, {right}))")
    lines = [
        "",
        "# --- step 1, depthwise: as Keras' SeparableConv2D begins -----------------------"
        if separable else
        "# --- the depthwise convolution, as Keras' DepthwiseConv2D computes it ---------",
        padding_comment(pads, p),
        f"x = np.pad(image, {pad})" + ("" if multi else "[:, :, None]  # one channel"),
        f"span = ({(kh - 1) * dh + 1}, {(kw - 1) * dw + 1})  # (k - 1) * dilation + 1",
        f"ho = (x.shape[0] - span[0]) // {sh} + 1        # ⌊(n - span) / stride⌋ + 1",
        f"wo = (x.shape[1] - span[1]) // {sw} + 1",
        f"M = {m}  # the depth multiplier: kernels per channel, here all your one kernel",
        f"{depth} = np.zeros((ho, wo, x.shape[2] * M), dtype=np.float32)"
        "  # map c·M + m: channel c, kernel m",
        "for c in range(x.shape[2]):  # each channel filtered on its own: no sum across them",
        "    part = np.zeros((ho, wo), dtype=np.float32)",
        f"    for i in range({kh}):",
        f"        for j in range({kw}):",
        "            if kernel[i, j] != 0:  # add each tap's weighted, shifted copy of the channel",
        f"                part += kernel[i, j] * x[{axis_slice('i', dh, sh, 'ho')}, "
        f"{axis_slice('j', dw, sw, 'wo')}, c]",
        "    for m in range(M):",
        f"        {depth}[:, :, c * M + m] = part"
        + ("  # the same kernel, so the same map" if m > 1 else ""),
    ]
    if not separable:
        return lines + finish_lines(p, c * m)
    return lines + [
        "",
        "# --- step 2, the pointwise 1×1 conv: each output pixel weighs the maps there ---",
        f"pointwise = np.ones({c * m}, dtype=np.float32)  # the workspace's pointwise weights: "
        "all 1",
        "conv = np.zeros((ho, wo), dtype=np.float32)",
        f"for k in range({c * m}):",
        "    conv += pointwise[k] * depth[:, :, k]",
    ] + finish_lines(p)

