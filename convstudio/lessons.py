"""Lesson files (``.convstudio``): JSON with a format version, validated before anything changes.

A lesson holds the workspace (image embedded, kernel, parameters, selection), the animator's
position, the training form and, optionally, the name of a ``.keras`` model saved beside it.
No Qt here: ``ui/lessons.py`` captures and applies lessons; this module reads, checks and
writes them. :func:`parse` checks every value against the limits the window's boxes use
(:mod:`convstudio.core.limits`), so a lesson it accepts can be applied whole; it, :func:`loads`
and :func:`read` raise only :class:`LessonError`. Reading never follows a path outside the
lesson's own folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import files
from .core.animator_sources import ANIMATOR_REGION, ANIMATOR_SOURCES
from .core.limits import (
    BIAS,
    DILATION,
    KERNEL_ENTRY,
    KERNEL_SIDE,
    MAX_IMAGE_SIDE,
    PADDING,
    POOL_SIZE,
    POOL_STRIDE,
    STRIDE,
)
from .core.pipeline import ACTIVATIONS, POOLS, PipelineParams
from .lesson_text import MAX_TEXT_CHARS
from .lesson_values import (
    LessonError,
    boolean,
    decode_image,
    encode_image,
    got,
    grid,
    number,
    obj,
    pair,
    string,
    whole,
)
from .training.settings import SettingsError, TrainingSettings

FORMAT = "convstudio-lesson"
VERSION = 1
SUFFIX = ".convstudio"
CHANNELS = ("luminance", "R", "G", "B", "all")
DISPLAY_MODES = ("signed", "absolute", "clipped")
TABS = ("workspace", "animator", "training")
MAX_TITLE_CHARS = 1000
MAX_NAME_CHARS = 10_000        # an image's name is its path, plus "[crop …]"
MAX_MODEL_NAME_CHARS = 255     # a file name

# What ConvStudio writes, it reads: the largest image (4096×4096 RGB) in its exact float32
# form, even if it does not compress at all (zlib's compressBound), in base64, plus the
# longest text written as \uXXXX escapes and 1 MiB for everything else. 270 MB.
_RAW = MAX_IMAGE_SIDE * MAX_IMAGE_SIDE * 3 * 4
_DEFLATED = _RAW + (_RAW >> 12) + (_RAW >> 14) + (_RAW >> 25) + 13
MAX_FILE_BYTES = 4 * -(-_DEFLATED // 3) + 6 * MAX_TEXT_CHARS + 2**20
# Commas, "[" and "{" in a file: a lesson has a few thousand (most in its text, the image is
# one string), so a file with more is refused before it is decoded into millions of objects.
MAX_SEPARATORS = 500_000

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
    if lesson.animator_source == "glyph":
        src: tuple[int, ...] = sample_image("glyph").shape[:2]
    elif image_hw is None:
        return None
    elif lesson.animator_source == "image":
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
    return max(1, conv[0] * conv[1] + n_pool)


def parse(doc: Any) -> Lesson:
    """Check a decoded JSON document and return the Lesson (LessonError naming the field)."""
    d = obj(doc, "the lesson")
    if d.get("format") != FORMAT:
        raise LessonError("this is not a ConvStudio lesson (its \"format\" field is missing "
                          "or different)")
    version = whole(d.get("version"), "version", 1)
    if version > VERSION:
        raise LessonError(f"this lesson was saved by a newer ConvStudio (format version "
                          f"{got(version)}; this one reads up to {VERSION}). Update ConvStudio "
                          "to open it.")
    lesson = Lesson()
    lesson.title = string(d.get("title", lesson.title), "title", max_chars=MAX_TITLE_CHARS,
                          nul=False)
    lesson.text = string(d.get("text", ""), "text", max_chars=MAX_TEXT_CHARS)
    lesson.tab = string(d.get("tab", "workspace"), "tab", TABS)
    _workspace(obj(d.get("workspace", {}), "workspace"), lesson)
    an = obj(d.get("animator", {}), "animator")
    lesson.animator_source = string(an.get("source", "glyph"), "animator.source",
                                    ANIMATOR_SOURCES)
    steps = animator_steps(lesson) or animator_steps(lesson, (MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    lesson.animator_step = whole(an.get("step", 0), "animator.step", 0,
                                 None if steps is None else steps - 1)
    lesson.training = _training(obj(d.get("training", {}), "training"))
    model = d.get("model")
    if model is not None:
        lesson.model_file = string(model, "model", max_chars=MAX_MODEL_NAME_CHARS, nul=False)
    return lesson


def _workspace(ws: dict[str, Any], lesson: Lesson) -> None:
    if "image" in ws:
        lesson.image = decode_image(ws["image"], "workspace.image")
    elif "sample" in ws:
        from .core import sample_names

        lesson.sample = string(ws["sample"], "workspace.sample", tuple(sample_names()))
    lesson.image_name = string(ws.get("image_name", lesson.sample or "lesson image"),
                               "workspace.image_name", max_chars=MAX_NAME_CHARS, nul=False)
    lesson.channel = string(ws.get("channel", "luminance"), "workspace.channel", CHANNELS)
    if "kernel" not in ws:
        raise LessonError("workspace.kernel is missing")
    lesson.kernel = grid(ws["kernel"], "workspace.kernel", KERNEL_SIDE, KERNEL_ENTRY)
    lesson.use_weight = boolean(ws.get("use_weight", True), "workspace.use_weight")
    lesson.params = _params(obj(ws.get("params", {}), "workspace.params"))
    try:
        hw = lesson.image_hw()
    except ValueError as exc:  # a sample image that cannot be read here
        raise LessonError(f"workspace.sample: {exc}") from None
    lesson.selection = _selection(ws.get("selection"), hw)
    lesson.display = string(ws.get("display", "signed"), "workspace.display", DISPLAY_MODES)


def _selection(sel: Any, hw: tuple[int, int] | None) -> tuple[int, int, int, int] | None:
    where = "workspace.selection"
    if sel is None:
        return None
    if not isinstance(sel, list) or len(sel) != 4:
        raise LessonError(f"{where} must be [top, left, height, width] or null")
    top_hi, left_hi = (hw[0] - 1, hw[1] - 1) if hw else (MAX_IMAGE_SIDE - 1,) * 2
    top = whole(sel[0], f"{where}[0] (top)", 0, top_hi)
    left = whole(sel[1], f"{where}[1] (left)", 0, left_hi)
    height = whole(sel[2], f"{where}[2] (height)", 1, (hw[0] if hw else MAX_IMAGE_SIDE) - top)
    width = whole(sel[3], f"{where}[3] (width)", 1, (hw[1] if hw else MAX_IMAGE_SIDE) - left)
    return top, left, height, width


def _params(p: dict[str, Any]) -> PipelineParams:
    where = "workspace.params"
    pad = p.get("padding", "valid")
    padding: str | tuple[int, int]
    if isinstance(pad, str):
        padding = string(pad, f"{where}.padding", ("valid", "same", "full"))
    else:
        padding = pair(pad, f"{where}.padding", PADDING)
    pool_stride = p.get("pool_stride")
    try:
        return PipelineParams(
            stride=pair(p.get("stride", [1, 1]), f"{where}.stride", STRIDE),
            padding=padding,
            dilation=pair(p.get("dilation", [1, 1]), f"{where}.dilation", DILATION),
            bias=number(p.get("bias", 0.0), f"{where}.bias", BIAS),
            activation=string(p.get("activation", "none"), f"{where}.activation", ACTIVATIONS),
            pool=string(p.get("pool", "max"), f"{where}.pool", POOLS),
            pool_size=pair(p.get("pool_size", [2, 2]), f"{where}.pool_size", POOL_SIZE),
            pool_stride=None if pool_stride is None
            else pair(pool_stride, f"{where}.pool_stride", POOL_STRIDE))
    except ValueError as exc:
        if isinstance(exc, LessonError):
            raise
        raise LessonError(f"{where}: {exc}") from None


def _training(tr: dict[str, Any]) -> dict[str, Any]:
    """Check a lesson's training settings against the Training tab's own ranges.

    The keys a lesson leaves out are the form's to keep.
    """
    try:
        TrainingSettings.from_dict(tr, where="training")
    except SettingsError as exc:
        raise LessonError(str(exc)) from None
    return dict(tr)


def loads(text: str | bytes) -> Lesson:
    """Parse a lesson from JSON text; LessonError for anything that is not a good lesson."""
    if not isinstance(text, str | bytes):
        raise LessonError(f"a lesson is JSON text, got {type(text).__name__}")
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    count = raw.count(b",") + raw.count(b"[") + raw.count(b"{")
    if count > MAX_SEPARATORS:
        raise LessonError(f"it holds far more values than a lesson has ({count:,} commas "
                          "and brackets)")
    try:
        doc = json.loads(text)
    except RecursionError:
        raise LessonError("not a lesson: its JSON is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError; over 4300 digits
        raise LessonError(f"not valid JSON ({exc})") from None
    return parse(doc)


def read(path: str | os.PathLike[str]) -> Lesson:
    """Read a lesson file; LessonError says which file and what was wrong.

    Only regular files of at most :data:`MAX_FILE_BYTES` are read (a FIFO, a device or a
    symbolic-link loop gives a message, never a hang).
    """
    p = Path(path)
    try:
        data = files.read_bytes(p, limit=MAX_FILE_BYTES)
    except files.FileReadError as exc:
        raise LessonError(str(exc).rstrip(".")) from None
    try:
        return loads(data)
    except LessonError as exc:
        raise LessonError(f"{p.name}: {exc}") from None


_DATA_TOKEN = "@@convstudio-image-data@@"


def write(lesson: Lesson, path: str | os.PathLike[str]) -> Path:
    """Write atomically (:func:`convstudio.files.atomic_write`); add the suffix if missing."""
    p = Path(path)
    if p.suffix != SUFFIX:
        p = p.with_name(p.name + SUFFIX)
    doc = lesson.to_json()
    image = doc["workspace"].get("image")
    if image is None:
        return files.atomic_write(p, json.dumps(doc, indent=1).encode("ascii"))
    # The base64 data needs no escaping: splice it in instead of letting json.dumps copy and
    # scan a few hundred megabytes (1.4 s for the largest image). A token in quotes can only
    # be this value: inside any string of the document a quote is escaped.
    data, image["data"] = image["data"], _DATA_TOKEN
    text = json.dumps(doc, indent=1).replace(f'"{_DATA_TOKEN}"', f'"{data}"', 1)
    return files.atomic_write(p, text.encode("ascii"))


def model_path(lesson: Lesson, lesson_path: str | os.PathLike[str]) -> Path | None:
    """Return the lesson's model file if it is a plain name in the lesson's own folder, else None.

    A lesson that names a file elsewhere (an absolute path, ``..``, a sub-folder) is never
    followed: the user opens such a model themselves from the Training tab.
    """
    name = lesson.model_file
    if (not name or "\x00" in name or name != Path(name).name or name in (".", "..")
            or not name.endswith(".keras")):
        return None
    try:
        folder = Path(lesson_path).resolve().parent
        candidate = (folder / name).resolve()
    except (OSError, RuntimeError, ValueError):  # a symbolic-link loop (RuntimeError in 3.11)
        return None
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
