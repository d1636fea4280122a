"""Exercises of the size lessons: strides and padding, dilation, max pooling."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from .. import course as C
from ..core import (
    avg_pool2d,
    conv2d,
    max_pool2d,
    output_shape,
    pool_geometry,
    pool_steps,
    resolve_padding,
)
from ..core.animator_sources import POOL_EXAMPLE
from ..core.pipeline import PipelineParams
from ..lesson_state import Lesson
from .base import Exercise, Mistake
from .kinds import cell, grid, number, pair, shape

SIDE = 512  # the lessons' photo
# The pooling lesson's 4×4 block (the animator's "pool-example" source): its quarters' maxima
# are 192, 144, 255 and 168, and only one quarter's maximum is its top-left pixel, so "kept the
# top-left" shows.
POOL_BLOCK = POOL_EXAMPLE
# The dilation lesson's 5×5 window: a dilated 3×3 kernel reads its corners, edges' middles and
# centre; an undilated one would read the middle 3×3.
DILATION_WINDOW = ((10, 20, 30, 40, 50), (60, 70, 80, 90, 100), (15, 25, 35, 45, 55),
                   (65, 75, 85, 95, 105), (5, 0, 255, 128, 64))


def _shape(hw: tuple[int, int], k: int, **kw: Any) -> tuple[int, int]:
    return output_shape(hw, (k, k), **kw)


def _no_floor(n: int, k: int, s: tuple[int, int]) -> tuple[int, int]:
    """Return what a student gets who rounds the size formula up instead of flooring it."""
    return math.ceil((n - k) / s[0]) + 1, math.ceil((n - k) / s[1]) + 1


def _strides(state: Lesson) -> list[Exercise]:
    key = "strides-padding"
    n, hw = SIDE, (SIDE, SIDE)
    s21 = _shape(hw, 3, stride=(2, 1))
    same = _shape(hw, 3, padding="same")
    same2 = _shape(hw, 3, stride=(2, 2), padding="same")
    full = _shape(hw, 3, padding="full")
    pads = resolve_padding(hw, (4, 4), padding="same")
    pooled = pool_geometry(s21, (2, 2))[2]
    floor = ("You forgot the floor: (512 − 3) / 2 + 1 = 255.5, and the half window that "
             "would stick out of the image is dropped, so 255.")
    s_state = dataclasses.replace(state, params=PipelineParams(padding="same", pool="none"))
    return [
        shape(f"{key}/stride-2-1", key,
              "The 512×512 photo goes through Conv2D with one 3×3 filter, strides=(2, 1), "
              "padding=\"valid\". What is the output's height × width?",
              "Per axis: ⌊(n − k) / s⌋ + 1, with the stride 2 on the rows.", s21, state,
              "Along the stride-1 axis the kernel loses one pixel at each border (512 → 510); "
              "along the stride-2 axis the size halves and loses one more (512 → 255).",
              [Mistake("no-floor", _no_floor(n, 3, (2, 1)), floor),
               Mistake("swapped", (s21[1], s21[0]),
                       "Height comes first: strides=(2, 1) steps 2 rows and 1 column."),
               Mistake("no-stride", _shape(hw, 3), "That ignores the stride: a stride of 2 "
                                                   "keeps every second window."),
               Mistake("no-shrink", (n // 2, n), "A valid 3×3 kernel does not fit at the "
                                                 "border: it loses k − 1 = 2 pixels.")]),
        shape(f"{key}/same", key,
              "Same photo, one 3×3 filter, stride 1, padding=\"same\". Output height × width?",
              "\"same\" adds zeros around the image.", same, s_state,
              "Zeros are added so the output keeps the input's size.",
              [Mistake("valid", _shape(hw, 3), "That is \"valid\": \"same\" pads with zeros so "
                                               "that no pixel is lost.")]),
        shape(f"{key}/same-stride-2", key,
              "512×512, a 3×3 filter, strides=(2, 2), padding=\"same\". Output height × width?",
              "\"same\" gives ⌈n / s⌉ pixels per axis.", same2,
              dataclasses.replace(state, params=PipelineParams(stride=(2, 2), padding="same",
                                                               pool="none")),
              "\"same\" with stride 2 gives ⌈512 / 2⌉ = 256.",
              [Mistake("same-keeps-size", hw, "\"same\" keeps the size only with stride 1; "
                                              "with stride s it gives ⌈n / s⌉."),
               Mistake("valid", _shape(hw, 3, stride=(2, 2)),
                       "That is \"valid\" (⌊(512 − 3) / 2⌋ + 1); \"same\" gives ⌈n / s⌉.")]),
        shape(f"{key}/full", key,
              "512×512, a 3×3 filter, stride 1, padding \"full\" (k − 1 zeros on every side). "
              "Output height × width?", "Every overlap of kernel and image counts: the output "
              "grows.", full,
              dataclasses.replace(state, params=PipelineParams(padding="full", pool="none")),
              "512 + 2·2 − 3 + 1 = 514: the output is larger than the input.",
              [Mistake("same", same, "That is \"same\"; \"full\" pads k − 1 = 2 on every side."),
               Mistake("valid", _shape(hw, 3), "That is \"valid\"; \"full\" pads 2 zeros on "
                                               "every side.")]),
        pair(f"{key}/same-sides", key,
             "A 4×4 kernel with padding=\"same\" and stride 1 on the 512×512 photo: how many "
             "rows of zeros go at the top, and how many at the bottom? (top, bottom)",
             "k − 1 = 3 rows in all; they cannot be split evenly.", (pads.top, pads.bottom),
             dataclasses.replace(state, kernel=np.ones((4, 4), np.float32),
                                 params=PipelineParams(padding="same", pool="none")),
             "3 zero rows in all: TensorFlow puts the odd one at the bottom (and the right).",
             [Mistake("wrong-side", (pads.bottom, pads.top),
                      "You padded on the wrong side: TensorFlow puts the extra row at the "
                      "bottom (and the extra column at the right)."),
              Mistake("full", (3, 3), "That is \"full\" padding; \"same\" adds only what "
                                      "keeps 512 → 512."),
              Mistake("valid", (0, 0), "That is \"valid\", which adds no zeros.")],
             names="top, bottom"),
        shape(f"{key}/then-pool", key,
              "The 255×510 output of strides=(2, 1) is max-pooled 2×2. Pooled height × width?",
              "Pooling is a window of 2 with stride 2: ⌊(n − 2) / 2⌋ + 1.", pooled, state,
              "255 → 127 (the last row has no partner) and 510 → 255.",
              [Mistake("no-floor", (math.ceil(s21[0] / 2), math.ceil(s21[1] / 2)),
                       "You forgot the floor: 255 / 2 = 127.5, and the last row, which has "
                       "no partner, is dropped.")]),
    ]


def _dilation(state: Lesson) -> list[Exercise]:
    key = "dilation"
    hw = (SIDE, SIDE)
    out = _shape(hw, 3, dilation=(2, 2))
    span = SIDE - out[0] + 1
    strided = _shape(hw, 3, dilation=(2, 2), stride=(2, 2))
    window = np.array(DILATION_WINDOW, np.float32)
    k = np.array(C.SOBEL_X, np.float32)
    value = float(conv2d(window, k, dilation=2)[0, 0])
    w_state = dataclasses.replace(state, image=C.grey_image(window), sample=None,
                                  image_name="a 5×5 window", animator_source="image",
                                  animator_step=0, tab="animator")
    return [
        number(f"{key}/span", key,
               "A 3×3 kernel with dilation 2: how many pixels does it span along each axis?",
               "(k − 1)·d + 1.", span, state,
               "Its taps are 2 apart: 1, 3, 5 — a span of 5 pixels.",
               [Mistake("k-times-d", 6.0, "k·d counts one gap too many: 3 taps 2 apart span "
                                          "(3 − 1)·2 + 1 = 5."),
                Mistake("no-dilation", 3.0, "That is the undilated kernel; dilation spreads "
                                            "the taps apart.")]),
        shape(f"{key}/valid", key,
              "The 512×512 photo, a 3×3 kernel, dilation (2, 2), stride 1, padding \"valid\". "
              "Output height × width?", "Use the span (k − 1)·d + 1 in place of k.", out,
              state, "The kernel spans 5 pixels: 512 − 5 + 1 = 508.",
              [Mistake("no-dilation", _shape(hw, 3), "That ignores the dilation: the kernel "
                                                     "spans 5 pixels, not 3."),
               Mistake("k-times-d", (SIDE - 6 + 1,) * 2, "The span is (k − 1)·d + 1 = 5, not "
                                                         "k·d = 6.")]),
        shape(f"{key}/stride", key,
              "Now dilation (2, 2) and strides (2, 2), padding \"valid\". Output height × width?",
              "⌊(n − span) / s⌋ + 1.", strided,
              dataclasses.replace(state, params=PipelineParams(dilation=(2, 2), stride=(2, 2),
                                                               pool="none")),
              "(512 − 5) / 2 + 1 = 254.5, floored to 254.",
              [Mistake("no-floor", (math.ceil((SIDE - 5) / 2) + 1,) * 2,
                       "You forgot the floor: (512 − 5) / 2 + 1 = 254.5 → 254."),
               Mistake("no-dilation", _shape(hw, 3, stride=(2, 2)),
                       "That ignores the dilation: the span is 5.")]),
        number(f"{key}/window", key,
               f"The 5×5 image {_rows(window)} under Sobel x "
               f"{_rows(k)} with dilation 2 (one output). What is it?",
               "The taps read rows 0, 2, 4 and columns 0, 2, 4.", value, w_state,
               "Dilated, the kernel reads the corners, the middles of the edges and the "
               "centre.",
               [Mistake("no-dilation", float(conv2d(window[1:4, 1:4], k)[0, 0]),
                        "You used adjacent pixels (the middle 3×3): with dilation 2 the taps "
                        "are two pixels apart."),
                Mistake("flipped", float(conv2d(window, k[::-1, ::-1], dilation=2)[0, 0]),
                        "You flipped the kernel; Conv2D does not.")]),
    ]


def _rows(a: np.ndarray) -> str:
    return "[" + ", ".join("[" + ", ".join(str(int(v)) for v in row) + "]" for row in a) + "]"


def _pooling(state: Lesson) -> list[Exercise]:
    key = "max-pooling"
    block = np.array(POOL_BLOCK, np.float32)
    steps = pool_steps(block, 2)
    top_right = steps[1]
    b_state = dataclasses.replace(state, image=C.grey_image(block), sample=None,
                                  image_name="the 4×4 example",
                                  kernel=np.array([[1.0]], np.float32),
                                  params=PipelineParams(pool="max"), display="signed",
                                  animator_source="image", animator_step=block.size + 1,
                                  tab="animator")
    conv = _shape((SIDE, SIDE), 3, padding="same")
    pooled = pool_geometry(conv, (2, 2))[2]
    kept = pooled[0] * pooled[1]
    top_left = "You kept the top-left pixel of each block, as the course's own loop did: max "
    return [
        grid(f"{key}/four-by-four", key,
             f"Max-pool this 4×4 block 2×2: {_rows(block)}. Type the 2×2 result.",
             "Each 2×2 quarter keeps only its largest value.", max_pool2d(block, 2), b_state,
             "The four quarters' maxima: 192, 144, 255 and 168.",
             [Mistake("top-left", block[::2, ::2], top_left + "pooling keeps the largest."),
              Mistake("average", avg_pool2d(block, 2), "That is average pooling; max pooling "
                                                       "keeps the largest value."),
              Mistake("minimum", -max_pool2d(-block, 2), "Those are the smallest values; max "
                                                         "pooling keeps the largest.")]),
        cell(f"{key}/winner", key,
             f"In the same block {_rows(block)}, which pixel wins the top-right quarter? "
             "Give its row, column in the 4×4 block, counting from 0.",
             "The top-right quarter is rows 0–1, columns 2–3.", top_right.winner, b_state,
             f"{top_right.value:.0f} is the largest of the quarter's four pixels.",
             [Mistake("top-left", top_right.window, top_left + "pooling keeps the largest.")],
             value=top_right.value),
        shape(f"{key}/camera", key,
              "The lesson's 512×512 photo, filtered with padding \"same\", then max-pooled 2×2. "
              "Pooled height × width?", "\"same\" keeps 512; pooling halves each side.",
              pooled, state, "512 → 512 → 256: a quarter of the pixels.",
              [Mistake("valid", pool_geometry(_shape((SIDE, SIDE), 3), (2, 2))[2],
                       "That is the valid conv (510) pooled; with \"same\" the conv keeps 512."),
               Mistake("no-pool", conv, "That is the conv output; pooling halves each side."),
               Mistake("twice", (pooled[0] // 2, pooled[1] // 2),
                       "A 2×2 pool halves each side once: 512 → 256.")]),
        number(f"{key}/pixels-kept", key,
               "How many pixels does that 512×512 map keep after 2×2 max pooling?",
               "Each 2×2 block of four pixels keeps one.", kept, state,
               "A quarter of 262,144: 65,536 pixels (256×256).",
               [Mistake("half", kept * 2, "Each block of four keeps one: a quarter, not half."),
                Mistake("all", SIDE * SIDE, "That is before pooling.")]),
    ]


def exercises(states: dict[str, Lesson]) -> list[Exercise]:
    """Return the exercises of the strides-padding, dilation and max-pooling lessons."""
    return (_strides(states["strides-padding"]) + _dilation(states["dilation"])
            + _pooling(states["max-pooling"]))
