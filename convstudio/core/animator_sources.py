"""What the animator can step through, written once (no NumPy, no Qt).

The animator model checks its source against these, and the lesson reader checks a lesson's
animator source with them, without importing Qt.
"""

from __future__ import annotations

# The 28×28 glyph, the workspace's selected region, or the workspace's whole image.
ANIMATOR_SOURCES = ("glyph", "region", "image")

# The region source without a selection: the centre of the workspace image, this many pixels
# a side (fewer when the image is smaller).
ANIMATOR_REGION = 8
