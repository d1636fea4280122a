"""The workspace pipeline's parameters: everything besides the image and the kernel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_pair
from .convolution import PaddingLike

__all__ = ["ACTIVATIONS", "FAMILIES", "POOLS", "PipelineParams"]

ACTIVATIONS = ("none", "relu")
POOLS = ("none", "max", "avg")
# The conv family: Keras Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D.
FAMILIES = ("standard", "transposed", "depthwise", "separable")


@dataclass(frozen=True)
class PipelineParams:
    """Everything besides the image and kernel that decides the workspace's outputs."""

    stride: tuple[int, int] = (1, 1)
    padding: PaddingLike = "valid"
    dilation: tuple[int, int] = (1, 1)
    bias: float = 0.0
    activation: str = "none"
    pool: str = "max"
    pool_size: tuple[int, int] = (2, 2)
    pool_stride: tuple[int, int] | None = None
    family: str = "standard"
    output_padding: tuple[int, int] | None = None  # transposed only; None: Keras' default
    depth_multiplier: int = 1  # depthwise and separable: kernels per input channel

    def __post_init__(self) -> None:
        as_pair(self.stride, "stride")
        as_pair(self.dilation, "dilation")
        as_pair(self.pool_size, "pool size")
        if self.pool_stride is not None:
            as_pair(self.pool_stride, "pool stride")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}")
        if self.pool not in POOLS:
            raise ValueError(f"pool must be one of {', '.join(POOLS)}")
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {', '.join(FAMILIES)}")
        if self.output_padding is not None:
            as_pair(self.output_padding, "output padding", minimum=0)
        m = self.depth_multiplier
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise ValueError(f"depth multiplier must be a whole number of at least 1 (kernels "
                             f"per input channel), got {m!r}")
        if not np.isfinite(self.bias):
            raise ValueError("bias must be a finite number")
