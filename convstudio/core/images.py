"""Load, convert and generate images as float32 arrays in [0, 1] (no Qt).

Sample photos come from the PNG files inside scikit-image's wheel, read directly so that
nothing is downloaded and ``skimage`` itself is never imported.
"""

from __future__ import annotations

import importlib.util
import os
import stat
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ..files import FileReadError, check_regular

# 50 megapixels: well above any photo a lesson needs, far below what exhausts memory.
MAX_PIXELS = 50_000_000
# Bytes: a 50-megapixel 16-bit RGBA TIFF, uncompressed, is 400 MB.
MAX_FILE_BYTES = 512 * 2**20
# ITU-R BT.601 luma, the weights Pillow ("L") and OpenCV use; :func:`luminance` applies them.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
MODES = ("gray", "rgb")


class ImageLoadError(ValueError):
    """An image file could not be read; the message says which file and why."""


def _fail(path: Path, why: str) -> ImageLoadError:
    return ImageLoadError(f"Could not open {str(path)!r}: {why}.")


def _read_failure(path: Path, exc: FileReadError) -> ImageLoadError:
    """Reword the file check's refusal as this module's ("Could not open …"), same reason."""
    text = str(exc)
    for verb in ("Cannot open", "Cannot read"):
        head = f"{verb} {str(path)!r}: "
        if text.startswith(head):
            return _fail(path, text[len(head):].rstrip("."))
    return ImageLoadError(text)


def _decode_failure(path: Path, exc: Exception) -> ImageLoadError:
    if isinstance(exc, MemoryError):
        return _fail(path, "it is too large to decode in the memory available")
    if isinstance(exc, ValueError) and "Decompressed data too large" in str(exc):
        # A zTXt/iTXt text or an iCCP colour profile that inflates past Pillow's 1 MB guard.
        return _fail(path, "it holds a compressed text or colour-profile chunk that unpacks to "
                           "more than 1 MB, too large to read safely")
    return _fail(path, f"the image data is damaged or truncated ({exc})")


class _Unusable(ValueError):
    """The pixels decoded but cannot be shown; the message says why (no file name)."""


