"""What a layer costs: its parameters and its multiply-adds, written out for the screen.

Multiply-adds count every product the layer computes, padding zeros included (as FLOP counters
for Keras models do); the bias additions are not multiply-adds. A transposed convolution counts
every input value times every kernel tap, the ones cropped away by its padding included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ._validate import PairLike, as_pair
from .convolution import PaddingLike, output_shape
from .transpose_shape import conv_transpose_output_shape

__all__ = ["LAYER_KINDS", "LayerCost", "layer_cost"]

LAYER_KINDS = ("standard", "transposed", "depthwise", "separable", "dense")


@dataclass(frozen=True)
class LayerCost:
    """Parameters and multiply-adds of one layer.

    Attributes
    ----------
    kind : str
        One of :data:`LAYER_KINDS`.
    input_shape, output_shape : tuple of int
        (H, W, C) and (H', W', F) (``(n,)`` and ``(units,)`` for a dense layer).
    weights, biases : int
        Parameter counts; ``params`` is their sum, as Keras' ``count_params()``.
    mult_adds : int
        Multiply-adds of one forward pass of one image.
    params_text, mult_adds_text : str
        The products spelled out, e.g. ``"3·3·1·32 + 32 = 320"``.
    """

    kind: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    weights: int
    biases: int
    mult_adds: int
    params_text: str
    mult_adds_text: str

    @property
    def params(self) -> int:
        """Weights plus biases."""
        return self.weights + self.biases


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return value


def _product(*terms: int) -> str:
    return "·".join(str(t) for t in terms)


def _join(parts: list[tuple[int, str]]) -> tuple[int, str]:
    total = sum(v for v, _ in parts)
    text = " + ".join(t for _, t in parts)
    return total, (text if len(parts) == 1 and "·" not in text else f"{text} = {total:,}")


def layer_cost(
    kind: str,
    input_shape: tuple[int, ...],
    kernel_size: PairLike = 3,
    filters: int = 1,
    *,
    stride: PairLike = 1,
    padding: PaddingLike = "valid",
    dilation: PairLike = 1,
    output_padding: PairLike | None = None,
    depth_multiplier: int = 1,
    use_bias: bool = True,
) -> LayerCost:
    """Return the parameters and multiply-adds of a convolution-family or dense layer.

    Parameters
    ----------
    kind : {"standard", "transposed", "depthwise", "separable", "dense"}
        Keras ``Conv2D``, ``Conv2DTranspose``, ``DepthwiseConv2D``, ``SeparableConv2D`` or
        ``Dense``.
    input_shape : tuple of int
        (H, W) or (H, W, C); for "dense", any shape (it is flattened).
    kernel_size : int or pair of int
        Kernel height and width (ignored for "dense").
    filters : int
        Output channels F (units for "dense"; ignored for "depthwise", whose output has C·M).
    stride, padding, dilation, output_padding
        As in :func:`convstudio.core.conv2d` / :func:`convstudio.core.conv2d_transpose`.
    depth_multiplier : int
        M, kernels per input channel for "depthwise" and "separable".
    use_bias : bool
        Whether the layer has biases (one per output channel).

    Returns
    -------
    LayerCost
        Shapes, counts and the counts spelled out.

    Raises
    ------
    ValueError
        Naming the argument and what is allowed.
    """
    if kind not in LAYER_KINDS:
        raise ValueError(f"kind must be one of {', '.join(LAYER_KINDS)}, got {kind!r}")
    shape = tuple(int(s) for s in input_shape)
    if not shape or any(s < 1 for s in shape):
        raise ValueError(f"input_shape must hold sizes >= 1, got {input_shape!r}")
    filters = _positive(filters, "filters")
    if kind == "dense":
        n = math.prod(shape)
        b = filters if use_bias else 0
        params = _join([(n * filters, _product(n, filters))] + ([(b, str(b))] if b else []))
        macs = (n * filters, f"{_product(n, filters)} = {n * filters:,}")
        return LayerCost(kind, shape, (filters,), n * filters, b, macs[0], params[1], macs[1])
    if len(shape) not in (2, 3):
        raise ValueError(f"input_shape must be (H, W) or (H, W, C), got {input_shape!r}")
    h, w = shape[:2]
    c = shape[2] if len(shape) == 3 else 1
    kh, kw = as_pair(kernel_size, "kernel_size")
    m = _positive(depth_multiplier, "depth_multiplier")
    if kind == "transposed":
        ho, wo = conv_transpose_output_shape((h, w), (kh, kw), stride=stride, padding=padding,
                                             output_padding=output_padding, dilation=dilation)
    else:
        if output_padding is not None:
            raise ValueError("output_padding applies only to kind 'transposed'")
        ho, wo = output_shape((h, w), (kh, kw), stride=stride, padding=padding,
                              dilation=dilation)
    out_c = c * m if kind == "depthwise" else filters
    if kind in ("standard", "transposed"):
        layout = (kh, kw, c, filters) if kind == "standard" else (kh, kw, filters, c)
        weights = [(kh * kw * c * filters, _product(*layout))]
        macs_terms = ([(ho * wo * filters * kh * kw * c, _product(ho, wo, filters, kh, kw, c))]
                      if kind == "standard"
                      else [(h * w * c * kh * kw * filters, _product(h, w, c, kh, kw, filters))])
    else:
        weights = [(kh * kw * c * m, _product(kh, kw, c, m))]
        macs_terms = [(ho * wo * c * m * kh * kw, _product(ho, wo, c * m, kh, kw))]
        if kind == "separable":
            weights.append((c * m * filters, _product(c * m, filters)))
            macs_terms.append((ho * wo * c * m * filters, _product(ho, wo, c * m, filters)))
    n_bias = out_c if use_bias else 0
    total_w = sum(v for v, _ in weights)
    params = _join(weights + ([(n_bias, str(n_bias))] if n_bias else []))
    macs = _join(macs_terms)
    return LayerCost(kind, (h, w, c), (ho, wo, out_c), total_w, n_bias, macs[0], params[1],
                     macs[1])
