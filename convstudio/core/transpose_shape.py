"""Sizes of a transposed convolution: Keras' ``Conv2DTranspose`` rule, and its formula on screen.

The output is cropped by the padding the forward convolution of the output would add, so the
forward convolution of an output of this size gives back the input's size.
"""

from __future__ import annotations

from typing import Any

from ._validate import PairLike, as_pair
from .convolution import PaddingLike, Pads, _out_hw, _pads

__all__ = ["conv_transpose_output_shape", "transpose_output_formula"]


def _as_output_padding(value: Any, stride: tuple[int, int]) -> tuple[int, int] | None:
    if value is None:
        return None
    op = as_pair(value, "output_padding", minimum=0)
    if op[0] >= stride[0] or op[1] >= stride[1]:
        raise ValueError(
            f"output_padding must be smaller than the stride on both axes (Keras' rule), got "
            f"output_padding={value!r} with stride {stride[0]},{stride[1]}"
        )
    return op


def _length(n: int, k: int, s: int, d: int, padding: PaddingLike, op: int | None,
            axis: int) -> int:
    """One axis of the transposed output (Keras' ``Conv2DTranspose`` rule for valid/same)."""
    ke = (k - 1) * d + 1
    if isinstance(padding, str) and padding.lower() == "valid":
        return (n - 1) * s + ke + (max(ke, s) - ke if op is None else op)
    if isinstance(padding, str) and padding.lower() == "same":
        if op is None:
            return n * s
        if ke % 2 + op < 1:
            raise ValueError(
                "output_padding must be >= 1 for a kernel of even (dilated) size with "
                f"padding 'same': (n - 1)·s + 0 + 0 would give {(n - 1) * s} rows, which a "
                f"stride-{s} 'same' convolution maps to {n - 1}, not {n} (TensorFlow refuses it)"
            )
        return (n - 1) * s + ke % 2 + op
    pads = _pads((1, 1), (k, k), (s, s), padding, (d, d))
    crop = (pads.top + pads.bottom) if axis == 0 else (pads.left + pads.right)
    return (n - 1) * s + ke - crop + (0 if op is None else op)


def _geometry(
    input_hw: tuple[int, int],
    kernel_hw: tuple[int, int],
    stride: PairLike,
    padding: PaddingLike,
    output_padding: Any,
    dilation: PairLike,
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], Pads]:
    """Return stride, dilation, output (H', W') and the padding the output is cropped by."""
    st, dl = as_pair(stride, "stride"), as_pair(dilation, "dilation")
    op = _as_output_padding(output_padding, st)
    out = tuple(
        _length(input_hw[a], kernel_hw[a], st[a], dl[a], padding, None if op is None else op[a],
                a)
        for a in (0, 1)
    )
    if out[0] < 1 or out[1] < 1:
        raise ValueError(
            f"padding {padding!r} crops more than the transposed convolution makes "
            f"({out[0]}x{out[1]}); use less padding"
        )
    ho, wo = out[0], out[1]
    pads = _pads((ho, wo), kernel_hw, st, padding, dl)
    assert _out_hw((ho, wo), kernel_hw, st, dl, pads) == tuple(input_hw)
    return st, dl, (ho, wo), pads


def conv_transpose_output_shape(
    input_hw: tuple[int, int],
    kernel_hw: tuple[int, int],
    *,
    stride: PairLike = 1,
    padding: PaddingLike = "valid",
    output_padding: PairLike | None = None,
    dilation: PairLike = 1,
) -> tuple[int, int]:
    """Return the (height, width) of a transposed convolution's output (Keras' rule).

    With ``k' = (k - 1)·d + 1``: "valid" gives ``(n - 1)·s + k' + p_out`` (``p_out`` defaults to
    ``max(k', s) - k'``); "same" gives ``n·s``, or ``(n - 1)·s + k' mod 2 + p_out`` when
    ``output_padding`` is given; explicit padding ``p`` gives ``(n - 1)·s + k' - 2p + p_out``.

    Parameters
    ----------
    input_hw, kernel_hw : pair of int
        Input and kernel height and width.
    stride, padding, dilation
        As in :func:`conv2d_transpose`.
    output_padding : int or pair of int, optional
        Extra rows/columns at the bottom/right; smaller than the stride.

    Returns
    -------
    tuple of int
        ``(H', W')``.
    """
    hw = as_pair(tuple(input_hw), "input_hw")
    khw = as_pair(tuple(kernel_hw), "kernel_hw")
    return _geometry(hw, khw, stride, padding, output_padding, dilation)[2]


def transpose_output_formula(
    axis: str,
    size: int,
    kernel: int,
    *,
    stride: int = 1,
    padding: PaddingLike = "valid",
    output_padding: int | None = None,
    dilation: int = 1,
) -> str:
    """Return the transposed output size worked out for one axis, for the screen.

    For example ``H: (5 − 1)·2 + 3 + 1 = 12`` ("valid", output_padding 1) or
    ``H: 5·2 = 10`` ("same", no output_padding); a dilated kernel shows ``1·(3 − 1) + 1``.
    """
    st = (stride, stride)
    op = _as_output_padding(output_padding, st)
    p_out = None if op is None else op[0]
    out = _length(size, kernel, stride, dilation, padding, p_out, 0)
    ke = (kernel - 1) * dilation + 1
    k_text = f"{dilation}·({kernel} − 1) + 1" if dilation > 1 else f"{kernel}"
    mode = padding.lower() if isinstance(padding, str) else None
    if mode == "same" and p_out is None:
        return f"{axis}: {size}·{stride} = {out}"
    if mode == "valid":
        extra = max(ke, stride) - ke if p_out is None else p_out
        return f"{axis}: ({size} − 1)·{stride} + {k_text} + {extra} = {out}"
    if mode == "same":
        # Keras' rule: the kernel's span less the 2·⌊span/2⌋ that 'same' crops.
        return f"{axis}: ({size} − 1)·{stride} + {ke} − 2·⌊{ke}/2⌋ + {p_out} = {out}"
    crop = (size - 1) * stride + ke + (p_out or 0) - out
    return (f"{axis}: ({size} − 1)·{stride} + {k_text} − {crop} + {p_out or 0} = {out}")
