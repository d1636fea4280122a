"""The workspace's conv stage in each mode of the family, and the words that describe it.

The workspace edits one 2-D kernel. Each mode uses it as a layer of that kind would use one
kernel, and says so (:attr:`FamilyStage.note`):

- standard: Keras ``Conv2D`` with one filter; on all channels the kernel is repeated over them
  and their sums add up;
- transposed: ``Conv2DTranspose`` with one filter, the kernel (kh, kw, 1, C) repeated over the
  C input channels, their scatters summed into one map;
- depthwise: ``DepthwiseConv2D``, every one of the C·M kernels the kernel itself (so a
  channel's M maps are equal): the output keeps C·M maps;
- separable: that depthwise step, then a 1×1 pointwise conv of weights all 1 into one map (the
  same numbers as standard mode, at another cost).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import as_pair
from .convolution import PaddingLike, Pads, conv2d, output_shape, resolve_padding
from .costs import LayerCost, layer_cost
from .family import conv2d_transpose, depthwise_conv2d, separable_conv2d
from .pipeline_params import PipelineParams
from .transpose_shape import _geometry, transpose_output_formula

__all__ = ["FamilyStage", "conv_stage", "workspace_cost"]


@dataclass(frozen=True)
class FamilyStage:
    """One mode's conv output (bias added, no activation), its words and its geometry."""

    conv: np.ndarray  # (H', W'), or (H', W', C·M) for depthwise
    head: str  # the banner up to the conv output's shape
    pads: Pads  # zeros added (transposed: rows and columns cropped from the output)
    note: str


def _pair_text(p: Any) -> str:
    h, w = as_pair(p, "pair", minimum=0)
    return f"({h},{w})"


def _padding_text(padding: PaddingLike) -> str:
    return padding if isinstance(padding, str) else f"padding {_pair_text(padding)}"


def _shape(hw: tuple[int, ...], channels: int) -> str:
    return f"{hw[0]}×{hw[1]}" + (f"×{channels}" if channels > 1 else "")


def _settings(params: PipelineParams) -> str:
    text = f"stride {_pair_text(params.stride)}"
    if params.dilation != (1, 1):
        text += f", dilation {_pair_text(params.dilation)}"
    return text + f", {_padding_text(params.padding)}"


def transpose_formulas(input_hw: tuple[int, int], kernel_hw: tuple[int, int],
                       params: PipelineParams) -> str:
    """Return the transposed output size worked out for both axes (one line when they agree).

    For example ``H′ = W′: (512 − 1)·2 + 3 − 2·⌊3/2⌋ + 1 = 1024``.
    """
    op = params.output_padding
    texts = []
    for axis, a in (("H′", 0), ("W′", 1)):
        pad = params.padding
        if not isinstance(pad, str):
            p = as_pair(pad, "padding", minimum=0)[a]
            pad = (p, p)
        texts.append(transpose_output_formula(
            axis, input_hw[a], kernel_hw[a], stride=params.stride[a], padding=pad,
            output_padding=None if op is None else op[a], dilation=params.dilation[a]))
    rows, cols = texts
    if rows[2:] == cols[2:]:
        return "H′ = W′" + rows[2:]
    return f"{rows}; {cols}"


def _channels3(kernel: np.ndarray) -> np.ndarray:
    return kernel if kernel.ndim == 3 else kernel[:, :, None]


