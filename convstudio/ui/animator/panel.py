"""The arithmetic panel's content as data (no Qt): lines of unbreakable chunks, and tables.

A :class:`Chunk` is never broken: a number, a term such as ``192 × 4.5`` or ``output[1, 4]``
stays whole. A :class:`Line` wraps only between its chunks; a :class:`Table` lines its cells up
in columns and never wraps. The view lays the panel out at the largest font that fits; the
same panel written as HTML is what :meth:`ArithmeticView.text` returns.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

STYLES = ("plain", "bold", "italic", "sub")


@dataclass(frozen=True)
class Run:
    """Text in one style: ``plain``, ``bold``, ``italic`` or ``sub`` (a subscript)."""

    text: str
    style: str = "plain"


Chunk = tuple[Run, ...]


def chunk(*parts: str | Run) -> Chunk:
    """Make a chunk from plain strings and runs."""
    return tuple(p if isinstance(p, Run) else Run(p) for p in parts)


def words(text: str) -> tuple[Chunk, ...]:
    """Split prose into one chunk a word, so it wraps between words only."""
    return tuple(chunk(w) for w in text.split())


def chunk_text(c: Chunk) -> str:
    """Return the chunk's text without styles."""
    return "".join(r.text for r in c)


@dataclass(frozen=True)
class Line:
    """Chunks that flow left to right and wrap between chunks.

    A ``ghost`` line takes its room but is neither drawn nor written: the lines a later
    sub-step reveals, so the font does not change when they appear.
    """

    chunks: tuple[Chunk, ...]
    ghost: bool = False


@dataclass(frozen=True)
class Table:
    """Rows of cells in aligned columns; ``head`` is (chunk, columns spanned) pairs.

    ``align`` is "l" or "r" per column; ``tight`` columns (the "+" between terms) get a
    space's gap instead of a column gap.
    """

    head: tuple[tuple[Chunk, int], ...]
    rows: tuple[tuple[Chunk, ...], ...]
    align: tuple[str, ...]
    tight: frozenset[int] = frozenset()


Block = Line | Table
Panel = tuple[Block, ...]


def _run_html(run: Run) -> str:
    text = html.escape(run.text)
    if run.style == "bold":
        return f"<b>{text}</b>"
    if run.style == "italic":
        return f"<i>{text}</i>"
    if run.style == "sub":
        return f"<sub>{text}</sub>"
    return text


def chunk_html(c: Chunk) -> str:
    """Write a chunk as HTML."""
    return "".join(_run_html(r) for r in c)


def to_html(panel: Panel) -> str:
    """Write the panel as HTML (ghost lines left out)."""
    out = []
    for block in panel:
        if isinstance(block, Line):
            if not block.ghost:
                out.append(" ".join(chunk_html(c) for c in block.chunks))
            continue
        head = "".join(f"<th colspan='{span}' align='left'>{chunk_html(c)}</th>"
                       for c, span in block.head)
        rows = "".join(
            "<tr>" + "".join(
                f"<td align='{'right' if block.align[j] == 'r' else 'left'}'>{chunk_html(c)}</td>"
                for j, c in enumerate(row)) + "</tr>"
            for row in block.rows)
        out.append(f"<table cellspacing='2'><tr>{head}</tr>{rows}</table>")
    return "<br>".join(out)


def panel_text(panel: Panel) -> list[str]:
    """Return every chunk's text that is drawn, in order (empty cells are not drawn)."""
    texts: list[str] = []
    for block in panel:
        if isinstance(block, Line):
            if not block.ghost:
                texts.extend(chunk_text(c) for c in block.chunks)
        else:
            texts.extend(chunk_text(c) for c, _ in block.head)
            texts.extend(chunk_text(c) for row in block.rows for c in row)
    return [t for t in texts if t]
