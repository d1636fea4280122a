"""Timing helpers and the result row shared by every benchmark module."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Row:
    """One line of the table: a measurement, its target, and whether it was met."""

    name: str
    value: float
    unit: str
    target: str
    ok: bool
    detail: str = ""


def best_time(fn: Callable[[], object], *, min_total: float = 0.2, repeat: int = 7) -> float:
    """Return the best per-call time of ``fn`` over ``repeat`` timed batches.

    The batch size is chosen so each batch lasts about ``min_total / repeat`` seconds; the
    minimum is the least noisy estimate on a shared machine.
    """
    fn()
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    number = max(1, int(min_total / repeat / once))
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def interleaved(fns: dict[str, Callable[[], object]], *, rounds: int = 5) -> dict[str, float]:
    """Time several functions in alternating rounds so drift on the machine hits all alike."""
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for key, fn in fns.items():
            samples[key].append(best_time(fn, min_total=0.15, repeat=3))
    return {k: min(v) for k, v in samples.items()}


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Return (p50, p95) of ``samples``."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95
