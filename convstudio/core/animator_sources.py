"""What the animator can step through, written once (no NumPy, no Qt).

The animator model checks its source against these, and the lesson reader checks a lesson's
animator source with them, without importing Qt.
"""

from __future__ import annotations

# The 28×28 glyph, the workspace's selected region, the workspace's whole image, the
# course's 4×4 pooling example, the workspace image in its three colour channels, a
# built-in 6×6×3 toy, or the Training tab's trained CNN: its first conv's maps of the probe
# image, stepped through by its second conv layer (its weights and bias).
ANIMATOR_SOURCES = ("glyph", "region", "image", "pool-example", "rgb", "toy-rgb", "cnn-maps")
TRAINED_SOURCE = "cnn-maps"

# The sources stepped through as a layer of several filters (kh×kw×C weights each), and how
# many filters; the toy's shape.
CHANNEL_FILTERS = {"rgb": 8, "toy-rgb": 2}
CHANNEL_TOY_SHAPE = (6, 6, 3)

# The region source without a selection: the centre of the workspace image, this many pixels
# a side (fewer when the image is smaller).
ANIMATOR_REGION = 8

# The pooling lesson's 4×4 block (the exercises' block too): 2×2 max pooling keeps its
# quarters' maxima, [[192, 144], [255, 168]], and only one quarter's maximum is its top-left
# pixel, so a loop that keeps the top-left pixel instead shows.
POOL_EXAMPLE = ((12, 192, 16, 144), (100, 64, 96, 32), (255, 40, 80, 20), (30, 200, 168, 120))
POOL_EXAMPLE_MAXIMA = ((192, 144), (255, 168))
