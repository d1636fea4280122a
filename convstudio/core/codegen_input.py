"""The input part of Show code: a program that loads and converts its image as the app does.

The workspace holds its image as RGB float32 in 0..255: a sample (``sample_image(name,
"rgb") * 255``) or a file (``load_image(path, "rgb") * 255``, shrunk on opening if it is very
large), then possibly cropped or resized, then reduced to the chosen channel (BT.601
luminance, one colour plane, or all three). The lines written here repeat those steps with the
same float32 operations, so the program's ``image`` is the app's, bit for bit. A drawn or
otherwise edited input can be saved beside the program as ``.npy`` (:func:`save_input`).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import files

SKIMAGE_SAMPLES = ("camera", "coins", "brick", "moon", "text", "astronaut", "chelsea",
                   "coffee")
EDITS = ("crop", "resize")
CHANNELS = ("luminance", "R", "G", "B", "all")


@dataclass(frozen=True)
class Source:
    """Where a generated program gets its input, and what the workspace did to it since.

    Attributes
    ----------
    kind : {"sample", "file", "npy"}
        A built-in sample by name, an image file by path, or a ``.npy`` file holding the
        workspace's RGB pixels (0..255, float32), as :func:`save_input` writes it.
    name : str
        The sample's name or the file's path.
    shrink_to : (height, width) or None
        A file shrunk when it was opened (the offer for very large photos).
    edits : tuple
        Later crops ``("crop", (top, left, height, width))`` and resizes ``("resize",
        (height, width))``, in order.
    """

    kind: str
    name: str
    shrink_to: tuple[int, int] | None = None
    edits: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("sample", "file", "npy"):
            raise ValueError(f"source kind must be sample, file or npy, got {self.kind!r}")
        if self.kind == "sample":
            from .images import sample_names

            if self.name not in sample_names():
                raise ValueError(f"no sample image {self.name!r}; choose one of "
                                 f"{', '.join(sample_names())}")
        for edit, args in self.edits:
            if edit not in EDITS or len(args) != (4 if edit == "crop" else 2):
                raise ValueError(f"an edit is ('crop', (top, left, height, width)) or "
                                 f"('resize', (height, width)), got {(edit, args)!r}")

    def load_rgb(self) -> np.ndarray:
        """Return the RGB image (0..255) this source gives in the app (for shapes and tests)."""
        from .images import load_image, sample_image

        if self.kind == "sample":
            rgb01 = sample_image(self.name, mode="rgb")
        elif self.kind == "file":
            rgb01 = load_image(self.name, mode="rgb")
        else:
            return _apply_edits(np.load(self.name, allow_pickle=False).astype(np.float32),
                                self.edits)
        if self.shrink_to is not None:
            import cv2

            rgb01 = cv2.resize(rgb01, (self.shrink_to[1], self.shrink_to[0]),
                               interpolation=cv2.INTER_AREA)
        return _apply_edits(np.ascontiguousarray(rgb01 * np.float32(255.0)), self.edits)


def _apply_edits(rgb: np.ndarray, edits: tuple[tuple[str, tuple[int, ...]], ...]) -> np.ndarray:
    import cv2

    for edit, args in edits:
        if edit == "crop":
            top, left, height, width = args
            rgb = np.ascontiguousarray(rgb[top:top + height, left:left + width])
        else:
            height, width = args
            h, w = rgb.shape[:2]
            shrinking = height * width < h * w
            rgb = np.ascontiguousarray(cv2.resize(
                rgb, (width, height),
                interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR))
    return rgb


def save_input(rgb: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Save the workspace's RGB pixels (0..255) as ``.npy`` for a program to load (atomic)."""
    arr = np.ascontiguousarray(np.asarray(rgb, dtype=np.float32))
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"the input to save must be (height, width, 3), got {arr.shape}")
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return files.atomic_write(path, buf.getvalue())


_GENERATED = {
    "stripes_vertical": [
        "band = ((np.arange(256) // 16) % 2).astype(np.float32)",
        "pixels01 = np.tile(band, (256, 1))                  # vertical stripes, 16 pixels wide"],
    "stripes_horizontal": [
        "band = ((np.arange(256) // 16) % 2).astype(np.float32)",
        "pixels01 = np.tile(band, (256, 1)).T.copy()         # horizontal stripes"],
    "checkerboard": [
        "idx = np.arange(256) // 32",
        "pixels01 = ((idx[:, None] + idx[None, :]) % 2).astype(np.float32)"],
}

GLYPH_LINES = [
    "from PIL import Image, ImageDraw, ImageFilter",
    "",
    "# ConvStudio's handwritten-style 7, drawn 8 times larger, blurred and shrunk to 28×28",
    "big = Image.new(\"L\", (224, 224), 0)",
    "stroke = [(7, 7.5), (12, 6.8), (17, 6.6), (21, 6.9), (19.5, 10), (17, 14.5), (14.8, 18.5),",
    "          (13.2, 22)]",
    "pts = [(x * 8, y * 8) for x, y in stroke]",
    "draw = ImageDraw.Draw(big)",
    "draw.line(pts, fill=255, width=int(2.6 * 8), joint=\"curve\")",
    "for px, py in (pts[0], pts[-1]):",
    "    draw.ellipse((px - 1.3 * 8, py - 1.3 * 8, px + 1.3 * 8, py + 1.3 * 8), fill=255)",
    "small = big.filter(ImageFilter.GaussianBlur(8 * 0.4)).resize((28, 28), "
    "Image.Resampling.BOX)",
    "pixels01 = np.asarray(small, dtype=np.float32) / np.float32(255.0)",
]

