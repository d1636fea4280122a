"""The convolution family: transposed, depthwise and separable convolution as Keras computes them.

``conv2d_transpose`` is the adjoint of :func:`conv2d`: each input pixel scatters ``kernel x value``
into the output, which is then cropped by the padding the forward convolution of the output would
add. The kernel layout is Keras' ``Conv2DTranspose`` one, (kh, kw, F, C): F output filters, C
input channels. The same scatter, with the forward kernel (kh, kw, C, F), is the input gradient
of a convolution (see :mod:`convstudio.core.backward`).

``depthwise_conv2d`` filters each input channel on its own with M kernels (Keras
``DepthwiseConv2D``, output channel ``c*M + m``); ``separable_conv2d`` follows it with a 1x1
pointwise convolution (Keras ``SeparableConv2D``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import PairLike, as_float_array, as_pair
from .convolution import (
    _CV2_MAX_TAPS,
    PaddingLike,
    Pads,
    _bias_vector,
    _corr_cv2,
    _out_hw,
    _pad,
    _pads,
    conv2d,
)
from .transpose_shape import _geometry, conv_transpose_output_shape, transpose_output_formula

__all__ = [
    "TransposeAsCorrelation",
    "conv2d_transpose",
    "conv_transpose_output_shape",
    "depthwise_conv2d",
    "separable_conv2d",
    "transpose_as_correlation",
    "transpose_output_formula",
]


def _as_image(x: Any, name: str = "x") -> tuple[np.ndarray, bool]:
    arr = as_float_array(x, name, (2, 3))
    return (arr[:, :, None], True) if arr.ndim == 2 else (arr, False)


def scatter_transpose(
    x: np.ndarray,
    kernel: np.ndarray,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    pads: Pads,
    out_hw: tuple[int, int],
) -> np.ndarray:
    """Scatter ``x`` (H, W, B) through ``kernel`` (kh, kw, A, B) into (H', W', A), cropped.

    Input pixel (r, c) adds ``kernel[i, j] @ x[r, c]`` at (r·s + i·d, c·s + j·d) of the padded
    output; the padding is then cut away. The output is gathered as s_h·s_w phases (the rows
    ≡ p mod s_h, the columns ≡ q mod s_w), each tap adding one contiguous block to its phase,
    then interleaved once: strided adds of A-float runs were 10x slower at stride 2.
    """
    h, w, b = x.shape
    kh, kw, a, _ = kernel.shape
    (sh, sw), (dh, dw) = stride, dilation
    ho, wo = out_hw
    hp, wp = ho + pads.top + pads.bottom, wo + pads.left + pads.right
    hq, wq = -(-hp // sh), -(-wp // sw)
    phases = np.zeros((sh, sw, hq, wq, a), np.float32)
    flat = x.reshape(h * w, b)
    for i in range(kh):
        qy, py = divmod(i * dh, sh)
        for j in range(kw):
            qx, px = divmod(j * dw, sw)
            # matmul(..., out=) leaves BLAS for numpy's own loop: ~10x slower here.
            contrib = flat @ kernel[i, j].T
            phases[py, px, qy : qy + h, qx : qx + w] += contrib.reshape(h, w, a)
    if (sh, sw) == (1, 1):
        full = phases[0, 0]
    else:
        full = phases.transpose(2, 0, 3, 1, 4).reshape(hq * sh, wq * sw, a)
    return full[pads.top : pads.top + ho, pads.left : pads.left + wo]


def _prepare_transpose(x: Any, kernel: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    img, _ = _as_image(x)
    ker = as_float_array(kernel, "kernel", (2, 4))
    flat = ker.ndim == 2
    if flat:
        ker = ker[:, :, None, None]
    if ker.shape[3] != img.shape[2]:
        raise ValueError(
            f"kernel reads {ker.shape[3]} input channel(s) but x has {img.shape[2]}; a "
            f"Conv2DTranspose kernel is (kh, kw, F, C) with C = {img.shape[2]}"
        )
    return img, ker, flat


def conv2d_transpose(
    x: Any,
    kernel: Any,
    *,
    stride: PairLike = 1,
    padding: PaddingLike = "valid",
    output_padding: PairLike | None = None,
    dilation: PairLike = 1,
    bias: Any = 0.0,
) -> np.ndarray:
    """Transposed convolution exactly as Keras ``Conv2DTranspose`` computes it.

    Parameters
    ----------
    x : array_like
        (H, W) or (H, W, C).
    kernel : array_like
        (kh, kw) for a 2-D ``x``, or (kh, kw, F, C): Keras' layout, F output filters.
    stride : int or pair of int
        How far apart the input pixels land in the output; >= 1.
    padding : {"valid", "same", "full"} or int or pair of int
        The padding of the forward convolution this one undoes: it is cropped from the output.
    output_padding : int or pair of int, optional
        Extra rows/columns at the bottom/right (smaller than the stride); see
        :func:`conv_transpose_output_shape`.
    dilation : int or pair of int
        Spacing between kernel taps. Keras refuses it together with a stride > 1; the
        arithmetic here allows both.
    bias : float or array_like
        Added to every output (one value per filter).

    Returns
    -------
    numpy.ndarray
        float32 (H', W') for a 2-D ``x`` and kernel, else (H', W', F).

    Raises
    ------
    ValueError
        Naming the argument and what is allowed.
    """
    img, ker, flat = _prepare_transpose(x, kernel)
    st, dl, out_hw, pads = _geometry(img.shape[:2], ker.shape[:2], stride, padding,
                                     output_padding, dilation)
    out = scatter_transpose(img, ker, st, dl, pads, out_hw)
    b = _bias_vector(bias, ker.shape[2])
    if b.any():
        out += b
    return out[:, :, 0] if flat else out


@dataclass(frozen=True)
class TransposeAsCorrelation:
    """A transposed convolution seen as an ordinary one.

    Attributes
    ----------
    upsampled : numpy.ndarray
        The input with ``stride - 1`` zeros inserted between pixels, then zero-padded by
        ``k' - 1 - crop`` before and after (output_padding adds rows at the bottom/right):
        (Hu, Wu[, C]).
    flipped_kernel : numpy.ndarray
        The kernel turned 180° with its F and C axes swapped: a Conv2D kernel (kh, kw, C, F).
    insert, before, after : tuple of int
        Zeros inserted between pixels (rows, cols), and padding before/after (rows, cols).
    output : numpy.ndarray
        ``conv2d(upsampled, flipped_kernel, stride=1, dilation=d)``, equal to
        :func:`conv2d_transpose`'s result.
    """

    upsampled: np.ndarray
    flipped_kernel: np.ndarray
    insert: tuple[int, int]
    before: tuple[int, int]
    after: tuple[int, int]
    output: np.ndarray


def transpose_as_correlation(
    x: Any,
    kernel: Any,
    *,
    stride: PairLike = 1,
    padding: PaddingLike = "valid",
    output_padding: PairLike | None = None,
    dilation: PairLike = 1,
) -> TransposeAsCorrelation:
    """Return the "insert zeros, pad, correlate with the flipped kernel" view of a transposed conv.

    Parameters
    ----------
    x, kernel, stride, padding, output_padding, dilation
        As in :func:`conv2d_transpose`.

    Returns
    -------
    TransposeAsCorrelation
        The upsampled input, the flipped kernel, the zeros added and the output.
    """
    img, ker, flat = _prepare_transpose(x, kernel)
    (sh, sw), (dh, dw), (ho, wo), pads = _geometry(img.shape[:2], ker.shape[:2], stride,
                                                   padding, output_padding, dilation)
    h, w, c = img.shape
    kh, kw = ker.shape[:2]
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    before = (ekh - 1 - pads.top, ekw - 1 - pads.left)
    after = (ho - 1 + ekh - before[0] - ((h - 1) * sh + 1),
             wo - 1 + ekw - before[1] - ((w - 1) * sw + 1))
    up = np.zeros(((h - 1) * sh + 1, (w - 1) * sw + 1, c), np.float32)
    up[::sh, ::sw] = img
    # A crop larger than k' - 1 shows as negative padding: those rows are cut instead.
    up = _pad(up, Pads(max(before[0], 0), max(after[0], 0), max(before[1], 0), max(after[1], 0)))
    up = up[max(-before[0], 0) : up.shape[0] - max(-after[0], 0),
            max(-before[1], 0) : up.shape[1] - max(-after[1], 0)]
    flipped = np.ascontiguousarray(ker[::-1, ::-1].transpose(0, 1, 3, 2))
    out = conv2d(up, flipped, dilation=(dh, dw))
    if flat:
        return TransposeAsCorrelation(up[:, :, 0], flipped[:, :, 0, 0], (sh - 1, sw - 1),
                                      before, after, out[:, :, 0])
    return TransposeAsCorrelation(up, flipped, (sh - 1, sw - 1), before, after, out)


def depthwise_conv2d(
    x: Any,
    kernel: Any,
    *,
    stride: PairLike = 1,
    padding: PaddingLike = "valid",
    dilation: PairLike = 1,
    bias: Any = 0.0,
) -> np.ndarray:
    """Filter each channel on its own, as Keras ``DepthwiseConv2D`` does.

    Parameters
    ----------
    x : array_like
        (H, W) or (H, W, C).
    kernel : array_like
        (kh, kw, C, M): M kernels per input channel (the depth multiplier); (kh, kw) or
        (kh, kw, C) mean M = 1.
    stride, padding, dilation
        As in :func:`conv2d`.
    bias : float or array_like
        One number, or one per output channel (C·M).

    Returns
    -------
    numpy.ndarray
        float32 (H', W', C·M); output channel ``c·M + m`` is channel c filtered by
        ``kernel[:, :, c, m]`` (Keras' order).
    """
    img, _ = _as_image(x)
    ker = as_float_array(kernel, "kernel", (2, 3, 4))
    ker = ker[:, :, None, None] if ker.ndim == 2 else ker[..., None] if ker.ndim == 3 else ker
    if ker.shape[2] != img.shape[2]:
        raise ValueError(
            f"kernel has {ker.shape[2]} channel(s) but x has {img.shape[2]}; a depthwise kernel "
            f"is (kh, kw, C, M) with C = {img.shape[2]}"
        )
    kh, kw, c, m = ker.shape
    st, dl = as_pair(stride, "stride"), as_pair(dilation, "dilation")
    pads = _pads(img.shape[:2], (kh, kw), st, padding, dl)
    ho, wo = _out_hw(img.shape[:2], (kh, kw), st, dl, pads)
    out = np.empty((ho, wo, c, m), np.float32)
    if dl == (1, 1) and kh * kw <= _CV2_MAX_TAPS:
        # OpenCV's direct filter, as conv2d's single-channel path: 4x faster than NumPy here.
        for ch in range(c):
            plane = np.ascontiguousarray(img[:, :, ch])
            for mm in range(m):
                out[:, :, ch, mm] = _corr_cv2(plane, ker[:, :, ch, mm], pads, st, (ho, wo))
    else:
        padded = _pad(img, pads)
        (sh, sw), (dh, dw) = st, dl
        out[:] = 0.0
        tmp = np.empty_like(out)
        for i in range(kh):
            for j in range(kw):
                view = padded[i * dh : i * dh + (ho - 1) * sh + 1 : sh,
                              j * dw : j * dw + (wo - 1) * sw + 1 : sw]
                np.multiply(view[..., None], ker[i, j], out=tmp)
                out += tmp
    flat = out.reshape(ho, wo, c * m)
    b = _bias_vector(bias, c * m)
    if b.any():
        flat += b
    return flat


def separable_conv2d(
    x: Any,
    depthwise_kernel: Any,
    pointwise_kernel: Any,
    *,
    stride: PairLike = 1,
    padding: PaddingLike = "valid",
    dilation: PairLike = 1,
    bias: Any = 0.0,
) -> np.ndarray:
    """Depthwise then 1x1 pointwise convolution, as Keras ``SeparableConv2D``.

    Parameters
    ----------
    x : array_like
        (H, W) or (H, W, C).
    depthwise_kernel : array_like
        (kh, kw, C, M), as in :func:`depthwise_conv2d` (no bias of its own, as in Keras).
    pointwise_kernel : array_like
        (1, 1, C·M, F) (Keras' layout) or (C·M, F).
    stride, padding, dilation
        Of the depthwise step.
    bias : float or array_like
        Added after the pointwise step: one number or one per filter.

    Returns
    -------
    numpy.ndarray
        float32 (H', W', F).
    """
    depth = depthwise_conv2d(x, depthwise_kernel, stride=stride, padding=padding,
                             dilation=dilation)
    pw = as_float_array(pointwise_kernel, "pointwise_kernel", (2, 4))
    if pw.ndim == 4:
        if pw.shape[:2] != (1, 1):
            raise ValueError(f"pointwise_kernel must be 1x1, got {pw.shape[0]}x{pw.shape[1]}")
        pw = pw[0, 0]
    if pw.shape[0] != depth.shape[2]:
        raise ValueError(
            f"pointwise_kernel reads {pw.shape[0]} channel(s) but the depthwise step gives "
            f"{depth.shape[2]} (C·M); it must be (1, 1, {depth.shape[2]}, F)"
        )
    ho, wo, cm = depth.shape
    out = (depth.reshape(ho * wo, cm) @ pw).reshape(ho, wo, pw.shape[1])
    b = _bias_vector(bias, pw.shape[1])
    if b.any():
        out += b
    return out
