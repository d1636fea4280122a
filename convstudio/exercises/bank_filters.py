"""Exercises of the first two lessons: a filter as multipliers, and the lessons' kernels."""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import course as C
from ..core import conv2d, conv_steps, get_preset, luminance, normalisation_weight, sample_image
from ..core.pipeline import PipelineParams
from ..lesson_state import Lesson
from .base import Exercise, Mistake
from .kinds import choice, edge_kernel, fmt_number, number

# The camera window of the line-filters lesson: an output pixel on the cameraman's coat.
CAMERA_WINDOW = (227, 301)
SQUARE_LEVEL = 64.0   # the grey square of the "which filter?" image, on black


def _grid_text(a: np.ndarray) -> str:
    return "[" + ", ".join("[" + ", ".join(fmt_number(float(v)) for v in row) + "]"
                           for row in a) + "]"


def _flip_mistakes(patch: np.ndarray, k: np.ndarray, answer: float) -> list[Mistake]:
    return [
        Mistake("flipped", float(conv2d(patch, k[::-1, ::-1])[0, 0]),
                "You flipped the kernel, as a textbook convolution does. Conv2D (and "
                "ConvStudio) lays it on the window as printed — cross-correlation: the "
                "top-left weight multiplies the top-left pixel."),
        Mistake("transposed", float(conv2d(patch, k.T)[0, 0]),
                "You applied the transpose of the kernel (its rows as columns), which is what "
                "the course's loop i[x-1, y-1]*filter[0][0], i[x, y-1]*filter[0][1] … does. "
                "Here the kernel's row r multiplies the window's row r."),
        Mistake("centre-only", float(patch[1, 1] * k[1, 1]),
                "That is only the centre pixel times the centre weight: add all nine "
                "products."),
        Mistake("clipped", float(np.clip(answer, 0.0, 255.0)),
                "That is the value clipped to 0…255, as a display shows it; the output "
                "itself is not clipped."),
        Mistake("pixel-sum", float(patch.sum()),
                "That is the sum of the pixels: multiply each by its weight first."),
    ]


def _multipliers(state: Lesson) -> list[Exercise]:
    key = "filter-multipliers"
    patch = np.array(C.SEED_PATCH, np.float32)
    k = np.array(C.SEED_FILTER, np.float32)
    step = conv_steps(patch, k)[0]
    listed = f"pixels {_grid_text(patch)} and kernel {_grid_text(k)}"
    lap = np.array(C.LAPLACIAN, np.float32)
    lap_value = float(conv2d(patch, lap)[0, 0])
    flipped = float(conv2d(patch, k[::-1, ::-1])[0, 0])
    lap_state = dataclasses.replace(state, kernel=lap.copy())
    pixel_options = [f"the upper-left pixel, {fmt_number(patch[0, 0])}",
                     f"the lower-right pixel, {fmt_number(patch[2, 2])}",
                     f"the centre pixel, {fmt_number(patch[1, 1])}",
                     f"the upper-right pixel, {fmt_number(patch[0, 2])}"]
    # The pixel the top-left weight multiplies is the one whose product the step shows there.
    top_left = float(step.products[0, 0] / k[0, 0])
    which = [float(patch[0, 0]), float(patch[2, 2]), float(patch[1, 1]),
             float(patch[0, 2])].index(top_left)
    return [
        number(f"{key}/window-sum", key,
               f"The window holds {listed}. What is the output pixel?",
               "Multiply each pixel by the weight over it (192 × 4.5, 0 × −1, 64 × 0 …) and "
               "add the nine products.", step.value, state,
               f"The nine products add up to {fmt_number(step.value)}.",
               _flip_mistakes(patch, k, step.value)),
        number(f"{key}/edge-kernel", key,
               f"Same window, {_grid_text(patch)}, now under the edge kernel "
               f"{_grid_text(lap)}. What is the output pixel?",
               "Four neighbours times 1, the centre times −4, the corners times 0.",
               lap_value, lap_state,
               "Flat areas give 0 under this kernel; here the centre is brighter than its "
               "neighbours, so the output is negative.",
               _flip_mistakes(patch, lap, lap_value)
               + [Mistake("absolute", abs(lap_value),
                          "Mind the sign: the centre (192) outweighs its four neighbours, so "
                          "the sum is negative.")]),
        number(f"{key}/true-convolution", key,
               f"A textbook convolution flips the kernel both ways before it multiplies. "
               f"With {listed}, what would it give?",
               "Turn the kernel half a turn (the top-left weight goes to the bottom-right), "
               "then multiply and add.", flipped, state,
               "Flipped both ways, the kernel gives a different number: that is why the "
               "difference between convolution and cross-correlation matters.",
               [Mistake("not-flipped", step.value,
                        "That is Conv2D's value, with the kernel as printed "
                        "(cross-correlation). Flip it both ways first."),
                Mistake("flipped-rows", float(conv2d(patch, k[::-1, :])[0, 0]),
                        "You flipped it upside down only: a convolution flips both axes."),
                Mistake("flipped-columns", float(conv2d(patch, k[:, ::-1])[0, 0]),
                        "You flipped it left to right only: a convolution flips both axes.")]),
        choice(f"{key}/top-left-weight", key,
               f"Under Conv2D, which pixel of the window {_grid_text(patch)} is multiplied "
               f"by the kernel's top-left weight, {fmt_number(k[0, 0])}?",
               "Conv2D does not flip the kernel.", pixel_options, which, state,
               "Cross-correlation lays the kernel on the window as printed.",
               {1: Mistake("flipped", None, "That is a textbook convolution, which flips the "
                                            "kernel. Conv2D does not flip.")}),
    ]


