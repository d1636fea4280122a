"""The transposed step's sums as the arithmetic panel writes them (no Qt: panels of chunks)."""

from __future__ import annotations

import numpy as np

from ...core import ConvStep, TransposeStep
from .panel import Chunk, Line, Panel, Run, chunk, words
from .text import fmt


def plane(a: np.ndarray) -> np.ndarray:
    """Return a step's (kh, kw) values: one map's, where a step of C channels keeps (kh, kw, 1)."""
    return a if a.ndim == 2 else a[:, :, 0]


def scatter_panels(step: TransposeStep, block: tuple[int, int, int, int] | None,
                   first: tuple[int, int] | None) -> tuple[Panel, ...]:
    """Write what input pixel ``step`` adds: its value, the block, one cell now and at the end.

    ``block`` is (top, left, bottom, right) of the output cells it adds to, ``first`` the cell
    whose values are written; both None when the padding crops its whole block. Two forms: in
    words, and shorter.
    """
    r, c = step.in_pos
    v = fmt(float(step.source.sum()))
    if step.source.size == 1:
        pixel: tuple[Chunk, ...] = (chunk(f"x[{r}, {c}] = ", Run(v, "bold")),)
    else:  # the kernel is the same on every channel: it scatters the channels' sum
        values = ", ".join(fmt(float(x)) for x in step.source)
        pixel = (chunk(f"x[{r}, {c}] = ({values}),"), chunk("Σ = ", Run(v, "bold")))
    if block is None or first is None:
        return ((Line((*pixel, *words("adds nothing: the padding crops all of its block."))),),)
    top, left, bottom, right = block
    i, j = first
    k = [(a, b) for a, b in zip(*step.inside.nonzero(), strict=True)][0]
    now, final = fmt(float(plane(step.running)[k])), fmt(float(plane(step.final)[k]))
    rows, cols = chunk(f"{top}–{bottom},"), chunk(f"{left}–{right}")
    long = (Line((*pixel, *words("adds w ×"), chunk(v), *words("to output rows"), rows,
                  *words("columns"), cols, chunk("(outlined)."))),
            Line((chunk(f"out[{i}, {j}]"), *words("is now"), chunk(Run(now, "bold"), ","),
                  *words("at the end"), chunk(Run(final, "bold"), "."))))
    short = (Line((*pixel, chunk("→"), *words("rows"), rows, *words("cols"), cols)),
             Line((chunk(f"out[{i}, {j}]"), chunk("now"), chunk(Run(now, "bold"), ","),
                   *words("at the end"), chunk(Run(final, "bold")))))
    return long, short


def correlation_panels(step: ConvStep, scatter: float, bias: float) -> tuple[Panel, ...]:
    """Write the correlation's value at the step's cell beside the scatter's value there."""
    r, c = step.out_pos
    plus = (chunk("+ bias"), chunk(fmt(bias))) if bias else ()
    value = (chunk(f"out[{r}, {c}]"), chunk("="), *words("Σ products"), *plus,
             chunk("= ", Run(fmt(float(step.value)), "bold")))
    same = (*words("the value the scatter gives there"), chunk(f"({fmt(scatter)})."))
    long = (Line(value), Line(same),
            Line(words("A correlation of the zero-inserted, padded input with the kernel "
                       "turned 180°.")))
    return long, (Line(value), Line(same))