# pil_to_array's conversion for the modes files come in (CIELab aside).
_FILE_LINES = [
    "from PIL import Image, ImageOps",
    "",
    "with Image.open(PATH) as im:",
    "    im.load()",
    "    im = ImageOps.exif_transpose(im)           # upright, as a photo viewer shows it",
    "if im.mode == \"LAB\":",
    "    raise SystemExit(\"a CIELab image: save the input as .npy from ConvStudio instead\")",
    "if im.mode.startswith(\"I;16\") or im.mode == \"I\":",
    "    pixels01 = np.clip(np.asarray(im, dtype=np.float32) / np.float32(65535.0), 0.0, 1.0)",
    "elif im.mode == \"F\":",
    "    pixels01 = np.asarray(im, dtype=np.float32)",
    "    lo, hi = float(pixels01.min()), float(pixels01.max())",
    "    if lo < 0.0 or hi > 1.0:                    # stretched to 0…1",
    "        pixels01 = ((pixels01.astype(np.float64) - lo) / (hi - lo if hi > lo else 1.0)"
    ").astype(np.float32)",
    "else:",
    "    alpha = im.mode in (\"RGBA\", \"LA\", \"PA\", \"La\", \"RGBa\") or (",
    "        im.mode == \"P\" and \"transparency\" in im.info)",
    "    grey = im.mode in (\"L\", \"LA\", \"La\", \"1\")",
    "    target = (\"LA\" if grey else \"RGBA\") if alpha else (\"L\" if im.mode in (\"L\", "
    "\"1\") else \"RGB\")",
    "    arr = np.asarray(im.convert(target), dtype=np.float32) / np.float32(255.0)",
    "    if arr.ndim == 2:",
    "        arr = arr[..., None]",
    "    pixels01 = arr[..., :-1] if alpha else arr",
    "    if alpha:                                   # transparent pixels over white",
    "        pixels01 = pixels01 * arr[..., -1:] + (np.float32(1.0) - arr[..., -1:])",
    "    if pixels01.shape[-1] == 1:",
    "        pixels01 = pixels01[..., 0]",
]

_TO_RGB = [
    "if pixels01.ndim == 2:                          # grey: three equal channels",
    "    pixels01 = np.repeat(pixels01[:, :, None], 3, axis=2)",
    "pixels01 = np.clip(pixels01, 0.0, 1.0).astype(np.float32)",
]


def input_lines(source: Source, channel: str) -> tuple[list[str], list[str]]:
    """Return (imports, lines) that leave ``image`` as the workspace's source array.

    ``image`` is (H, W) for luminance or one colour channel, (H, W, 3) for "all"; ``rgb``
    is left too (0..255).
    """
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, got {channel!r}")
    imports = ["import numpy as np"]
    lines = ["# --- the input, converted exactly as ConvStudio converts it ---------------"]
    if source.kind == "npy":
        lines += [f"rgb = np.load({source.name!r})  # saved by ConvStudio: RGB, 0…255"]
    else:
        if source.kind == "sample" and source.name in SKIMAGE_SAMPLES:
            imports.append("from skimage import data")
            lines += [f"pixels = data.{source.name}()                 # scikit-image's "
                      f"{source.name!r}, uint8",
                      "pixels01 = pixels.astype(np.float32) / np.float32(255.0)"]
        elif source.kind == "sample" and source.name == "glyph":
            lines += GLYPH_LINES
        elif source.kind == "sample":
            lines += _GENERATED[source.name]
        else:
            lines += [f"PATH = {source.name!r}"] + _FILE_LINES
        lines += _TO_RGB
        if source.shrink_to is not None:
            h, w = source.shrink_to
            imports.append("import cv2")
            lines += [f"pixels01 = cv2.resize(pixels01, ({w}, {h}), "
                      "interpolation=cv2.INTER_AREA)  # shrunk when opened"]
        lines += ["rgb = pixels01 * np.float32(255.0)               # ConvStudio counts 0…255"]
    for edit, args in source.edits:
        if edit == "crop":
            top, left, height, width = args
            lines.append(f"rgb = rgb[{top}:{top + height}, {left}:{left + width}]"
                         f"  # the crop: {width}×{height} at x {left}, y {top}")
        else:
            height, width = args
            if "import cv2" not in imports:
                imports.append("import cv2")
            lines += [f"shrinking = {height * width} < rgb.shape[0] * rgb.shape[1]",
                      f"rgb = cv2.resize(np.ascontiguousarray(rgb), ({width}, {height}),",
                      "                 interpolation=cv2.INTER_AREA if shrinking else "
                      "cv2.INTER_LINEAR)"]
    if channel == "luminance":
        lines += ["# BT.601 luminance, written as ConvStudio computes it (grey stays exact)",
                  "r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]",
                  "image = g + np.float32(0.299) * (r - g)",
                  "image = image + np.float32(0.114) * (b - g)"]
    elif channel == "all":
        lines += ["image = np.ascontiguousarray(rgb)                 # all three channels"]
    else:
        lines += [f"image = np.ascontiguousarray(rgb[:, :, {'RGB'.index(channel)}])"
                  f"  # the {channel} channel"]
    return imports, lines