def _line_filters(state: Lesson) -> list[Exercise]:
    key = "line-filters"
    image = luminance(sample_image("camera", mode="rgb") * np.float32(255.0))
    sobel_x = get_preset("sobel_x").array
    r, c = CAMERA_WINDOW
    patch = image[r:r + 3, c:c + 3]
    steps = conv_steps(image, sobel_x)
    value = steps[steps.index_of(r, c)].value
    window_state = dataclasses.replace(state, selection=(r, c, 3, 3), animator_source="region",
                                       animator_step=0, tab="animator")
    tenfold = np.array([[1, 1, 1], [1, 2, 1], [1, 1, 1]], np.float32)
    ones = np.array(C.ONES, np.float32)
    exercises = [
        number(f"{key}/camera-window", key,
               f"The window at row {r}, column {c} of the camera photo holds "
               f"{_grid_text(patch)}. What does Sobel x, {_grid_text(sobel_x)}, give there?",
               "Left column times −1, −2, −1; right column times 1, 2, 1; the middle column "
               "counts 0.", value, window_state,
               "The right side is much brighter than the left: a vertical edge, a large "
               "positive output.", _flip_mistakes(patch, sobel_x, value)),
        number(f"{key}/weight-ten", key,
               f"The kernel {_grid_text(tenfold)} sums to 10. What weight does normalisation "
               "multiply it by?",
               "The weight makes the entries sum to 1.", normalisation_weight(tenfold),
               dataclasses.replace(state, kernel=tenfold), "1/10: the entries then sum to 1.",
               [Mistake("sum", 10.0, "10 is the sum of the entries; the weight is 1 / sum."),
                Mistake("no-weight", 1.0, "Weight 1 is kept only for kernels summing to 0 or "
                                          "1; this one sums to 10.")]),
        number(f"{key}/blur-weight", key,
               f"The blur {_grid_text(ones)} averages the 9 neighbours. What weight makes it "
               "an average? (A fraction such as 1/7 is fine.)",
               "Divide by the sum of the entries.", normalisation_weight(ones),
               dataclasses.replace(state, kernel=ones.copy()),
               "1/9 ≈ 0.111: nine ones then sum to 1, and a flat area keeps its brightness.",
               [Mistake("sum", 9.0, "9 is the sum; the weight is 1 / 9."),
                Mistake("no-weight", 1.0, "Without a weight the blur adds nine pixels: "
                                          "nine times too bright.")]),
        edge_kernel(f"{key}/design-vertical", key, "vertical", sobel_x,
                    dataclasses.replace(state, sample="stripes_vertical",
                                        image_name="stripes_vertical")),
    ]
    return exercises + _directions(state) + [_which_filter(state)]


