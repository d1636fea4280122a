"""An exercise, the feedback it gives, and the likely mistakes it recognises (no Qt).

An exercise's answer is computed by the app's own core from its state when the bank is built;
a :class:`Mistake` is the answer a known misconception gives, computed the same way, so a
wrong answer that matches one is told what went wrong instead of only "not quite".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..lesson_state import Lesson
from .parse import Unreadable

# How the answer box reads the student's text (and how a window may offer to enter it).
FORMS = ("number", "numbers", "grid", "choice")


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer.

    Attributes
    ----------
    correct : bool
        Whether the answer is right.
    message : str
        Why: what the right answer shows, or the likely misconception, or what could not be
        read.
    misconception : str or None
        A short code naming the mistake recognised ("no-floor", "top-left", …); "unreadable"
        for input that could not be read; None otherwise.
    """

    correct: bool
    message: str
    misconception: str | None = None


@dataclass(frozen=True)
class Mistake:
    """The answer a misconception gives, and what to tell a student who gives it."""

    code: str
    value: Any
    message: str


Judge = Callable[[Any], Feedback]


@dataclass(frozen=True)
class Exercise:
    """One checked exercise of a built-in lesson.

    Attributes
    ----------
    id : str
        ``"<lesson>/<name>"``, unique in the bank.
    lesson : str
        The key of the built-in lesson it belongs to (:mod:`convstudio.course`).
    kind : str
        ``number``, ``shape``, ``cell``, ``grid``, ``padding``, ``kernel``, ``choice`` or
        ``training``.
    form : str
        How the answer is typed: one of :data:`FORMS`.
    prompt, hint : str
        Plain text.
    answer : Any
        The right answer, computed by the core (a float, a tuple, a 2-D array or an option
        index); ``check(answer)`` accepts it.
    answer_text : str
        The answer as Reveal shows it (``check(answer_text)`` accepts it too).
    state : Lesson
        What the window shows for this exercise (image, kernel, parameters, animator step).
    options : tuple of str
        The choices, for ``form == "choice"``.
    explanation : str
        Why the answer is right, given with a correct answer.
    mistakes : tuple of Mistake
        The misconceptions this exercise recognises.
    """

    id: str
    lesson: str
    kind: str
    form: str
    prompt: str
    hint: str
    answer: Any
    answer_text: str
    state: Lesson
    explanation: str
    judge: Judge = field(repr=False, compare=False)
    options: tuple[str, ...] = ()
    mistakes: tuple[Mistake, ...] = ()

    def check(self, given: Any) -> Feedback:
        """Return the feedback on ``given`` (text as typed, or a value); never raises."""
        try:
            return self.judge(given)
        except Unreadable as exc:
            return Feedback(False, f"I could not read that: {exc}.", "unreadable")
        except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
            return Feedback(False, f"I could not read that ({exc}).", "unreadable")


def same_number(a: float, b: float, tol: float) -> bool:
    """Return whether two numbers agree within ``tol`` (absolute)."""
    return abs(a - b) <= tol


def number_judge(answer: float, tol: float, mistakes: Sequence[Mistake], explanation: str,
                 wrong: str, read: Callable[[Any], float]) -> Judge:
    """Judge one number: right within ``tol``, a known mistake, or wrong with ``wrong``."""

    def judge(given: Any) -> Feedback:
        value = read(given)
        if same_number(value, answer, tol):
            return Feedback(True, f"Right. {explanation}")
        for m in mistakes:
            if same_number(value, float(m.value), tol):
                return Feedback(False, m.message, m.code)
        return Feedback(False, wrong)

    return judge


def tuple_judge(answer: tuple[Any, ...], mistakes: Sequence[Mistake], explanation: str,
                wrong: str, read: Callable[[Any], tuple[Any, ...]],
                before: Callable[[tuple[Any, ...]], Feedback | None] | None = None) -> Judge:
    """Judge a tuple of numbers (a shape, a cell, a pair of paddings)."""

    def judge(given: Any) -> Feedback:
        value = read(given)
        if _same_tuple(value, answer):
            return Feedback(True, f"Right. {explanation}")
        # A mistake may have another length than the answer (a shape without its batch).
        for m in mistakes:
            if _same_tuple(value, tuple(m.value)):
                return Feedback(False, m.message, m.code)
        if before is not None:
            early = before(value)
            if early is not None:
                return early
        return Feedback(False, wrong)

    return judge


def _same_tuple(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    if len(a) != len(b):
        return False
    return all((x is None and y is None) or (x is not None and y is not None
                                             and abs(float(x) - float(y)) < 1e-9)
               for x, y in zip(a, b, strict=True))


def grid_judge(answer: np.ndarray, tol: float, mistakes: Sequence[Mistake], explanation: str,
               wrong: str, read: Callable[[Any], np.ndarray]) -> Judge:
    """Judge a small grid of numbers (a pooled block)."""

    def same(a: np.ndarray, b: np.ndarray) -> bool:
        return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol))

    def judge(given: Any) -> Feedback:
        value = read(given)
        if value.shape != answer.shape:
            return Feedback(False, f"That grid is {value.shape[0]}×{value.shape[1]}; the "
                                   f"answer is {answer.shape[0]}×{answer.shape[1]}.", "shape")
        if same(value, answer):
            return Feedback(True, f"Right. {explanation}")
        for m in mistakes:
            if same(value, np.asarray(m.value, np.float64)):
                return Feedback(False, m.message, m.code)
        return Feedback(False, wrong)

    return judge


def choice_judge(answer: int, options: Sequence[str], messages: dict[int, Mistake],
                 explanation: str, read: Callable[[Any], int]) -> Judge:
    """Judge a choice; each wrong option may carry its own misconception."""

    def judge(given: Any) -> Feedback:
        i = read(given)
        if i == answer:
            return Feedback(True, f"Right. {explanation}")
        m = messages.get(i)
        if m is not None:
            return Feedback(False, m.message, m.code)
        return Feedback(False, f"Not {options[i]!r}. Look again at what the workspace shows.")

    return judge


def distinct(answer: Any, mistakes: Sequence[Mistake],
             same: Callable[[Any, Any], bool]) -> tuple[Mistake, ...]:
    """Keep the mistakes whose value differs from the answer and from earlier mistakes.

    A misconception that happens to give the right answer here (a symmetric kernel flipped)
    teaches nothing, and two giving the same value would make the message a guess.
    """
    kept: list[Mistake] = []
    for m in mistakes:
        if same(m.value, answer) or any(same(m.value, k.value) for k in kept):
            continue
        kept.append(m)
    return tuple(kept)
