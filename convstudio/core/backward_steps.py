"""Random-access steps of the backward pass, for the animator's Learn phase.

* :func:`kernel_grad_steps`: one step per kernel tap (filter-major, then channel, then tap in
  row-major order): the tap's gradient is Σ input × upstream gradient over the output positions.
* :func:`input_grad_steps`: one step per input pixel (channel-major): the pixel receives
  kernel × gradient from every window that covered it. This is the transposed convolution:
  ``patch`` is the zero-inserted, padded gradient under the flipped kernel.
* :func:`pool_grad_steps`: one step per pooling window: its gradient routed to the winner (max)
  or shared by its input cells (average).

Each sequence holds the full gradients (computed once by :mod:`convstudio.core.backward`) and
makes a step on demand: kernel taps in O(H'·W'), input pixels in O(kh·kw·F), pool windows in
O(pool area), whatever the index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import PairLike, as_float_array
from .backward import (
    avg_pool2d_backward,
    conv2d_backward,
    conv_geometry,
    max_pool2d_backward,
    tap_view,
    window_counts,
)
from .convolution import PaddingLike, _pad, _prepare
from .pooling import max_pool2d, pool_geometry
from .steps import _Steps

__all__ = [
    "InputGradStep",
    "InputGradSteps",
    "KernelGradStep",
    "KernelGradSteps",
    "PoolGradStep",
    "PoolGradSteps",
    "input_grad_steps",
    "kernel_grad_steps",
    "pool_grad_steps",
]


@dataclass(frozen=True)
class KernelGradStep:
    """One kernel tap's gradient.

    Attributes
    ----------
    index : int
        Filter-major, then channel, then tap (row-major) order.
    filter, channel : int
        Which filter and input channel the tap belongs to.
    tap : tuple of int
        (i, j) in the kernel.
    window : tuple of int
        Input (row, col) under the tap at output (0, 0); may be negative in the padding. At
        output (r, c) the tap reads ``window + (r·s_h, c·s_w)``.
    inputs : numpy.ndarray
        (H', W'): the input under the tap at every output position (padding zeros included).
    upstream : numpy.ndarray
        (H', W'): ∂L/∂output of this filter.
    products : numpy.ndarray
        ``inputs * upstream``; their sum is ``value`` within float32 rounding.
    value : float
        ``dkernel[i, j, channel, filter]``.
    """

    index: int
    filter: int
    channel: int
    tap: tuple[int, int]
    window: tuple[int, int]
    inputs: np.ndarray
    upstream: np.ndarray
    products: np.ndarray
    value: float


@dataclass(frozen=True)
class InputGradStep:
    """One input pixel's gradient, gathered from every window that covered it.

    Attributes
    ----------
    index : int
        Channel-major, then row-major order.
    channel : int
        Input channel.
    in_pos : tuple of int
        (row, col) in the input.
    covered : numpy.ndarray
        bool (kh, kw): kernel taps that lay on this pixel in some window.
    windows : numpy.ndarray
        int (kh, kw, 2): the output (row, col) of that window; -1 where none.
    upstream : numpy.ndarray
        ∂L/∂output at those windows, 0 where none: (kh, kw, F), or (kh, kw) for one filter.
    weights : numpy.ndarray
        The kernel taps for this channel: (kh, kw, F) or (kh, kw).
    products : numpy.ndarray
        ``weights * upstream``; their sum is ``value`` within float32 rounding.
    patch : numpy.ndarray
        ``upstream`` turned 180°: the zero-inserted, padded gradient under the flipped kernel
        (``products`` flipped = ``patch * flipped_kernel``).
    value : float
        ``dx[row, col, channel]``.
    """

    index: int
    channel: int
    in_pos: tuple[int, int]
    covered: np.ndarray
    windows: np.ndarray
    upstream: np.ndarray
    weights: np.ndarray
    products: np.ndarray
    patch: np.ndarray
    value: float


@dataclass(frozen=True)
class PoolGradStep:
    """One pooling window's gradient on its way back to the input.

    Attributes
    ----------
    index : int
        Row-major output order.
    out_pos : tuple of int
        (row, col) in the output.
    window : tuple of int
        (row, col) of the window's top-left cell in the padded input.
    gradient : float
        ∂L/∂output at ``out_pos``.
    targets : numpy.ndarray
        int (n, 2): input (row, col) cells that receive a share (the winner for max pooling,
        the window's input cells for average pooling).
    share : float
        What each target receives from this window.
    totals : numpy.ndarray
        (n,): the full ∂L/∂x at the targets (overlapping windows add up).
    """

    index: int
    out_pos: tuple[int, int]
    window: tuple[int, int]
    gradient: float
    targets: np.ndarray
    share: float
    totals: np.ndarray


class _ConvGrads:
    """The forward geometry and full gradients both conv step sequences read."""

    def __init__(self, x: Any, kernel: Any, dy: Any, stride: PairLike, padding: PaddingLike,
                 dilation: PairLike) -> None:
        grads = conv2d_backward(x, kernel, dy, stride=stride, padding=padding, dilation=dilation)
        self.dx, self.dkernel, self.dbias = grads
        img, self._kernel4, self.single_filter = _prepare(x, kernel, False)
        self.kernel = np.asarray(kernel, np.float32)
        kh, kw, c, f = self._kernel4.shape
        self.stride, self.dilation, self.pads, self.out_hw = conv_geometry(
            img.shape[:2], (kh, kw), stride, padding, dilation)
        self.padded = _pad(img, self.pads)
        g = np.asarray(dy, np.float32)
        self.dy = g[:, :, None] if g.ndim == 2 else g
        self._dx3 = self.dx.reshape(img.shape)
        self._dk4 = self.dkernel.reshape(self._kernel4.shape)
        self.in_hw = (int(img.shape[0]), int(img.shape[1]))


class KernelGradSteps(_ConvGrads, _Steps[KernelGradStep]):
    """Steps of dkernel, one per tap; see :func:`kernel_grad_steps`."""

    def __len__(self) -> int:
        return int(self._kernel4.size)

    def _make(self, j: int) -> KernelGradStep:
        kh, kw, c, _ = self._kernel4.shape
        f, rest = divmod(j, c * kh * kw)
        ch, rest = divmod(rest, kh * kw)
        i, jj = divmod(rest, kw)
        inputs = tap_view(self.padded, i, jj, self.stride, self.dilation, self.out_hw)[..., ch]
        upstream = self.dy[..., f].copy()
        dh, dw = self.dilation
        return KernelGradStep(
            index=j, filter=f, channel=ch, tap=(i, jj),
            window=(i * dh - self.pads.top, jj * dw - self.pads.left),
            inputs=inputs.copy(), upstream=upstream, products=inputs * upstream,
            value=float(self._dk4[i, jj, ch, f]),
        )


class InputGradSteps(_ConvGrads, _Steps[InputGradStep]):
    """Steps of dx, one per input pixel; see :func:`input_grad_steps`."""

    @property
    def flipped_kernel(self) -> np.ndarray:
        """The kernel turned 180° (the transposed convolution's kernel), shaped as given."""
        return self.kernel[::-1, ::-1]

    def __len__(self) -> int:
        return int(self._kernel4.shape[2] * self.in_hw[0] * self.in_hw[1])

    def position(self, index: int) -> tuple[int, int]:
        """Return the input (row, col) of step ``index``."""
        return divmod(index % (self.in_hw[0] * self.in_hw[1]), self.in_hw[1])

    def index_of(self, row: int, col: int, channel: int = 0) -> int:
        """Return the step index of input pixel (row, col) of ``channel``."""
        return (channel * self.in_hw[0] + row) * self.in_hw[1] + col

    def _make(self, j: int) -> InputGradStep:
        kh, kw = self._kernel4.shape[:2]
        ch = j // (self.in_hw[0] * self.in_hw[1])
        r, c = self.position(j)
        (sh, sw), (dh, dw) = self.stride, self.dilation
        # Tap i lay on padded row r + top in the window whose top row is r + top - i·d.
        qr = r + self.pads.top - np.arange(kh) * dh
        qc = c + self.pads.left - np.arange(kw) * dw
        ok_r = (qr % sh == 0) & (qr >= 0) & (qr // sh < self.out_hw[0])
        ok_c = (qc % sw == 0) & (qc >= 0) & (qc // sw < self.out_hw[1])
        covered = ok_r[:, None] & ok_c[None, :]
        rows = np.where(ok_r, qr // sh, -1)
        cols = np.where(ok_c, qc // sw, -1)
        windows = np.stack(np.broadcast_arrays(rows[:, None], cols[None, :]), axis=-1)
        windows[~covered] = -1
        upstream = np.zeros((kh, kw, self.dy.shape[2]), np.float32)
        upstream[covered] = self.dy[windows[covered][:, 0], windows[covered][:, 1]]
        weights = self._kernel4[:, :, ch, :]
        if self.single_filter:
            upstream, weights = upstream[..., 0], weights[..., 0]
        products = weights * upstream
        return InputGradStep(
            index=j, channel=ch, in_pos=(r, c), covered=covered, windows=windows,
            upstream=upstream, weights=weights.copy(), products=products,
            patch=upstream[::-1, ::-1].copy(), value=float(self._dx3[r, c, ch]),
        )


class PoolGradSteps(_Steps[PoolGradStep]):
    """Steps of a pooling layer's backward pass; see :func:`pool_grad_steps`."""

    def __init__(self, x: Any, dy: Any, pool_size: PairLike = 2, *,
                 stride: PairLike | None = None, padding: str = "valid",
                 op: str = "max") -> None:
        arr = as_float_array(x, "x", (2,))
        if op not in ("max", "avg"):
            raise ValueError(f"op must be 'max' or 'avg', got {op!r}")
        self.op = op
        self.pool, self.stride, out_hw, self.pads = pool_geometry(
            arr.shape, pool_size, stride=stride, padding=padding)
        backward = max_pool2d_backward if op == "max" else avg_pool2d_backward
        self.dx = backward(arr, dy, pool_size, stride=stride, padding=padding)
        self.output = np.asarray(dy, np.float32)  # the upstream gradient, one per step
        self._winners = max_pool2d(arr, pool_size, stride=stride, padding=padding,
                                   return_indices=True)[1]
        self._counts = window_counts(arr.shape, self.pool, self.stride, out_hw, self.pads)
        self._hw = arr.shape

    def _make(self, j: int) -> PoolGradStep:
        r, c = self.position(j)
        top, left = r * self.stride[0], c * self.stride[1]
        g = float(self.output[r, c])
        if self.op == "max":
            targets = self._winners[r, c][None, :].astype(np.intp)
            share = g
        else:
            r0, c0 = top - self.pads.top, left - self.pads.left
            rr = np.arange(max(r0, 0), min(r0 + self.pool[0], self._hw[0]))
            cc = np.arange(max(c0, 0), min(c0 + self.pool[1], self._hw[1]))
            targets = np.stack(np.meshgrid(rr, cc, indexing="ij"), axis=-1).reshape(-1, 2)
            share = float(np.float32(g) / self._counts[r, c])
        return PoolGradStep(
            index=j, out_pos=(r, c), window=(top, left), gradient=g, targets=targets,
            share=share, totals=self.dx[targets[:, 0], targets[:, 1]].copy(),
        )


def kernel_grad_steps(x: Any, kernel: Any, dy: Any, *, stride: PairLike = 1,
                      padding: PaddingLike = "valid", dilation: PairLike = 1) -> KernelGradSteps:
    """Return dkernel's steps, one per tap, as a random-access sequence.

    Parameters
    ----------
    x, kernel, dy, stride, padding, dilation
        As in :func:`convstudio.core.conv2d_backward`.

    Returns
    -------
    KernelGradSteps
        ``len()`` is kh·kw·C·F; ``dx``, ``dkernel`` and ``dbias`` hold the full gradients.
    """
    return KernelGradSteps(x, kernel, dy, stride, padding, dilation)


def input_grad_steps(x: Any, kernel: Any, dy: Any, *, stride: PairLike = 1,
                     padding: PaddingLike = "valid", dilation: PairLike = 1) -> InputGradSteps:
    """Return dx's steps, one per input pixel (channel-major), as a random-access sequence.

    Parameters
    ----------
    x, kernel, dy, stride, padding, dilation
        As in :func:`convstudio.core.conv2d_backward`.

    Returns
    -------
    InputGradSteps
        ``len()`` is C·H·W; ``flipped_kernel`` is the transposed convolution's kernel.
    """
    return InputGradSteps(x, kernel, dy, stride, padding, dilation)


def pool_grad_steps(x: Any, dy: Any, pool_size: PairLike = 2, *,
                    stride: PairLike | None = None, padding: str = "valid",
                    op: str = "max") -> PoolGradSteps:
    """Return a pooling layer's backward steps, one per window, as a random-access sequence.

    Parameters
    ----------
    x : array_like
        The pooling layer's input, (H, W).
    dy : array_like
        ∂L/∂output, (H', W').
    pool_size, stride, padding
        As in :func:`convstudio.core.max_pool2d`.
    op : {"max", "avg"}
        Which pooling.

    Returns
    -------
    PoolGradSteps
        ``len()`` is H'·W'; ``dx`` is the full ∂L/∂x.
    """
    return PoolGradSteps(x, dy, pool_size, stride=stride, padding=padding, op=op)
