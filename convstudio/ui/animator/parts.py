"""The parts of a followed grid kept as pixmaps, and the next part drawn ahead in bands.

A grid too large for legible cells shows the part around the window (see ``grid``). Playing,
the window reaches a new part every few steps; the part is drawn ahead of time, a band of
rows a step spread over the steps left before it is shown (:meth:`Parts.draw_ahead`), so
that no single frame draws a whole part.
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
MIN_BAND = 4        # rows (about a third of a part): a band's setting up costs ~0.3 ms
MAX_STEPS_PER_CALL = 4  # steps between two calls, as far as it is estimated (a stall: more)


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
    due: int | None = None  # the last call's steps until it is shown


class Parts:
    """The parts drawn already, used longest ago first, and the one being drawn ahead."""

    def __init__(self) -> None:
        self._kept: OrderedDict[Key, QPixmap] = OrderedDict()
        self._draft: Draft | None = None
        self.version = 0  # the grid's values and look the kept parts were drawn with
        # Steps taken between two calls while a part was drawn: one stepping by hand or at up
        # to 60 steps/s, two or three at 120; two until measured.
        self.steps_per_call = 2

    def __contains__(self, key: Key) -> bool:
        return key in self._kept

    def forget(self, version: int) -> None:
        """Drop every part: the grid's values or look are now ``version``."""
        self._kept.clear()
        self._draft = None
        self.version = version

    def take(self, key: Key, finish: Callable[[Draft], None]) -> QPixmap | None:
        """Return the part ``key``, finished with ``finish`` if it was being drawn ahead.

        None if it was neither kept nor begun; a part being drawn that is not ``key`` (the
        window jumped elsewhere) is left as it is.
        """
        page = self._kept.pop(key, None)
        if page is not None:
            return page
        draft = self._draft
        if draft is None or draft.key != key:
            return None
        self._draft = None
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

        The rows left are spread over the calls left before the part is shown (this one and
        one every :attr:`steps_per_call` steps up to ``due``), at least MIN_BAND a call; with
        three calls or more left, a new part is only begun (its texts, font, and row and
        column numbers) and its cells wait for the next calls. A part seen too late (parts
        a frame or two apart) is finished by the paint that shows it (:meth:`take`).
        """
        draft = self._draft
        if draft is not None and draft.key == key and draft.due is not None and due < draft.due:
            self.steps_per_call = min(MAX_STEPS_PER_CALL, draft.due - due)
        calls = due // self.steps_per_call + 1
        if draft is None or draft.key != key:
            draft = self._draft = begin()
            draft.due = due
            if calls >= 3:
                return
        draft.due = due
        left = rows - draft.rows_done
        paint(draft, max(MIN_BAND, math.ceil(left / calls)))
        if draft.rows_done >= rows:
            self._draft = None
            self.put(key, draft.pixmap, protected | {key})
