"""Builders for each kind of exercise: how its answer is read, compared and explained (no Qt)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core import conv2d, normalisation_weight
from ..core.kernels import validate_kernel
from ..lesson_state import Lesson
from .base import (
    Exercise,
    Feedback,
    Mistake,
    choice_judge,
    distinct,
    grid_judge,
    number_judge,
    same_number,
    tuple_judge,
)
from .parse import Unreadable, option_label, read_choice, read_grid, read_number, read_numbers


def fmt_number(v: float) -> str:
    """Write a number as Reveal shows it: whole numbers with thousands commas (18,496)."""
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:.6g}"


def fmt_shape(t: Sequence[Any]) -> str:
    """Write a shape: ``255×510`` for two sides, ``(60000, 28, 28, 1)`` for more."""
    parts = ["None" if v is None else str(int(v)) for v in t]
    return "×".join(parts) if len(parts) == 2 else "(" + ", ".join(parts) + ")"


def default_tol(answer: float) -> float:
    """Whole answers must be exact; others may be rounded to about three decimals."""
    return 1e-6 if float(answer).is_integer() else max(0.005, 5e-4 * abs(answer))


def number(id: str, lesson: str, prompt: str, hint: str, answer: float, state: Lesson,
           explanation: str, mistakes: Sequence[Mistake] = (), *, kind: str = "number",
           tol: float | None = None, wrong: str | None = None) -> Exercise:
    """Build an exercise whose answer is one number (an output pixel, a weight, a count)."""
    value = float(answer)
    t = default_tol(value) if tol is None else tol
    kept = distinct(value, mistakes, lambda a, b: same_number(float(a), float(b), t))
    judge = number_judge(value, t, kept, explanation,
                         wrong or "Not quite. " + hint, read_number)
    return Exercise(id, lesson, kind, "number", prompt, hint, value, fmt_number(value), state,
                    explanation, judge, mistakes=kept)


def _shape_check(count: int, names: str,
                 floor_note: bool) -> Callable[[tuple[Any, ...]], Feedback | None]:
    def before(value: tuple[Any, ...]) -> Feedback | None:
        if len(value) != count:
            return Feedback(False, f"Give {count} numbers ({names}); I read {len(value)}.",
                            "count")
        numbers = [v for v in value if v is not None]
        if any(not float(v).is_integer() for v in numbers):
            why = (" The size formula takes the floor, ⌊(n − k) / s⌋ + 1: a window that "
                   "would stick out of the image is dropped." if floor_note else "")
            return Feedback(False, f"Sizes are whole numbers.{why}", "no-floor")
        if any(float(v) < 0 for v in numbers):
            return Feedback(False, "Sizes are never negative.", "negative")
        return None
    return before


def shape(id: str, lesson: str, prompt: str, hint: str, answer: Sequence[Any], state: Lesson,
          explanation: str, mistakes: Sequence[Mistake] = (), *, kind: str = "shape",
          names: str | None = None, allow_none: bool = False,
          wrong: str | None = None) -> Exercise:
    """Build an exercise whose answer is a shape (H′×W′, or a Keras array shape)."""
    ans = tuple(None if v is None else int(v) for v in answer)
    names = names or ("height × width" if len(ans) == 2 else f"{len(ans)} sizes")
    kept = distinct(ans, mistakes, lambda a, b: tuple(a) == tuple(b))
    judge = tuple_judge(ans, kept, explanation, wrong or "Not quite. " + hint,
                        lambda g: read_numbers(g, allow_none=allow_none),
                        _shape_check(len(ans), names, floor_note=True))
    return Exercise(id, lesson, kind, "numbers", prompt, hint, ans, fmt_shape(ans), state,
                    explanation, judge, mistakes=kept)


def pair(id: str, lesson: str, prompt: str, hint: str, answer: tuple[int, int], state: Lesson,
         explanation: str, mistakes: Sequence[Mistake] = (), *, kind: str = "padding",
         names: str = "first, second") -> Exercise:
    """Build an exercise whose answer is two whole numbers (zeros on two sides)."""
    ans = (int(answer[0]), int(answer[1]))
    kept = distinct(ans, mistakes, lambda a, b: tuple(a) == tuple(b))
    judge = tuple_judge(ans, kept, explanation, "Not quite. " + hint, read_numbers,
                        _shape_check(2, names, floor_note=False))
    return Exercise(id, lesson, kind, "numbers", prompt, hint, ans, f"{ans[0]}, {ans[1]}",
                    state, explanation, judge, mistakes=kept)


def cell(id: str, lesson: str, prompt: str, hint: str, answer: tuple[int, int], state: Lesson,
         explanation: str, mistakes: Sequence[Mistake] = (), *,
         value: float | None = None) -> Exercise:
    """Build an exercise whose answer is a grid cell (row, column), counted from 0.

    ``value`` is the number in that cell: a student who types it instead of the cell is told
    so.
    """
    ans = (int(answer[0]), int(answer[1]))

    def before(v: tuple[Any, ...]) -> Feedback | None:
        if len(v) == 1 and value is not None and same_number(float(v[0]), value, 1e-6):
            return Feedback(False, f"{fmt_number(value)} is the winning value; give where it "
                                   "is: its row and column, e.g. 1, 2.", "value-not-cell")
        if len(v) != 2:
            return Feedback(False, f"Give the cell as row, column (two numbers, counted from "
                                   f"0); I read {len(v)}.", "count")
        if any(x is None or not float(x).is_integer() or float(x) < 0 for x in v):
            return Feedback(False, "Rows and columns are whole numbers from 0.", "count")
        return None

    base = [Mistake("one-based", (ans[0] + 1, ans[1] + 1),
                    "Count from 0, as the grid's row and column numbers do: the top-left "
                    "cell is 0, 0."),
            Mistake("swapped", (ans[1], ans[0]), "Row first, then column: you gave the column "
                                                 "first.")]
    kept = distinct(ans, list(mistakes) + base, lambda a, b: tuple(a) == tuple(b))
    judge = tuple_judge(ans, kept, explanation, "Not that cell. " + hint, read_numbers, before)
    return Exercise(id, lesson, "cell", "numbers", prompt, hint, ans, f"{ans[0]}, {ans[1]}",
                    state, explanation, judge, mistakes=kept)


def grid(id: str, lesson: str, prompt: str, hint: str, answer: np.ndarray, state: Lesson,
         explanation: str, mistakes: Sequence[Mistake] = ()) -> Exercise:
    """Build an exercise whose answer is a small grid of numbers (a pooled block)."""
    ans = np.asarray(answer, np.float64)
    kept = distinct(ans, mistakes, lambda a, b: bool(np.array_equal(np.asarray(a), b)))
    judge = grid_judge(ans, 1e-6, kept, explanation, "Not quite. " + hint, read_grid)
    text = "[" + ", ".join("[" + ", ".join(fmt_number(v) for v in row) + "]" for row in ans) + "]"
    return Exercise(id, lesson, "grid", "grid", prompt, hint, ans, text, state, explanation,
                    judge, mistakes=kept)


def choice(id: str, lesson: str, prompt: str, hint: str, options: Sequence[str], answer: int,
           state: Lesson, explanation: str, messages: dict[int, Mistake] | None = None, *,
           kind: str = "choice") -> Exercise:
    """Build a multiple-choice exercise; ``answer`` is the index of the right option."""
    opts = tuple(options)
    if not 0 <= answer < len(opts):
        raise ValueError(f"answer {answer} is not one of the {len(opts)} options")
    msgs = {i: m for i, m in (messages or {}).items() if i != answer}
    listed = "\n".join(f"{option_label(i)}) {o}" for i, o in enumerate(opts))
    judge = choice_judge(answer, opts, msgs, explanation, lambda g: read_choice(g, opts))
    return Exercise(id, lesson, kind, "choice", f"{prompt}\n{listed}", hint, answer,
                    f"{option_label(answer)}) {opts[answer]}", state, explanation, judge,
                    options=opts, mistakes=tuple(msgs.values()))


# --- a kernel the student designs, judged by what it does to test images -------------------
# A response below this (a tenth of a full 0 → 255 step) does not light anything up.
WEAK = 25.0


def edge_images(side: int = 16) -> dict[str, np.ndarray]:
    """Return a vertical edge, a horizontal edge and a flat grey, in 0..255."""
    vertical = np.zeros((side, side), np.float32)
    vertical[:, side // 2:] = 255.0
    return {"vertical": vertical, "horizontal": np.ascontiguousarray(vertical.T),
            "flat": np.full((side, side), 128.0, np.float32)}


def edge_response(entries: np.ndarray) -> dict[str, float]:
    """Return the strongest response of a kernel (weight applied, as the app does) per image."""
    k = validate_kernel(entries)
    effective = (k * np.float32(normalisation_weight(k))).astype(np.float32)
    return {name: float(np.abs(conv2d(img, effective)).max())
            for name, img in edge_images().items()}


def edge_kernel(id: str, lesson: str, orientation: str, reference: np.ndarray,
                state: Lesson) -> Exercise:
    """Design a kernel that lights up ``orientation`` ("vertical"/"horizontal") edges."""
    other = "horizontal" if orientation == "vertical" else "vertical"

    def judge(given: Any) -> Feedback:
        entries = read_grid(given).astype(np.float32)
        try:
            r = edge_response(entries)
        except ValueError as exc:
            raise Unreadable(str(exc)) from None
        total = float(entries.sum())
        if not entries.any():
            return Feedback(False, "An all-zero kernel gives 0 everywhere: it lights up "
                                   "nothing.", "zero")
        if r["flat"] > 0.1 * max(r[orientation], 1.0):
            return Feedback(False, f"It lights up flat areas too: a flat grey of 128 gives "
                                   f"{r['flat']:.0f}. Its entries sum to {total:g}, so the "
                                   "weight makes them sum to 1 and flat areas keep their "
                                   "brightness; make them sum to 0.", "flat")
        if r[other] > r[orientation] and r[other] >= WEAK:
            return Feedback(False, f"It lights up {other} edges ({r[other]:.0f}) more than "
                                   f"{orientation} ones ({r[orientation]:.0f}): rows and "
                                   "columns are swapped — the transpose, which is what the "
                                   "course's loop applies.", "transposed")
        if r[orientation] < WEAK:
            return Feedback(False, f"It hardly responds to a {orientation} edge (at most "
                                   f"{r[orientation]:.0f}).", "weak")
        if r[other] > 0.5 * r[orientation]:
            return Feedback(False, f"It responds to {other} edges almost as much "
                                   f"({r[other]:.0f} against {r[orientation]:.0f}): make the "
                                   f"change run across the {orientation} edge only.",
                            "both")
        return Feedback(True, f"Right: a {orientation} edge gives {r[orientation]:.0f}, a "
                              f"{other} edge {r[other]:.0f} and a flat area "
                              f"{r['flat']:.0f}.")

    ref = np.asarray(reference, np.float32)
    text = "[" + ", ".join("[" + ", ".join(fmt_number(v) for v in row) + "]" for row in ref) + "]"
    prompt = (f"Type a kernel (up to 7×7, rows separated by ';') that lights up {orientation} "
              f"edges — a dark-to-bright change from one side to the other — and neither "
              f"{other} edges nor flat areas. It is tried on test images with the weight "
              "applied, as the workspace does.")
    hint = (f"Put negative weights on one side and positive on the other, across the "
            f"{orientation} edge, summing to 0.")
    return Exercise(id, lesson, "kernel", "grid", prompt, hint, ref, text, state,
                    "The weights change sign across the edge and sum to 0.", judge)
