"""Write outputs to disk atomically: PNG as displayed, or the raw float32 values as .npy."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ...files import atomic_write
from ..theme import diverging_cmap, sequential_cmap
from .views import display_levels, to_bytes


def rendered_rgb(data: np.ndarray, mode: str) -> np.ndarray:
    """Return the (H, W, 3) uint8 picture a panel shows for ``data`` in display ``mode``."""
    values, levels, kind = display_levels(data, mode)
    cmap = diverging_cmap() if kind == "diverging" else sequential_cmap(kind)
    lut = np.asarray(cmap.getLookupTable(nPts=256), dtype=np.uint8)[:, :3]
    return lut[to_bytes(values, levels)]


def export_output(path: str | os.PathLike[str], data: np.ndarray, mode: str) -> Path:
    """Save ``data`` as .npy (raw values) or as an image of what is displayed."""
    from PIL import Image

    p = Path(path)
    if p.suffix.lower() == ".npy":
        atomic_write(p, lambda tmp: np.save(tmp, np.asarray(data, dtype=np.float32),
                                             allow_pickle=False))
    else:
        if p.suffix.lower() not in (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"):
            p = p.with_suffix(".png")
        image = Image.fromarray(rendered_rgb(data, mode), "RGB")
        atomic_write(p, lambda tmp: image.save(tmp, format=Image.registered_extensions()[
            p.suffix.lower()]))
    return p