def load_image(
    path: str | os.PathLike[str], *, mode: str = "gray", max_pixels: int = MAX_PIXELS,
    max_bytes: int = MAX_FILE_BYTES,
) -> np.ndarray:
    """Read an image file as float32 in [0, 1].

    8- and 16-bit, palette, CMYK, CIELab, grey+alpha, RGBA and float files are accepted;
    transparent pixels are composited over white, and EXIF rotation is applied.

    Parameters
    ----------
    path : path-like
        The file; opened read-only, and only if it is a regular file (not a FIFO or device).
    mode : {"gray", "rgb"}
        (H, W) luminance, or (H, W, 3) colour.
    max_pixels : int
        Files declaring more pixels are refused before decoding (decompression bombs).
    max_bytes : int
        Larger files are refused before reading.

    Returns
    -------
    numpy.ndarray
        float32 (H, W) or (H, W, 3).

    Raises
    ------
    ImageLoadError
        Saying what was wrong with which file.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if mode not in MODES:
        raise ValueError(f"mode must be 'gray' or 'rgb', got {mode!r}")
    p = Path(path)
    try:
        check_regular(p, limit=max_bytes)
        # Non-blocking, then checked again: a FIFO swapped in after the check cannot hang us.
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileReadError as exc:
        raise _read_failure(p, exc) from None
    except OSError as exc:
        raise _fail(p, exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise _fail(p, "it is not a regular file")
            try:
                im = Image.open(fh)
            except UnidentifiedImageError:
                raise _fail(p, "it is not an image format ConvStudio can read "
                               "(PNG, JPEG, BMP, GIF, TIFF, WebP)") from None
            except Image.DecompressionBombError as exc:
                raise _fail(p, f"it declares too many pixels to open safely ({exc})") from None
            except Exception as exc:  # Pillow raises many types for damaged headers
                raise _decode_failure(p, exc) from None
            w, h = im.size
            if w * h > max_pixels:
                raise _fail(p, f"it declares {w}x{h}, too many pixels to open safely (the "
                               f"limit is {max_pixels:,})")
            try:
                im.load()
                # TIFF's CIELab is relative to D65 (TIFF 6.0, section 23); other Lab files
                # (Photoshop's) to the ICC's D50.
                lab_white = "D65" if im.format == "TIFF" else "D50"
                upright: Image.Image = ImageOps.exif_transpose(im)
            except Exception as exc:  # Pillow raises many types for damaged data
                raise _decode_failure(p, exc) from None
    except OSError as exc:
        raise _fail(p, exc.strerror or str(exc)) from None
    try:
        return pil_to_array(upright, mode=mode, lab_white=lab_white)
    except _Unusable as exc:
        raise _fail(p, str(exc)) from None
    except MemoryError:
        raise _fail(p, "it is too large to convert in the memory available") from None
    except Exception as exc:  # a mode Pillow decodes but cannot convert
        raise _fail(p, f"its pixel format ({upright.mode}) cannot be converted ({exc})") from None


def pil_to_array(im: Any, *, mode: str = "gray", lab_white: str = "D50") -> np.ndarray:
    """Convert a Pillow image of any mode to float32 in [0, 1].

    Parameters
    ----------
    im : PIL.Image.Image
        The decoded image.
    mode : {"gray", "rgb"}
        Output layout.
    lab_white : {"D50", "D65"}
        The white point a CIELab (``"LAB"``) image is relative to.

    Returns
    -------
    numpy.ndarray
        float32 (H, W) or (H, W, 3).

    Raises
    ------
    ValueError
        If a float image holds NaN or infinite values.
    """
    if im.mode.startswith("I;16") or im.mode == "I":
        rgb = np.asarray(im, dtype=np.float32) / np.float32(65535.0)
        rgb = np.clip(rgb, 0.0, 1.0)[..., None]
        alpha = None
    elif im.mode == "F":
        rgb = np.asarray(im, dtype=np.float32)[..., None]
        if not np.isfinite(rgb).all():
            raise _Unusable("it holds NaN or infinite values; only finite numbers can be shown "
                            "as brightness")
        rgb = _stretch(rgb)
        alpha = None
    elif im.mode == "LAB":
        rgb, alpha = _lab_to_rgb(np.asarray(im), lab_white), None
    else:
        has_alpha = im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
            im.mode == "P" and "transparency" in im.info
        )
        target = ("LA" if im.mode in ("L", "LA", "La", "1") else "RGBA") if has_alpha else (
            "L" if im.mode in ("L", "1") else "RGB"
        )
        arr = np.asarray(im.convert(target), dtype=np.float32) / np.float32(255.0)
        if arr.ndim == 2:
            arr = arr[..., None]
        rgb, alpha = (arr[..., :-1], arr[..., -1:]) if has_alpha else (arr, None)
    if alpha is not None:
        rgb = rgb * alpha + (np.float32(1.0) - alpha)
    return convert(rgb if rgb.shape[-1] == 3 else rgb[..., 0], mode)


def _stretch(arr: np.ndarray) -> np.ndarray:
    lo, hi = float(arr.min()), float(arr.max())
    if lo >= 0.0 and hi <= 1.0:
        return arr
    # In float64: float32 ``arr - lo`` overflows for values near ±3.4e38.
    return ((arr.astype(np.float64) - lo) / (hi - lo if hi > lo else 1.0)).astype(np.float32)


# CIE XYZ of the white each CIELab flavour is relative to, and XYZ → linear sRGB: the sRGB
# matrix (IEC 61966-2-1) for D65; for D50, Bradford-adapted to sRGB's D65 white.
_LAB_WHITES = {
    "D65": ((0.95047, 1.0, 1.08883),
            ((3.2404542, -1.5371385, -0.4985314),
             (-0.9692660, 1.8760108, 0.0415560),
             (0.0556434, -0.2040259, 1.0572252))),
    "D50": ((0.96422, 1.0, 0.82521),
            ((3.1338561, -1.6168667, -0.4906146),
             (-0.9787684, 1.9161415, 0.0334540),
             (0.0719453, -0.2289914, 1.4052427))),
}
# Pixels converted at a time, and the linear levels of the sRGB curve's table.
_LAB_SLICE = 1 << 20
_GAMMA_LEVELS = 1 << 16


def _lab_to_rgb(raw: np.ndarray, white: str) -> np.ndarray:
    """Pillow's 8-bit "LAB" array (L 0..255 for L* 0..100, a*, b* signed) → sRGB in [0, 1]."""
    if white not in _LAB_WHITES:
        raise ValueError(f"lab_white must be one of {', '.join(_LAB_WHITES)}, got {white!r}")
    (xn, yn, zn), m = _LAB_WHITES[white]

    def finv(t: np.ndarray) -> np.ndarray:
        return np.where(t > 6.0 / 29.0, t**3, 3.0 * (6.0 / 29.0) ** 2 * (t - 4.0 / 29.0))

    # The inputs are bytes, so CIE XYZ comes from tables: Y from L, X from (L, a*), Z from
    # (L, b*), indexed by the byte XOR 128 (signed -128..127 → 0..255).
    fy = (np.arange(256) * (100.0 / 255.0) + 16.0) / 116.0
    ab = np.arange(-128, 128)
    tx = (xn * finv(fy[:, None] + ab[None, :] / 500.0)).astype(np.float32)
    ty = (yn * finv(fy)).astype(np.float32)
    tz = (zn * finv(fy[:, None] - ab[None, :] / 200.0)).astype(np.float32)
    # The sRGB curve as a table of 65,536 linear levels: within 1e-4 of the formula, and a
    # quarter of the time of a power per pixel.
    levels = np.linspace(0.0, 1.0, _GAMMA_LEVELS)
    gamma = np.where(levels <= 0.0031308, 12.92 * levels,
                     1.055 * levels ** (1.0 / 2.4) - 0.055).astype(np.float32)
    top = np.float32(_GAMMA_LEVELS - 1)
    flat = raw.reshape(-1, 3)
    out = np.empty((flat.shape[0], 3), np.float32)
    # In slices: a 50-megapixel image would need gigabytes of temporaries at once.
    for start in range(0, flat.shape[0], _LAB_SLICE):
        part = flat[start:start + _LAB_SLICE].astype(np.intp)
        lum, a, b = part[:, 0], part[:, 1] ^ 128, part[:, 2] ^ 128
        x, y, z = tx[lum, a], ty[lum], tz[lum, b]
        for i, (mx, my, mz) in enumerate(m):
            lin = np.float32(mx) * x + np.float32(my) * y + np.float32(mz) * z
            np.clip(lin, 0.0, 1.0, out=lin)
            out[start:start + len(part), i] = gamma[(lin * top + np.float32(0.5)).astype(np.intp)]
    return out.reshape(*raw.shape[:-1], 3)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Return the BT.601 luma of ``rgb`` (..., 3), on the same scale as its channels.

    Written as ``g + 0.299 (r - g) + 0.114 (b - g)`` (the weights :data:`LUMA`, which sum to
    1) in elementwise float32: every pixel is rounded the same way whatever its array's layout
    and whichever BLAS kernel the CPU gets (a matrix product is not), and a grey pixel
    (r == g == b) keeps its exact value.

    Parameters
    ----------
    rgb : numpy.ndarray
        Red, green and blue in the last axis.

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``rgb`` without its last axis (a new contiguous array).

    Raises
    ------
    ValueError
        If the last axis does not hold three channels.
    """
    arr = np.asarray(rgb, dtype=np.float32)
    if arr.ndim < 1 or arr.shape[-1] != 3:
        raise ValueError(f"luminance needs red, green and blue in the last axis, got shape "
                         f"{arr.shape}")
    r, g, b = arr[..., 0], arr[..., 1], arr[..., 2]
    out = g + LUMA[0] * (r - g)
    out = out + LUMA[2] * (b - g)
    return np.ascontiguousarray(out) if out.ndim else np.asarray(out)


def convert(image: np.ndarray, mode: str) -> np.ndarray:
    """Return ``image`` as (H, W) luminance or (H, W, 3) colour, float32.

    Parameters
    ----------
    image : numpy.ndarray
        (H, W) or (H, W, 3).
    mode : {"gray", "rgb"}
        Output layout.

    Returns
    -------
    numpy.ndarray
        The converted image (a new array).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be 'gray' or 'rgb', got {mode!r}")
    img = np.asarray(image, dtype=np.float32)
    if mode == "gray":
        out = luminance(img) if img.ndim == 3 else img.copy()
    else:
        out = np.repeat(img[..., None], 3, axis=2) if img.ndim == 2 else img.copy()
    return np.ascontiguousarray(np.clip(out, 0.0, 1.0), dtype=np.float32)


