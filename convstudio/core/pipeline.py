"""The workspace's pipeline (conv → activation → pooling) and the words that describe it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import limits
from ._validate import as_pair
from .convolution import PaddingLike, Pads, output_shape, resolve_padding
from .costs import LayerCost
from .pipeline_family import conv_stage, standard_conv, workspace_cost
from .pipeline_params import ACTIVATIONS, FAMILIES, POOLS, PipelineParams
from .pooling import avg_pool2d, max_pool2d, pool_geometry

# The parameters live in pipeline_params.py (pipeline_family.py uses them too); their names
# are the pipeline's.
__all__ = ["ACTIVATIONS", "FAMILIES", "POOLS", "PipelineParams", "PipelineResult",
           "check_workspace_limits", "connections", "describe", "run_pipeline"]


def check_workspace_limits(params: PipelineParams) -> None:
    """Raise ValueError naming the field if ``params`` lies outside the workspace's limits.

    The core computes any stride or padding; the workspace (its boxes, lessons, the command
    line) holds only what :mod:`convstudio.core.limits` allows, so what it saves it can read.
    """
    pairs: list[tuple[str, Any, limits.IntRange]] = [
        ("stride", params.stride, limits.STRIDE), ("dilation", params.dilation, limits.DILATION),
        ("pool size", params.pool_size, limits.POOL_SIZE)]
    if params.pool_stride is not None:
        pairs.append(("pool stride", params.pool_stride, limits.POOL_STRIDE))
    if params.output_padding is not None:
        pairs.append(("output padding", params.output_padding, limits.OUTPUT_PADDING))
    if not isinstance(params.padding, str):
        pairs.append(("padding", params.padding, limits.PADDING))
    for name, value, allowed in pairs:
        for v in as_pair(value, name, minimum=0):
            if not allowed.allows(v):
                raise ValueError(f"{name} must be {allowed.text()} on each axis, got {v}")
    if not limits.BIAS.allows(params.bias):
        raise ValueError(f"bias must be {limits.BIAS.text()}, got {params.bias:g}")
    if not limits.DEPTH_MULTIPLIER.allows(params.depth_multiplier):
        raise ValueError(f"depth multiplier must be {limits.DEPTH_MULTIPLIER.text()}, got "
                         f"{params.depth_multiplier}")
    if params.family == "transposed" and params.output_padding is not None:
        (oh, ow), (sh, sw) = params.output_padding, params.stride
        if oh >= sh or ow >= sw:
            raise ValueError(f"output padding must be smaller than the stride on each axis "
                             f"(Keras' rule), got output padding ({oh},{ow}) with stride "
                             f"({sh},{sw}); lower the output padding first")


@dataclass(frozen=True)
class PipelineResult:
    """The outputs of one run, and where each output pixel sits over the input."""

    conv: np.ndarray
    pooled: np.ndarray | None
    params: PipelineParams
    input_hw: tuple[int, int]
    kernel_hw: tuple[int, int]
    channels: int
    banner: str
    pads: Pads  # the zeros the padding mode added on each side (transposed: cropped)
    cost: LayerCost | None = None  # the conv layer's parameters and multiply-adds
    note: str = ""  # what the mode computes with the workspace's one kernel


def _fmt_pair(p: Any) -> str:
    h, w = as_pair(p, "pair", minimum=0)
    return f"({h},{w})"


def _fmt_padding(padding: PaddingLike) -> str:
    return padding if isinstance(padding, str) else f"padding {_fmt_pair(padding)}"


def describe(
    input_hw: tuple[int, int], kernel_hw: tuple[int, int], params: PipelineParams,
    channels: int = 1,
) -> str:
    """Spell the pipeline's shapes in one line (the standard conv; see :func:`run_pipeline`).

    For example ``input 512×512 ⊛ 3×3 kernel, stride (2,1), valid → 255×510 → max-pool 2×2 →
    127×255``.

    Raises
    ------
    ValueError
        If a stage cannot run (kernel or pool larger than its input).
    """
    ho, wo = output_shape(input_hw, kernel_hw, stride=params.stride, padding=params.padding,
                          dilation=params.dilation)
    h, w = input_hw
    depth = f"×{channels}" if channels > 1 else ""
    kernel = f"{kernel_hw[0]}×{kernel_hw[1]}{depth} kernel"
    parts = [f"input {h}×{w}{depth} ⊛ {kernel}, stride {_fmt_pair(params.stride)}"]
    if params.dilation != (1, 1):
        parts.append(f"dilation {_fmt_pair(params.dilation)}")
    text = ", ".join(parts) + f", {_fmt_padding(params.padding)} → {ho}×{wo}"
    return text + _after_conv((ho, wo), params)


def _after_conv(conv_hw: tuple[int, int], params: PipelineParams, maps: int = 1) -> str:
    """Return the banner after the conv output's shape: the activation and the pooling."""
    text = " → ReLU" if params.activation == "relu" else ""
    if params.pool != "none":
        (ph, pw), (sh, sw), (qo, qw), _ = pool_geometry(
            conv_hw, params.pool_size, stride=params.pool_stride)
        stride = "" if (sh, sw) == (ph, pw) else f" stride {_fmt_pair((sh, sw))}"
        depth = f"×{maps}" if maps > 1 else ""
        text += f" → {params.pool}-pool {ph}×{pw}{stride} → {qo}×{qw}{depth}"
    return text


