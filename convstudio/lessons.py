"""Lesson files (``.convstudio``): JSON with a format version, validated before anything changes.

A lesson holds the workspace (image embedded, kernel, parameters, selection), the animator's
position, the training form and, optionally, the name of a ``.keras`` model saved beside it.
No Qt here: ``ui/lessons.py`` captures and applies lessons; this module reads, checks and
writes them. Reading never follows a path outside the lesson's own folder.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .core.pipeline import ACTIVATIONS, POOLS, PipelineParams
from .training import LR_SCHEDULES

FORMAT = "convstudio-lesson"
VERSION = 1
SUFFIX = ".convstudio"
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 4096 * 4096
CHANNELS = ("luminance", "R", "G", "B", "all")
DISPLAY_MODES = ("signed", "absolute", "clipped")
ANIMATOR_SOURCES = ("glyph", "region", "image")
TABS = ("workspace", "animator", "training")

# The training form: field → (type, minimum, maximum) or a tuple of allowed strings.
TRAINING_FIELDS: dict[str, Any] = {
    "dataset": ("fashion-mnist", "mnist", "shapes", "folder"),  # training.datasets.DATASETS
    "limit": (int, 0, 60000),
    "blocks": (int, 1, 3),
    "filters": (int, 1, 256),
    "kernel_size": (int, 1, 7),
    "pooling": (bool, None, None),
    "dense": (int, 1, 2048),
    "dropout": (float, 0.0, 0.9),
    "optimizer": ("adam", "sgd", "rmsprop"),  # training.models.OPTIMIZERS
    "learning_rate": (float, 0.0001, 1.0),
    "batch_size": (int, 1, 4096),
    "epochs": (int, 1, 1000),
    "validation_split": (float, 0.0, 0.5),
    "lr_schedule": LR_SCHEDULES,
}


class LessonError(ValueError):
    """A lesson file that cannot be read; the message says what is wrong and where."""


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
                "pool_stride": None if p.pool_stride is None else list(p.pool_stride)},
            "selection": None if self.selection is None else list(self.selection),
            "display": self.display,
        }
        if self.sample is not None:
            ws["sample"] = self.sample
        elif self.image is not None:
            ws["image"] = encode_array(self.image)
        return {
            "format": FORMAT, "version": VERSION, "title": self.title, "text": self.text,
            "tab": self.tab, "workspace": ws,
            "animator": {"source": self.animator_source, "step": self.animator_step},
            "training": dict(self.training), "model": self.model_file,
        }


def encode_array(a: np.ndarray) -> dict[str, Any]:
    """Float32 little-endian bytes, zlib-compressed, base64: exact, and no pickle."""
    arr = np.ascontiguousarray(a, dtype="<f4")
    return {"dtype": "float32", "shape": list(arr.shape), "encoding": "zlib+base64",
            "data": base64.b64encode(zlib.compress(arr.tobytes(), 6)).decode("ascii")}


def decode_array(doc: Any, where: str) -> np.ndarray:
    """Inverse of :func:`encode_array`; LessonError for anything malformed."""
    d = _obj(doc, where)
    if d.get("dtype") != "float32" or d.get("encoding") != "zlib+base64":
        raise LessonError(f"{where}: only float32 zlib+base64 images are supported")
    shape = d.get("shape")
    if (not isinstance(shape, list) or len(shape) != 3 or shape[2] != 3
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in shape)):
        raise LessonError(f"{where}.shape must be [height, width, 3], got {shape!r}")
    if shape[0] * shape[1] > MAX_PIXELS:
        raise LessonError(f"{where}: {shape[0]}×{shape[1]} is larger than ConvStudio opens")
    data = d.get("data")
    if not isinstance(data, str):
        raise LessonError(f"{where}.data must be a string")
    expected = shape[0] * shape[1] * 3 * 4
    try:
        raw = zlib.decompressobj().decompress(base64.b64decode(data, validate=True), expected + 1)
    except (ValueError, zlib.error) as exc:
        raise LessonError(f"{where}.data is not valid compressed image data ({exc})") from None
    if len(raw) != expected:
        raise LessonError(f"{where}.data holds {len(raw)} bytes, the shape needs {expected}")
    img = np.frombuffer(raw, "<f4").reshape(shape).astype(np.float32)
    if not np.isfinite(img).all():
        raise LessonError(f"{where} contains NaN or infinite pixels")
    return img


# --- validation helpers ---------------------------------------------------------------------
def _obj(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise LessonError(f"{where} must be an object, got {type(v).__name__}")
    return v


def _str(v: Any, where: str, choices: tuple[str, ...] | None = None) -> str:
    if not isinstance(v, str):
        raise LessonError(f"{where} must be a string, got {type(v).__name__}")
    if choices is not None and v not in choices:
        raise LessonError(f"{where} must be one of {', '.join(choices)}; got {v!r}")
    return v


def _int(v: Any, where: str, lo: int | None = None, hi: int | None = None) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise LessonError(f"{where} must be a whole number, got {type(v).__name__}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise LessonError(f"{where} must be {lo}…{hi}, got {v}")
    return v


def _num(v: Any, where: str, lo: float | None = None, hi: float | None = None) -> float:
    if not isinstance(v, int | float) or isinstance(v, bool) or not np.isfinite(v):
        raise LessonError(f"{where} must be a finite number, got {v!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise LessonError(f"{where} must be {lo}…{hi}, got {v}")
    return float(v)


def _bool(v: Any, where: str) -> bool:
    if not isinstance(v, bool):
        raise LessonError(f"{where} must be true or false, got {type(v).__name__}")
    return v


def _pair(v: Any, where: str, lo: int = 1) -> tuple[int, int]:
    if not isinstance(v, list) or len(v) != 2:
        raise LessonError(f"{where} must be a list of two whole numbers, got {v!r}")
    return _int(v[0], f"{where}[0]", lo, 4096), _int(v[1], f"{where}[1]", lo, 4096)


def _kernel(v: Any, where: str) -> np.ndarray:
    if not isinstance(v, list) or not v or not all(isinstance(r, list) for r in v):
        raise LessonError(f"{where} must be a list of rows of numbers")
    if not 1 <= len(v) <= 15 or len({len(r) for r in v}) != 1 or not 1 <= len(v[0]) <= 15:
        raise LessonError(f"{where} must be a rectangular grid of 1…15 rows and columns")
    return np.array([[_num(x, f"{where}[{i}][{j}]") for j, x in enumerate(r)]
                     for i, r in enumerate(v)], np.float32)


def parse(doc: Any) -> Lesson:
    """Check a decoded JSON document and return the Lesson (LessonError naming the field)."""
    d = _obj(doc, "the lesson")
    if d.get("format") != FORMAT:
        raise LessonError("this is not a ConvStudio lesson (its \"format\" field is missing "
                          "or different)")
    version = _int(d.get("version"), "version", 1)
    if version > VERSION:
        raise LessonError(f"this lesson was saved by a newer ConvStudio (format version "
                          f"{version}; this one reads up to {VERSION}). Update ConvStudio "
                          "to open it.")
    lesson = Lesson()
    lesson.title = _str(d.get("title", lesson.title), "title")
    lesson.text = _str(d.get("text", ""), "text")
    lesson.tab = _str(d.get("tab", "workspace"), "tab", TABS)
    ws = _obj(d.get("workspace", {}), "workspace")
    if "image" in ws:
        lesson.image = decode_array(ws["image"], "workspace.image")
    elif "sample" in ws:
        from .core import sample_names

        lesson.sample = _str(ws["sample"], "workspace.sample", tuple(sample_names()))
    lesson.image_name = _str(ws.get("image_name", lesson.sample or "lesson image"),
                             "workspace.image_name")
    lesson.channel = _str(ws.get("channel", "luminance"), "workspace.channel", CHANNELS)
    if "kernel" in ws:
        lesson.kernel = _kernel(ws["kernel"], "workspace.kernel")
    else:
        raise LessonError("workspace.kernel is missing")
    lesson.use_weight = _bool(ws.get("use_weight", True), "workspace.use_weight")
    lesson.params = _params(_obj(ws.get("params", {}), "workspace.params"))
    sel = ws.get("selection")
    if sel is not None:
        if not isinstance(sel, list) or len(sel) != 4:
            raise LessonError("workspace.selection must be [top, left, height, width] or null")
        where = "workspace.selection"
        t, left = _int(sel[0], f"{where}[0]", 0), _int(sel[1], f"{where}[1]", 0)
        h, w = _int(sel[2], f"{where}[2]", 1), _int(sel[3], f"{where}[3]", 1)
        lesson.selection = (t, left, h, w)
    lesson.display = _str(ws.get("display", "signed"), "workspace.display", DISPLAY_MODES)
    an = _obj(d.get("animator", {}), "animator")
    lesson.animator_source = _str(an.get("source", "glyph"), "animator.source", ANIMATOR_SOURCES)
    lesson.animator_step = _int(an.get("step", 0), "animator.step", 0)
    tr = _obj(d.get("training", {}), "training")
    for key, value in tr.items():
        rule = TRAINING_FIELDS.get(key)
        where = f"training.{key}"
        if rule is None:
            raise LessonError(f"{where} is not a training setting ConvStudio knows")
        if isinstance(rule[0], str):
            _str(value, where, rule)
        elif rule[0] is bool:
            _bool(value, where)
        elif rule[0] is int:
            _int(value, where, rule[1], rule[2])
        else:
            _num(value, where, rule[1], rule[2])
    lesson.training = dict(tr)
    model = d.get("model")
    if model is not None:
        lesson.model_file = _str(model, "model")
    return lesson


def _params(p: dict[str, Any]) -> PipelineParams:
    pad = p.get("padding", "valid")
    padding: str | tuple[int, int]
    if isinstance(pad, str):
        padding = _str(pad, "workspace.params.padding", ("valid", "same", "full"))
    else:
        padding = _pair(pad, "workspace.params.padding", 0)
    pool_stride = p.get("pool_stride")
    try:
        return PipelineParams(
            stride=_pair(p.get("stride", [1, 1]), "workspace.params.stride"),
            padding=padding,
            dilation=_pair(p.get("dilation", [1, 1]), "workspace.params.dilation"),
            bias=_num(p.get("bias", 0.0), "workspace.params.bias"),
            activation=_str(p.get("activation", "none"), "workspace.params.activation",
                            ACTIVATIONS),
            pool=_str(p.get("pool", "max"), "workspace.params.pool", POOLS),
            pool_size=_pair(p.get("pool_size", [2, 2]), "workspace.params.pool_size"),
            pool_stride=None if pool_stride is None
            else _pair(pool_stride, "workspace.params.pool_stride"))
    except ValueError as exc:
        if isinstance(exc, LessonError):
            raise
        raise LessonError(f"workspace.params: {exc}") from None


def loads(text: str | bytes) -> Lesson:
    """Parse a lesson from JSON text."""
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LessonError(f"not valid JSON ({exc})") from None
    return parse(doc)


def read(path: str | os.PathLike[str]) -> Lesson:
    """Read a lesson file; LessonError says which file and what was wrong."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LessonError(f"{p.name}: {size / 2**20:.0f} MB is too large for a lesson")
        data = p.read_bytes()
    except OSError as exc:
        raise LessonError(f"cannot read {p}: {exc.strerror or exc}") from None
    try:
        return loads(data)
    except LessonError as exc:
        raise LessonError(f"{p.name}: {exc}") from None