def _directions(state: Lesson) -> list[Exercise]:
    key = "line-filters"
    k = np.array(C.SOBEL_Y, np.float32)
    stripes = {o: sample_image(f"stripes_{o}") * np.float32(255.0)
               for o in ("vertical", "horizontal")}
    options = ["vertical lines", "horizontal lines"]

    def pops(kernel: np.ndarray) -> int:
        response = [float(np.abs(conv2d(stripes[o], kernel)).max())
                    for o in ("vertical", "horizontal")]
        return int(np.argmax(response))

    # The course's loop multiplies i[x + c - 1, y + r - 1] by filter[r][c]: the transpose.
    by_loop, by_conv2d = pops(k.T), pops(k)
    seen = dataclasses.replace(state, sample="stripes_vertical", image_name="stripes_vertical",
                               kernel=k.copy())
    loop = ("The course's loop adds i[x-1, y-1]*filter[0][0] + i[x, y-1]*filter[0][1] + "
            "i[x+1, y-1]*filter[0][2] + …")
    return [
        choice(f"{key}/seed-loop", key,
               f"{loop} With filter = {_grid_text(k)}, which lines does that loop make pop?",
               "In filter[0][1] the first index is the row; which image index moves with it?",
               options, by_loop, seen,
               "filter[0][1] multiplies i[x, y-1]: the filter's row index walks the image's "
               "columns, so the loop applies the transpose and vertical lines pop.",
               {1 - by_loop: Mistake("conv2d-not-loop", None,
                                     "That is what Conv2D does with the kernel as printed; "
                                     "the loop's indices swap rows and columns, so it "
                                     "applies the transpose.")}),
        choice(f"{key}/conv2d-direction", key,
               f"In ConvStudio (as in Keras' Conv2D), which lines does {_grid_text(k)} make "
               "pop? The workspace shows it on vertical stripes.",
               "Its rows change from −1 to +1 from top to bottom.", options, by_conv2d, seen,
               "The weights change from the top row to the bottom row: it responds to "
               "top-to-bottom changes, horizontal edges — and gives 0 on vertical stripes.",
               {1 - by_conv2d: Mistake("loop-not-conv2d", None,
                                       "That is the course's loop, which applies the "
                                       "transpose. Conv2D lays the kernel as printed.")}),
    ]


def _which_filter(state: Lesson) -> Exercise:
    key = "line-filters"
    square = np.zeros((24, 24), np.float32)
    square[7:17, 7:17] = SQUARE_LEVEL
    names = ["sobel_x", "sobel_y", "laplacian", "box_blur"]
    outputs = [np.clip(np.abs(conv2d(square, get_preset(n).weighted)), 0.0, 255.0)
               for n in names]
    shown = outputs[0]
    answer = next(i for i, o in enumerate(outputs) if np.array_equal(o, shown))
    rgb = C.grey_image(shown)
    seen = dataclasses.replace(state, image=rgb, sample=None, image_name="a filter's output",
                               kernel=np.array([[1.0]], np.float32),
                               params=PipelineParams(pool="none"), display="clipped",
                               selection=None)
    labels = [get_preset(n).label + " " + _grid_text(get_preset(n).array) for n in names]
    messages = {
        1: Mistake("transposed", None, "Sobel y responds to top-to-bottom changes: it would "
                                       "light the square's top and bottom edges. Here the "
                                       "left and right edges light up."),
        2: Mistake("laplacian", None, "The edge kernel lights every edge of the square, all "
                                      "four sides."),
        3: Mistake("blur", None, "A blur would keep the square's inside grey and soften its "
                                 "border; here the inside is black."),
    }
    return choice(f"{key}/which-filter", key,
                  f"The workspace's input is what one of these filters made of a grey square "
                  f"({SQUARE_LEVEL:.0f}) on black (absolute value, clipped to 0…255). Which "
                  "filter?", "Which edges of the square are lit: left and right, top and "
                  "bottom, or all?", labels, answer, seen,
                  "Only the left and right edges are lit: a vertical-line filter.", messages)


def exercises(states: dict[str, Lesson]) -> list[Exercise]:
    """Return the exercises of the filter-multipliers and line-filters lessons."""
    return _multipliers(states["filter-multipliers"]) + _line_filters(states["line-filters"])
