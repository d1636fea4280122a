"""Independent references for the core tests, written from the spec rather than our code."""

import math

import numpy as np
from scipy.signal import correlate2d


def tf_same_pads(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TensorFlow's 'same' rule as ARCHITECTURE.md states it."""
    total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def reference_conv(image, kernel, stride=(1, 1), padding="valid", dilation=(1, 1), bias=0.0):
    """Single-channel cross-correlation via scipy.signal.correlate2d on the padded input."""
    image = np.asarray(image, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    (h, w), (kh, kw) = image.shape, kernel.shape
    sh, sw = stride
    dh, dw = dilation
    if padding == "valid":
        pads = ((0, 0), (0, 0))
    elif padding == "same":
        pads = (tf_same_pads(h, kh, sh, dh), tf_same_pads(w, kw, sw, dw))
    elif padding == "full":
        pads = (((kh - 1) * dh,) * 2, ((kw - 1) * dw,) * 2)
    else:
        ph, pw = padding
        pads = ((ph, ph), (pw, pw))
    padded = np.pad(image, pads)
    dilated = np.zeros(((kh - 1) * dh + 1, (kw - 1) * dw + 1))
    dilated[::dh, ::dw] = kernel
    return correlate2d(padded, dilated, mode="valid")[::sh, ::sw] + bias


def reference_pool(x, pool, stride, padding, op):
    """Explicit-loop pooling: windows clipped to the input; padding never counts."""
    x = np.asarray(x, dtype=np.float64)
    (h, w), (ph, pw), (sh, sw) = x.shape, pool, stride
    if padding == "valid":
        ho, wo, top, left = (h - ph) // sh + 1, (w - pw) // sw + 1, 0, 0
    else:
        ho, wo = math.ceil(h / sh), math.ceil(w / sw)
        top = max((ho - 1) * sh + ph - h, 0) // 2
        left = max((wo - 1) * sw + pw - w, 0) // 2
    out = np.empty((ho, wo))
    for r in range(ho):
        for c in range(wo):
            r0, c0 = r * sh - top, c * sw - left
            block = x[max(r0, 0) : r0 + ph, max(c0, 0) : c0 + pw]
            out[r, c] = block.max() if op == "max" else block.mean()
    return out


def tolerance(image, kernel) -> float:
    """float32 round-off bound: relative to the largest partial sum the output can hold."""
    return 1e-5 * max(1.0, float(np.abs(kernel).sum() * np.abs(image).max()))
