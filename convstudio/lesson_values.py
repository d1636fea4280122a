"""Checks for the values in a lesson file, and its embedded image's encoding (no Qt).

Every check raises :class:`LessonError` naming the field and what is allowed; none of them
ever raises anything else, whatever the decoded JSON holds (huge integers, NaN, wrong types).
Ranges come from :mod:`convstudio.core.limits`, the ones the window's boxes use.
"""

from __future__ import annotations

import base64
import math
import zlib
from typing import Any

import numpy as np

from .core.limits import IMAGE_SIDE, PIXEL, FloatRange, IntRange

ENCODING = "zlib+base64"
FAST_FLOAT_BYTES = 16 * 2**20
IMAGE_DTYPES = ("uint8", "float32")
# zlib level 1: a 12-megapixel photo compresses in ~0.4 s instead of 2.6 s at level 6, for
# files ~15 % larger. Data a sample shows to be incompressible (noise) is stored (level 0).
ZLIB_LEVEL = 1
_PROBE_BYTES = 1 << 16


class LessonError(ValueError):
    """A lesson file that cannot be read; the message says what is wrong and where."""


def got(v: Any) -> str:
    """Describe a value for a message, briefly (a 5,000-digit number is not written out)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        if v.bit_length() > 64:
            sign = "a negative" if v < 0 else "a"
            return f"{sign} whole number of about {v.bit_length() * 0.30103:.0f} digits"
        return str(v)
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, str):
        return repr(v) if len(v) <= 40 else repr(v[:40]) + f"… ({len(v):,} characters)"
    if isinstance(v, list):
        return f"a list of {len(v):,} item{'s' if len(v) != 1 else ''}"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _bounds(lo: float | None, hi: float | None, fmt: str) -> str:
    if lo is not None and hi is not None:
        return f"{lo:{fmt}}…{hi:{fmt}}"
    return f"at least {lo:{fmt}}" if lo is not None else f"at most {hi:{fmt}}"


def obj(v: Any, where: str) -> dict[str, Any]:
    """Return ``v`` if it is a JSON object."""
    if not isinstance(v, dict):
        raise LessonError(f"{where} must be an object, got {got(v)}")
    return v


def string(v: Any, where: str, choices: tuple[str, ...] | None = None, *,
           max_chars: int | None = None, nul: bool = True) -> str:
    """Return ``v`` if it is a string (one of ``choices``; at most ``max_chars``)."""
    if not isinstance(v, str):
        raise LessonError(f"{where} must be a string, got {got(v)}")
    if choices is not None and v not in choices:
        raise LessonError(f"{where} must be one of {', '.join(choices)}; got {got(v)}")
    if max_chars is not None and len(v) > max_chars:
        raise LessonError(f"{where} is {len(v):,} characters long; at most {max_chars:,} "
                          "are allowed")
    if not nul and "\x00" in v:
        raise LessonError(f"{where} contains a NUL character")
    return v


def whole(v: Any, where: str, lo: int | None = None, hi: int | None = None) -> int:
    """Return ``v`` if it is a whole number within ``lo``..``hi`` (either may be None)."""
    if not isinstance(v, int) or isinstance(v, bool):
        raise LessonError(f"{where} must be a whole number, got {got(v)}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise LessonError(f"{where} must be {_bounds(lo, hi, 'd')}, got {got(v)}")
    return v


def in_range(v: Any, where: str, rng: IntRange) -> int:
    """Return ``v`` if it is a whole number the range allows."""
    return whole(v, where, rng.lo, rng.hi)


def number(v: Any, where: str, rng: FloatRange) -> float:
    """Return ``v`` as a float if it is a finite number the range allows.

    Integers are compared exactly before any conversion, so 2**64 or a 4,000-digit number
    gives a message, not a TypeError or OverflowError.
    """
    if not isinstance(v, int | float) or isinstance(v, bool):
        raise LessonError(f"{where} must be a number, got {got(v)}")
    if isinstance(v, float) and not math.isfinite(v):
        raise LessonError(f"{where} must be a finite number, got {got(v)}")
    if not rng.allows(v):
        raise LessonError(f"{where} must be {rng.text()}, got {got(v)}")
    return float(v)


def boolean(v: Any, where: str) -> bool:
    """Return ``v`` if it is true or false."""
    if not isinstance(v, bool):
        raise LessonError(f"{where} must be true or false, got {got(v)}")
    return v


def pair(v: Any, where: str, rng: IntRange) -> tuple[int, int]:
    """Return ``v`` if it is a list of two whole numbers the range allows."""
    if not isinstance(v, list) or len(v) != 2:
        raise LessonError(f"{where} must be a list of two whole numbers ({rng.text()}), "
                          f"got {got(v)}")
    return in_range(v[0], f"{where}[0]", rng), in_range(v[1], f"{where}[1]", rng)


def grid(v: Any, where: str, side: IntRange, entry: FloatRange) -> np.ndarray:
    """Return a rectangular list of rows of numbers as a float32 array."""
    if not isinstance(v, list) or not v or not all(isinstance(r, list) for r in v):
        raise LessonError(f"{where} must be a list of rows of numbers, got {got(v)}")
    widths = {len(r) for r in v}
    if not side.allows(len(v)) or len(widths) != 1 or not side.allows(len(v[0])):
        shape = f"{len(v)}×{len(v[0])}" if len(widths) == 1 else "rows of different lengths"
        raise LessonError(f"{where} must be a rectangular grid of {side.text()} rows and "
                          f"{side.text()} columns, got {shape}")
    return np.array([[number(x, f"{where}[{i}][{j}]", entry) for j, x in enumerate(r)]
                     for i, r in enumerate(v)], np.float32)


# --- the embedded image ----------------------------------------------------------------------
def _deflate(raw: memoryview, *, fast: bool = False) -> bytes:
    if fast:  # stored, not compressed: see encode_image
        return zlib.compress(raw, 0)
    n = len(raw)
    probes = [raw[i:i + _PROBE_BYTES] for i in (0, n // 3, 2 * n // 3)]
    sample = sum(len(p) for p in probes)
    packed = sum(len(zlib.compress(p, ZLIB_LEVEL)) for p in probes)
    return zlib.compress(raw, 0 if packed >= 0.97 * sample else ZLIB_LEVEL)


def encode_image(a: np.ndarray) -> dict[str, Any]:
    """Encode an RGB image in 0..255 exactly, zlib-compressed and base64: no pickle.

    An image of whole numbers (any 8-bit photo) is stored as uint8, a quarter of the float32
    form, which is kept for anything else (resized, 16-bit or float images).
    """
    arr = np.asarray(a)
    lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
    as_u8 = arr.astype(np.uint8) if PIXEL.allows(lo) and PIXEL.allows(hi) else None
    if as_u8 is not None and np.array_equal(as_u8, arr):
        dtype, pixels = "uint8", as_u8
    else:
        dtype, pixels = "float32", np.ascontiguousarray(arr, dtype="<f4")
    raw = pixels.data.cast("B")  # the pixels' own bytes, not a copy of them
    # Non-whole float pixels (a resized photo) shrink by a tenth or so at 2-3 s per 100 MB:
    # a large one is stored as it is, so closing the window (which saves the session) stays
    # within 2 s even for the largest image the workspace holds.
    fast = dtype == "float32" and len(raw) > FAST_FLOAT_BYTES
    return {"dtype": dtype, "shape": list(arr.shape), "encoding": ENCODING,
            "data": base64.b64encode(_deflate(raw, fast=fast)).decode("ascii")}


def decode_image(doc: Any, where: str) -> np.ndarray:
    """Inverse of :func:`encode_image`: float32 (H, W, 3) in 0..255, or LessonError."""
    d = obj(doc, where)
    dtype = d.get("dtype")
    if d.get("encoding") != ENCODING or dtype not in IMAGE_DTYPES:
        raise LessonError(f"{where}: only {' or '.join(IMAGE_DTYPES)} {ENCODING} images are "
                          f"supported, got {got(dtype)} {got(d.get('encoding'))}")
    shape = d.get("shape")
    if (not isinstance(shape, list) or len(shape) != 3 or shape[2] != 3
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in shape)):
        raise LessonError(f"{where}.shape must be [height, width, 3], got {got(shape)}")
    h, w = shape[0], shape[1]
    if not (IMAGE_SIDE.allows(h) and IMAGE_SIDE.allows(w)):
        raise LessonError(f"{where}.shape: each side must be {IMAGE_SIDE.text()} pixels, got "
                          f"{got(h)}×{got(w)}")
    data = d.get("data")
    if not isinstance(data, str):
        raise LessonError(f"{where}.data must be a string, got {got(data)}")
    expected = h * w * 3 * np.dtype(dtype).itemsize
    try:
        raw = zlib.decompressobj().decompress(base64.b64decode(data, validate=True), expected + 1)
    except (ValueError, zlib.error) as exc:
        raise LessonError(f"{where}.data is not valid compressed image data ({exc})") from None
    if len(raw) != expected:
        raise LessonError(f"{where}.data holds {len(raw):,} bytes, the shape needs {expected:,}")
    img = np.frombuffer(raw, "<f4" if dtype == "float32" else np.uint8).reshape(h, w, 3)
    if dtype == "float32":
        lo, hi = float(img.min()), float(img.max())
        if not (PIXEL.allows(lo) and PIXEL.allows(hi)):  # NaN fails both
            bad = "NaN or infinite" if not (math.isfinite(lo) and math.isfinite(hi)) else (
                f"{lo:g}…{hi:g}")
            raise LessonError(f"{where} pixels must be {PIXEL.text()}, got {bad}")
    return img.astype(np.float32)
