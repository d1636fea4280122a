"""What a lesson holds (the workspace, the animator, the training form) and its JSON form.

No Qt. :mod:`convstudio.lessons` reads, checks and writes lessons; :mod:`convstudio.course`
builds the built-in ones from this class, which is why it lives apart from the reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .core.animator_sources import (
    ANIMATOR_REGION,
    CHANNEL_FILTERS,
    CHANNEL_TOY_SHAPE,
    POOL_EXAMPLE,
    TRAINED_SOURCE,
)
from .core.pipeline import PipelineParams
from .lesson_values import encode_image

FORMAT = "convstudio-lesson"
VERSION = 1


@dataclass
class Lesson:
    """Everything a lesson restores. ``image`` is RGB in 0..255 (float32, H×W×3)."""

    title: str = "Untitled lesson"
    text: str = ""
    tab: str = "workspace"
    image: np.ndarray | None = None
    image_name: str = "camera"
    sample: str | None = None              # a built-in sample image instead of an embedded one
    channel: str = "luminance"
    kernel: np.ndarray = field(default_factory=lambda: np.zeros((3, 3), np.float32))
    use_weight: bool = True
    params: PipelineParams = field(default_factory=PipelineParams)
    selection: tuple[int, int, int, int] | None = None
    display: str = "signed"
    animator_source: str = "glyph"
    animator_step: int = 0
    training: dict[str, Any] = field(default_factory=dict)
    model_file: str | None = None          # a .keras file name in the lesson's folder

    def to_json(self) -> dict[str, Any]:
        """Return the JSON document (image embedded unless it is a built-in sample)."""
        p = self.params
        ws: dict[str, Any] = {
            "image_name": self.image_name, "channel": self.channel,
            "kernel": [[float(v) for v in row] for row in self.kernel],
            "use_weight": self.use_weight,
            "params": {
                "stride": list(p.stride), "dilation": list(p.dilation),
                "padding": p.padding if isinstance(p.padding, str) else list(
                    (p.padding, p.padding) if isinstance(p.padding, int) else p.padding),
                "bias": float(p.bias), "activation": p.activation, "pool": p.pool,
                "pool_size": list(p.pool_size),
                "pool_stride": None if p.pool_stride is None else list(p.pool_stride),
                "family": p.family, "depth_multiplier": p.depth_multiplier,
                "output_padding": None if p.output_padding is None else list(p.output_padding)},
            "selection": None if self.selection is None else list(self.selection),
            "display": self.display,
        }
        if self.sample is not None:
            ws["sample"] = self.sample
        elif self.image is not None:
            ws["image"] = encode_image(self.image)
        return {
            "format": FORMAT, "version": VERSION, "title": self.title, "text": self.text,
            "tab": self.tab, "workspace": ws,
            "animator": {"source": self.animator_source, "step": self.animator_step},
            "training": dict(self.training), "model": self.model_file,
        }

    def image_hw(self) -> tuple[int, int] | None:
        """Return the image's (height, width), or None for a lesson that keeps the current one."""
        if self.image is not None:
            return int(self.image.shape[0]), int(self.image.shape[1])
        if self.sample is not None:
            from .core import sample_image

            h, w = sample_image(self.sample, mode="rgb").shape[:2]
            return int(h), int(w)
        return None


def animator_steps(lesson: Lesson, image_hw: tuple[int, int] | None = None) -> int | None:
    """Return how many steps the animator has in the lesson's state, or None if unknown.

    ``image_hw`` is the workspace image's size (default: the lesson's own image). The count
    covers pooling the conv output or the source, whichever has more steps (the lesson does
    not say which the animator pools). None when the image is unknown or the conv cannot run
    on it (the animator then keeps its previous trace).
    """
    from .core import output_shape, pool_geometry, sample_image

    image_hw = image_hw or lesson.image_hw()
    if lesson.animator_source == TRAINED_SOURCE:  # the network's layer decides: unknown here
        return None
    if lesson.animator_source == "glyph":
        src: tuple[int, ...] = sample_image("glyph").shape[:2]
    elif lesson.animator_source == "pool-example":  # the course's 4×4 block, whatever image
        src = (len(POOL_EXAMPLE), len(POOL_EXAMPLE[0]))
    elif lesson.animator_source == "toy-rgb":
        src = CHANNEL_TOY_SHAPE[:2]
    elif image_hw is None:
        return None
    elif lesson.animator_source in ("image", "rgb"):
        src = image_hw
    elif lesson.selection is not None:
        src = lesson.selection[2:]
    else:
        src = (min(image_hw[0], ANIMATOR_REGION), min(image_hw[1], ANIMATOR_REGION))
    p = lesson.params
    try:
        conv = output_shape((src[0], src[1]), (lesson.kernel.shape[0], lesson.kernel.shape[1]),
                            stride=p.stride, padding=p.padding, dilation=p.dilation)
    except ValueError:
        return None
    n_pool = 0
    for hw in (conv, (src[0], src[1])):
        try:
            (_, _), (_, _), (qh, qw), _ = pool_geometry(hw, p.pool_size, stride=p.pool_stride)
        except ValueError:
            continue
        n_pool = max(n_pool, qh * qw)
    filters = CHANNEL_FILTERS.get(lesson.animator_source, 1)  # one map each, filter by filter
    return max(1, conv[0] * conv[1] * filters + n_pool)
