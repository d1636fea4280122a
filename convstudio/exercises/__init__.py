"""The checked exercise bank of the built-in course (no Qt).

:func:`all_exercises` returns every exercise in course order; each belongs to a lesson of
:mod:`convstudio.course`, computes its answer with the app's own core from its state, and
checks a student's answer with :meth:`Exercise.check`, which returns a :class:`Feedback`
naming the likely misconception of a wrong answer and never raises.
"""

from __future__ import annotations

from .. import course
from . import bank_filters, bank_networks, bank_sizes
from .base import FORMS, Exercise, Feedback, Mistake
from .parse import Unreadable

__all__ = ["FORMS", "Exercise", "Feedback", "Mistake", "Unreadable", "all_exercises",
           "for_lesson"]


def all_exercises() -> list[Exercise]:
    """Return every exercise of the course, lesson by lesson in course order (fresh states)."""
    states = {c.key: c.state for c in course.course()}
    bank = (bank_filters.exercises(states) + bank_sizes.exercises(states)
            + bank_networks.exercises(states))
    order = {key: i for i, key in enumerate(states)}
    return sorted(bank, key=lambda e: order[e.lesson])


def for_lesson(key: str) -> list[Exercise]:
    """Return the exercises of the built-in lesson ``key``, in order (may be empty)."""
    return [e for e in all_exercises() if e.lesson == key]
