"""A tiny network that learns its kernel: the animator's Learn phase (NumPy only).

The network is the animator's forward pass: ``y = conv2d(x, w) + b``, ``a = ReLU(y)`` (when the
workspace applies ReLU), ``p = pool(a)``. Its task is "make the output look like this target":
the target ``t`` is the same network's output with the vertical-edge kernel
(:func:`edge_kernel`, Sobel x at 3×3), so the loss

    L = (1/N) Σ (p − t)²        (mean squared error over the N pooled cells)

is 0 exactly when the kernel detects vertical edges as Sobel x does. Backwards:
``∂L/∂p = 2(p − t)/N``; pooling routes each cell's gradient to its window's winner (max) or
shares it (average); the ReLU gate passes it where ``y > 0``; each kernel tap's gradient is
Σ input × ∂L/∂y; ∂L/∂x is the transposed convolution. SGD then takes
``w ← w − η·∂L/∂w``. Only the kernel learns; the bias stays the workspace's.

:class:`LearnTrace` holds one such step with random access to its sub-steps, stage by stage
(:data:`LEARN_STAGES`); :func:`train` runs many steps without building any of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import PairLike, as_float_array
from .backward import conv2d_backward, conv_geometry, tap_view
from .backward_steps import (
    InputGradStep,
    InputGradSteps,
    KernelGradStep,
    KernelGradSteps,
    PoolGradStep,
    PoolGradSteps,
)
from .convolution import PaddingLike, _pad, conv2d
from .pooling import avg_pool2d, max_pool2d

__all__ = [
    "LEARN_STAGES",
    "GateStep",
    "LearnSetup",
    "LearnTrace",
    "LossStep",
    "edge_kernel",
    "forward",
    "glorot_kernel",
    "learning_rate_for",
    "mse",
    "sgd_step",
    "train",
]

# The order the backward pass is stepped through; "gate" only where ReLU follows the conv.
LEARN_STAGES = ("loss", "route", "gate", "taps", "dx", "update")


@dataclass(frozen=True)
class LearnSetup:
    """The network around the kernel: the conv's geometry, bias, ReLU and pooling."""

    stride: PairLike = 1
    padding: PaddingLike = "valid"
    dilation: PairLike = 1
    bias: float = 0.0
    relu: bool = False
    pool_size: PairLike = 2
    pool_stride: PairLike | None = None
    pool_op: str = "max"

    def __post_init__(self) -> None:
        if self.pool_op not in ("max", "avg"):
            raise ValueError(f"pool_op must be 'max' or 'avg', got {self.pool_op!r}")


def edge_kernel(kh: int = 3, kw: int = 3) -> np.ndarray:
    """Return the vertical-edge kernel of this shape: Sobel x, ``[[-1, 0, 1], [-2, 0, 2], …]``.

    Columns left of the centre weigh −1, right of it +1 (0 on the centre column); rows weigh
    by the binomial coefficients (1, 2, 1 for three rows), as Sobel's smoothing does.
    """
    if kh < 1 or kw < 1:
        raise ValueError(f"kernel sides must be at least 1, got {kh}×{kw}")
    rows = np.array([math.comb(kh - 1, i) for i in range(kh)], np.float32)
    cols = np.sign(np.arange(kw, dtype=np.float32) - (kw - 1) / 2).astype(np.float32)
    return (rows[:, None] * cols[None, :]).astype(np.float32)


def glorot_kernel(kh: int, kw: int, seed: int) -> np.ndarray:
    """Return a random (kh, kw) kernel as Keras' ``glorot_uniform`` starts a 1→1 Conv2D.

    Uniform in ±√(6 / (fan_in + fan_out)) with fan_in = fan_out = kh·kw.
    """
    limit = math.sqrt(6.0 / (2 * kh * kw))
    rng = np.random.default_rng(seed)
    return rng.uniform(-limit, limit, (kh, kw)).astype(np.float32)


@dataclass(frozen=True)
class Forward:
    """One forward pass: conv output ``y``, after ReLU ``a`` (``y`` without ReLU), pooled ``p``."""

    y: np.ndarray
    a: np.ndarray
    p: np.ndarray


def forward(x: np.ndarray, kernel: np.ndarray, setup: LearnSetup) -> Forward:
    """Run the network on a (H, W) source with a (kh, kw) kernel."""
    y = conv2d(x, kernel, stride=setup.stride, padding=setup.padding, dilation=setup.dilation,
               bias=setup.bias)
    a = np.maximum(y, np.float32(0)) if setup.relu else y
    pool = max_pool2d if setup.pool_op == "max" else avg_pool2d
    return Forward(y, a, pool(a, setup.pool_size, stride=setup.pool_stride))


def mse(p: np.ndarray, t: np.ndarray) -> float:
    """Return the mean squared error (1/N) Σ (p − t)², summed in float64."""
    d = (p - t).astype(np.float64)
    return float(np.mean(d * d))