def conv_stage(image: np.ndarray, kernel: np.ndarray, params: PipelineParams) -> FamilyStage:
    """Run the conv stage of a non-standard mode on (H, W) or (H, W, C) with (kh, kw[, C]).

    Raises
    ------
    ValueError
        Naming what cannot run: output padding not below the stride, a kernel whose channels
        do not match the image's, a kernel larger than the padded input.
    """
    hw = (int(image.shape[0]), int(image.shape[1]))
    c = int(image.shape[2]) if image.ndim == 3 else 1
    khw = (int(kernel.shape[0]), int(kernel.shape[1]))
    k3 = _channels3(kernel)
    if k3.shape[2] != c:
        raise ValueError(f"the kernel spans {k3.shape[2]} channel(s) but the image has {c}; "
                         "choose a channel setting that matches")
    kernel_text = f"{khw[0]}×{khw[1]}"
    m = params.depth_multiplier
    if params.family == "transposed":
        st, dl, out_hw, pads = _geometry(hw, khw, params.stride, params.padding,
                                         params.output_padding, params.dilation)
        conv = conv2d_transpose(image, k3[:, :, None, :], stride=st, padding=params.padding,
                                output_padding=params.output_padding, dilation=dl,
                                bias=params.bias)[:, :, 0]
        op = "" if params.output_padding is None else (
            f", output padding {_pair_text(params.output_padding)}")
        head = (f"input {_shape(hw, c)} ⊛ᵀ {kernel_text}{'×' + str(c) if c > 1 else ''}, "
                f"{_settings(params)}{op} → {out_hw[0]}×{out_hw[1]} "
                f"({transpose_formulas(hw, khw, params)})")
        spread = (f"{params.stride[0]} rows and {params.stride[1]} columns apart"
                  if params.stride[0] != params.stride[1] else
                  f"{params.stride[0]} pixel{'s' if params.stride[0] > 1 else ''} apart")
        note = (f"Transposed: each input pixel adds your kernel × its value to the output, "
                f"{spread}; the padding is cropped")
        note += f"; the {c} channels' sums add up." if c > 1 else "."
        return FamilyStage(conv, head, pads, note)
    pads = resolve_padding(hw, khw, stride=params.stride, padding=params.padding,
                           dilation=params.dilation)
    depth_kernel = np.repeat(k3[..., None], m, axis=3)
    ho, wo = output_shape(hw, khw, stride=params.stride, padding=params.padding,
                          dilation=params.dilation)
    depth = f"{kernel_text}, depth multiplier {m}"
    same = f", so each channel's {m} maps are equal" if m > 1 else ""
    one = " On one channel it is an ordinary conv: choose channel 'all'." if c == 1 else ""
    if params.family == "depthwise":
        conv = depthwise_conv2d(image, depth_kernel, stride=params.stride,
                                padding=params.padding, dilation=params.dilation,
                                bias=params.bias)
        head = (f"input {_shape(hw, c)} → depthwise {depth}, {_settings(params)} → "
                f"{ho}×{wo}×{c * m}")
        note = (f"Depthwise: each channel filtered on its own, no sum across channels; all "
                f"{c}·{m} kernels are your one kernel{same}.{one}")
        return FamilyStage(conv, head, pads, note)
    if params.family != "separable":
        raise ValueError(f"family must be transposed, depthwise or separable here, got "
                         f"{params.family!r}")
    pointwise = np.ones((c * m, 1), np.float32)
    conv = separable_conv2d(image, depth_kernel, pointwise, stride=params.stride,
                            padding=params.padding, dilation=params.dilation,
                            bias=params.bias)[:, :, 0]
    head = (f"input {_shape(hw, c)} → depthwise {depth}, {_settings(params)} → "
            f"{_shape((ho, wo), c * m)} → pointwise 1×1 ({c * m} → 1) → {ho}×{wo}")
    note = (f"Separable: depthwise (all {c * m} kernels yours), then a 1×1 pointwise of "
            f"weights all 1 that sums the maps: standard mode's output with your kernel on "
            "every channel" + (f", its sums × {m}." if m > 1 else "."))
    return FamilyStage(conv, head, pads, note)


def workspace_cost(input_hw: tuple[int, int], kernel_hw: tuple[int, int], channels: int,
                   params: PipelineParams) -> LayerCost:
    """Return the parameters and multiply-adds of the workspace's layer in its mode.

    One filter (one output map: the standard, transposed and separable modes), a bias per
    output map, and for depthwise and separable the depth multiplier.
    """
    extra: dict[str, Any] = {}
    if params.family == "transposed":
        extra["output_padding"] = params.output_padding
    if params.family in ("depthwise", "separable"):
        extra["depth_multiplier"] = params.depth_multiplier
    return layer_cost(params.family, (input_hw[0], input_hw[1], channels), kernel_hw, 1,
                      stride=params.stride, padding=params.padding, dilation=params.dilation,
                      **extra)


def cost_text(cost: LayerCost, *, short: bool = False) -> str:
    """Spell a layer's counts for the screen: parameters, then multiply-adds.

    ``short`` gives the totals only (projection mode), else their products too.
    """
    if short:
        return f"{cost.params:,} parameters · {cost.mult_adds:,} multiply-adds"
    return f"Parameters: {cost.params_text} · multiply-adds: {cost.mult_adds_text}"


def standard_conv(image: np.ndarray, kernel: np.ndarray, params: PipelineParams, *,
                  check_finite: bool) -> np.ndarray:
    """Keras ``Conv2D`` with one filter: the standard mode's conv stage."""
    return conv2d(image, kernel, stride=params.stride, padding=params.padding,
                  dilation=params.dilation, bias=params.bias, check_finite=check_finite)