def write(lesson: Lesson, path: str | os.PathLike[str]) -> Path:
    """Write atomically (temporary file in the same folder, then rename)."""
    p = Path(path)
    if p.suffix != SUFFIX:
        p = p.with_name(p.name + SUFFIX)
    text = json.dumps(lesson.to_json(), indent=1)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def model_path(lesson: Lesson, lesson_path: str | os.PathLike[str]) -> Path | None:
    """Return the lesson's model file if it is a plain name in the lesson's own folder, else None.

    A lesson that names a file elsewhere (an absolute path, ``..``, a sub-folder) is never
    followed: the user opens such a model themselves from the Training tab.
    """
    name = lesson.model_file
    if not name or name != Path(name).name or name in (".", "..") or not name.endswith(".keras"):
        return None
    folder = Path(lesson_path).resolve().parent
    candidate = (folder / name).resolve()
    return candidate if candidate.parent == folder else None


# --- built-in lessons (texts and numbers from the course material) -----------------------------
def _builtin(title: str, text: str, kernel: Any, **kw: Any) -> Lesson:
    lesson = Lesson(title=title, text=text, sample="camera", image_name="camera",
                    kernel=np.array(kernel, np.float32), **kw)
    return lesson


def builtin_lessons() -> dict[str, Lesson]:
    """Return the course's lessons, each with its state set and a short text."""
    lessons = [
        ("line-filters", _builtin(
            "Vertical and horizontal line filters",
            "<p>A filter is a small grid of multipliers: each output pixel is the sum of the "
            "pixel and its neighbours, each multiplied by the matching weight.</p>"
            "<p>This kernel, <code>[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]</code>, makes "
            "vertical lines pop. Pick <b>Sobel y</b> — <code>[[-1, -2, -1], [0, 0, 0], "
            "[1, 2, 1]]</code> — to see the other direction, and the edge kernel "
            "<code>[[0, 1, 0], [1, -4, 1], [0, 1, 0]]</code>, which passes only sharp edges "
            "and straight lines. Step through it on the Animator tab.</p>",
            [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
            params=PipelineParams(padding="valid", pool="max"), display="clipped")),
        ("strides-padding", _builtin(
            "Strides and padding with Keras' Conv2D",
            "<p>The 512×512 image becomes a 4-D tensor (1, 512, 512, 1). A Conv2D layer with "
            "one 3×3 filter of all ones, <code>strides=(2, 1)</code>, "
            "<code>padding=\"valid\"</code> gives <b>255×510</b>: along the stride-1 axis the "
            "kernel loses one pixel at each border (512 → 510); along the stride-2 axis the "
            "size halves and loses one more (512 → 255).</p><p>The weights are a (3, 3, 1, 1) "
            "array; no training is needed to use a convolution layer as a filter. Set padding "
            "to <b>same</b> with stride 1: zeros are added and the output stays 512×512.</p>",
            np.ones((3, 3)), use_weight=False,
            params=PipelineParams(stride=(2, 1), padding="valid", pool="max"))),
        ("max-pooling", _builtin(
            "Max pooling 512 → 256",
            "<p>Max pooling 2×2 looks at each 2×2 block and keeps only the largest value. The "
            "512×512 filtered image becomes <b>256×256</b> — a quarter of the pixels — and the "
            "features the filter found are kept, often emphasised. (A lesson's own loop once "
            "kept the top-left pixel instead of the maximum; ConvStudio keeps the maximum.)</p>"
            "<p>Why pool: with 100 filters one image becomes 101 images; shrinking keeps memory "
            "and computation in check. The Animator shows each block's winner.</p>",
            [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
            params=PipelineParams(padding="same", pool="max"), display="clipped",
            tab="workspace", animator_source="image")),
        ("first-cnn", _builtin(
            "Your first CNN on Fashion-MNIST",
            "<p>The lessons' model: <code>Conv2D(64, (3,3), relu)</code> → "
            "<code>MaxPooling2D(2,2)</code> → <code>Conv2D(64, (3,3), relu)</code> → "
            "<code>MaxPooling2D(2,2)</code> → <code>Flatten</code> → <code>Dense(128, relu)"
            "</code> → <code>Dense(10, softmax)</code>, on 28×28×1 images. Press <b>Start</b>: "
            "the first layer's filters start random and are learned, and some become detectors "
            "(a horizontal-line filter that lights up on the sole of every shoe).</p><p>Keras "
            "trains on batches, so the input is 4-D: (batch, 28, 28, 1).</p>",
            [[-1, -2, -1], [0, 0, 0], [1, 2, 1]], tab="training",
            training={"dataset": "fashion-mnist", "blocks": 2, "filters": 64,
                      "kernel_size": 3, "pooling": True, "dense": 128, "dropout": 0.0,
                      "optimizer": "adam", "learning_rate": 0.001, "batch_size": 32,
                      "epochs": 5})),
    ]
    return dict(lessons)
