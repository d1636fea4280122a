"""Numbers and sums as the animator writes them (no Qt: plain strings and HTML)."""

from __future__ import annotations

import functools
import html

import numpy as np

from ...core import ConvStep, PoolStep

MINUS = "\u2212"


def fmt(value: float, digits: int = 3) -> str:
    """Format a number compactly: whole numbers bare, others with few decimals, true minus."""
    v = float(value)
    if not np.isfinite(v):
        return "NaN" if np.isnan(v) else ("∞" if v > 0 else f"{MINUS}∞")
    r = round(v)
    if abs(v - r) <= 1e-6 * max(1.0, abs(v)):
        text = str(int(r))
    else:
        a = abs(v)
        places = max(0, digits - 2) if a >= 100 else max(0, digits - 1) if a >= 10 else digits
        text = f"{v:.{places}f}".rstrip("0").rstrip(".")
        if text in ("0", "-0", ""):
            text = f"{v:.2g}"
    return text.replace("-", MINUS)


def fmt_cell(value: float) -> str:
    """Shorter form for grid cells."""
    return fmt(value, digits=2)


_INT_MAX = 1000


@functools.cache
def _int_texts() -> np.ndarray:
    """Texts of the whole numbers −1000…1000, most cells (images, integer kernels); made once."""
    return np.array([str(i).replace("-", MINUS) for i in range(-_INT_MAX, _INT_MAX + 1)],
                    dtype=object)


def fmt_cells(values: np.ndarray) -> list[str]:
    """:func:`fmt_cell` for many values at once (the grid formats hundreds per frame)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    a = np.abs(v)
    with np.errstate(invalid="ignore"):
        whole = np.abs(v - np.round(v)) <= 1e-6 * np.maximum(1.0, a)
        small = whole & (a <= _INT_MAX)
    out = np.empty(len(v), dtype=object)
    out[small] = _int_texts()[np.rint(v[small]).astype(np.int64) + _INT_MAX]
    places = np.where(a >= 100, 0, np.where(a >= 10, 1, 2))
    for i in np.flatnonzero(~small).tolist():
        x = float(v[i])
        if whole[i] or x != x or x in (float("inf"), float("-inf")):
            out[i] = (fmt(x, digits=2) if not whole[i]
                      else str(int(round(x))).replace("-", MINUS))
            continue
        text = f"{x:.{places[i]}f}".rstrip("0").rstrip(".")
        if text in ("0", "-0", ""):
            text = f"{x:.2g}"
        out[i] = text.replace("-", MINUS)
    result: list[str] = out.tolist()
    return result


def _term(x: float, w: float) -> str:
    ws = fmt(w)
    return f"{fmt(x)} × {'(' + ws + ')' if ws.startswith(MINUS) else ws}"


def conv_terms(patch: np.ndarray, kernel: np.ndarray) -> list[str]:
    """Return the lesson's "x × w" terms, one string per kernel row."""
    return [" + ".join(_term(x, w) for x, w in zip(prow, krow, strict=True))
            for prow, krow in zip(patch, kernel, strict=True)]


def conv_html(step: ConvStep, kernel: np.ndarray, *, sub: int, relu: bool,
              channel: int = 0, channel_names: tuple[str, ...] = ()) -> str:
    """Write the arithmetic panel for one conv step, revealed up to sub-phase ``sub``.

    For a multi-channel step, the rows are those of ``channel`` and every channel's sum is
    listed, then their total plus the bias: out = Σ_c Σ_ij x·w + b.
    """
    r, c = step.out_pos
    multi = step.patch.ndim == 3
    patch = step.patch[:, :, channel] if multi else step.patch
    ker = kernel[:, :, channel] if multi else kernel
    products = patch * ker
    name = channel_names[channel] if multi and channel < len(channel_names) else ""
    lines = [f"<b>output[{r}, {c}]</b> — window at row {step.window[0]}, col {step.window[1]}"
             + (f"; channel <b>{html.escape(name)}</b>" if name else "")]
    rows = []
    running = 0.0
    for terms, prow in zip(conv_terms(patch, ker), products, strict=True):
        row_sum = float(prow.sum(dtype=np.float64))
        running += row_sum
        shown_sum = f"= {fmt(row_sum)}" if sub >= 1 else "= …"
        shown_run = fmt(running) if sub >= 1 else ""
        rows.append(f"<tr><td>{html.escape(terms)}</td><td align='right'>&nbsp;{shown_sum}"
                    f"</td><td align='right'>&nbsp;&nbsp;<i>{shown_run}</i></td></tr>")
    lines.append("<table cellspacing='2'><tr><th align='left'>products x × w</th>"
                 "<th>row</th><th>&nbsp;&nbsp;running sum</th></tr>" + "".join(rows) + "</table>")
    if sub >= 1:
        if multi:
            sums = step.products.sum(axis=(0, 1), dtype=np.float64)
            labels = channel_names or tuple(f"c{i}" for i in range(len(sums)))
            parts = [f"{html.escape(labels[i])}: {fmt(s)}" for i, s in enumerate(sums)]
            lines.append("Σ per channel — " + ", ".join(parts))
            total = float(sums.sum())
            lines.append(f"Σ<sub>c</sub> Σ<sub>ij</sub> x·w = <b>{fmt(total)}</b>")
        else:
            total = float(step.products.sum(dtype=np.float64))
            lines.append(f"Σ x·w = <b>{fmt(total)}</b>")
        lines.append(f"+ bias {fmt(step.bias)} = <b>{fmt(step.value)}</b>")
    if sub >= 2:
        if relu:
            lines.append(f"ReLU: max(0, {fmt(step.value)}) = <b>{fmt(max(0.0, step.value))}</b>")
        written = max(0.0, step.value) if relu else step.value
        lines.append(f"→ written to output[{r}, {c}] = <b>{fmt(written)}</b>")
    return "<br>".join(lines)


def pool_html(step: PoolStep, op: str) -> str:
    """Write the panel for one pool step: the block's values and their maximum or mean."""
    r, c = step.out_pos
    values = [float(v) for v in step.patch.ravel() if np.isfinite(v)]
    listed = ", ".join(fmt(v) for v in values)
    head = (f"<b>pooled[{r}, {c}]</b> — block at row {step.window[0]}, col {step.window[1]}")
    if op == "max":
        wr, wc = step.winner
        body = (f"max({listed}) = <b>{fmt(step.value)}</b><br>"
                f"winner at row {wr}, col {wc} (the first maximum, reading row by row)")
    else:
        body = f"mean({listed}) = {fmt(sum(values))} / {len(values)} = <b>{fmt(step.value)}</b>"
    return f"{head}<br>{body}<br>→ written to pooled[{r}, {c}] = <b>{fmt(step.value)}</b>"
