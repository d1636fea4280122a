"""NumPy core: convolution, pooling, animator steps, kernels and images. No Qt, no TensorFlow."""

from . import images, kernels
from .convolution import PADDING_MODES, Pads, conv2d, output_shape, pad_input, resolve_padding
from .images import ImageLoadError, load_image, luminance, sample_image, sample_names
from .kernels import PRESETS, Preset, get_preset, normalisation_weight, preset_names
from .pooling import avg_pool2d, max_pool2d, pool_geometry
from .steps import ConvStep, ConvSteps, PoolStep, PoolSteps, conv_steps, pool_steps

__all__ = [
    "PADDING_MODES",
    "PRESETS",
    "ConvStep",
    "ConvSteps",
    "ImageLoadError",
    "Pads",
    "PoolStep",
    "PoolSteps",
    "Preset",
    "avg_pool2d",
    "conv2d",
    "conv_steps",
    "get_preset",
    "images",
    "kernels",
    "load_image",
    "luminance",
    "max_pool2d",
    "normalisation_weight",
    "output_shape",
    "pad_input",
    "pool_geometry",
    "pool_steps",
    "preset_names",
    "resolve_padding",
    "sample_image",
    "sample_names",
]
