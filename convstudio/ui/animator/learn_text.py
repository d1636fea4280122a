"""The Learn phase's arithmetic as panels (no Qt): one stage of the backward pass at a time."""

from __future__ import annotations

import numpy as np

from ...core import InputGradStep, KernelGradStep, PoolGradStep
from ...core.learn import GateStep, LearnTrace, LossStep
from .panel import Chunk, Line, Panel, Run, chunk, words
from .text import MINUS, fmt

STAGE_LABELS = {
    "loss": "Loss", "route": "Pool ←", "gate": "ReLU ←", "taps": "∂L/∂w", "dx": "∂L/∂x",
    "update": "Update",
}
TERMS_SHOWN = 6   # a tap's sum lists this many terms, then how many more


def rate_text(lr: float) -> str:
    """Write a learning rate as a plain decimal: 0.00001, not 1e-05."""
    return f"{lr:.12f}".rstrip("0").rstrip(".")


def loss_text(loss: float) -> str:
    """Write a loss with four significant digits, thousands grouped: 71,190 or 0.0213."""
    if not np.isfinite(loss):
        return "∞" if loss > 0 else "NaN"
    return f"{loss:,.0f}" if abs(loss) >= 1000 else f"{loss:.4g}"


def _bold(text: str) -> Chunk:
    return chunk(Run(text, "bold"))


def _par(v: float) -> str:
    t = fmt(v)
    return f"({t})" if t.startswith(MINUS) else t


def _loss(trace: LearnTrace, s: LossStep) -> tuple[Panel, ...]:
    r, c = s.out_pos
    n = trace.dp.size
    head = Line((_bold(f"∂L/∂p[{r}, {c}]"), *words("— how the loss changes with this pooled cell")))
    values = Line((chunk(f"p = {fmt(s.output)},"), chunk(f"target t = {fmt(s.target)},"),
                   chunk(f"p {MINUS} t = {fmt(s.error)},"),
                   chunk(f"(p {MINUS} t)² = {fmt(s.squared)}")))
    grad = Line((chunk(f"2(p {MINUS} t) / N"), chunk(f"= 2 × {_par(s.error)} / {n}"),
                 chunk("= ", Run(fmt(s.gradient), "bold"))))
    loss = Line((chunk(f"L = (1/N) Σ (p {MINUS} t)²"), *words(f"over the N = {n} cells"),
                 chunk("= ", Run(fmt(trace.loss), "bold"))))
    why = Line(words("The target t is this network's pooled output with the vertical-edge "
                     "kernel: the loss is 0 when the kernel finds vertical edges as it does."))
    short = Line((_bold(f"∂L/∂p[{r}, {c}]"), chunk("= ", Run(fmt(s.gradient), "bold"))))
    return ((head, values, grad, loss, why), (head, values, grad, loss), (short,))


def _route(trace: LearnTrace, s: PoolGradStep) -> tuple[Panel, ...]:
    r, c = s.out_pos
    head = Line((_bold(f"∂L/∂p[{r}, {c}] = {fmt(s.gradient)}"),
                 *words("goes back through the pool")))
    if trace.setup.pool_op == "max":
        wr, wc = (int(v) for v in s.targets[0])
        body = [Line((*words("All of it goes to the block's winner"), _bold(f"a[{wr}, {wc}]"),
                      *words("(its maximum: the only cell that made the output); the other "
                             "cells get 0."))),
                Line((chunk(f"∂L/∂a[{wr}, {wc}]"), chunk("= ", Run(fmt(s.share), "bold"))))]
    else:
        n = len(s.targets)
        body = [Line((*words(f"Shared by the block's {n} cells (the output was their mean):"),
                      chunk(f"{fmt(s.gradient)} / {n}"),
                      chunk("= ", Run(fmt(s.share), "bold")), *words("each.")))]
    if not np.allclose(s.totals, s.share):
        body.append(Line(words("Overlapping blocks add up: the cell's total is "
                               f"{fmt(float(s.totals[0]))}.")))
    return ((head, *body), (head, body[-1]))


def _gate(s: GateStep) -> tuple[Panel, ...]:
    r, c = s.out_pos
    head = Line((_bold(f"ReLU at y[{r}, {c}] = {fmt(s.conv)}"),))
    if s.passed:
        body = Line((*words("y > 0: ReLU let it through, so it lets the gradient through:"),
                     chunk(f"∂L/∂y = ∂L/∂a = {fmt(s.upstream)}"),
                     chunk("→ ", Run(fmt(s.value), "bold"))))
    else:
        body = Line((*words("y ≤ 0: ReLU gave 0 whatever the kernel did here, so the gradient "
                            "stops:"), chunk("∂L/∂y ="), _bold("0")))
    return ((head, body),)


