"""Show code: NumPy, Keras and CNN programs that reproduce what the app computes, as pasted.

:func:`program` is the entry point (the window's Show code panel and ``--print-code`` call it):
given where the input comes from (:class:`Source`), the channel, the kernel's entries and the
workspace parameters, it returns a program that loads its own input, converts it exactly as
the app does (:mod:`.codegen_input`) and leaves ``image``, ``kernel``, ``conv`` and, with
pooling, ``pooled``. The NumPy program adds the kernel's taps in the core's order (see
``convolution._corr_numpy``), so it agrees with :func:`convstudio.core.conv2d` exactly for
whole-number kernels on whole-number images and to float32 rounding otherwise (the core hands
small undilated kernels to OpenCV, which fuses each multiply and add). The Keras program builds
the same layers, sets the kernel with ``set_weights`` and returns both outputs. Each conv family
mode (``params.family``) prints its own programs: :mod:`.codegen_family` in NumPy (transposed,
depthwise, separable), :mod:`.codegen_keras_family` in Keras. The CNN program is in
:mod:`.codegen_keras`.

:func:`numpy_code` and :func:`keras_code` keep their older form: without a ``source`` the
program expects a variable ``image`` to exist.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .codegen_family import family_banner, family_numpy_lines
from .codegen_input import Source, input_lines, save_input
from .codegen_keras import cnn_code, keras_lines
from .codegen_keras_family import family_keras_lines
from .codegen_parts import axis_slice, conv_pads, finish_lines, num, padding_comment
from .kernels import normalisation_weight
from .pipeline import PipelineParams, describe
from .pipeline_family import workspace_cost

__all__ = ["KINDS", "Source", "cnn_code", "keras_code", "numpy_code", "program", "save_input"]

KINDS = ("numpy", "keras", "cnn")


def kernel_literal(kernel: np.ndarray) -> str:
    """Return ``np.array([...], dtype=np.float32)`` for a 2-D kernel."""
    rows = ["    [" + ", ".join(num(v) for v in row) + "]," for row in kernel]
    return "np.array([\n" + "\n".join(rows) + "\n], dtype=np.float32)"


def kernel_lines(entries: np.ndarray, weight: float) -> list[str]:
    """Return lines defining ``kernel`` (the entries times their weight, as the app applies)."""
    lines = ["# --- the kernel -------------------------------------------------------------"]
    if weight == 1.0:
        return lines + [f"kernel = {kernel_literal(entries)}"]
    total = float(np.sum(entries, dtype=np.float64))
    return lines + [
        f"entries = {kernel_literal(entries)}",
        f"# the entries sum to {num(total)}: the lessons' weight 1/{num(total)} makes them sum "
        "to 1",
        f"weight = np.float32({num(weight)})",
        "kernel = entries * weight",
    ]


def _numpy_lines(input_shape: tuple[int, ...], kernel: np.ndarray,
                 p: PipelineParams) -> list[str]:
    """Return the convolution, activation and pooling lines after ``image`` and ``kernel``."""
    kh, kw = kernel.shape[:2]
    h, w = input_shape[0], input_shape[1]
    pads = conv_pads((h, w), (kh, kw), p)
    top, bottom, left, right = pads
    (sh, sw), (dh, dw) = p.stride, p.dilation
    multi = len(input_shape) == 3
    lines = [
        "",
        "# --- the convolution: cross-correlation, as Keras' Conv2D computes it ----------",
        padding_comment(pads, p),
        f"x = np.pad(image, (({top}, {bottom}), ({left}, {right})"
        + (", (0, 0)" if multi else "") + "))",
        f"span = ({(kh - 1) * dh + 1}, {(kw - 1) * dw + 1})  # (k - 1) * dilation + 1",
        f"ho = (x.shape[0] - span[0]) // {sh} + 1        # ⌊(n - span) / stride⌋ + 1",
        f"wo = (x.shape[1] - span[1]) // {sw} + 1",
    ]
    window = (f"x[{axis_slice('i', dh, sh, 'ho')}, {axis_slice('j', dw, sw, 'wo')}"
              + (", c]" if multi else "]"))
    taps = [
        f"for i in range({kh}):",
        f"    for j in range({kw}):",
        "        if kernel[i, j] != 0:  # add each tap's weighted, shifted copy of the input",
    ]
    if multi:
        lines += [
            "# one 2-D kernel on every channel; the channels' results are added",
            "conv = None",
            "for c in range(x.shape[2]):",
            "    part = np.zeros((ho, wo), dtype=np.float32)",
            *("    " + t for t in taps),
            f"                part += kernel[i, j] * {window}",
            "    conv = part if conv is None else conv + part",
        ]
    else:
        lines += [
            "conv = np.zeros((ho, wo), dtype=np.float32)",
            *taps,
            f"            conv += kernel[i, j] * {window}",
        ]
    return lines + finish_lines(p)


def _header(title: str, banner: str) -> list[str]:
    return [f'"""ConvStudio: {title}.', "", banner + '"""', ""]


def _banner(input_shape: tuple[int, ...], khw: tuple[int, int], p: PipelineParams) -> str:
    try:
        if p.family != "standard":
            return family_banner(input_shape, khw, p)
        return describe((input_shape[0], input_shape[1]), khw, p,
                        input_shape[2] if len(input_shape) == 3 else 1)
    except ValueError as exc:
        return f"(this setting cannot run: {exc})"


def _body(kind: str, input_shape: tuple[int, ...], k: np.ndarray,
          p: PipelineParams) -> list[str]:
    """Return the lines after the kernel for the mode; a setting that cannot run says why."""
    khw = (k.shape[0], k.shape[1])
    try:
        if kind == "keras":
            if p.family != "standard":
                return family_keras_lines(input_shape, khw, p)
            pads = conv_pads((input_shape[0], input_shape[1]), khw, p)
            return keras_lines(input_shape, khw, p, pads)
        if p.family != "standard":
            return family_numpy_lines(input_shape, khw, p)
        return _numpy_lines(input_shape, k, p)
    except ValueError as exc:
        return ["", f"raise SystemExit({f'this setting cannot run: {exc}'!r})"]


def numpy_code(input_shape: tuple[int, ...], kernel: np.ndarray, params: PipelineParams, *,
               source: Source | None = None, channel: str = "luminance",
               entries: np.ndarray | None = None, weight: float = 1.0) -> str:
    """Return a NumPy program computing ``conv`` (and ``pooled``) as the app does.

    ``kernel`` is the 2-D kernel applied (weight included); pass ``entries`` and ``weight``
    to show them instead. With a ``source`` the program loads its input; without, it needs a
    variable ``image`` of ``input_shape`` (float32).
    """
    k = np.asarray(kernel, np.float32)
    khw = (k.shape[0], k.shape[1])
    imports = ["import numpy as np"]
    if source is not None:
        imports, loading = input_lines(source, channel)
    else:
        loading = [f"image = image.astype(np.float32)  # the input: {tuple(input_shape)}"]
    kern = kernel_lines(np.asarray(entries if entries is not None else k, np.float32),
                        weight if entries is not None else 1.0)
    lines = (_header("the workspace's convolution in NumPy", _banner(input_shape, khw, params))
             + imports + [""] + loading + [""] + kern + _body("numpy", input_shape, k, params))
    return "\n".join(lines) + "\n"


def keras_code(input_shape: tuple[int, ...], kernel: np.ndarray, params: PipelineParams, *,
               source: Source | None = None, channel: str = "luminance",
               entries: np.ndarray | None = None, weight: float = 1.0) -> str:
    """Return a Keras program building the same layers; it leaves ``conv`` (and ``pooled``)."""
    k = np.asarray(kernel, np.float32)
    khw = (k.shape[0], k.shape[1])
    imports = ["import numpy as np"]
    if source is not None:
        imports, loading = input_lines(source, channel)
    else:
        loading = [f"image = image.astype(np.float32)  # the input: {tuple(input_shape)}"]
    kern = kernel_lines(np.asarray(entries if entries is not None else k, np.float32),
                        weight if entries is not None else 1.0)
    lines = (_header("the workspace's layers in Keras", _banner(input_shape, khw, params))
             + imports + ["import keras", ""] + loading + [""] + kern
             + _body("keras", input_shape, k, params))
    return "\n".join(lines) + "\n"


def program(kind: str, *, source: Source | None = None, channel: str = "luminance",
            kernel: Any = None, use_weight: bool = True,
            params: PipelineParams | None = None, input_shape: tuple[int, ...] | None = None,
            model: Any = None, model_path: str | None = None,
            class_names: Any = None, images: str | None = None) -> str:
    """Return the program Show code and ``--print-code`` print.

    Parameters
    ----------
    kind : {"numpy", "keras", "cnn"}
        The workspace in NumPy or Keras, or the Training tab's CNN.
    source : Source
        Where the workspace's input comes from (numpy and keras).
    channel : {"luminance", "R", "G", "B", "all"}
        The workspace's channel.
    kernel : array_like
        The kernel's entries as the editor holds them; ``use_weight`` applies the lessons'
        normalisation weight, as the workspace does.
    params : PipelineParams
        Stride, padding, dilation, bias, activation, pooling and the conv family mode
        (default: the app's); each mode prints its own program.
    input_shape : tuple, optional
        The source array's shape; read from the source when not given.
    model : ModelConfig-like
        For "cnn": ``blocks`` (each with ``filters``, ``kernel``, ``pool``), ``dense_units``,
        ``dropout`` and ``n_classes``, as :class:`convstudio.training.models.ModelConfig`.
    model_path : str, optional
        The saved ``.keras`` file the CNN program loads its weights from.
    class_names : sequence of str, optional
        The dataset's classes, for the CNN program's printout.
    images : str, optional
        A ``.npy`` file of (N, 28, 28) images for the CNN program (default: the 28×28 digit).

    Raises
    ------
    ValueError
        For an unknown kind, a missing source or model, or a kernel the app would refuse.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "cnn":
        if model is None:
            raise ValueError("the CNN program needs the model's configuration")
        return cnn_code(model, model_path=model_path, class_names=class_names, images=images)
    if source is None:
        raise ValueError(f"the {kind} program needs its input's source")
    from .kernels import validate_kernel

    entries = validate_kernel(np.zeros((3, 3)) if kernel is None else kernel)
    weight = normalisation_weight(entries) if use_weight else 1.0
    effective = (entries * np.float32(weight)).astype(np.float32)
    p = params or PipelineParams()
    if input_shape is None:
        rgb = source.load_rgb()
        input_shape = rgb.shape if channel == "all" else rgb.shape[:2]
    hw, khw = (input_shape[0], input_shape[1]), (effective.shape[0], effective.shape[1])
    # A setting that cannot run in the mode is refused here, by name.
    workspace_cost(hw, khw, input_shape[2] if len(input_shape) == 3 else 1, p)
    make = numpy_code if kind == "numpy" else keras_code
    return make(tuple(input_shape), effective, p, source=source, channel=channel,
                entries=entries, weight=weight)