def connections(input_hw: tuple[int, int], kernel_hw: tuple[int, int], channels: int = 1) -> str:
    """Contrast a conv output's inputs with a dense neuron's (the lessons' partial links)."""
    seen = kernel_hw[0] * kernel_hw[1] * channels
    dense = input_hw[0] * input_hw[1] * channels
    return f"each output pixel sees {seen:,} inputs; a dense layer would see {dense:,}"


def run_pipeline(
    image: np.ndarray, kernel: np.ndarray, params: PipelineParams, *, check_finite: bool = True
) -> PipelineResult:
    """Run conv → activation → pooling on an (H, W) or (H, W, C) image.

    Parameters
    ----------
    image : numpy.ndarray
        (H, W) or (H, W, C).
    kernel : numpy.ndarray
        (kh, kw) or (kh, kw, C).
    params : PipelineParams
        Stride, padding, dilation, bias, activation, pooling and the conv family mode
        (see :mod:`convstudio.core.pipeline_family`).
    check_finite : bool
        As in :func:`convstudio.core.conv2d`.

    Returns
    -------
    PipelineResult
        The conv output (after the activation) and the pooled output.

    Raises
    ------
    ValueError
        Naming what cannot run.
    """
    channels = image.shape[2] if image.ndim == 3 else 1
    hw, khw = (image.shape[0], image.shape[1]), (kernel.shape[0], kernel.shape[1])
    cost = workspace_cost(hw, khw, channels, params)  # checks the sizes first
    note = ""
    if params.family == "standard":
        banner = describe(hw, khw, params, channels)
        conv = standard_conv(image, kernel, params, check_finite=check_finite)
        pads = resolve_padding(hw, khw, stride=params.stride, padding=params.padding,
                               dilation=params.dilation)
    else:
        stage = conv_stage(image, kernel, params)
        conv, pads, note = stage.conv, stage.pads, stage.note
        maps = conv.shape[2] if conv.ndim == 3 else 1
        banner = stage.head + _after_conv((conv.shape[0], conv.shape[1]), params, maps)
    if params.activation == "relu":
        conv = np.maximum(conv, np.float32(0.0))
    pooled = None
    if params.pool == "max":
        pooled = max_pool2d(conv, params.pool_size, stride=params.pool_stride)
    elif params.pool == "avg":
        pooled = avg_pool2d(conv, params.pool_size, stride=params.pool_stride)
    return PipelineResult(conv=conv, pooled=pooled, params=params, input_hw=hw, kernel_hw=khw,
                          channels=channels, banner=banner, pads=pads, cost=cost, note=note)