def _taps(trace: LearnTrace, s: KernelGradStep) -> tuple[Panel, ...]:
    i, j = s.tap
    head = Line((_bold(f"∂L/∂w[{i}, {j}]"), chunk("="), chunk("Σ", Run("r,c", "sub")),
                 chunk(f"x[r + {i}, c + {j}] · ∂L/∂y[r, c]")))
    inputs, grads = s.inputs.ravel(), s.upstream.ravel()
    nonzero = np.flatnonzero(inputs * grads)
    shown = nonzero[:TERMS_SHOWN].tolist()
    terms: list[Chunk] = []
    for n, k in enumerate(shown):
        terms.append(chunk(("" if n == 0 else "+ ") + f"{fmt(inputs[k])} × {_par(grads[k])}"))
    rest = len(nonzero) - len(shown)
    if rest > 0:
        terms.append(chunk(f"+ … {rest:,} more"))
    if not terms:
        terms.append(chunk("0"))
    total = Line((*terms, chunk("= ", Run(fmt(s.value), "bold"))))
    count = Line(words(f"{s.inputs.size:,} products: the tap's input at every output position "
                       f"times the gradient there ({len(nonzero):,} not zero)."))
    short = Line((_bold(f"∂L/∂w[{i}, {j}]"), chunk("= ", Run(fmt(s.value), "bold"))))
    return ((head, total, count), (head, Line((chunk("= ", Run(fmt(s.value), "bold")),)), count),
            (short,))


def _dx(s: InputGradStep) -> tuple[Panel, ...]:
    r, c = s.in_pos
    head = Line((_bold(f"∂L/∂x[{r}, {c}]"), *words("— kernel × gradient from every window "
                                                    "that covered this pixel")))
    terms: list[Chunk] = []
    for i, j in np.argwhere(s.covered).tolist():
        wr, wc = (int(v) for v in s.windows[i, j])
        terms.append(chunk(("+ " if terms else "") + f"w[{i}, {j}] · ∂L/∂y[{wr}, {wc}]"))
    values: list[Chunk] = []
    for i, j in np.argwhere(s.covered).tolist():
        values.append(chunk(("+ " if values else "") + f"{fmt(s.weights[i, j])} × "
                            f"{_par(s.upstream[i, j])}"))
    result = chunk("= ", Run(fmt(s.value), "bold"))
    transposed = Line(words("This is the transposed convolution: ∂L/∂y, padded, "
                            "correlated with the kernel turned 180° (shown).") )
    first = Line(words("A first layer needs no ∂L/∂x to learn; in a deeper network it is "
                       "what flows on to the layer before."))
    return ((head, Line((*terms,)), Line((*(values or [chunk("0")]), result)), transposed, first),
            (head, Line((*(values or [chunk("0")]), result)), transposed),
            (Line((_bold(f"∂L/∂x[{r}, {c}]"), result)),))


def _update(trace: LearnTrace, note: str) -> tuple[Panel, ...]:
    lr = rate_text(trace.lr)
    head = Line((_bold("SGD: w ← w − η · ∂L/∂w"), chunk(f"with η = {lr}"),
                 *words("(the learning rate)")))
    rows = []
    kw = trace.kernel.shape[1]
    for k, (w, g, a) in enumerate(zip(trace.kernel.ravel().tolist(),
                                      trace.dkernel.ravel().tolist(),
                                      trace.kernel_after.ravel().tolist(), strict=True)):
        i, j = divmod(k, kw)
        rows.append(chunk(f"w[{i}, {j}]: {fmt(w)} {MINUS} {lr} × {_par(g)} = ",
                          Run(fmt(a), "bold")))
    losses = Line((*words("Loss before"), _bold(loss_text(trace.loss)), chunk("→ after"),
                   _bold(loss_text(trace.loss_after))))
    press = Line(words("Train one step (T) applies it; Train 50 steps (F) takes 50."))
    tail = [losses, press] + ([Line(words(note))] if note else [])
    return ((head, *(Line((r,)) for r in rows), *tail), (head, *tail), (head, losses))


def learn_panels(trace: LearnTrace, index: int, note: str = "") -> tuple[Panel, ...]:
    """Write sub-step ``index`` of the Learn phase, most detailed form first."""
    stage, step = trace.step(index)
    if stage == "loss":
        assert isinstance(step, LossStep)
        return _loss(trace, step)
    if stage == "route":
        assert isinstance(step, PoolGradStep)
        return _route(trace, step)
    if stage == "gate":
        assert isinstance(step, GateStep)
        return _gate(step)
    if stage == "taps":
        assert isinstance(step, KernelGradStep)
        return _taps(trace, step)
    if stage == "dx":
        assert isinstance(step, InputGradStep)
        return _dx(step)
    return _update(trace, note)
