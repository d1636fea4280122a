"""The backward pass of a convolution and of pooling: exact gradients, float32, no TensorFlow.

For ``y = conv2d(x, kernel) + bias`` and an upstream gradient ``dy = ∂L/∂y``:

* ``dkernel[i, j, c, f] = Σ_(r, s) x_padded[r·s_h + i·d_h, s·s_w + j·d_w, c] · dy[r, s, f]``: each
  tap sums input × upstream gradient over the positions it touched;
* ``dx`` is the transposed convolution of ``dy`` with the same kernel (the scatter of
  :func:`convstudio.core.family.scatter_transpose`), cropped to the input: each input pixel
  receives kernel × gradient from every window that covered it;
* ``dbias[f] = Σ dy[..., f]``.

Max pooling sends each window's gradient to its winner (the first maximum, as the forward pass);
average pooling shares it equally among the window's input cells, padding left out of the count
as Keras does.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._validate import PairLike, as_float_array, as_pair
from .convolution import PaddingLike, Pads, _out_hw, _pad, _pads, _prepare
from .family import scatter_transpose
from .pooling import max_pool2d, pool_geometry

__all__ = ["ConvGradients", "avg_pool2d_backward", "conv2d_backward", "max_pool2d_backward"]


class ConvGradients(NamedTuple):
    """Gradients of a loss with respect to a convolution's input, kernel and bias."""

    dx: np.ndarray
    dkernel: np.ndarray
    dbias: np.ndarray


def _as_upstream(dy: Any, expected: tuple[int, ...]) -> np.ndarray:
    arr = as_float_array(dy, "dy", (2, 3))
    if arr.shape != expected:
        raise ValueError(
            f"dy must have the layer output's shape {expected}, got {arr.shape}"
        )
    return arr


def conv_geometry(
    x_hw: tuple[int, int],
    kernel_hw: tuple[int, int],
    stride: PairLike,
    padding: PaddingLike,
    dilation: PairLike,
) -> tuple[tuple[int, int], tuple[int, int], Pads, tuple[int, int]]:
    """Return stride, dilation, padding and output (H', W') of a forward convolution."""
    st, dl = as_pair(stride, "stride"), as_pair(dilation, "dilation")
    pads = _pads(x_hw, kernel_hw, st, padding, dl)
    return st, dl, pads, _out_hw(x_hw, kernel_hw, st, dl, pads)


def tap_view(
    padded: np.ndarray,
    i: int,
    j: int,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    out_hw: tuple[int, int],
) -> np.ndarray:
    """Return the padded input under kernel tap (i, j) at every output position: (H', W'[, C])."""
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, out_hw
    return padded[i * dh : i * dh + (ho - 1) * sh + 1 : sh,
                  j * dw : j * dw + (wo - 1) * sw + 1 : sw]