def _gradients(x: np.ndarray, kernel: np.ndarray, t: np.ndarray, setup: LearnSetup
               ) -> tuple[Forward, np.ndarray, np.ndarray, np.ndarray]:
    """Return the forward pass, ∂L/∂p, ∂L/∂a and ∂L/∂y."""
    from .backward import avg_pool2d_backward, max_pool2d_backward

    f = forward(x, kernel, setup)
    dp = ((f.p - t) * np.float32(2.0 / f.p.size)).astype(np.float32)
    back = max_pool2d_backward if setup.pool_op == "max" else avg_pool2d_backward
    da = back(f.a, dp, setup.pool_size, stride=setup.pool_stride)
    dy = np.where(f.y > 0, da, np.float32(0)).astype(np.float32) if setup.relu else da
    return f, dp, da, dy


def _kernel_grad(x: np.ndarray, kernel: np.ndarray, dy: np.ndarray,
                 setup: LearnSetup) -> np.ndarray:
    return conv2d_backward(x, kernel, dy, stride=setup.stride, padding=setup.padding,
                           dilation=setup.dilation).dkernel


def sgd_step(x: Any, kernel: Any, target: Any, setup: LearnSetup,
             lr: float) -> tuple[np.ndarray, float]:
    """Return the kernel after one SGD step ``w − lr·∂L/∂w``, and the loss before it.

    Parameters
    ----------
    x : array_like
        The (H, W) source.
    kernel : array_like
        The (kh, kw) kernel.
    target : array_like
        The pooled output the network should give.
    setup : LearnSetup
        The network around the kernel.
    lr : float
        The learning rate η (positive).
    """
    x, kernel, t = _checked(x, kernel, target, setup, lr)
    f, _, _, dy = _gradients(x, kernel, t, setup)
    dk = _kernel_grad(x, kernel, dy, setup)
    return (kernel - np.float32(lr) * dk).astype(np.float32), mse(f.p, t)


def train(x: Any, kernel: Any, target: Any, setup: LearnSetup, lr: float,
          steps: int) -> tuple[np.ndarray, list[float]]:
    """Take ``steps`` SGD steps; return the final kernel and the loss before each step and after.

    ``losses`` has ``steps + 1`` entries: the loss of the starting kernel, then after each step.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    x, k, t = _checked(x, kernel, target, setup, lr)
    losses = []
    for _ in range(steps):
        f, _, _, dy = _gradients(x, k, t, setup)
        losses.append(mse(f.p, t))
        k = (k - np.float32(lr) * _kernel_grad(x, k, dy, setup)).astype(np.float32)
    losses.append(mse(forward(x, k, setup).p, t))
    return k, losses


def _checked(x: Any, kernel: Any, target: Any, setup: LearnSetup,
             lr: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    src = as_float_array(x, "x", (2,))
    ker = as_float_array(kernel, "kernel", (2,))
    t = as_float_array(target, "target", (2,))
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"learning rate must be a positive number, got {lr!r}")
    shape = forward(src, ker, setup).p.shape
    if t.shape != shape:
        raise ValueError(f"target must have the pooled output's shape {shape}, got {t.shape}")
    return src, ker, t


def learning_rate_for(x: Any, kernel_hw: tuple[int, int], setup: LearnSetup) -> float:
    """Return a learning rate that SGD on this source takes steadily: 1, 2 or 5 × 10ᵏ.

    For the conv alone, (1/M) Σ (y − t)² has curvature 2·λ_max(PᵀP)/M (P: the M patches under
    the window); steps below 1/that converge. Pooling and ReLU keep only some patches, whose
    curvature is rarely larger; the rate is the largest 1, 2, 5 × 10ᵏ not above the bound.
    """
    src = as_float_array(x, "x", (2,))
    st, dl, pads, out_hw = conv_geometry(src.shape, kernel_hw, setup.stride, setup.padding,
                                         setup.dilation)
    padded = _pad(src[:, :, None], pads)[:, :, 0]
    kh, kw = kernel_hw
    taps = [tap_view(padded, i, j, st, dl, out_hw).ravel() for i in range(kh) for j in range(kw)]
    # A few tens of thousands of patches estimate the curvature of a 4096² source well.
    every = max(1, taps[0].size // 40000)
    patches = np.stack([t[::every] for t in taps], axis=1).astype(np.float64)
    lam = 2.0 * float(np.linalg.eigvalsh(patches.T @ patches / len(patches))[-1])
    if lam <= 0:
        return 1.0
    bound = 1.0 / lam
    k = math.floor(math.log10(bound))
    return max(m * 10.0 ** k for m in (1, 2, 5) if m * 10.0 ** k <= bound * (1 + 1e-9))


@dataclass(frozen=True)
class LossStep:
    """One pooled cell's part of the loss and its gradient ∂L/∂p."""

    index: int
    out_pos: tuple[int, int]
    output: float
    target: float
    error: float
    squared: float
    gradient: float


@dataclass(frozen=True)
class GateStep:
    """One conv output cell at the ReLU: the gradient passes where ``y > 0``, else 0."""

    index: int
    out_pos: tuple[int, int]
    conv: float
    upstream: float
    passed: bool
    value: float


