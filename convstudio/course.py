"""The built-in course: its lessons in order, each a title, steps of text and a state (no Qt).

Texts and numbers come from the course material the app grew out of (the 192 × 4.5 window, the
lessons' kernels, 512 → 255×510, the 4×4 pooling block, 32 → 64 filters, the 4-D input …).
Every state is an ordinary :class:`~convstudio.lesson_state.Lesson`, so it passes the same
checks as a lesson file (tests/test_course.py saves and reads back each one). The exercises of
each lesson are in :mod:`convstudio.exercises`, keyed by :attr:`CourseLesson.key`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .core.pipeline import PipelineParams
from .lesson_state import Lesson

# The first lesson's window and filter, as the course prints them: the pixel 192 under the
# weight 4.5, its upper-left neighbour 0 under -1, its upper neighbour 64 under 0, …
SEED_PATCH = ((0, 64, 128), (48, 192, 144), (142, 226, 168))
SEED_FILTER = ((-1, 0, -2), (0.5, 4.5, -1.5), (1.5, 2, -3))
LAPLACIAN = ((0, 1, 0), (1, -4, 1), (0, 1, 0))
SOBEL_Y = ((-1, -2, -1), (0, 0, 0), (1, 2, 1))
SOBEL_X = ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1))
ONES = ((1, 1, 1), (1, 1, 1), (1, 1, 1))
# The lessons' model (two blocks of 64 3×3 filters, each max-pooled, Dense 128).
LESSONS_MODEL: dict[str, Any] = {
    "dataset": "fashion-mnist", "blocks": 2, "filters": 64, "kernel_size": 3, "pooling": True,
    "dense": 128, "dropout": 0.0, "optimizer": "adam", "learning_rate": 0.001,
    "batch_size": 32, "epochs": 5}
# The MNIST lesson's ConvNet: one block of 32 filters on 28×28×1 digits.
MNIST_MODEL: dict[str, Any] = {
    "dataset": "mnist", "blocks": 1, "filters": 32, "kernel_size": 3, "pooling": True,
    "dense": 128, "dropout": 0.0, "optimizer": "adam", "learning_rate": 0.001,
    "batch_size": 64, "epochs": 5}


@dataclass(frozen=True)
class CourseLesson:
    """One lesson of the course: a key, a title, steps of HTML text and the state it opens."""

    key: str
    title: str
    steps: tuple[str, ...]
    state: Lesson

    @property
    def text(self) -> str:
        """All steps as one text (what a lesson file stores)."""
        return "".join(self.steps)


def grey_image(values: Any) -> np.ndarray:
    """Return a grid of grey levels 0..255 as the RGB float32 image a lesson embeds."""
    grey = np.asarray(values, np.float32)
    return np.repeat(grey[:, :, None], 3, axis=2)


def _state(title: str, steps: tuple[str, ...], kernel: Any, **kw: Any) -> Lesson:
    if "image" not in kw:
        kw.setdefault("sample", "camera")
    kw.setdefault("image_name", kw.get("sample") or "lesson image")
    k = np.array(kernel, np.float32)
    if "display" not in kw:
        # A kernel with no negative weight (a blur, all ones) makes no negative output: the
        # grey clipped display shows it as the lessons do, not a red "all positive" map.
        kw["display"] = "clipped" if float(k.min()) >= 0 else "signed"
    return Lesson(title=title, text="".join(steps), kernel=k, **kw)


def _lesson(key: str, title: str, steps: tuple[str, ...], kernel: Any,
            **kw: Any) -> CourseLesson:
    return CourseLesson(key, title, steps, _state(title, steps, kernel, **kw))


def _filters() -> list[CourseLesson]:
    return [
        _lesson("filter-multipliers", "A filter is a grid of multipliers", (
            "<h4>Multiply and add</h4><p>A filter (kernel) is a small grid of multipliers. For "
            "each pixel, multiply it and its neighbours by the matching weights and add the "
            "products: the sum is the new pixel. Here the pixel of value <b>192</b> sits under "
            "the weight <b>4.5</b>, its upper-left neighbour <b>0</b> under <b>−1</b>, its "
            "upper neighbour <b>64</b> under <b>0</b>, and so on for all nine.</p>",
            "<h4>Slide the window</h4><p>Slide the window over every position and do the same: "
            "that is the convolution. The Animator shows each window, its nine products and "
            "their sum, one output pixel at a time.</p>",
            "<h4>Not flipped</h4><p>What CNNs compute is, strictly, <i>cross-correlation</i>: "
            "the kernel is laid on the window as printed, its top-left weight over the "
            "top-left pixel. A textbook convolution flips the kernel first (top-left weight "
            "over the bottom-right pixel). Keras' Conv2D and ConvStudio do not flip.</p>"),
            SEED_FILTER, image=grey_image(SEED_PATCH), image_name="the lesson's 3×3 window",
            params=PipelineParams(pool="none"), tab="animator", animator_source="image"),
        _lesson("line-filters", "Vertical and horizontal line filters", (
            "<p>A filter is a small grid of multipliers: each output pixel is the sum of the "
            "pixel and its neighbours, each multiplied by the matching weight.</p>"
            "<p>This kernel, <code>[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]</code>, makes "
            "vertical lines pop. Pick <b>Sobel y</b> — <code>[[-1, -2, -1], [0, 0, 0], "
            "[1, 2, 1]]</code> — to see the other direction, and the edge kernel "
            "<code>[[0, 1, 0], [1, -4, 1], [0, 1, 0]]</code>, which passes only sharp edges "
            "and straight lines. Step through it on the Animator tab.</p>",
            "<h4>Weight normalisation</h4><p>If a kernel's entries don't sum to 0 or 1, "
            "multiply them by a weight so that they sum to 1: entries summing to 10 get the "
            "weight 0.1, the all-ones blur <code>[[1, 1, 1], [1, 1, 1], [1, 1, 1]]</code> "
            "gets 1/9 and becomes the average of the 9 neighbours. Results are usually "
            "clipped to 0…255 for display (the display mode here is <b>clipped</b>).</p>",
            "<h4>The course's loop is transposed</h4><p>One lesson's pure-Python loop adds "
            "<code>i[x-1, y-1] * filter[0][0]</code>, <code>i[x, y-1] * filter[0][1]</code>, "
            "<code>i[x+1, y-1] * filter[0][2]</code> …: the filter's row index walks the "
            "image's <i>columns</i>, so the loop applies the transpose of the filter it "
            "prints. That is why it says <code>[[-1, -2, -1], [0, 0, 0], [1, 2, 1]]</code> "
            "\"emphasises vertical lines\": under Keras' Conv2D, and here, that kernel "
            "responds to horizontal edges, and its transpose <code>[[-1, 0, 1], [-2, 0, 2], "
            "[-1, 0, 1]]</code> to vertical ones. Try both on the <b>stripes</b> samples.</p>",
            "<p>The photo is scikit-image's 512×512 <b>camera</b>: the lessons used SciPy's "
            "\"ascent\", which now needs a download.</p>"),
            SOBEL_X, params=PipelineParams(padding="valid", pool="max"), display="clipped"),
    ]


def _sizes() -> list[CourseLesson]:
    return [
        _lesson("strides-padding", "Strides and padding with Keras' Conv2D", (
            "<p>The 512×512 image becomes a 4-D tensor (1, 512, 512, 1). A Conv2D layer with "
            "one 3×3 filter of all ones, <code>strides=(2, 1)</code>, "
            "<code>padding=\"valid\"</code> gives <b>255×510</b>: along the stride-1 axis the "
            "kernel loses one pixel at each border (512 → 510); along the stride-2 axis the "
            "size halves and loses one more (512 → 255).</p><p>The weights are a (3, 3, 1, 1) "
            "array; no training is needed to use a convolution layer as a filter. Set padding "
            "to <b>same</b> with stride 1: zeros are added and the output stays 512×512.</p>",
            "<h4>The size formula</h4><p>Without padding, an axis of n pixels, a kernel of k "
            "and a stride of s give ⌊(n − k) / s⌋ + 1 outputs: the floor drops a last window "
            "that would stick out. (512 − 3) / 2 + 1 = 255.5, so 255.</p>",
            "<h4>Where \"same\" puts its zeros</h4><p>\"same\" pads so that the output has "
            "⌈n / s⌉ pixels. When the zeros needed are an odd number, TensorFlow puts the "
            "extra one at the <b>bottom</b> and the <b>right</b>. \"full\" (not a Keras mode) "
            "pads k − 1 on every side, so every overlap of kernel and image counts.</p>"),
            # Unweighted ones sum to 9× the pixels: shown, like model.predict's output under
            # plt.imshow, from its smallest to its largest value (clipped at 255 it was white).
            ONES, use_weight=False, params=PipelineParams(stride=(2, 1), padding="valid",
                                                          pool="max"), display="range"),
        _lesson("dilation", "Dilation: a wider view with the same nine weights", (
            "<p>A dilated kernel spreads its taps apart: with dilation d, a k×k kernel reads "
            "every d-th pixel and spans (k − 1)·d + 1 pixels. A 3×3 kernel with dilation 2 "
            "spans 5×5 but still has nine weights. Keras calls it "
            "<code>dilation_rate</code>.</p>",
            "<p>The span is what the size formula needs: with dilation (2, 2) and no padding "
            "the 512×512 image gives 508×508. Step through it on the Animator: the window's "
            "taps skip a pixel.</p>"),
            SOBEL_X, params=PipelineParams(dilation=(2, 2), pool="none"), display="clipped",
            animator_source="region"),
        _lesson("max-pooling", "Max pooling 512 → 256", (
            "<p>Max pooling 2×2 looks at each 2×2 block and keeps only the largest value. The "
            "512×512 filtered image becomes <b>256×256</b> — a quarter of the pixels — and the "
            "features the filter found are kept, often emphasised. (A lesson's own loop once "
            "kept the top-left pixel instead of the maximum; ConvStudio keeps the maximum.)</p>"
            "<p>Why pool: with 100 filters one image becomes 101 images; shrinking keeps memory "
            "and computation in check. The Animator shows each block's winner.</p>",
            "<h4>The 4×4 example</h4><p>A 4×4 block whose four 2×2 quarters have the maxima "
            "192, 144, 255 and 168 becomes the 2×2 block [[192, 144], [255, 168]]. A 28×28 "
            "image becomes 14×14; another layer of 100 filters would multiply the images "
            "again, which is why networks pool between their conv layers.</p>"),
            LAPLACIAN, params=PipelineParams(padding="same", pool="max"), display="clipped",
            tab="workspace", animator_source="pool-example"),
    ]


def _networks() -> list[CourseLesson]:
    return [
        _lesson("partial-connections", "Convolution is a partially connected layer", (
            "<p>Each output pixel of a 3×3 convolution sees only its 3×3 = 9 inputs. A dense "
            "layer connects every pixel — 28×28 = 784 of them — to every neuron.</p>",
            "<p>And the nine weights are shared: the same filter slides over every position, "
            "so a Conv2D with one 3×3 filter has 9 weights and a bias, however large the "
            "image. Step through the 28×28 digit on the Animator and count what each output "
            "sees.</p>"),
            LAPLACIAN, sample="glyph", params=PipelineParams(pool="none"), tab="animator",
            animator_source="glyph"),
        _lesson("channels-filters", "Channels and stacked filters: 32 → 64", (
            "<p>A colour image has three channels. A filter on it is 3×3×3: it spans all the "
            "channels, adds all 27 products and makes <b>one</b> map. Choose channel "
            "<b>all</b> to see it.</p>",
            "<p>Stack two layers, 32 filters then 64: the first makes 32 maps, so each of the "
            "64 second-layer filters spans all 32 channels (3×3×32 weights) and produces one "
            "map — <b>64 maps in total, not 64×32</b>.</p>"),
            SOBEL_X, sample="astronaut", channel="all",
            params=PipelineParams(pool="none"), display="absolute"),
        _lesson("four-d-input", "The 4-D input and \"expected 4 dimensions\"", (
            "<p>Training feeds several images at once (mini-batches), so Conv2D's input is "
            "4-D: (batch, height, width, channels). One 512×512 grey photo is (1, 512, 512, "
            "1); the 60,000 Fashion-MNIST training images are (60000, 28, 28, 1).</p>",
            "<p>Forgetting the channel axis gives Keras' \"expected 4 dimensions, but got "
            "array with shape (60000, 28, 28)\". The input shape is (28, 28, 1) and not "
            "(28, 28) because a grey image has one channel, where a colour one has three; "
            "reshape the array to add it.</p>"),
            ONES, use_weight=False, params=PipelineParams(pool="none"), tab="training",
            training=dict(LESSONS_MODEL)),
        _lesson("first-cnn", "Your first CNN on Fashion-MNIST", (
            "<p>The lessons' model: <code>Conv2D(64, (3,3), relu)</code> → "
            "<code>MaxPooling2D(2,2)</code> → <code>Conv2D(64, (3,3), relu)</code> → "
            "<code>MaxPooling2D(2,2)</code> → <code>Flatten</code> → <code>Dense(128, relu)"
            "</code> → <code>Dense(10, softmax)</code>, on 28×28×1 images. Press <b>Start</b>: "
            "the first layer's filters start random and are learned, and some become detectors "
            "(a horizontal-line filter that lights up on the sole of every shoe).</p><p>Keras "
            "trains on batches, so the input is 4-D: (batch, 28, 28, 1).</p>",
            "<h4>Learned, not hand-made</h4><p>In a CNN nobody chooses the filters: they start "
            "random and are learned like dense weights, through the loss and the optimizer. "
            "Watch the first layer's filters change while it trains.</p>"),
            SOBEL_Y, tab="training", training=dict(LESSONS_MODEL)),
        _lesson("confident-answers", "Confident answers on images it never saw", (
            "<p>The model's last layer is a softmax: it turns ten scores into ten "
            "probabilities that always add up to 1. It has no answer \"none of these\".</p>",
            "<p>Show a Fashion-MNIST model a cat (the workspace holds one) or a digit: it "
            "still picks one of its ten classes, often with a confident probability. Look at "
            "the probabilities, not only at the winner.</p>"),
            SOBEL_X, sample="chelsea", params=PipelineParams(pool="none"), tab="training",
            training=dict(LESSONS_MODEL)),
        _lesson("mnist-convnet", "A ConvNet for handwritten digits (MNIST)", (
            "<p>The MNIST lesson uses the same idea on handwritten digits: "
            "<code>Conv2D(32, (3,3), relu)</code> on 28×28×1 images, "
            "<code>MaxPooling2D(2,2)</code>, <code>Flatten</code>, <code>Dense(128, relu)"
            "</code>, <code>Dense(10, softmax)</code>.</p>",
            "<p>Training reads mini-batches of 64 digits: a 4-D tensor (64, 28, 28, 1). Here "
            "the 28×28 digit is filtered with padding \"same\" (28 → 28) and max-pooled 2×2: "
            "28 → 14.</p>"),
            SOBEL_Y, sample="glyph", params=PipelineParams(padding="same", pool="max"),
            display="clipped", training=dict(MNIST_MODEL)),
    ]


def course() -> tuple[CourseLesson, ...]:
    """Return the course's lessons in the order a student takes them (fresh objects)."""
    return tuple(_filters() + _sizes() + _networks())


def lesson(key: str) -> CourseLesson:
    """Return the course lesson called ``key``.

    Raises
    ------
    KeyError
        Naming the known keys.
    """
    for item in course():
        if item.key == key:
            return item
    raise KeyError(f"no built-in lesson {key!r}; the course has "
                   f"{', '.join(c.key for c in course())}")


def keys() -> tuple[str, ...]:
    """Return the lessons' keys in course order."""
    return tuple(c.key for c in course())