def _kernel_gradient(
    padded: np.ndarray,
    g: np.ndarray,
    kernel_hw: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> np.ndarray:
    """Σ over output positions of (input under each tap) ⊗ dy, one matrix product per tap."""
    (kh, kw), c = kernel_hw, padded.shape[2]
    ho, wo, f = g.shape
    flat_g = g.reshape(ho * wo, f)
    dker = np.empty((kh, kw, c, f), np.float32)
    for i in range(kh):
        for j in range(kw):
            view = tap_view(padded, i, j, stride, dilation, (ho, wo))
            dker[i, j] = view.reshape(ho * wo, c).T @ flat_g
    return dker


def conv2d_backward(
    x: Any,
    kernel: Any,
    dy: Any,
    *,
    stride: PairLike = 1,
    padding: PaddingLike = "valid",
    dilation: PairLike = 1,
) -> ConvGradients:
    """Return the gradients of a convolution given the gradient of its output.

    Parameters
    ----------
    x : array_like
        The layer's input: (H, W) or (H, W, C).
    kernel : array_like
        (kh, kw), (kh, kw, C) or (kh, kw, C, F), as in :func:`convstudio.core.conv2d`.
    dy : array_like
        ∂L/∂output: (H', W') for a 2-D or 3-D kernel, (H', W', F) for a 4-D one.
    stride, padding, dilation
        As in :func:`convstudio.core.conv2d`.

    Returns
    -------
    ConvGradients
        ``dx`` shaped as ``x``, ``dkernel`` shaped as ``kernel``, and ``dbias``: (F,) for a
        4-D kernel, a 0-d array otherwise. All float32.

    Raises
    ------
    ValueError
        Naming the argument: bad geometry, mismatched channels, or ``dy`` not the output's shape.
    """
    img, ker, single_filter = _prepare(x, kernel, True)
    kernel_shape = np.shape(kernel)
    kh, kw, c, f = ker.shape
    st, dl, pads, out_hw = conv_geometry(img.shape[:2], (kh, kw), stride, padding, dilation)
    g = _as_upstream(dy, out_hw if single_filter else (*out_hw, f))
    g3 = g[:, :, None] if single_filter else g
    dker = _kernel_gradient(_pad(img, pads), g3, (kh, kw), st, dl)
    dx = scatter_transpose(g3, ker, st, dl, pads, img.shape[:2])
    dbias = g3.sum(axis=(0, 1), dtype=np.float64).astype(np.float32)
    return ConvGradients(
        dx.reshape(np.shape(x)),
        dker.reshape(kernel_shape),
        dbias[0].reshape(()) if single_filter else dbias,
    )


def max_pool2d_backward(
    x: Any,
    dy: Any,
    pool_size: PairLike = 2,
    *,
    stride: PairLike | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """Return ∂L/∂x of max pooling: each window's gradient goes to its winner.

    Parameters
    ----------
    x : array_like
        The pooling layer's input: (H, W) or (H, W, C).
    dy : array_like
        ∂L/∂output: (H', W'[, C]).
    pool_size, stride, padding
        As in :func:`convstudio.core.max_pool2d`.

    Returns
    -------
    numpy.ndarray
        float32, shaped as ``x``; a pixel that wins several overlapping windows gets the sum of
        their gradients, one that wins none gets 0.
    """
    arr = as_float_array(x, "x", (2, 3))
    out, winners = max_pool2d(arr, pool_size, stride=stride, padding=padding,
                              return_indices=True)
    g = _as_upstream(dy, out.shape)
    h, w = arr.shape[:2]
    flat = winners[..., 0] * w + winners[..., 1]
    if arr.ndim == 3:
        flat = flat * arr.shape[2] + np.arange(arr.shape[2])
    dx = np.bincount(flat.ravel(), weights=g.ravel(), minlength=arr.size)
    return dx.astype(np.float32).reshape(arr.shape)


def avg_pool2d_backward(
    x: Any,
    dy: Any,
    pool_size: PairLike = 2,
    *,
    stride: PairLike | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """Return ∂L/∂x of average pooling: each window's gradient shared by its input cells.

    Parameters
    ----------
    x : array_like
        The pooling layer's input: (H, W) or (H, W, C).
    dy : array_like
        ∂L/∂output: (H', W'[, C]).
    pool_size, stride, padding
        As in :func:`convstudio.core.avg_pool2d`; with "same", a window's share is its gradient
        over the number of input cells it covers (padding is not counted).

    Returns
    -------
    numpy.ndarray
        float32, shaped as ``x``.
    """
    arr = as_float_array(x, "x", (2, 3))
    pool, (sh, sw), (ho, wo), pads = pool_geometry(arr.shape[:2], pool_size, stride=stride,
                                                   padding=padding)
    g = _as_upstream(dy, (ho, wo, *arr.shape[2:]))
    count = window_counts(arr.shape[:2], pool, (sh, sw), (ho, wo), pads)
    share = g / (count if g.ndim == 2 else count[..., None])
    hp, wp = arr.shape[0] + pads.top + pads.bottom, arr.shape[1] + pads.left + pads.right
    dxp = np.zeros((hp, wp, *arr.shape[2:]), np.float32)
    for i in range(pool[0]):
        for j in range(pool[1]):
            dxp[i : i + (ho - 1) * sh + 1 : sh, j : j + (wo - 1) * sw + 1 : sw] += share
    return dxp[pads.top : pads.top + arr.shape[0], pads.left : pads.left + arr.shape[1]]


def window_counts(
    hw: tuple[int, int],
    pool: tuple[int, int],
    stride: tuple[int, int],
    out_hw: tuple[int, int],
    pads: Pads,
) -> np.ndarray:
    """Return how many input cells (padding excluded) each pooling window covers: (H', W')."""
    (ho, wo), (sh, sw) = out_hw, stride
    rows = np.arange(ho) * sh - pads.top
    cols = np.arange(wo) * sw - pads.left
    nr = np.minimum(rows + pool[0], hw[0]) - np.maximum(rows, 0)
    nc = np.minimum(cols + pool[1], hw[1]) - np.maximum(cols, 0)
    return (nr[:, None] * nc[None, :]).astype(np.float32)
