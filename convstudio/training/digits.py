"""Drawn digits prepared the way MNIST's were, so a network trained on MNIST recognises them.

MNIST's authors scaled each digit so that its bounding box fits a 20×20 box, keeping its aspect
ratio (anti-aliasing gives the grey levels), then placed it in a 28×28 image by translating its
centre of mass to the centre. :func:`preprocess_drawing` does the same to a drawing. No Qt: the
Training tab's canvas hands it a NumPy array.
"""

from __future__ import annotations

import numpy as np

SIDE = 28
BOX = 20
# Where MNIST puts a digit's centre of mass, as (row, column) in 0-based pixel indices. Measured
# on the bundled sample: all 10,000 digits have theirs within [13.5, 14.5] on both axes, so the
# authors moved each digit by whole pixels to bring it nearest to pixel (14, 14) (not to the
# geometric centre 13.5, half a pixel up and left).
MASS_CENTRE = (14.0, 14.0)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """Return the (row, column) centre of mass of a 2-D image's values; (nan, nan) if all zero."""
    img = np.asarray(image, dtype=np.float64)
    total = img.sum()
    if total <= 0:
        return float("nan"), float("nan")
    rows = img.sum(axis=1) @ np.arange(img.shape[0]) / total
    cols = img.sum(axis=0) @ np.arange(img.shape[1]) / total
    return float(rows), float(cols)


def _as_ink(canvas: np.ndarray) -> np.ndarray:
    """Return a drawing as float32 ink 0…1; integers (and floats above 1) are read as 0…255."""
    arr = np.asarray(canvas)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2 or not arr.size:
        raise ValueError(f"a drawing must be a 2-D array (rows, columns), got shape {arr.shape}")
    if arr.dtype == np.bool_:
        return arr.astype(np.float32)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"a drawing must hold numbers, not {arr.dtype}")
    values = arr.astype(np.float64)
    if not np.isfinite(values).all():
        raise ValueError("a drawing must hold finite numbers (it has NaN or infinite values)")
    scale = 255.0 if arr.dtype.kind in "iu" or values.max() > 1.0 else 1.0
    return np.clip(values / scale, 0.0, 1.0).astype(np.float32)


def preprocess_drawing(canvas: np.ndarray) -> np.ndarray:
    """Turn a drawing into a 28×28 MNIST-style digit (uint8 0…255, ink high).

    ``canvas`` is a 2-D array (any size; square-ish as a canvas is), ink high on a 0 background:
    uint8 or other integers 0…255, floats 0…1 or 0…255 (a float array whose maximum exceeds 1
    is read as 0…255), or bool; values outside the range are clipped. As the MNIST authors did:

    1. crop to the ink's bounding box (ink: any pixel that would not be 0 in a uint8 image);
    2. scale the crop, keeping its aspect ratio and anti-aliased (area averaging), so that its
       larger side is 20 pixels;
    3. place it in a 28×28 image, moved by whole pixels so that its centre of mass is nearest
       to :data:`MASS_CENTRE` (14, 14) (every MNIST digit's is within half a pixel of it), as
       far as the digit stays whole inside the image.

    A drawing with no ink gives an all-zero image.

    Returns
    -------
    numpy.ndarray
        (28, 28) uint8, 0…255 like the datasets' images.

    Raises
    ------
    ValueError
        ``canvas`` is not a 2-D array of finite numbers.
    """
    import cv2

    ink = _as_ink(canvas)
    out = np.zeros((SIDE, SIDE), np.uint8)
    rows, cols = np.nonzero(ink >= 0.5 / 255)
    if not len(rows):
        return out
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    f = BOX / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))  # cv2 wants (width, height)
    small = np.clip(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), 0.0, 1.0)
    sh, sw = small.shape
    cy, cx = centre_of_mass(small)  # finite: the crop holds ink, and averaging keeps it
    top = min(max(int(np.floor(MASS_CENTRE[0] - cy + 0.5)), 0), SIDE - sh)
    left = min(max(int(np.floor(MASS_CENTRE[1] - cx + 0.5)), 0), SIDE - sw)
    out[top:top + sh, left:left + sw] = np.rint(small * 255).astype(np.uint8)
    return out
