"""Every workspace limit, written once (no NumPy, no Qt).

The kernel editor's and parameter panel's boxes, the workspace model, kernel validation and
the lesson reader all take their ranges from here, so a lesson can never hold a value the
window cannot show, and a message always states the range the boxes allow.
"""

from __future__ import annotations

from typing import NamedTuple


class IntRange(NamedTuple):
    """Whole numbers from ``lo`` to ``hi``, both allowed (``spin.setRange(*r)`` works)."""

    lo: int
    hi: int

    def allows(self, value: int) -> bool:
        """Return whether ``value`` lies in the range."""
        return self.lo <= value <= self.hi

    def text(self) -> str:
        """Return the range as messages and tooltips write it, e.g. ``1…16``."""
        return f"{self.lo}…{self.hi}"


class FloatRange(NamedTuple):
    """Numbers from ``lo`` to ``hi``, both allowed."""

    lo: float
    hi: float

    def allows(self, value: float) -> bool:
        """Return whether ``value`` lies in the range (NaN never does)."""
        return self.lo <= value <= self.hi

    def text(self) -> str:
        """Return the range as messages and tooltips write it, e.g. ``-1000…1000``."""
        return f"{_number(self.lo)}…{_number(self.hi)}"


def _number(v: float) -> str:
    return f"{v:.0f}" if v == int(v) and abs(v) < 1e7 else f"{v:g}"


# Kernel: rows and columns, and the magnitude of one entry (what a cell accepts).
KERNEL_SIDE = IntRange(1, 7)
MAX_KERNEL_SIDE = KERNEL_SIDE.hi
KERNEL_ENTRY = FloatRange(-1e6, 1e6)
MAX_KERNEL_ENTRY = KERNEL_ENTRY.hi

# Added to every output pixel; the bias box shows two decimals.
BIAS = FloatRange(-1000.0, 1000.0)
BIAS_DECIMALS = 2

# Per axis (rows, columns).
STRIDE = IntRange(1, 16)
DILATION = IntRange(1, 8)
PADDING = IntRange(0, 16)          # custom padding: zeros added on each side
POOL_SIZE = IntRange(1, 8)
POOL_STRIDE = IntRange(1, 8)
# The conv family modes: a transposed conv's extra output rows/columns (below its stride, at
# most 15) and a depthwise conv's kernels per channel.
OUTPUT_PADDING = IntRange(0, 15)
DEPTH_MULTIPLIER = IntRange(1, 8)

# The workspace image: each side in pixels (larger files are offered a downscale), and its
# values, which count from 0 to 255 as the lessons do.
IMAGE_SIDE = IntRange(1, 4096)
MAX_IMAGE_SIDE = IMAGE_SIDE.hi
PIXEL = FloatRange(0.0, 255.0)

# The workspace's choices: which channel of the image is convolved, how a result with
# negative values is displayed, and the window's tabs (lessons name them).
CHANNELS = ("luminance", "R", "G", "B", "all")
DISPLAY_MODES = ("signed", "absolute", "clipped", "range")
TABS = ("workspace", "animator", "training")
