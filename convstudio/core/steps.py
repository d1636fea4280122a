"""Random-access step sequences for the animator.

A sequence holds the padded input and the full output (both O(H*W), times the filters); each step
is made on demand in O(window) time, so a 2048x2048 trace costs no more memory than one image.
A convolution with F filters steps filter-major: every position of filter 0, then filter 1, ...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

import numpy as np

from ._validate import PairLike, as_float_array, as_pair
from .convolution import PaddingLike, Pads, _bias_vector, conv2d, pad_input, resolve_padding
from .pooling import avg_pool2d, max_pool2d, pool_geometry


@dataclass(frozen=True)
class ConvStep:
    """One output pixel of a convolution.

    Attributes
    ----------
    index : int
        Position in filter-major, then row-major output order.
    out_pos : tuple of int
        (row, col) in the output.
    window : tuple of int
        (row, col) of the window's top-left cell in the padded input.
    patch : numpy.ndarray
        Values under the (dilated) kernel taps, padding zeros included: (kh, kw[, C]).
    products : numpy.ndarray
        ``patch * kernel`` (this filter's kernel) before summing.
    bias : float
        This filter's bias, added after the sum.
    value : float
        The full output at ``out_pos`` (and ``filter``).
    filter : int
        Which filter (output channel) this step computes.
    channel_sums : numpy.ndarray
        (C,): the products summed over each input channel's kh x kw taps; (1,) for a 2-D kernel.
        ``channel_sums.sum() + bias`` is ``value`` within float32 rounding.
    """

    index: int
    out_pos: tuple[int, int]
    window: tuple[int, int]
    patch: np.ndarray
    products: np.ndarray
    bias: float
    value: float
    filter: int = 0
    channel_sums: np.ndarray = field(default_factory=lambda: np.zeros(1, np.float32))


@dataclass(frozen=True)
class PoolStep:
    """One output pixel of a pooling layer.

    Attributes
    ----------
    index : int
        Position in row-major output order.
    out_pos : tuple of int
        (row, col) in the output.
    window : tuple of int
        (row, col) of the window's top-left cell in the padded input.
    patch : numpy.ndarray
        Values under the window; NaN marks padding, which takes no part.
    winner : tuple of int
        (row, col) in the unpadded input of the first maximum in row-major order.
    value : float
        The pooled value (maximum or mean).
    """

    index: int
    out_pos: tuple[int, int]
    window: tuple[int, int]
    patch: np.ndarray
    winner: tuple[int, int]
    value: float


T = TypeVar("T")


class _Steps(Sequence[T]):
    """Row-major output steps with O(1) random access (negative indices too)."""

    output: np.ndarray

    def __len__(self) -> int:
        return int(self.output.shape[0] * self.output.shape[1])

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return [self._make(j) for j in range(*i.indices(len(self)))]
        if isinstance(i, bool) or not isinstance(i, int | np.integer):
            raise TypeError(f"step index must be an int, got {type(i).__name__}")
        n = len(self)
        j = int(i) + n if i < 0 else int(i)
        if not 0 <= j < n:
            raise IndexError(f"step {i} out of range for {n} steps")
        return self._make(j)

    def position(self, index: int) -> tuple[int, int]:
        """Return the output (row, col) of step ``index``."""
        return divmod(index, int(self.output.shape[1]))

    def index_of(self, row: int, col: int) -> int:
        """Return the step index of output pixel (row, col)."""
        return row * int(self.output.shape[1]) + col

    def _make(self, j: int) -> T:
        raise NotImplementedError


class ConvSteps(_Steps[ConvStep]):
    """Steps of a convolution layer, filter-major; see :func:`conv_steps`."""

    def __init__(
        self,
        image: Any,
        kernel: Any,
        *,
        stride: PairLike = 1,
        padding: PaddingLike = "valid",
        dilation: PairLike = 1,
        bias: Any = 0.0,
    ) -> None:
        ker = as_float_array(kernel, "kernel", (2, 3, 4))
        if ker.ndim == 4 and ker.shape[3] == 1:
            ker = ker[..., 0]
        self.kernel = ker
        self.filters = int(ker.shape[3]) if ker.ndim == 4 else 1
        self.stride = as_pair(stride, "stride")
        self.dilation = as_pair(dilation, "dilation")
        self.biases = _bias_vector(bias, self.filters)
        self.bias: float | np.ndarray = float(bias) if np.ndim(bias) == 0 else self.biases
        self.output = conv2d(
            image, ker, stride=stride, padding=padding, dilation=dilation, bias=bias
        )
        self.padded, self.pads = pad_input(
            image, ker.shape[:2], stride=stride, padding=padding, dilation=dilation
        )
        if ker.ndim >= 3 and self.padded.ndim == 2:
            # A (kh, kw, 1[, F]) kernel on a 2-D image: the patch keeps its channel axis.
            self.padded = self.padded[:, :, None]
        self._plane = int(self.output.shape[0] * self.output.shape[1])

    def __len__(self) -> int:
        return self._plane * self.filters

    def position(self, index: int) -> tuple[int, int]:
        """Return the output (row, col) of step ``index``."""
        return divmod(index % self._plane, int(self.output.shape[1]))

    def filter_of(self, index: int) -> int:
        """Return the filter (output channel) of step ``index``."""
        return index // self._plane

    def index_of(self, row: int, col: int, filter: int = 0) -> int:
        """Return the step index of output pixel (row, col) of ``filter``."""
        return filter * self._plane + row * int(self.output.shape[1]) + col

    def filter_kernel(self, f: int) -> np.ndarray:
        """Return filter ``f``'s weights: (kh, kw) or (kh, kw, C)."""
        return self.kernel if self.filters == 1 else self.kernel[..., f]

    def _make(self, j: int) -> ConvStep:
        f = j // self._plane
        r, c = self.position(j)
        top, left = r * self.stride[0], c * self.stride[1]
        kh, kw = self.kernel.shape[:2]
        dh, dw = self.dilation
        rows = slice(top, top + (kh - 1) * dh + 1, dh)
        cols = slice(left, left + (kw - 1) * dw + 1, dw)
        patch = self.padded[rows, cols].copy()
        products = patch * self.filter_kernel(f)
        sums = products.sum(axis=(0, 1)) if products.ndim == 3 else products.sum()[None]
        value = self.output[r, c] if self.output.ndim == 2 else self.output[r, c, f]
        return ConvStep(
            index=j,
            out_pos=(r, c),
            window=(top, left),
            patch=patch,
            products=products,
            bias=float(self.biases[f]),
            value=float(value),
            filter=f,
            channel_sums=sums.astype(np.float32),
        )


class PoolSteps(_Steps[PoolStep]):
    """Steps of a 2-D pooling layer; see :func:`pool_steps`."""

    def __init__(
        self,
        x: Any,
        pool_size: PairLike = 2,
        *,
        stride: PairLike | None = None,
        padding: str = "valid",
        op: str = "max",
    ) -> None:
        arr = as_float_array(x, "x", (2,))
        if op not in ("max", "avg"):
            raise ValueError(f"op must be 'max' or 'avg', got {op!r}")
        self.op = op
        self.pool, self.stride, _, self.pads = pool_geometry(
            arr.shape, pool_size, stride=stride, padding=padding
        )
        self.output, self._winners = max_pool2d(
            arr, pool_size, stride=stride, padding=padding, return_indices=True
        )
        if op == "avg":
            self.output = avg_pool2d(arr, pool_size, stride=stride, padding=padding)
        p = self.pads
        self.padded = np.pad(
            arr, [(p.top, p.bottom), (p.left, p.right)], constant_values=np.nan
        )

    def _make(self, j: int) -> PoolStep:
        r, c = self.position(j)
        top, left = r * self.stride[0], c * self.stride[1]
        patch = self.padded[top : top + self.pool[0], left : left + self.pool[1]].copy()
        wr, wc = self._winners[r, c]
        return PoolStep(
            index=j,
            out_pos=(r, c),
            window=(top, left),
            patch=patch,
            winner=(int(wr), int(wc)),
            value=float(self.output[r, c]),
        )


def conv_steps(
    image: Any,
    kernel: Any,
    *,
    stride: PairLike = 1,
    padding: PaddingLike = "valid",
    dilation: PairLike = 1,
    bias: Any = 0.0,
) -> ConvSteps:
    """Return the convolution's steps as a random-access sequence.

    Parameters
    ----------
    image : array_like
        (H, W) or (H, W, C).
    kernel : array_like
        (kh, kw), (kh, kw, C) or (kh, kw, C, F) (Keras' layout: F filters).
    stride, padding, dilation, bias
        As in :func:`convstudio.core.conv2d`; ``bias`` may be one number per filter.

    Returns
    -------
    ConvSteps
        ``len()`` is F*H'*W', filter-major (all positions of filter 0, then filter 1, ...);
        ``[i]`` is a :class:`ConvStep` in O(kh*kw*C). ``output`` is (H', W') for one filter,
        (H', W', F) for several.
    """
    return ConvSteps(image, kernel, stride=stride, padding=padding, dilation=dilation, bias=bias)


def pool_steps(
    x: Any,
    pool_size: PairLike = 2,
    *,
    stride: PairLike | None = None,
    padding: str = "valid",
    op: str = "max",
) -> PoolSteps:
    """Return the pooling layer's steps as a random-access sequence.

    Parameters
    ----------
    x : array_like
        (H, W).
    pool_size, stride, padding
        As in :func:`convstudio.core.max_pool2d`.
    op : {"max", "avg"}
        Which pooling.

    Returns
    -------
    PoolSteps
        ``len()`` is H'*W'; ``[i]`` is a :class:`PoolStep` in O(pool area).
    """
    return PoolSteps(x, pool_size, stride=stride, padding=padding, op=op)


__all__ = [
    "ConvStep",
    "ConvSteps",
    "Pads",
    "PoolStep",
    "PoolSteps",
    "conv_steps",
    "pool_steps",
    "resolve_padding",
]
