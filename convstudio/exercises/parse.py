"""Reading what a student types, leniently: numbers, shapes, cells, grids and choices (no Qt).

Every reader takes whatever the answer box holds — text, or a value a program passes (a number,
a tuple, an array) — and returns the value or raises :class:`Unreadable`, whose message tells
the student what was expected. Nothing here raises anything else.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

# A number as people write it: 577, -286, 4.5, .5, 1e3, 18,496 (thousands), 4,5 (a decimal
# comma), 1/9 (a fraction), 97 % (a percentage).
_NUMBER = re.compile(r"[-+]?(?:\d+(?:[.,]\d+)*|\.\d+)(?:[eE][-+]?\d+)?")
_FRACTION = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*$")
_THOUSANDS = re.compile(r"^[-+]?[1-9]\d{0,2}(?:,\d{3})+$")
_SPACED = re.compile(r"^[-+]?[1-9]\d{0,2}(?: \d{3})+$")  # 18 496
_MINUS = str.maketrans({"−": "-", "–": "-", "\u00a0": " ", "\u202f": " ", "’": "", "_": ""})
_WORDS = re.compile(r"[A-Za-z]+")
# Words a student may write around an answer ("row 1, column 2", "255 by 510", "answer: 3").
_FILLER = {"x", "by", "times", "and", "row", "rows", "col", "cols", "column", "columns", "r",
           "c", "answer", "is", "it", "the", "pixels", "pixel", "px", "about", "shape", "of",
           "output", "height", "width", "e"}
MAX_CHARS = 2000


class Unreadable(ValueError):
    """What the student typed cannot be read as the answer asked for; the message says why."""


def _text(given: Any) -> str:
    text = str(given)
    if len(text) > MAX_CHARS:
        raise Unreadable(f"that is {len(text):,} characters long; an answer here is a few")
    return text.translate(_MINUS).strip()


def _number_token(token: str) -> float:
    if _THOUSANDS.match(token):
        return float(token.replace(",", ""))
    if token.count(",") == 1 and "." not in token:
        token = token.replace(",", ".")            # a decimal comma: 4,5
    try:
        return float(token)
    except ValueError:
        raise Unreadable(f"{token!r} is not a number") from None


def _finite(value: float, text: str) -> float:
    if not math.isfinite(value):
        raise Unreadable(f"{text!r} is not a finite number")
    return value


def read_number(given: Any) -> float:
    """Return the one number in ``given`` ("577", "−286", "0.1", "1/9", "18,496", "93 %")."""
    if isinstance(given, bool):
        raise Unreadable("type a number")
    if isinstance(given, int | float | np.integer | np.floating):
        return _finite(float(given), str(given))
    text = _text(given)
    if not text:
        raise Unreadable("the answer box is empty: type a number")
    text = text.lstrip("=").strip()
    percent = text.endswith("%")
    text = text.rstrip("%").strip()
    if _SPACED.match(text):
        text = text.replace(" ", "")
    fraction = _FRACTION.match(text)
    if fraction:
        denominator = float(fraction.group(2))
        if denominator == 0:
            raise Unreadable("that fraction divides by zero")
        value = float(fraction.group(1)) / denominator
    else:
        tokens = _NUMBER.findall(text)
        if not tokens:
            raise Unreadable(f"I could not find a number in {text[:40]!r}: type one, e.g. 42 "
                             "or 0.5")
        if len(tokens) > 1:
            raise Unreadable(f"I read {len(tokens)} numbers ({', '.join(tokens[:4])}): "
                             "type just one")
        rest = _NUMBER.sub(" ", text)
        if set(w.lower() for w in _WORDS.findall(rest)) - _FILLER:
            raise Unreadable(f"I could not read {text[:40]!r} as one number")
        value = _number_token(tokens[0])
    return _finite(value / 100.0 if percent else value, text)


def read_numbers(given: Any, *, allow_none: bool = False) -> tuple[float | None, ...]:
    """Return the numbers in a shape or a cell ("255x510", "(255, 510)", "row 1, col 2").

    Commas separate numbers here (a shape has no decimals). ``allow_none`` also reads "None"
    (or "batch"), as Keras prints a batch axis of any size.
    """
    if isinstance(given, np.ndarray):
        given = given.tolist()
    if isinstance(given, list | tuple):
        values: list[float | None] = []
        for v in given:
            if v is None and allow_none:
                values.append(None)
            else:
                values.append(read_number(v))
        if not values:
            raise Unreadable("the answer is empty")
        return tuple(values)
    text = _text(given)
    if not text:
        raise Unreadable("the answer box is empty")
    tokens = re.findall(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[A-Za-z]+", text)
    out: list[float | None] = []
    for token in tokens:
        if token[0].isalpha():
            word = token.lower()
            if allow_none and word in ("none", "batch", "n"):
                out.append(None)
            elif word == "none":
                raise Unreadable("give the size itself: Keras prints None for a batch axis "
                                 "of any size, but here it has a size")
            elif word not in _FILLER:
                raise Unreadable(f"I could not read {token!r}: type numbers such as 255×510")
            continue
        out.append(_finite(float(token), token))
    if not out:
        raise Unreadable(f"I could not find numbers in {text[:40]!r}")
    return tuple(out)


def read_grid(given: Any, *, max_side: int = 7) -> np.ndarray:
    """Return a grid of numbers: ``[[1, 2], [3, 4]]``, ``1 2; 3 4`` or one row per line."""
    if isinstance(given, np.ndarray | list | tuple):
        try:
            arr = np.array(given, dtype=np.float64)
        except (TypeError, ValueError):
            raise Unreadable("the rows must all have the same length") from None
        if arr.ndim == 1:
            arr = arr[None, :]
    else:
        text = _text(given)
        if not text:
            raise Unreadable("the answer box is empty: type rows of numbers, e.g. 1 0 -1; "
                             "2 0 -2; 1 0 -1")
        inner = text.strip().removeprefix("[").removesuffix("]") if text.startswith("[[") \
            else text
        rows_text = [r for r in re.split(r"\]\s*,?\s*\[|[;\n|/]", inner) if r.strip(" [],")]
        rows = []
        for r in rows_text:
            tokens = re.findall(r"[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?", r)
            junk = re.sub(r"[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?|[\s,\[\]()]", "", r)
            if junk:
                raise Unreadable(f"I could not read {junk[:20]!r} in {r.strip()[:40]!r}")
            rows.append([float(t) for t in tokens])
        if not rows:
            raise Unreadable("I could not find rows of numbers")
        if len({len(r) for r in rows}) != 1:
            raise Unreadable("the rows have different lengths ("
                             + ", ".join(str(len(r)) for r in rows) + " numbers)")
        arr = np.array(rows, dtype=np.float64)
    if arr.ndim != 2 or arr.size == 0:
        raise Unreadable("type a grid: rows of numbers")
    if max(arr.shape) > max_side:
        raise Unreadable(f"that grid is {arr.shape[0]}×{arr.shape[1]}; at most "
                         f"{max_side}×{max_side} here")
    if not np.isfinite(arr).all():
        raise Unreadable("every entry must be a finite number")
    return arr


def option_label(i: int) -> str:
    """Return the letter of option ``i`` (A, B, C …)."""
    return chr(ord("A") + i)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w.×\-]+", " ", text.lower()).split())


def read_choice(given: Any, options: Sequence[str]) -> int:
    """Return the index of the option chosen: its letter ("b", "B)"), its number or its text."""
    if isinstance(given, int | np.integer) and not isinstance(given, bool):
        if 0 <= int(given) < len(options):
            return int(given)
        raise Unreadable(f"choose one of {option_label(0)}…{option_label(len(options) - 1)}")
    text = _text(given)
    if not text:
        raise Unreadable("choose one of the options (type its letter)")
    bare = text.strip("()[]. ").strip()
    if len(bare) == 1 and bare.isalpha():
        i = ord(bare.upper()) - ord("A")
        if 0 <= i < len(options):
            return i
    if bare.isdigit() and 1 <= int(bare) <= len(options):
        return int(bare) - 1
    said = _norm(re.sub(r"^[A-Za-z][).:]\s+", "", text))
    exact = [i for i, o in enumerate(options) if _norm(o) == said]
    if len(exact) == 1:
        return exact[0]
    partial = [i for i, o in enumerate(options)
               if len(said) >= 3 and re.search(rf"\b{re.escape(said)}", _norm(o))]
    if len(partial) == 1:
        return partial[0]
    letters = ", ".join(option_label(i) for i in range(len(options)))
    raise Unreadable(f"I could not tell which option {text[:40]!r} means: type a letter "
                     f"({letters})")