# --- Sample images -------------------------------------------------------------------------

_SKIMAGE_SAMPLES = {
    "camera": ("camera.png", "Cameraman, 512×512 — the lessons' classic greyscale photo"),
    "coins": ("coins.png", "Coins, 303×384 greyscale"),
    "brick": ("brick.png", "Brick wall texture, 512×512: strong horizontal and vertical lines"),
    "moon": ("moon.png", "Moon surface, 512×512 greyscale"),
    "text": ("text.png", "Printed text, 172×448 greyscale"),
    "astronaut": ("astronaut.png", "Astronaut portrait, 512×512 colour"),
    "chelsea": ("chelsea.png", "Chelsea the cat, 300×451 colour"),
    "coffee": ("coffee.png", "A cup of coffee, 400×600 colour"),
}


def _stripes(vertical: bool) -> np.ndarray:
    idx = np.arange(256)
    band = ((idx // 16) % 2).astype(np.float32)
    img = np.tile(band, (256, 1))
    return img if vertical else img.T.copy()


def _checkerboard() -> np.ndarray:
    idx = np.arange(256) // 32
    return ((idx[:, None] + idx[None, :]) % 2).astype(np.float32)


def _glyph() -> np.ndarray:
    """Draw a 28x28 handwritten-style "7", white on black and centred like MNIST."""
    from PIL import Image, ImageDraw, ImageFilter

    scale = 8
    big = Image.new("L", (28 * scale, 28 * scale), 0)
    draw = ImageDraw.Draw(big)
    stroke = [(7, 7.5), (12, 6.8), (17, 6.6), (21, 6.9), (19.5, 10), (17, 14.5),
              (14.8, 18.5), (13.2, 22)]
    pts = [(x * scale, y * scale) for x, y in stroke]
    draw.line(pts, fill=255, width=int(2.6 * scale), joint="curve")
    for x, y in (pts[0], pts[-1]):
        r = 1.3 * scale
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    small = big.filter(ImageFilter.GaussianBlur(scale * 0.4)).resize((28, 28), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / np.float32(255.0)


_GENERATED: dict[str, tuple[Callable[[], np.ndarray], str]] = {
    "stripes_vertical": (lambda: _stripes(True), "Vertical stripes, 256×256 (generated)"),
    "stripes_horizontal": (lambda: _stripes(False), "Horizontal stripes, 256×256 (generated)"),
    "checkerboard": (_checkerboard, "Checkerboard, 256×256 (generated)"),
    "glyph": (_glyph, "A handwritten-style 7, 28×28 like MNIST (generated)"),
}


def _skimage_data_dir() -> Path | None:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def sample_names() -> list[str]:
    """Return the names of the offline sample images, photos first."""
    data = _skimage_data_dir()
    photos = [n for n, (f, _) in _SKIMAGE_SAMPLES.items() if data and (data / f).is_file()]
    return photos + list(_GENERATED)


def sample_description(name: str) -> str:
    """Return a one-line description of sample ``name``."""
    if name in _SKIMAGE_SAMPLES:
        return _SKIMAGE_SAMPLES[name][1]
    if name in _GENERATED:
        return _GENERATED[name][1]
    raise ValueError(f"no sample image {name!r}; choose one of {', '.join(sample_names())}")


def _read_sample(path: Path, mode: str) -> np.ndarray:
    """Decode an 8-bit sample PNG with OpenCV, which the convolution loads anyway.

    The same pixels as :func:`load_image` (a test compares every sample), without importing
    Pillow before the window's first paint: 25 ms of a start-up measured in
    benchmarks/startup.py. Anything but 8-bit grey or colour goes through :func:`load_image`.
    """
    import cv2

    raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if raw is None or raw.dtype != np.uint8 or not (raw.ndim == 2 or raw.shape[2] == 3):
        return load_image(path, mode=mode)
    arr = raw.astype(np.float32) / np.float32(255.0)
    return convert(arr[..., ::-1] if arr.ndim == 3 else arr, mode)  # OpenCV's BGR → RGB


@cache
def _sample_cached(name: str, mode: str) -> np.ndarray:
    if name in _GENERATED:
        img = convert(_GENERATED[name][0](), mode)
    elif name in _SKIMAGE_SAMPLES:
        data = _skimage_data_dir()
        if data is None:
            raise ImageLoadError(f"sample {name!r} needs scikit-image, which is not installed")
        img = _read_sample(data / _SKIMAGE_SAMPLES[name][0], mode)
    else:
        raise ValueError(f"no sample image {name!r}; choose one of {', '.join(sample_names())}")
    img.flags.writeable = False
    return img


def sample_image(name: str, *, mode: str = "gray") -> np.ndarray:
    """Return offline sample image ``name`` as float32 in [0, 1].

    Parameters
    ----------
    name : str
        One of :func:`sample_names`.
    mode : {"gray", "rgb"}
        Output layout.

    Returns
    -------
    numpy.ndarray
        A new writable array.
    """
    return _sample_cached(name, mode).copy()
