"""NumPy core: convolution and its family, pooling, steps, costs, kernels and images.

No Qt, no TensorFlow.
"""

from . import images, kernels
from .backward import (
    ConvGradients,
    avg_pool2d_backward,
    conv2d_backward,
    max_pool2d_backward,
)
from .backward_steps import (
    InputGradStep,
    InputGradSteps,
    KernelGradStep,
    KernelGradSteps,
    PoolGradStep,
    PoolGradSteps,
    input_grad_steps,
    kernel_grad_steps,
    pool_grad_steps,
)
from .convolution import PADDING_MODES, Pads, conv2d, output_shape, pad_input, resolve_padding
from .costs import LAYER_KINDS, LayerCost, layer_cost
from .family import (
    TransposeAsCorrelation,
    conv2d_transpose,
    conv_transpose_output_shape,
    depthwise_conv2d,
    separable_conv2d,
    transpose_as_correlation,
    transpose_output_formula,
)
from .family_steps import TransposeStep, TransposeSteps, transpose_steps
from .images import ImageLoadError, load_image, luminance, sample_image, sample_names
from .kernels import PRESETS, Preset, get_preset, normalisation_weight, preset_names
from .pooling import avg_pool2d, max_pool2d, pool_geometry
from .steps import ConvStep, ConvSteps, PoolStep, PoolSteps, conv_steps, pool_steps

__all__ = [
    "LAYER_KINDS",
    "PADDING_MODES",
    "PRESETS",
    "ConvGradients",
    "ConvStep",
    "ConvSteps",
    "ImageLoadError",
    "InputGradStep",
    "InputGradSteps",
    "KernelGradStep",
    "KernelGradSteps",
    "LayerCost",
    "Pads",
    "PoolGradStep",
    "PoolGradSteps",
    "PoolStep",
    "PoolSteps",
    "Preset",
    "TransposeAsCorrelation",
    "TransposeStep",
    "TransposeSteps",
    "avg_pool2d",
    "avg_pool2d_backward",
    "conv2d",
    "conv2d_backward",
    "conv2d_transpose",
    "conv_steps",
    "conv_transpose_output_shape",
    "depthwise_conv2d",
    "get_preset",
    "images",
    "input_grad_steps",
    "kernel_grad_steps",
    "kernels",
    "layer_cost",
    "load_image",
    "luminance",
    "max_pool2d",
    "max_pool2d_backward",
    "normalisation_weight",
    "output_shape",
    "pad_input",
    "pool_geometry",
    "pool_grad_steps",
    "pool_steps",
    "preset_names",
    "resolve_padding",
    "sample_image",
    "sample_names",
    "separable_conv2d",
    "transpose_as_correlation",
    "transpose_output_formula",
    "transpose_steps",
]
