"""Multi-channel sources and filter banks for the animator (NumPy only).

A convolution layer maps an (H, W, C) tensor to an (H', W', F) tensor: each of its F filters
holds kh×kw×C weights, multiplies every channel under the window, adds the C partial sums and
its bias, and fills one output map. The animator steps through such a layer on a colour image
or on :func:`channel_toy`, with the bank :func:`filter_bank` makes from the workspace's kernel.
"""

from __future__ import annotations

import numpy as np

from .animator_sources import CHANNEL_TOY_SHAPE

__all__ = ["channel_names", "channel_toy", "filter_bank", "filter_notes", "maps_caption",
           "page_of"]

CHANNEL_LABELS = ("R", "G", "B")


def channel_names(channels: int) -> tuple[str, ...]:
    """Return the channels' names: R, G, B for a colour image, "map 0", "map 1", … for more.

    A layer deeper in a network reads the maps of the layer before it: 32 of them are
    "map 0" to "map 31".
    """
    if channels <= len(CHANNEL_LABELS):
        return CHANNEL_LABELS[:channels]
    return tuple(f"map {c}" for c in range(channels))


def page_of(index: int, count: int, size: int) -> range:
    """Return the page of at most ``size`` of ``count`` items that holds item ``index``.

    The tensor strips show 32 channels or 64 maps a page at a time, the current one in it.
    """
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    start = max(0, min(index, count - 1)) // size * size
    return range(start, min(count, start + size))


def channel_toy() -> np.ndarray:
    """Return the built-in 6×6×3 toy: a different pattern in each channel, values 0…255.

    R holds a vertical bar, G a horizontal bar and B a diagonal, so a filter that weighs the
    channels differently answers each pattern differently.
    """
    h, w, c = CHANNEL_TOY_SHAPE
    toy = np.zeros((h, w, c), np.float32)
    toy[:, :, 0] = 10  # a dim red everywhere: R's partial sum is never empty
    toy[:, 2, 0] = 250
    toy[3, :, 1] = 200
    toy[np.arange(h), np.arange(w), 2] = 150
    return toy


def filter_bank(kernel: np.ndarray, channels: int, filters: int) -> np.ndarray:
    """Return ``filters`` filters of kh×kw×``channels`` weights made from one 2-D ``kernel``.

    Filter 0 applies the kernel to every channel (what the workspace does with all channels);
    filters 1–3 the kernel turned 90°, 180° and 270° on every channel; filters 4 and up one
    direction each on one channel only (the others weigh 0). A square kernel is needed for
    the turns; a non-square one is flipped instead.

    Returns
    -------
    numpy.ndarray
        (kh, kw, channels, filters), Keras' Conv2D kernel layout, float32.
    """
    k = np.asarray(kernel, np.float32)
    if k.ndim != 2:
        raise ValueError(f"kernel must be 2-D, got shape {k.shape}")
    if channels < 1 or filters < 1:
        raise ValueError(f"channels and filters must be at least 1, got {channels}, {filters}")
    kh, kw = k.shape
    if kh == kw:
        turns = [np.rot90(k, -t) for t in range(4)]
    else:
        turns = [k, k[::-1], k[:, ::-1], k[::-1, ::-1]]
    bank = np.zeros((kh, kw, channels, filters), np.float32)
    for f in range(filters):
        base = turns[f % 4]
        if f < 4:
            bank[:, :, :, f] = base[:, :, None]
        else:
            bank[:, :, (f - 4) % channels, f] = base
    return bank


def filter_notes(channels: int, filters: int) -> list[str]:
    """Return what each filter of :func:`filter_bank` does, one short phrase a filter."""
    names = channel_names(channels)
    turn = ("the kernel", "turned 90°", "turned 180°", "turned 270°")
    notes = []
    for f in range(filters):
        if f < 4:
            notes.append(f"{turn[f]}, on every channel")
        else:
            notes.append(f"{turn[f % 4]}, on {names[(f - 4) % channels]} only")
    return notes


def maps_caption(kernel_shape: tuple[int, ...], out_hw: tuple[int, int]) -> str:
    """Return the layer's maps in words: "8 maps 510×510, each from 3×3×3 weights + a bias".

    ``kernel_shape`` is (kh, kw, C, F).
    """
    kh, kw, c, f = kernel_shape
    maps = "1 map" if f == 1 else f"{f} maps"
    return f"{maps} {out_hw[0]}×{out_hw[1]}, each from {kh}×{kw}×{c} weights + a bias"
