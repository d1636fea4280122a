"""Named kernel presets, the lessons' normalisation weight, and kernel validation.

To add a preset, append a :class:`Preset` to ``_PRESETS``; the workspace's preset menu, the
``--kernel`` flag and the tests pick it up from :func:`preset_names`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import as_float_array
from .limits import KERNEL_ENTRY, MAX_KERNEL_ENTRY, MAX_KERNEL_SIDE


@dataclass(frozen=True)
class Preset:
    """A named kernel: integer-friendly ``values`` and the weight they are shown with.

    Attributes
    ----------
    name : str
        Identifier used on the command line and in lessons.
    label : str
        Human-readable name.
    values : tuple of tuple of float
        The entries a learner types.
    description : str
        One sentence on what the kernel does.
    """

    name: str
    label: str
    values: tuple[tuple[float, ...], ...]
    description: str

    @property
    def array(self) -> np.ndarray:
        """The entries as a float32 (kh, kw) array, unweighted."""
        return np.array(self.values, dtype=np.float32)

    @property
    def weight(self) -> float:
        """The normalisation weight for these entries."""
        return normalisation_weight(self.array)

    @property
    def weighted(self) -> np.ndarray:
        """The entries times their normalisation weight: the kernel actually applied."""
        return (self.array * np.float32(self.weight)).astype(np.float32)


_PRESETS: tuple[Preset, ...] = (
    Preset("identity", "Identity", ((0, 0, 0), (0, 1, 0), (0, 0, 0)),
           "Copies the image: the centre weight is 1, every neighbour 0."),
    Preset("box_blur", "Box blur", ((1, 1, 1), (1, 1, 1), (1, 1, 1)),
           "Averages the 9 neighbours (weight 1/9): a blur."),
    Preset("gaussian_3x3", "Gaussian 3×3", ((1, 2, 1), (2, 4, 2), (1, 2, 1)),
           "A softer blur that weighs the centre most (weight 1/16)."),
    Preset("gaussian_5x5", "Gaussian 5×5",
           ((1, 4, 6, 4, 1), (4, 16, 24, 16, 4), (6, 24, 36, 24, 6),
            (4, 16, 24, 16, 4), (1, 4, 6, 4, 1)),
           "A wider Gaussian blur (weight 1/256)."),
    Preset("sharpen", "Sharpen", ((0, -1, 0), (-1, 5, -1), (0, -1, 0)),
           "Boosts the centre against its neighbours: edges look crisper."),
    Preset("laplacian", "Laplacian (edges)", ((0, 1, 0), (1, -4, 1), (0, 1, 0)),
           "Passes only sharp edges and straight lines; flat areas become 0."),
    Preset("sobel_x", "Sobel x (vertical lines)", ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1)),
           "Responds to left-to-right changes: vertical lines pop."),
    Preset("sobel_y", "Sobel y (horizontal lines)", ((-1, -2, -1), (0, 0, 0), (1, 2, 1)),
           "Responds to top-to-bottom changes: horizontal lines pop."),
    Preset("prewitt_x", "Prewitt x", ((-1, 0, 1), (-1, 0, 1), (-1, 0, 1)),
           "Like Sobel x with equal row weights."),
    Preset("prewitt_y", "Prewitt y", ((-1, -1, -1), (0, 0, 0), (1, 1, 1)),
           "Like Sobel y with equal column weights."),
    Preset("emboss", "Emboss", ((-2, -1, 0), (-1, 1, 1), (0, 1, 2)),
           "Lights one side of every edge and shades the other: a relief."),
    Preset("outline", "Outline", ((-1, -1, -1), (-1, 8, -1), (-1, -1, -1)),
           "Keeps only outlines: flat areas become 0."),
)

PRESETS: dict[str, Preset] = {p.name: p for p in _PRESETS}


def preset_names() -> list[str]:
    """Return the preset identifiers in menu order."""
    return [p.name for p in _PRESETS]


def get_preset(name: str) -> Preset:
    """Return the preset called ``name``.

    Raises
    ------
    ValueError
        If there is no such preset; the message lists the known names.
    """
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(
            f"kernel preset {name!r} is unknown; choose one of {', '.join(preset_names())}"
        ) from None


def normalisation_weight(kernel: Any) -> float:
    """Return the weight that makes a kernel's entries sum to 1 (the lessons' rule).

    A kernel whose entries sum to 0 or 1 keeps weight 1; any other sum ``s`` gets ``1/s``
    (entries summing to 10 get 0.1).

    Parameters
    ----------
    kernel : array_like
        The entries.

    Returns
    -------
    float
        The weight.
    """
    arr = validate_kernel(kernel)
    total = float(np.sum(arr, dtype=np.float64))
    scale = max(float(np.abs(arr).sum(dtype=np.float64)), 1.0)
    if math.isclose(total, 0.0, abs_tol=1e-9 * scale) or math.isclose(total, 1.0, rel_tol=1e-9):
        return 1.0
    return 1.0 / total


def validate_kernel(kernel: Any, *, max_side: int = MAX_KERNEL_SIDE,
                    max_entry: float = MAX_KERNEL_ENTRY) -> np.ndarray:
    """Return a finite float32 (kh, kw) kernel with sides 1..``max_side``.

    Every entry lies within ±``max_entry`` (what a kernel cell accepts, see
    :mod:`convstudio.core.limits`), so a kernel the workspace holds can always be shown,
    saved in a lesson and read back.

    Raises
    ------
    ValueError
        Naming what is wrong.
    """
    arr = as_float_array(kernel, "kernel", (2,))
    if max(arr.shape) > max_side:
        raise ValueError(
            f"kernel must be at most {max_side}x{max_side}, got {arr.shape[0]}x{arr.shape[1]}"
        )
    peak = float(np.max(np.abs(arr)))
    if peak > max_entry:
        allowed = KERNEL_ENTRY.text() if max_entry == MAX_KERNEL_ENTRY else f"±{max_entry:g}"
        raise ValueError(f"kernel entries must lie in {allowed}, got {peak:g}")
    return arr
