"""Random-access steps of a transposed convolution: each input pixel scatters kernel × value.

Step i is input pixel i in row-major order. It adds ``x[r, c] · kernel`` to a kh×kw block of the
output whose top-left is ``(r·s - top, c·s - left)`` (taps cropped by the padding fall outside).
Each step also says what those output cells hold once it has added its share (``running``) and
at the end (``final``), computed in O((kh·kw)²) from the few input pixels that reach each cell,
so nothing grows with the image. :meth:`TransposeSteps.correlation_steps` gives the same output
as an ordinary convolution's steps over the zero-inserted, padded input with the flipped kernel.

A depthwise convolution steps as an ordinary one whose kernel weighs only its own channel
(:func:`depthwise_kernel_as_conv`), so map ``f`` visibly reads channel ``f // M`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import PairLike
from .convolution import PaddingLike, _bias_vector
from .family import _prepare_transpose, scatter_transpose, transpose_as_correlation
from .steps import ConvSteps, _Steps
from .transpose_shape import _geometry

__all__ = ["TransposeStep", "TransposeSteps", "depthwise_kernel_as_conv", "transpose_steps"]


@dataclass(frozen=True)
class TransposeStep:
    """One input pixel of a transposed convolution and what it adds to the output.

    Attributes
    ----------
    index : int
        Position in row-major input order.
    in_pos : tuple of int
        (row, col) of the input pixel.
    source : numpy.ndarray
        Its values, one per input channel: (C,).
    window : tuple of int
        Output (row, col) of kernel tap (0, 0); may lie outside the output when cropped.
    targets : numpy.ndarray
        int (kh, kw, 2): the output (row, col) each tap lands on.
    inside : numpy.ndarray
        bool (kh, kw): which taps land inside the output (the rest are cropped by the padding).
    products : numpy.ndarray
        ``source[c] · kernel[i, j, f, c]``: (kh, kw, F, C); (kh, kw) for a 2-D input and kernel.
    contributions : numpy.ndarray
        ``products`` summed over the input channels: what each tap adds, (kh, kw, F) or (kh, kw).
    running : numpy.ndarray
        The output at each target once this step has added its share (bias included), like
        ``contributions``; NaN where the tap is cropped.
    final : numpy.ndarray
        The full output at each target; NaN where the tap is cropped.
    """

    index: int
    in_pos: tuple[int, int]
    source: np.ndarray
    window: tuple[int, int]
    targets: np.ndarray
    inside: np.ndarray
    products: np.ndarray
    contributions: np.ndarray
    running: np.ndarray
    final: np.ndarray


class TransposeSteps(_Steps[TransposeStep]):
    """Steps of a transposed convolution; see :func:`transpose_steps`."""

    def __init__(
        self,
        x: Any,
        kernel: Any,
        *,
        stride: PairLike = 1,
        padding: PaddingLike = "valid",
        output_padding: PairLike | None = None,
        dilation: PairLike = 1,
        bias: Any = 0.0,
    ) -> None:
        img, ker, self.flat = _prepare_transpose(x, kernel)
        self.x, self.kernel = img, ker
        self.padding, self.output_padding = padding, output_padding
        self.stride, self.dilation, out_hw, self.pads = _geometry(
            img.shape[:2], ker.shape[:2], stride, padding, output_padding, dilation)
        self.biases = _bias_vector(bias, ker.shape[2])
        self._out = scatter_transpose(img, ker, self.stride, self.dilation, self.pads, out_hw)
        self._out += self.biases
        self.output = self._out[:, :, 0] if self.flat else self._out

    def __len__(self) -> int:
        return int(self.x.shape[0] * self.x.shape[1])

    def position(self, index: int) -> tuple[int, int]:
        """Return the input (row, col) of step ``index``."""
        return divmod(index, int(self.x.shape[1]))

    def index_of(self, row: int, col: int) -> int:
        """Return the step index of input pixel (row, col)."""
        return row * int(self.x.shape[1]) + col

    def correlation_steps(self) -> ConvSteps:
        """Return the same output as steps of a stride-1 convolution with the flipped kernel.

        The input is the zero-inserted, padded one of
        :func:`convstudio.core.transpose_as_correlation`; step ``i`` there is output pixel ``i``.
        """
        view = transpose_as_correlation(self.x[:, :, 0] if self.flat else self.x,
                                        self.kernel[:, :, 0, 0] if self.flat else self.kernel,
                                        stride=self.stride, padding=self.padding,
                                        output_padding=self.output_padding,
                                        dilation=self.dilation)
        bias = float(self.biases[0]) if self.flat else self.biases
        return ConvSteps(view.upsampled, view.flipped_kernel, dilation=self.dilation, bias=bias)

    def _landing(self, r: int, c: int) -> tuple[np.ndarray, np.ndarray]:
        kh, kw = self.kernel.shape[:2]
        (sh, sw), (dh, dw) = self.stride, self.dilation
        rows = r * sh + np.arange(kh) * dh - self.pads.top
        cols = c * sw + np.arange(kw) * dw - self.pads.left
        targets = np.stack(np.broadcast_arrays(rows[:, None], cols[None, :]), axis=-1)
        ho, wo = self._out.shape[:2]
        inside = ((rows >= 0) & (rows < ho))[:, None] & ((cols >= 0) & (cols < wo))[None, :]
        return targets, inside

    def _running(self, r: int, c: int, targets: np.ndarray, inside: np.ndarray) -> np.ndarray:
        """Bias plus the shares of input pixels up to (r, c) at each target: O((kh·kw)²)."""
        kh, kw, f, _ = self.kernel.shape
        (sh, sw), (dh, dw) = self.stride, self.dilation
        h, w = self.x.shape[:2]
        out = np.full((kh, kw, f), np.nan, np.float32)
        for i, j in zip(*np.nonzero(inside), strict=True):
            tr, tc = targets[i, j] + (self.pads.top, self.pads.left)
            acc = self.biases.astype(np.float64)
            for a in range(kh):
                qr, rem_r = divmod(int(tr) - a * dh, sh)
                if rem_r or not 0 <= qr < h or qr > r:
                    continue
                for b in range(kw):
                    qc, rem_c = divmod(int(tc) - b * dw, sw)
                    if rem_c or not 0 <= qc < w or (qr == r and qc > c):
                        continue
                    acc = acc + self.kernel[a, b] @ self.x[qr, qc]
            out[i, j] = acc
        return out

    def _make(self, j: int) -> TransposeStep:
        r, c = self.position(j)
        targets, inside = self._landing(r, c)
        source = self.x[r, c].copy()
        products = self.kernel * source  # (kh, kw, F, C)
        contributions = products.sum(axis=-1)
        final = np.full(contributions.shape, np.nan, np.float32)
        final[inside] = self._out[targets[inside][:, 0], targets[inside][:, 1]]
        running = self._running(r, c, targets, inside)
        if self.flat:
            products, contributions = products[:, :, 0, 0], contributions[:, :, 0]
            running, final = running[:, :, 0], final[:, :, 0]
        return TransposeStep(
            index=j,
            in_pos=(r, c),
            source=source,
            window=(int(targets[0, 0, 0]), int(targets[0, 0, 1])),
            targets=targets,
            inside=inside,
            products=products,
            contributions=contributions,
            running=running,
            final=final,
        )


def transpose_steps(
    x: Any,
    kernel: Any,
    *,
    stride: PairLike = 1,
    padding: PaddingLike = "valid",
    output_padding: PairLike | None = None,
    dilation: PairLike = 1,
    bias: Any = 0.0,
) -> TransposeSteps:
    """Return a transposed convolution's steps (one per input pixel) as a random-access sequence.

    Parameters
    ----------
    x, kernel, stride, padding, output_padding, dilation, bias
        As in :func:`convstudio.core.conv2d_transpose`.

    Returns
    -------
    TransposeSteps
        ``len()`` is H*W; ``[i]`` is a :class:`TransposeStep` in O((kh·kw)²·F·C); ``output`` is
        the full result.
    """
    return TransposeSteps(x, kernel, stride=stride, padding=padding,
                          output_padding=output_padding, dilation=dilation, bias=bias)


def depthwise_kernel_as_conv(kernel: Any) -> np.ndarray:
    """Return a ``DepthwiseConv2D`` kernel as the ``Conv2D`` kernel that computes the same maps.

    Parameters
    ----------
    kernel : array_like
        (kh, kw, C, M), Keras' depthwise layout: M kernels per input channel.

    Returns
    -------
    numpy.ndarray
        float32 (kh, kw, C, C·M): filter ``f = c·M + m`` (Keras' output order) holds
        ``kernel[:, :, c, m]`` on channel c and zeros on every other channel, so
        ``conv2d(x, result)`` equals ``depthwise_conv2d(x, kernel)``.

    Raises
    ------
    ValueError
        If ``kernel`` is not 4-D.
    """
    ker = np.asarray(kernel, np.float32)
    if ker.ndim != 4:
        raise ValueError(f"kernel must be (kh, kw, C, M), got shape {ker.shape}")
    kh, kw, c, m = ker.shape
    out = np.zeros((kh, kw, c, c * m), np.float32)
    for ch in range(c):
        out[:, :, ch, ch * m:(ch + 1) * m] = ker[:, :, ch, :]
    return out
