"""Numbers and sums as the animator writes them (no Qt: strings, panels and HTML)."""

from __future__ import annotations

import functools

import numpy as np

from ...core import ConvStep, PoolStep
from .panel import Chunk, Line, Panel, Run, Table, chunk, to_html, words

MINUS = "\u2212"
THIN_TIMES = "\u2009×\u2009"  # in the columns of terms: thin spaces keep "192 × 4.5" narrow


def fmt(value: float, digits: int = 3) -> str:
    """Format a number compactly: whole numbers bare, others with few decimals, true minus."""
    return _fmt(float(value), digits)


@functools.lru_cache(maxsize=4096)  # pixels and weights repeat: most steps only look up
def _fmt(v: float, digits: int) -> str:
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



def _signed(v: float) -> str:
    """Write a later term of a sum: negative numbers in parentheses, as the lessons write them."""
    text = fmt(v)
    return f"({text})" if text.startswith(MINUS) else text


@functools.lru_cache(maxsize=4096)
def _cell(text: str, style: str = "plain") -> Chunk:
    """Return the one-run chunk of ``text`` (made once: the same cells recur every step)."""
    return (Run(text, style),)


def _row_tables(patch: np.ndarray, ker: np.ndarray, sub: int,
                channel: str = "") -> tuple[Table, Table, Table]:
    """Lay out the kernel rows' products, row sums and running sum in columns, three ways.

    The ``terms`` form writes each ``x × w``, the ``products`` form their values, the
    ``sums`` form only the sums: the view takes the most detailed form that fits. The
    ``sums`` form names the ``channel`` its rows are of, if any.
    """
    kw = ker.shape[1]
    products = patch * ker
    sums = products.sum(axis=1, dtype=np.float64).tolist()
    plus = _cell("+")
    rows: tuple[list[tuple[Chunk, ...]], ...] = ([], [], [])
    running = 0.0
    for i, (prow, krow, pr) in enumerate(zip(patch.tolist(), ker.tolist(), products.tolist(),
                                             strict=True)):
        running += sums[i]
        if sub >= 1:
            tail = (_cell(f"= {fmt(sums[i])}"), _cell(fmt(running), "italic"))
        else:
            tail = (_cell("= …"), _cell(""))
        terms: list[Chunk] = []
        values: list[Chunk] = []
        for j in range(kw):
            if j:
                terms.append(plus)
                values.append(plus)
            terms.append(_cell(_term(prow[j], krow[j]).replace(" × ", THIN_TIMES)))
            values.append(_cell(_signed(pr[j]) if j else fmt(pr[j])))
        rows[0].append((*terms, *tail))
        rows[1].append((*values, *tail))
        rows[2].append((_cell(str(i)), *tail))
    n_terms = 2 * kw - 1
    tight = frozenset(range(1, n_terms, 2))
    tables = []
    for form, label, n, t in ((0, "products x × w", n_terms, tight),
                              (1, "products", n_terms, tight),
                              (2, f"{channel}: kernel row" if channel else "kernel row", 1,
                               frozenset())):
        head = ((_cell(label), n), (_cell("row"), 1), (_cell("running sum"), 1))
        tables.append(Table(head, tuple(rows[form]), ("l",) * n + ("r", "r"), t))
    return tables[0], tables[1], tables[2]


MANY_CHANNELS = 4  # from this many channels on, the sums line names the shown one only


def _channel_sums(per: np.ndarray, labels: tuple[str, ...], shown: int, filter_: int | None,
                  *, ghost: bool) -> list[Line]:
    """Write the channels' partial sums (and, for a filter of several, their running total).

    A few channels are listed each; 32 would fill the panel, so from :data:`MANY_CHANNELS` on
    the line gives the shown channel's sum and the others' together, and the running total
    only at the first channel, the shown one and the last.
    """
    n = len(per)
    if n < MANY_CHANNELS:
        parts = tuple(chunk(f"{labels[i]}: {fmt(s)}" + ("," if i < n - 1 else ""))
                      for i, s in enumerate(per))
    else:
        rest = float(per.sum()) - float(per[shown])
        parts = (chunk(f"{labels[shown]}: {fmt(per[shown])}"), chunk("(shown),"),
                 *words(f"the other {n - 1}:"), chunk(fmt(rest)))
    lines = [Line((chunk("Σ per channel —"), *parts), ghost=ghost)]
    if filter_ is None:
        return lines
    running = np.cumsum(per).tolist()
    keep = range(n) if n < MANY_CHANNELS else sorted({0, shown, n - 1})
    partial: list[Chunk] = []
    last = -1
    for i in keep:
        arrow = "" if not partial else "→ … → " if i > last + 1 else "→ "
        partial.append(chunk(f"{arrow}+{labels[i]} {fmt(running[i])}"))
        last = i
    head = f"partial sums of filter {filter_}:" if n < MANY_CHANNELS else "partial sums:"
    lines.append(Line((*words(head), *partial), ghost=ghost))
    return lines


