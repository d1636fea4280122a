"""Max and average pooling with Keras ``MaxPooling2D`` / ``AveragePooling2D`` semantics.

With ``padding="same"`` Keras pads so the output is ``ceil(n/s)``; padded cells never win a max
and are left out of an average's count (TensorFlow's rule). Ties go to the first maximum in
row-major order, as ``numpy.argmax``.
"""

from __future__ import annotations

import math
from typing import Any, Literal, overload

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import PairLike, as_float_array, as_pair
from .convolution import Pads

POOL_PADDINGS = ("valid", "same")


def pool_geometry(
    input_hw: tuple[int, int],
    pool_size: PairLike = 2,
    *,
    stride: PairLike | None = None,
    padding: str = "valid",
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], Pads]:
    """Return pool size, stride, output (H', W') and padding for a pooling layer.

    Parameters
    ----------
    input_hw : pair of int
        Input height and width.
    pool_size : int or pair of int
        Window size; >= 1.
    stride : int or pair of int, optional
        Defaults to ``pool_size`` as in Keras.
    padding : {"valid", "same"}
        Keras padding mode.

    Returns
    -------
    tuple
        ``(pool, stride, out_hw, pads)``.
    """
    ph, pw = as_pair(pool_size, "pool_size")
    sh, sw = as_pair(stride if stride is not None else (ph, pw), "stride")
    h, w = input_hw
    if not isinstance(padding, str) or padding.lower() not in POOL_PADDINGS:
        raise ValueError(f"padding must be 'valid' or 'same' for pooling, got {padding!r}")
    if padding.lower() == "valid":
        if ph > h or pw > w:
            raise ValueError(
                f"pool_size {ph}x{pw} is larger than the input {h}x{w}; use a smaller pool "
                f"or padding='same'"
            )
        return (ph, pw), (sh, sw), ((h - ph) // sh + 1, (w - pw) // sw + 1), Pads(0, 0, 0, 0)
    ho, wo = math.ceil(h / sh), math.ceil(w / sw)
    th, tw = max((ho - 1) * sh + ph - h, 0), max((wo - 1) * sw + pw - w, 0)
    return (ph, pw), (sh, sw), (ho, wo), Pads(th // 2, th - th // 2, tw // 2, tw - tw // 2)


def _pad(x: np.ndarray, pads: Pads, fill: float) -> np.ndarray:
    if pads == Pads(0, 0, 0, 0):
        return x
    width = [(pads.top, pads.bottom), (pads.left, pads.right)] + [(0, 0)] * (x.ndim - 2)
    return np.pad(x, width, constant_values=fill)


def _reduce_offsets(
    padded: np.ndarray,
    pool: tuple[int, int],
    stride: tuple[int, int],
    out_hw: tuple[int, int],
    op: np.ufunc,
) -> np.ndarray:
    """Fold ``op`` over the pool_h*pool_w strided views, one per window offset.

    Each pass is one vectorised sweep over the output; numpy's reduction over a reshaped
    (H', ph, W', pw) view is ~20x slower at 2048².
    """
    (ho, wo), (sh, sw) = out_hw, stride
    acc: np.ndarray | None = None
    for i in range(pool[0]):
        for j in range(pool[1]):
            view = padded[i : i + (ho - 1) * sh + 1 : sh, j : j + (wo - 1) * sw + 1 : sw]
            acc = view.copy() if acc is None else op(acc, view, out=acc)
    assert acc is not None
    return acc


def _windows(
    x: np.ndarray, pool: tuple[int, int], stride: tuple[int, int], pads: Pads, fill: float
) -> np.ndarray:
    """Return a (H', W', [C,] ph, pw) view of the pooling windows over the padded input."""
    return sliding_window_view(_pad(x, pads, fill), pool, axis=(0, 1))[:: stride[0], :: stride[1]]


@overload
def max_pool2d(
    x: Any, pool_size: PairLike = ..., *, stride: PairLike | None = ...,
    padding: str = ..., return_indices: Literal[False] = ...,
) -> np.ndarray: ...
@overload
def max_pool2d(
    x: Any, pool_size: PairLike = ..., *, stride: PairLike | None = ...,
    padding: str = ..., return_indices: Literal[True],
) -> tuple[np.ndarray, np.ndarray]: ...


def max_pool2d(
    x: Any,
    pool_size: PairLike = 2,
    *,
    stride: PairLike | None = None,
    padding: str = "valid",
    return_indices: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Keep the largest value of each pooling window (Keras ``MaxPooling2D``).

    Parameters
    ----------
    x : array_like
        (H, W) or (H, W, C).
    pool_size : int or pair of int
        Window size; >= 1.
    stride : int or pair of int, optional
        Defaults to ``pool_size``.
    padding : {"valid", "same"}
        Keras padding mode.
    return_indices : bool
        Also return each window's winner as (row, col) in the unpadded input.

    Returns
    -------
    out : numpy.ndarray
        float32 (H', W') or (H', W', C).
    winners : numpy.ndarray
        Only with ``return_indices``: int (H', W', [C,] 2), the first maximum in row-major order.
    """
    arr = as_float_array(x, "x", (2, 3))
    pool, st, (ho, wo), pads = pool_geometry(
        arr.shape[:2], pool_size, stride=stride, padding=padding
    )
    if not return_indices:
        return _reduce_offsets(_pad(arr, pads, -np.inf), pool, st, (ho, wo), np.maximum)
    win = _windows(arr, pool, st, pads, -np.inf)
    flat = win.reshape(*win.shape[:-2], pool[0] * pool[1])
    arg = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0].astype(np.float32)
    rows = np.arange(ho).reshape((ho, 1) + (1,) * (arr.ndim - 2)) * st[0]
    cols = np.arange(wo).reshape((1, wo) + (1,) * (arr.ndim - 2)) * st[1]
    win_r = rows + arg // pool[1] - pads.top
    win_c = cols + arg % pool[1] - pads.left
    return out, np.stack([win_r, win_c], axis=-1).astype(np.intp)


def avg_pool2d(
    x: Any,
    pool_size: PairLike = 2,
    *,
    stride: PairLike | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """Average each pooling window (Keras ``AveragePooling2D``).

    Parameters
    ----------
    x : array_like
        (H, W) or (H, W, C).
    pool_size : int or pair of int
        Window size; >= 1.
    stride : int or pair of int, optional
        Defaults to ``pool_size``.
    padding : {"valid", "same"}
        Keras padding mode; padded cells are not counted in the mean.

    Returns
    -------
    numpy.ndarray
        float32 (H', W') or (H', W', C).
    """
    arr = as_float_array(x, "x", (2, 3))
    pool, st, out_hw, pads = pool_geometry(
        arr.shape[:2], pool_size, stride=stride, padding=padding
    )
    total = _reduce_offsets(_pad(arr, pads, 0.0), pool, st, out_hw, np.add)
    if pads == Pads(0, 0, 0, 0):
        return total / np.float32(pool[0] * pool[1])
    ones = np.ones(arr.shape[:2], dtype=np.float32)
    count = _reduce_offsets(_pad(ones, pads, 0.0), pool, st, out_hw, np.add)
    if arr.ndim == 3:
        count = count[..., None]
    return (total / count).astype(np.float32)
