"""2-D convolution exactly as Keras ``Conv2D`` computes it (cross-correlation, float32).

Padding follows TensorFlow: ``"same"`` pads ``max((ceil(n/s)-1)*s + (k-1)*d + 1 - n, 0)`` in total
per axis, the odd pixel going to the bottom/right. ``"full"`` (not a Keras mode, but the one
``scipy.signal.correlate2d`` calls full) pads ``(k-1)*d`` on every side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import PairLike, as_float_array, as_pair

PADDING_MODES = ("valid", "same", "full")
PaddingLike = str | int | tuple[int, int] | list[int]

# OpenCV switches filter2D to a DFT when the kernel has 50 or more taps; the DFT's float32
# round-off is far larger than Keras' direct sum, so bigger kernels take the NumPy path.
_CV2_MAX_TAPS = 49
# Above this many (input channel, filter) pairs one matrix product beats per-pair filtering.
_LOOP_MAX_PAIRS = 64


@dataclass(frozen=True)
class Pads:
    """Zero padding added to each side of the input, in pixels."""

    top: int
    bottom: int
    left: int
    right: int


def _same_total(n: int, k_eff: int, s: int) -> int:
    return max((math.ceil(n / s) - 1) * s + k_eff - n, 0)


def _pads(
    hw: tuple[int, int],
    khw: tuple[int, int],
    st: tuple[int, int],
    padding: PaddingLike,
    dl: tuple[int, int],
) -> Pads:
    """Compute padding for already-validated stride and dilation pairs."""
    ekh, ekw = (khw[0] - 1) * dl[0] + 1, (khw[1] - 1) * dl[1] + 1
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return Pads(0, 0, 0, 0)
        if mode == "same":
            th, tw = _same_total(hw[0], ekh, st[0]), _same_total(hw[1], ekw, st[1])
            return Pads(th // 2, th - th // 2, tw // 2, tw - tw // 2)
        if mode == "full":
            return Pads(ekh - 1, ekh - 1, ekw - 1, ekw - 1)
        raise ValueError(
            f"padding must be one of {', '.join(PADDING_MODES)}, an int or a pair of ints "
            f">= 0, got {padding!r}"
        )
    ph, pw = as_pair(padding, "padding", minimum=0)
    return Pads(ph, ph, pw, pw)


def _out_hw(
    hw: tuple[int, int],
    khw: tuple[int, int],
    st: tuple[int, int],
    dl: tuple[int, int],
    pads: Pads,
) -> tuple[int, int]:
    hp, wp = hw[0] + pads.top + pads.bottom, hw[1] + pads.left + pads.right
    ekh, ekw = (khw[0] - 1) * dl[0] + 1, (khw[1] - 1) * dl[1] + 1
    if ekh > hp or ekw > wp:
        raise ValueError(
            f"kernel {khw[0]}x{khw[1]} (dilation {dl[0]},{dl[1]} spans {ekh}x{ekw}) is larger "
            f"than the padded input {hp}x{wp}; use a smaller kernel or dilation, or more padding"
        )
    return (hp - ekh) // st[0] + 1, (wp - ekw) // st[1] + 1


def resolve_padding(
    input_hw: tuple[int, int],
    kernel_hw: tuple[int, int],
    *,
    stride: PairLike = 1,
    padding: PaddingLike = "valid",
    dilation: PairLike = 1,
) -> Pads:
    """Return the zero padding a padding mode adds around an input.

    Parameters
    ----------
    input_hw, kernel_hw : pair of int
        Input and kernel height and width.
    stride, dilation : int or pair of int
        As in :func:`conv2d`.
    padding : {"valid", "same", "full"} or int or pair of int
        As in :func:`conv2d`.

    Returns
    -------
    Pads
        Pixels added at the top, bottom, left and right.
    """
    hw = as_pair(tuple(input_hw), "input_hw")
    khw = as_pair(tuple(kernel_hw), "kernel_hw")
    return _pads(hw, khw, as_pair(stride, "stride"), padding, as_pair(dilation, "dilation"))


def output_shape(
    input_hw: tuple[int, int],
    kernel_hw: tuple[int, int],
    *,
    stride: PairLike = 1,
    padding: PaddingLike = "valid",
    dilation: PairLike = 1,
) -> tuple[int, int]:
    """Return the (height, width) of a convolution's output.

    Parameters
    ----------
    input_hw, kernel_hw : pair of int
        Input and kernel height and width.
    stride, dilation : int or pair of int
        As in :func:`conv2d`.
    padding : {"valid", "same", "full"} or int or pair of int
        As in :func:`conv2d`.

    Returns
    -------
    tuple of int
        ``(H', W')``.

    Raises
    ------
    ValueError
        If the (dilated) kernel is larger than the padded input.
    """
    hw = as_pair(tuple(input_hw), "input_hw")
    khw = as_pair(tuple(kernel_hw), "kernel_hw")
    st, dl = as_pair(stride, "stride"), as_pair(dilation, "dilation")
    return _out_hw(hw, khw, st, dl, _pads(hw, khw, st, padding, dl))


def _prepare(
    image: Any, kernel: Any, check_finite: bool
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Bring image to (H, W, C) and kernel to (kh, kw, C, F); say whether F was implicit."""
    img = as_float_array(image, "image", (2, 3), check_finite=check_finite)
    ker = as_float_array(kernel, "kernel", (2, 3, 4))
    if img.ndim == 2:
        img = img[:, :, None]
    single_filter = ker.ndim in (2, 3)
    if ker.ndim == 2:
        ker = ker[:, :, None, None]
    elif ker.ndim == 3:
        ker = ker[:, :, :, None]
    if ker.shape[2] != img.shape[2]:
        raise ValueError(
            f"kernel has {ker.shape[2]} input channel(s) but image has {img.shape[2]}; the "
            f"kernel must be (kh, kw, C) or (kh, kw, C, F) with C = {img.shape[2]}"
        )
    return img, ker, single_filter