def conv_panels(step: ConvStep, kernel: np.ndarray, *, sub: int, relu: bool,
                channel: int = 0, channel_names: tuple[str, ...] = (),
                filters: int = 1) -> tuple[Panel, ...]:
    """Write the arithmetic for one conv step, revealed up to sub-phase ``sub``.

    Returns the same arithmetic in three forms, most detailed first: the ``x × w`` terms,
    the products' values, the row sums only. For a multi-channel step the rows are those of
    ``channel`` and every channel's sum is listed, then their total plus the bias:
    out = Σ_c Σ_ij x·w + b. With several ``filters`` the cell is named with its map, and the
    channels' partial sums are added up one by one. Lines a later sub-step reveals are kept
    as ghosts.
    """
    r, c = step.out_pos
    cell = f"output[{r}, {c}, {step.filter}]" if filters > 1 else f"output[{r}, {c}]"
    multi = step.patch.ndim == 3
    patch = step.patch[:, :, channel] if multi else step.patch
    ker = kernel[:, :, channel] if multi else kernel
    name = channel_names[channel] if multi and channel < len(channel_names) else ""
    wr, wc = step.window
    head = Line((chunk(Run(cell, "bold")), chunk("—"), chunk("window"),
                 chunk("at"), chunk(f"row {wr},"), chunk(f"col {wc}" + (";" if name else "")))
                + ((chunk("channel"), chunk(Run(name, "bold"))) if name else ()))
    sums: list[Line] = []
    running: list[Line] = []  # the channels' running total: not in the least detailed form
    if multi:
        per = step.products.sum(axis=(0, 1), dtype=np.float64)
        labels = channel_names or tuple(f"c{i}" for i in range(len(per)))
        sums.extend(_channel_sums(per, labels, channel, step.filter if filters > 1 else None,
                                  ghost=sub < 1))
        running = sums[1:]
        total = float(per.sum())
        sigma: tuple[Chunk, ...] = (chunk("Σ", Run("c", "sub")), chunk("Σ", Run("ij", "sub")),
                                    chunk("x·w"))
    else:
        total = float(step.products.sum(dtype=np.float64))
        sigma = (chunk("Σ x·w"),)
    sums.append(Line((*sigma, chunk("= ", Run(fmt(total), "bold")),
                      chunk(f"+ bias {fmt(step.bias)}"), chunk("= ", Run(fmt(step.value), "bold"))),
                     ghost=sub < 1))
    written = max(0.0, step.value) if relu else step.value
    result = chunk("= ", Run(fmt(written), "bold"))
    relu_line = Line((chunk("ReLU:"), chunk(f"max(0, {fmt(step.value)})"), result),
                     ghost=sub < 2)
    if relu:
        sums.append(relu_line)
    sums.append(Line((chunk("→ written to"), chunk(cell), result), ghost=sub < 2))
    # The least detailed form names the cell only (a layer's: on the line that writes it):
    # the grids' row and column numbers show where the window is; each channel's sum is
    # there, their running total is not (the sum of them is the next line), and ReLU is on
    # the line that writes the cell: a 1280×720 projector has no room for those lines.
    terms, values, row_sums = _row_tables(patch, ker, sub, (name or f"c{channel}") if multi
                                          else "")
    fewer = [line for line in sums if all(line is not r for r in (*running, relu_line))]
    if relu:  # and ReLU on the line that writes the cell
        fewer[-1] = Line((chunk("→ written to"), chunk(cell),
                          chunk(f"= max(0, {fmt(step.value)})"), result), ghost=sub < 2)
    if multi:  # the cell is named where it is written; the rows say their channel
        return (head, terms, *sums), (head, values, *sums), (row_sums, *fewer)
    return ((head, terms, *sums), (head, values, *sums), (Line(head.chunks[:1]), row_sums,
                                                          *fewer))


def conv_html(step: ConvStep, kernel: np.ndarray, *, sub: int, relu: bool,
              channel: int = 0, channel_names: tuple[str, ...] = ()) -> str:
    """Write the most detailed form of :func:`conv_panels` as HTML."""
    return to_html(conv_panels(step, kernel, sub=sub, relu=relu, channel=channel,
                               channel_names=channel_names)[0])


def pool_panels(step: PoolStep, op: str) -> tuple[Panel, ...]:
    """Write one pool step: the block's values and their maximum or mean, then the cell.

    Two forms: with every value of the block, and (for large blocks) without the list.
    """
    r, c = step.out_pos
    values = [float(v) for v in step.patch.ravel() if np.isfinite(v)]
    head = Line((chunk(Run(f"pooled[{r}, {c}]", "bold")), chunk("—"), chunk("block"),
                 chunk("at"), chunk(f"row {step.window[0]},"), chunk(f"col {step.window[1]}")))
    name = "max" if op == "max" else "mean"
    listed = tuple(chunk(("" if i else f"{name}(") + fmt(v) + (")" if i == len(values) - 1
                                                                else ","))
                   for i, v in enumerate(values))
    short = (chunk(f"{name} of the"), chunk(f"{len(values)} values"))
    result = chunk("= ", Run(fmt(step.value), "bold"))
    written = Line((chunk("→ written to"), chunk(f"pooled[{r}, {c}]"), result))
    forms = []
    for values_shown in (listed, short):
        if op == "max":
            wr, wc = step.winner
            body = [Line((*values_shown, result)),
                    Line((*words("winner at"), chunk(f"row {wr},"), chunk(f"col {wc}"),
                          *words("(the first maximum, reading row by row)")))]
        else:
            body = [Line((*values_shown, chunk(f"= {fmt(sum(values))}"),
                          chunk(f"/ {len(values)}"), result))]
        forms.append((head, *body, written))
    return tuple(forms)


def pool_html(step: PoolStep, op: str) -> str:
    """Write the first form of :func:`pool_panels` as HTML."""
    return to_html(pool_panels(step, op)[0])
