"""Float64 references for the convolution family and the backward pass, written from the spec.

Every function here loops over the definition (output position by output position) instead of
sharing code with the core; the sizes follow Keras' own rules as written in its source.
"""

import math

import numpy as np

from .reference import reference_conv, tf_same_pads


def pair(v):
    return (v, v) if np.isscalar(v) else tuple(v)


def forward_pads(n, k, s, d, padding):
    """(before, after) padding of a forward convolution of length n (TensorFlow's rules)."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        return tf_same_pads(n, k, s, d)
    if padding == "full":
        return (k - 1) * d, (k - 1) * d
    return padding, padding


def keras_transpose_length(n, k, s, d, padding, op):
    """keras.src.backend.common.backend_utils._get_output_shape_given_tf_padding, and torch's."""
    ke = (k - 1) * d + 1
    if padding == "valid":
        return (n - 1) * s + ke + (max(ke, s) - ke if op is None else op)
    if padding == "same":
        return n * s if op is None else (n - 1) * s + ke % 2 + op
    p = ke - 1 if padding == "full" else padding
    return (n - 1) * s + ke - 2 * p + (op or 0)


def axis_padding(padding, a):
    return padding if isinstance(padding, str) or np.isscalar(padding) else padding[a]


def conv_pads(x_hw, k_hw, stride, padding, dilation):
    """((top, bottom), (left, right)) of a forward convolution."""
    return tuple(forward_pads(x_hw[a], k_hw[a], pair(stride)[a], pair(dilation)[a],
                              axis_padding(padding, a)) for a in (0, 1))


def conv_ref(x, k, stride, padding, dilation):
    """x (H, W, C) * k (kh, kw, C, F) -> (H', W', F), float64, by explicit windows."""
    x, k = np.asarray(x, np.float64), np.asarray(k, np.float64)
    (sh, sw), (dh, dw) = pair(stride), pair(dilation)
    kh, kw = k.shape[:2]
    ph, pw = conv_pads(x.shape, k.shape, stride, padding, dilation)
    xp = np.pad(x, [ph, pw, (0, 0)])
    ho = (xp.shape[0] - (kh - 1) * dh - 1) // sh + 1
    wo = (xp.shape[1] - (kw - 1) * dw - 1) // sw + 1
    out = np.zeros((ho, wo, k.shape[3]))
    for r in range(ho):
        for c in range(wo):
            patch = xp[r * sh : r * sh + (kh - 1) * dh + 1 : dh,
                       c * sw : c * sw + (kw - 1) * dw + 1 : dw]
            out[r, c] = np.einsum("ijc,ijcf->f", patch, k)
    return out, ph, pw


def transpose_ref(x, k, stride, padding, output_padding, dilation):
    """Keras Conv2DTranspose by its definition: every input pixel scatters kernel × value."""
    x, k = np.asarray(x, np.float64), np.asarray(k, np.float64)  # k: (kh, kw, F, C)
    (sh, sw), (dh, dw) = pair(stride), pair(dilation)
    op = (None, None) if output_padding is None else pair(output_padding)
    h, w, _ = x.shape
    kh, kw, f, _ = k.shape
    ho = keras_transpose_length(h, kh, sh, dh, axis_padding(padding, 0), op[0])
    wo = keras_transpose_length(w, kw, sw, dw, axis_padding(padding, 1), op[1])
    (top, _), (left, _) = conv_pads((ho, wo), (kh, kw), stride, padding, dilation)
    out = np.zeros((ho, wo, f))
    for r in range(h):
        for c in range(w):
            for i in range(kh):
                for j in range(kw):
                    rr, cc = r * sh + i * dh - top, c * sw + j * dw - left
                    if 0 <= rr < ho and 0 <= cc < wo:
                        out[rr, cc] += k[i, j] @ x[r, c]
    return out


def depthwise_ref(x, k, stride, padding, dilation):
    """Per-channel SciPy correlation, channel c·M + m from kernel[:, :, c, m]."""
    maps = [reference_conv(x[..., c], k[:, :, c, m], pair(stride), padding, pair(dilation))
            for c in range(k.shape[2]) for m in range(k.shape[3])]
    return np.stack(maps, axis=-1)


def conv_backward_ref(x, k, dy, stride, padding, dilation):
    """Gradients of sum(conv(x, k) * dy) by the chain rule, window by window, in float64."""
    x, k, dy = (np.asarray(a, np.float64) for a in (x, k, dy))
    (sh, sw), (dh, dw) = pair(stride), pair(dilation)
    kh, kw = k.shape[:2]
    ph, pw = conv_pads(x.shape, k.shape, stride, padding, dilation)
    xp = np.pad(x, [ph, pw, (0, 0)])
    dxp = np.zeros_like(xp)
    dk = np.zeros_like(k)
    for r in range(dy.shape[0]):
        for c in range(dy.shape[1]):
            rows = slice(r * sh, r * sh + (kh - 1) * dh + 1, dh)
            cols = slice(c * sw, c * sw + (kw - 1) * dw + 1, dw)
            dk += xp[rows, cols][..., None] * dy[r, c]
            dxp[rows, cols] += k @ dy[r, c]
    dx = dxp[ph[0] : ph[0] + x.shape[0], pw[0] : pw[0] + x.shape[1]]
    return dx, dk, dy.sum(axis=(0, 1))


def pool_backward_ref(x, dy, pool, stride, padding, op):
    """Route each output gradient to the window's first maximum, or share it over its cells."""
    x, dy = np.asarray(x, np.float64), np.asarray(dy, np.float64)
    (ph, pw), (sh, sw) = pool, stride
    h, w = x.shape[:2]
    if padding == "valid":
        top = left = 0
    else:
        top = max((math.ceil(h / sh) - 1) * sh + ph - h, 0) // 2
        left = max((math.ceil(w / sw) - 1) * sw + pw - w, 0) // 2
    dx = np.zeros_like(x)
    for r in range(dy.shape[0]):
        for c in range(dy.shape[1]):
            r0, c0 = r * sh - top, c * sw - left
            rs, cs = slice(max(r0, 0), r0 + ph), slice(max(c0, 0), c0 + pw)
            block = x[rs, cs]
            if op == "avg":
                dx[rs, cs] += dy[r, c] / (block.shape[0] * block.shape[1])
                continue
            for ch in range(x.shape[2]):
                flat = block[..., ch].reshape(-1)
                a = int(np.argmax(flat))
                dx[rs.start + a // block.shape[1], cs.start + a % block.shape[1], ch] += \
                    dy[r, c, ch]
    return dx


def assert_float32_close(got, ref, bound):
    """Assert ``got`` equals ``ref`` to float32 rounding.

    Relative 1e-5, plus an absolute part scaled to the largest partial sum (``bound``).
    """
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5 * max(1.0, float(np.max(bound))))


def tf_safe(kernel_hw, stride):
    """Whether TensorFlow may get this case: never a 1×1 kernel with a stride other than 1
    (oneDNN corrupts the heap on it)."""
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
    return tuple(kernel_hw) != (1, 1) or (sh, sw) == (1, 1)

