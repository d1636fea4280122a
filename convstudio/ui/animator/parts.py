"""The parts of a followed grid kept as pixmaps, and the next part drawn ahead in bands.

A grid too large for legible cells shows the part around the window (see ``grid``). Playing,
the window reaches a new part every few steps; the part is drawn ahead of time, one band of
rows a step (:meth:`Parts.draw_ahead`), so that no single frame draws a whole part.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtGui import QFont, QPixmap

Key = tuple[object, ...]

PAGES_KEPT = 3      # parts kept: before, shown, next (≈ 2 MB each)
DRAFT_BANDS = 4     # a part drawn ahead is drawn in this many bands of rows, one a step,
STEPS_PER_BAND = 4  # or in bands that leave it done with a band every this many steps


@dataclass
class Draft:
    """A part being drawn ahead: its pixmap and what its cells need."""

    key: Key
    pixmap: QPixmap
    side: float
    block: np.ndarray     # the part's values
    pad_mask: np.ndarray  # which of them are padding
    texts: list[str]      # their numbers, row by row
    font: QFont | None    # None: the cells are too small for numbers
    rows_done: int = 0


class Parts:
    """The parts drawn already, used longest ago first, and the one being drawn ahead."""

    def __init__(self) -> None:
        self._kept: OrderedDict[Key, QPixmap] = OrderedDict()
        self._draft: Draft | None = None
        self.version = 0  # the grid's values and look the kept parts were drawn with

    def __contains__(self, key: Key) -> bool:
        return key in self._kept

    def forget(self, version: int) -> None:
        """Drop every part: the grid's values or look are now ``version``."""
        self._kept.clear()
        self._draft = None
        self.version = version

    def take(self, key: Key, finish: Callable[[Draft], None]) -> QPixmap | None:
        """Return the part ``key``, finished with ``finish`` if it was being drawn ahead.

        None if it was neither kept nor begun.
        """
        page = self._kept.pop(key, None)
        if page is not None:
            return page
        draft, self._draft = self._draft, None
        if draft is None or draft.key != key:
            return None
        finish(draft)
        return draft.pixmap

    def put(self, key: Key, pixmap: QPixmap, protected: set[Key]) -> None:
        """Keep ``pixmap`` as the part used last.

        Forget the parts used longest ago beyond PAGES_KEPT, never a ``protected`` one.
        """
        self._kept[key] = pixmap
        while len(self._kept) > PAGES_KEPT:
            oldest = next((k for k in self._kept if k not in protected), None)
            if oldest is None:
                return
            del self._kept[oldest]

    def draw_ahead(self, key: Key, due: int, rows: int, begin: Callable[[], Draft],
                   paint: Callable[[Draft, int], None], protected: set[Key]) -> None:
        """Draw the next band of part ``key`` (``rows`` tall), shown after ``due`` + 1 steps.

        A band a step, more where the part is due sooner than that allows: playing fast takes
        two steps a frame, and the other grid may need some of the steps left. The first step
        only begins the part (its texts, font and row and column numbers) where there is time.
        """
        calls = max(1, (due + 1) // STEPS_PER_BAND)
        draft = self._draft
        if draft is None or draft.key != key:
            draft = self._draft = begin()
            if calls > 2:
                return
        left = rows - draft.rows_done
        paint(draft, max(math.ceil(rows / DRAFT_BANDS), math.ceil(left / calls)))
        if draft.rows_done >= rows:
            self._draft = None
            self.put(key, draft.pixmap, protected | {key})
