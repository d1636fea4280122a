"""Core rows: conv2d against SciPy, OpenCV and the lessons' loop; the convolution family and the
backward pass against TensorFlow/Keras on the CPU; the cost of steps (forward and backward)."""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

import numpy as np

from convstudio.core import (
    conv2d,
    conv2d_backward,
    conv2d_transpose,
    conv_steps,
    depthwise_conv2d,
    input_grad_steps,
    kernel_grad_steps,
    sample_image,
)

from ._harness import Row, best_time, interleaved, percentiles


def lesson_loop(image: np.ndarray, kernel: np.ndarray, weight: float = 1.0) -> np.ndarray:
    """The seed lesson's pure-Python double loop (3x3 kernel, valid borders, clipped)."""
    size_x, size_y = image.shape
    out = np.zeros_like(image)
    for x in range(1, size_x - 1):
        for y in range(1, size_y - 1):
            total = 0.0
            for i in range(3):
                for j in range(3):
                    total += float(image[x - 1 + i, y - 1 + j]) * float(kernel[i, j])
            total *= weight
            out[x, y] = min(max(total, 0.0), 255.0)
    return out


def _conv_contenders(img: np.ndarray, ker: np.ndarray, cv2: Any, ndi: Any) -> dict[str, Any]:
    return {
        "ours": lambda: conv2d(img, ker, padding="same"),
        "ours_unchecked": lambda: conv2d(img, ker, padding="same", check_finite=False),
        "ndimage": lambda: ndi.correlate(img, ker, mode="constant"),
        "cv2": lambda: cv2.filter2D(img, -1, ker, borderType=cv2.BORDER_CONSTANT),
    }


def conv_rows() -> list[Row]:
    """Single-channel conv at 512² and 2048², 3×3 and 5×5, against ndimage and cv2."""
    import cv2
    import scipy.ndimage as ndi

    rng = np.random.default_rng(0)
    rows: list[Row] = []
    for n in (512, 2048):
        img = rng.random((n, n), dtype=np.float32)
        for k in (3, 5):
            ker = rng.standard_normal((k, k)).astype(np.float32)
            t = interleaved(_conv_contenders(img, ker, cv2, ndi))
            label = f"conv2d {n}² {k}×{k} same"
            vs_nd = t["ndimage"] / t["ours"]
            rows.append(Row(f"{label}: scipy.ndimage.correlate ÷ ours", vs_nd, "×", "≥ 10",
                            vs_nd >= 10, f"ours {t['ours'] * 1e3:.2f} ms"))
            vs_cv = t["ours"] / t["cv2"]
            rows.append(Row(f"{label}: ours ÷ cv2.filter2D", vs_cv, "×", "≤ 1.5", vs_cv <= 1.5,
                            f"cv2 {t['cv2'] * 1e3:.2f} ms"))
            vs_cv_u = t["ours_unchecked"] / t["cv2"]
            rows.append(Row(f"{label}: ours (check_finite=False, the UI's call) ÷ cv2",
                            vs_cv_u, "×", "≤ 1.5", vs_cv_u <= 1.5))
    img = sample_image("camera") * np.float32(255.0)
    ker = np.ones((3, 3), dtype=np.float32)
    loop = float("inf")
    for _ in range(2):  # about a second each: the best of two steadies the ratio
        t0 = time.perf_counter()
        lesson_loop(img, ker, 1 / 9)
        loop = min(loop, time.perf_counter() - t0)
    ours = best_time(lambda: conv2d(img, ker / 9))
    rows.append(Row("conv2d 512² 3×3: lesson's Python loop ÷ ours", loop / ours, "×", "≥ 5000",
                    loop / ours >= 5000, f"loop {loop:.2f} s"))
    return rows + family_rows() + backward_rows()


def _quiet_tensorflow() -> Any:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    return tf


def family_rows() -> list[Row]:
    """conv2d_transpose and depthwise_conv2d on 512²×8 against keras.ops, same run."""
    _quiet_tensorflow()
    import keras

    rng = np.random.default_rng(2)
    x = rng.random((512, 512, 8), dtype=np.float32)
    kt = rng.standard_normal((3, 3, 8, 8)).astype(np.float32)
    kd = rng.standard_normal((3, 3, 8, 1)).astype(np.float32)
    x4 = x[None]
    t = interleaved({
        "transpose": lambda: conv2d_transpose(x, kt, stride=2, padding="same"),
        "keras_transpose": lambda: np.asarray(keras.ops.conv_transpose(x4, kt, 2, "same")),
        "depthwise": lambda: depthwise_conv2d(x, kd, padding="same"),
        "keras_depthwise": lambda: np.asarray(keras.ops.depthwise_conv(x4, kd, 1, "same")),
    }, rounds=3)
    tr = t["transpose"] / t["keras_transpose"]
    dw = t["depthwise"] / t["keras_depthwise"]
    return [
        Row("conv2d_transpose 512²×8 → 8, 3×3, stride 2 same: ours ÷ keras.ops", tr, "×",
            "≤ 2", tr <= 2, f"ours {t['transpose'] * 1e3:.1f} ms, "
            f"keras {t['keras_transpose'] * 1e3:.1f} ms"),
        Row("depthwise_conv2d 512²×8, 3×3 same: ours ÷ keras.ops", dw, "×", "≤ 2", dw <= 2,
            f"ours {t['depthwise'] * 1e3:.1f} ms, keras {t['keras_depthwise'] * 1e3:.1f} ms"),
    ]