class LearnTrace:
    """One training step of the network, stepped through stage by stage (O(1) per sub-step).

    Attributes
    ----------
    kernel, target_kernel, lr, setup
        The kernel learning, the kernel the target comes from, η and the network.
    fwd, target : Forward, numpy.ndarray
        The forward pass and the pooled target.
    dp, da, dy : numpy.ndarray
        ∂L/∂p, ∂L/∂a (after routing through the pool), ∂L/∂y (after the ReLU gate).
    dkernel, dx : numpy.ndarray
        ∂L/∂w and ∂L/∂x.
    kernel_after, loss, loss_after
        ``w − η·∂L/∂w`` and the loss before and after that update.
    """

    def __init__(self, x: Any, kernel: Any, setup: LearnSetup, lr: float,
                 target_kernel: Any | None = None) -> None:
        src = as_float_array(x, "x", (2,))
        ker = as_float_array(kernel, "kernel", (2,))
        tk = edge_kernel(*ker.shape) if target_kernel is None else as_float_array(
            target_kernel, "target_kernel", (2,))
        if tk.shape != ker.shape:
            raise ValueError(f"target_kernel must be {ker.shape}, got {tk.shape}")
        self.x, self.kernel, self.target_kernel, self.setup = src, ker, tk, setup
        self.target = forward(src, tk, setup).p
        src, ker, t = _checked(src, ker, self.target, setup, lr)
        self.lr = float(lr)
        self.fwd, self.dp, self.da, self.dy = _gradients(src, ker, t, setup)
        geometry = (setup.stride, setup.padding, setup.dilation)
        self.taps = KernelGradSteps(src, ker, self.dy, *geometry)
        self.inputs = InputGradSteps(src, ker, self.dy, *geometry)
        self.route = PoolGradSteps(self.fwd.a, self.dp, setup.pool_size,
                                   stride=setup.pool_stride, op=setup.pool_op)
        self.dkernel = self.taps.dkernel
        self.dx = self.inputs.dx
        self.loss = mse(self.fwd.p, t)
        self.kernel_after = (ker - np.float32(lr) * self.dkernel).astype(np.float32)
        self.loss_after = mse(forward(src, self.kernel_after, setup).p, t)
        counts = {"loss": self.dp.size, "route": self.dp.size, "gate": self.dy.size,
                  "taps": ker.size, "dx": src.size, "update": 1}
        self.stages = tuple((s, int(counts[s])) for s in LEARN_STAGES
                            if s != "gate" or setup.relu)
        starts, n = {}, 0
        for s, count in self.stages:
            starts[s] = n
            n += count
        self._starts, self._len = starts, n

    def __len__(self) -> int:
        return self._len

    def start_of(self, stage: str) -> int:
        """Return the first sub-step of ``stage``."""
        if stage not in self._starts:
            raise ValueError(f"stage must be one of {', '.join(self._starts)}, got {stage!r}")
        return self._starts[stage]

    def locate(self, i: int) -> tuple[str, int]:
        """Return (stage, index within the stage) of sub-step ``i`` (negative counts back)."""
        j = i + self._len if i < 0 else i
        if not 0 <= j < self._len:
            raise IndexError(f"step {i} out of range for {self._len} steps")
        for stage, _ in reversed(self.stages):
            if j >= self._starts[stage]:
                return stage, j - self._starts[stage]
        raise AssertionError("unreachable")

    def width_of(self, stage: str) -> int:
        """Return the columns of the grid the stage fills (for moving a row at a time)."""
        return {"loss": self.dp.shape[1], "route": self.dp.shape[1], "gate": self.dy.shape[1],
                "taps": self.kernel.shape[1], "dx": self.x.shape[1], "update": 1}[stage]

    def loss_step(self, j: int) -> LossStep:
        """Return pooled cell ``j``'s error and gradient."""
        r, c = divmod(j, self.dp.shape[1])
        p, t = float(self.fwd.p[r, c]), float(self.target[r, c])
        e = float(np.float32(p) - np.float32(t))
        return LossStep(j, (r, c), p, t, e, e * e, float(self.dp[r, c]))

    def gate_step(self, j: int) -> GateStep:
        """Return conv cell ``j`` at the ReLU gate."""
        r, c = divmod(j, self.dy.shape[1])
        y = float(self.fwd.y[r, c])
        return GateStep(j, (r, c), y, float(self.da[r, c]), y > 0, float(self.dy[r, c]))

    def step(self, i: int) -> tuple[str, LossStep | PoolGradStep | GateStep | KernelGradStep
                                    | InputGradStep | None]:
        """Return (stage, its step) of sub-step ``i``; the update stage's step is None."""
        stage, j = self.locate(i)
        if stage == "loss":
            return stage, self.loss_step(j)
        if stage == "route":
            return stage, self.route[j]
        if stage == "gate":
            return stage, self.gate_step(j)
        if stage == "taps":
            return stage, self.taps[j]
        if stage == "dx":
            return stage, self.inputs[j]
        return stage, None