def _bias_vector(bias: Any, filters: int) -> np.ndarray:
    try:
        b = np.asarray(bias, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bias must be a number or one number per filter: {exc}") from exc
    if b.ndim == 0:
        b = np.full(filters, b, dtype=np.float32)
    if b.shape != (filters,):
        raise ValueError(f"bias must be a number or have shape ({filters},), got {b.shape}")
    if not np.isfinite(b).all():
        raise ValueError("bias must be finite (no NaN or infinity)")
    return b


def _corr_cv2(
    img: np.ndarray, k: np.ndarray, pads: Pads, stride: tuple[int, int], out_hw: tuple[int, int]
) -> np.ndarray:
    """Correlate one channel with OpenCV, dilation 1, fewer than 50 taps."""
    import cv2

    kh, kw = k.shape
    h, w = img.shape
    sh, sw = stride
    ho, wo = out_hw
    # filter2D's anchor puts kernel tap (ay, ax) over the output pixel and treats pixels outside
    # the image as zero, which is exactly zero padding of (ay, ax) at the top/left, provided the
    # needed outputs lie inside the image; otherwise pad explicitly.
    anchor_ok = (
        pads.top < kh and pads.left < kw and (ho - 1) * sh < h and (wo - 1) * sw < w
    )
    if not anchor_ok:
        img = cv2.copyMakeBorder(
            img, pads.top, pads.bottom, pads.left, pads.right, cv2.BORDER_CONSTANT, value=0.0
        )
        pads = Pads(0, 0, 0, 0)
    full = cv2.filter2D(
        img, cv2.CV_32F, k, anchor=(pads.left, pads.top), borderType=cv2.BORDER_CONSTANT
    )
    return full[: (ho - 1) * sh + 1 : sh, : (wo - 1) * sw + 1 : sw]


def _corr_numpy(
    padded: np.ndarray,
    k: np.ndarray,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    out_hw: tuple[int, int],
) -> np.ndarray:
    """Correlate one padded channel by summing kernel-weighted strided views."""
    sh, sw = stride
    dh, dw = dilation
    ho, wo = out_hw
    acc = np.zeros(out_hw, dtype=np.float32)
    tmp = np.empty(out_hw, dtype=np.float32)
    for i in range(k.shape[0]):
        for j in range(k.shape[1]):
            if k[i, j] == 0.0:
                continue
            view = padded[i * dh : i * dh + (ho - 1) * sh + 1 : sh,
                          j * dw : j * dw + (wo - 1) * sw + 1 : sw]
            np.multiply(view, k[i, j], out=tmp)
            acc += tmp
    return acc


def _pad(img: np.ndarray, pads: Pads) -> np.ndarray:
    if pads == Pads(0, 0, 0, 0):
        return img
    width = [(pads.top, pads.bottom), (pads.left, pads.right)] + [(0, 0)] * (img.ndim - 2)
    return np.pad(img, width)


def pad_input(
    image: Any,
    kernel_hw: tuple[int, int],
    *,
    stride: PairLike = 1,
    padding: PaddingLike = "valid",
    dilation: PairLike = 1,
) -> tuple[np.ndarray, Pads]:
    """Return the zero-padded float32 input a convolution slides over, and the padding.

    Parameters
    ----------
    image : array_like
        (H, W) or (H, W, C).
    kernel_hw : pair of int
        Kernel height and width.
    stride, padding, dilation
        As in :func:`conv2d`.

    Returns
    -------
    padded : numpy.ndarray
        The input with the padding's zeros around it.
    pads : Pads
        How many zeros were added on each side.
    """
    img = as_float_array(image, "image", (2, 3))
    pads = resolve_padding(
        img.shape[:2], kernel_hw, stride=stride, padding=padding, dilation=dilation
    )
    return _pad(img, pads), pads


def conv2d(
    image: Any,
    kernel: Any,
    *,
    stride: PairLike = 1,
    padding: PaddingLike = "valid",
    dilation: PairLike = 1,
    bias: Any = 0.0,
    check_finite: bool = True,
) -> np.ndarray:
    """Cross-correlate an image with a kernel exactly as Keras ``Conv2D`` does.

    Parameters
    ----------
    image : array_like
        (H, W) or (H, W, C).
    kernel : array_like
        (kh, kw) for a 2-D image, (kh, kw, C) for one filter over C channels, or
        (kh, kw, C, F) for F filters (Keras' weight layout).
    stride : int or pair of int
        Step between windows, (rows, columns); >= 1.
    padding : {"valid", "same", "full"} or int or pair of int
        TensorFlow's rule for "valid"/"same"; "full" pads (k-1)*d per side; ints pad
        symmetrically with zeros.
    dilation : int or pair of int
        Spacing between kernel taps; >= 1.
    bias : float or array_like
        Added to every output (one value per filter for 4-D kernels).
    check_finite : bool
        Refuse an image holding NaN or infinity. Callers that validated the image once (the
        workspace does at load time) may skip this pass over every pixel; the kernel is always
        checked.

    Returns
    -------
    numpy.ndarray
        float32 (H', W') for a 2-D/3-D kernel, (H', W', F) for a 4-D kernel.

    Raises
    ------
    ValueError
        Naming the argument and what is allowed.
    """
    img, ker, single_filter = _prepare(image, kernel, check_finite)
    kh, kw, channels, filters = ker.shape
    st = as_pair(stride, "stride")
    dl = as_pair(dilation, "dilation")
    hw = (img.shape[0], img.shape[1])
    pads = _pads(hw, (kh, kw), st, padding, dl)
    out_hw = _out_hw(hw, (kh, kw), st, dl, pads)
    b = _bias_vector(bias, filters)

    use_cv2 = dl == (1, 1) and kh * kw <= _CV2_MAX_TAPS
    if use_cv2 and channels == 1 and single_filter:
        # The live-preview path: hand back OpenCV's result without another copy.
        res = _corr_cv2(img[:, :, 0], ker[:, :, 0, 0], pads, st, out_hw)
        return res + b[0] if b[0] else res
    if channels * filters > _LOOP_MAX_PAIRS:
        out = _conv_matmul(_pad(img, pads), ker, st, dl, out_hw)
    else:
        out = np.empty((*out_hw, filters), dtype=np.float32)
        padded = None if use_cv2 else _pad(img, pads)
        for f in range(filters):
            acc = None
            for c in range(channels):
                if use_cv2:
                    part = _corr_cv2(img[:, :, c], ker[:, :, c, f], pads, st, out_hw)
                else:
                    assert padded is not None
                    part = _corr_numpy(padded[:, :, c], ker[:, :, c, f], st, dl, out_hw)
                acc = part if acc is None else acc + part
            out[:, :, f] = acc
    if b.any():
        out += b
    return out[:, :, 0] if single_filter else out


def _conv_matmul(
    padded: np.ndarray,
    ker: np.ndarray,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    out_hw: tuple[int, int],
) -> np.ndarray:
    """Many channels and filters: one (H'W', kh*kw*C) x (kh*kw*C, F) matrix product."""
    kh, kw, channels, filters = ker.shape
    sh, sw = stride
    dh, dw = dilation
    ho, wo = out_hw
    cols = np.empty((ho, wo, kh, kw, channels), dtype=np.float32)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j, :] = padded[i * dh : i * dh + (ho - 1) * sh + 1 : sh,
                                         j * dw : j * dw + (wo - 1) * sw + 1 : sw, :]
    flat = cols.reshape(ho * wo, kh * kw * channels)
    return (flat @ ker.reshape(kh * kw * channels, filters)).reshape(ho, wo, filters)