def backward_rows() -> list[Row]:
    """conv2d_backward on 64²×16 → 32 filters against TensorFlow's gradient, same run."""
    tf = _quiet_tensorflow()
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 64, 16)).astype(np.float32)
    k = rng.standard_normal((3, 3, 16, 32)).astype(np.float32)
    dy = rng.standard_normal((64, 64, 32)).astype(np.float32)
    xt, kt, dyt = tf.constant(x[None]), tf.constant(k), tf.constant(dy[None])

    @tf.function
    def tf_grads(xt: Any, kt: Any, dyt: Any) -> Any:
        with tf.GradientTape() as tape:
            tape.watch([xt, kt])
            y = tf.nn.conv2d(xt, kt, 1, "SAME")
        return tape.gradient(y, [xt, kt], output_gradients=dyt)

    t = interleaved({
        "ours": lambda: conv2d_backward(x, k, dy, padding="same"),
        "tf": lambda: [g.numpy() for g in tf_grads(xt, kt, dyt)],
    })
    ratio = t["ours"] / t["tf"]
    return [Row("conv2d_backward 64²×16 → 32, 3×3 same: ours ÷ TensorFlow's gradient", ratio,
                "×", "≤ 3", ratio <= 3,
                f"ours {t['ours'] * 1e3:.2f} ms, tf.function {t['tf'] * 1e3:.2f} ms")]


def _jump_p95(steps: Any, count: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    samples = []
    for i in rng.integers(-len(steps), len(steps), size=count):
        t0 = time.perf_counter()
        steps[int(i)]
        samples.append(time.perf_counter() - t0)
    return percentiles(samples)[1]


def steps_rows() -> list[Row]:
    """conv_steps on 512²: build time, random access, memory independent of step count."""
    img = sample_image("camera")
    ker = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
    build = best_time(lambda: conv_steps(img, ker, padding="same"), min_total=0.3)
    steps = conv_steps(img, ker, padding="same")
    rng = np.random.default_rng(1)
    idx = rng.integers(-len(steps), len(steps), size=2000)
    worst = 0.0
    for i in idx:
        t0 = time.perf_counter()
        steps[int(i)]
        worst = max(worst, time.perf_counter() - t0)
    tracemalloc.start()
    conv_steps(img, ker, padding="same")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # Per-step storage would need >= 9 floats per step; peak stays near a few images' bytes.
    per_step = peak / len(steps)
    return [
        Row("conv_steps 512² build", build * 1e3, "ms", "≤ 50", build <= 0.05),
        Row("conv_steps 512² slowest of 2000 random [i]", worst * 1e3, "ms", "≤ 5",
            worst <= 0.005),
        Row("conv_steps 512² peak memory per step", per_step, "B", "< 36 (9 float32)",
            per_step < 36, f"peak {peak / 2**20:.1f} MiB for {len(steps):,} steps"),
        *channel_step_rows(),
        *backward_step_rows(),
    ]


def channel_step_rows() -> list[Row]:
    """conv_steps through a 512²×3 source with 8 filters: random jumps across filters."""
    rng = np.random.default_rng(4)
    rgb = rng.random((512, 512, 3), dtype=np.float32)
    ker = rng.standard_normal((3, 3, 3, 8)).astype(np.float32)
    steps = conv_steps(rgb, ker, padding="same")
    p95 = _jump_p95(steps, 2000, 5)
    return [Row("conv_steps 512²×3, 8 filters: p95 of 2000 random [i]", p95 * 1e3, "ms",
                "≤ 5", p95 <= 0.005, f"{len(steps):,} steps")]


def backward_step_rows() -> list[Row]:
    """Backward steps on a 512² source: p95 of random jumps (dx pixels and dkernel taps)."""
    img = sample_image("camera")
    ker = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
    dy = np.random.default_rng(6).standard_normal((512, 512)).astype(np.float32)
    dx_steps = input_grad_steps(img, ker, dy, padding="same")
    tap_steps = kernel_grad_steps(img, ker, dy, padding="same")
    p95_dx = _jump_p95(dx_steps, 2000, 7)
    p95_tap = _jump_p95(tap_steps, 200, 8)
    return [
        Row("input_grad_steps 512² (dx pixels): p95 of 2000 random [i]", p95_dx * 1e3, "ms",
            "≤ 5", p95_dx <= 0.005),
        Row("kernel_grad_steps 512² (dkernel taps, 512² products each): p95 of 200 [i]",
            p95_tap * 1e3, "ms", "≤ 5", p95_tap <= 0.005),
    ]
