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
from pathlib import Path
from typing import Any

from . import files
from .core.animator_sources import ANIMATOR_REGION, ANIMATOR_SOURCES
from .core.limits import (
    BIAS,
    CHANNELS,
    DEPTH_MULTIPLIER,
    DILATION,
    DISPLAY_MODES,
    KERNEL_ENTRY,
    KERNEL_SIDE,
    MAX_IMAGE_SIDE,
    OUTPUT_PADDING,
    PADDING,
    POOL_SIZE,
    POOL_STRIDE,
    STRIDE,
    TABS,
)
from .core.pipeline import ACTIVATIONS, FAMILIES, POOLS, PipelineParams, check_workspace_limits
from .course import course
from .lesson_state import FORMAT, VERSION, Lesson, animator_steps
from .lesson_text import MAX_TEXT_CHARS
from .lesson_values import (
    LessonError,
    boolean,
    decode_image,
    got,
    grid,
    in_range,
    number,
    obj,
    pair,
    string,
    whole,
)
from .training.settings import SettingsError, TrainingSettings

SUFFIX = ".convstudio"
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

__all__ = ["ANIMATOR_REGION", "FORMAT", "VERSION", "Lesson", "LessonError", "animator_steps",
           "builtin_lessons", "loads", "model_path", "parse", "read", "write"]


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
    output_padding = p.get("output_padding")  # the conv family: absent in older lessons
    try:
        params = PipelineParams(
            stride=pair(p.get("stride", [1, 1]), f"{where}.stride", STRIDE),
            padding=padding,
            dilation=pair(p.get("dilation", [1, 1]), f"{where}.dilation", DILATION),
            bias=number(p.get("bias", 0.0), f"{where}.bias", BIAS),
            activation=string(p.get("activation", "none"), f"{where}.activation", ACTIVATIONS),
            pool=string(p.get("pool", "max"), f"{where}.pool", POOLS),
            pool_size=pair(p.get("pool_size", [2, 2]), f"{where}.pool_size", POOL_SIZE),
            pool_stride=None if pool_stride is None
            else pair(pool_stride, f"{where}.pool_stride", POOL_STRIDE),
            family=string(p.get("family", "standard"), f"{where}.family", FAMILIES),
            output_padding=None if output_padding is None
            else pair(output_padding, f"{where}.output_padding", OUTPUT_PADDING),
            depth_multiplier=in_range(p.get("depth_multiplier", 1), f"{where}.depth_multiplier",
                                      DEPTH_MULTIPLIER))
        check_workspace_limits(params)  # output padding below the stride
        return params
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


def builtin_lessons() -> dict[str, Lesson]:
    """Return the built-in course's lessons by key, in course order (see :mod:`.course`)."""
    return {c.key: c.state for c in course()}
