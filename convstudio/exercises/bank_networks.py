"""Exercises of the network lessons: partial connections, channels, the 4-D input, the CNNs.

Parameter counts and shapes come from :func:`convstudio.training.models.summary`, the numbers
the Training tab prints; class predictions come from a hand-set model (two fixed filters and a
softmax) run by the core, so they need no training and are the same on every machine.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .. import course as C
from ..core import (
    conv2d,
    conv_steps,
    get_preset,
    luminance,
    output_shape,
    pool_geometry,
    pool_steps,
    sample_image,
)
from ..lesson_state import Lesson
from ..training.models import ConvBlock, LayerRow, ModelConfig, summary
from .base import Exercise, Mistake
from .kinds import cell, choice, number, shape

# The lessons' model, and the two stacked layers of 32 then 64 filters.
LESSONS_MODEL = ModelConfig((ConvBlock(64, 3, True), ConvBlock(64, 3, True)), dense_units=128)
STACKED = ModelConfig((ConvBlock(32, 3, True), ConvBlock(64, 3, True)), dense_units=128)
MNIST_MODEL = ModelConfig((ConvBlock(32, 3, True),), dense_units=128)
# The hand-set detector of the confident-answers lesson: a class's score is its filter's
# strongest response divided by this.
SCORE_SCALE = 50.0


def _row(config: ModelConfig, name: str) -> LayerRow:
    return next(r for r in summary(config) if r.name == name)


def _grey(name: str) -> np.ndarray:
    return luminance(sample_image(name, mode="rgb") * np.float32(255.0))


def _partial(state: Lesson) -> list[Exercise]:
    key = "partial-connections"
    glyph = _grey("glyph")
    seen = conv_steps(glyph, state.kernel)[0].patch.size
    dense_in = glyph.size
    one_filter = ModelConfig((ConvBlock(1, 3, False),), dense_units=8)
    conv_params = _row(one_filter, "conv1").params
    # A 1×1 conv of one filter keeps the 28×28 pixels, so the dense layer after it reads 784.
    dense_cfg = ModelConfig((ConvBlock(1, 1, False),), dense_units=26 * 26)
    dense_params = _row(dense_cfg, "dense").params
    return [
        number(f"{key}/inputs-seen", key,
               "How many input pixels does one output pixel of this 3×3 convolution see?",
               "Count the window's cells.", seen, state,
               "3×3 = 9: the output is connected to its window only.",
               [Mistake("dense", float(dense_in), "784 is what a dense neuron sees: every "
                                                  "pixel. A conv output sees its window."),
                Mistake("side", 3.0, "3 is the window's side; it holds 3×3 pixels.")]),
        number(f"{key}/dense-inputs", key,
               "And one neuron of a dense layer on this 28×28 digit: how many pixels is it "
               "connected to?", "A dense neuron is connected to every pixel.", dense_in, state,
               "28×28 = 784: every pixel, whatever its distance.",
               [Mistake("window", float(seen), "9 is a conv output's window; a dense neuron "
                                               "sees every pixel."),
                Mistake("side", 28.0, "28 is one side; the image has 28×28 pixels.")]),
        number(f"{key}/conv-params", key,
               "How many parameters has a Conv2D with one 3×3 filter on 28×28×1 digits?",
               "The filter's weights are shared by every position; add its bias.",
               conv_params, state, "9 weights and 1 bias, whatever the image's size.",
               [Mistake("no-bias", float(conv_params - 1), "You forgot the bias: one per "
                                                           "filter."),
                Mistake("per-position", float(conv_params * 26 * 26),
                        "The weights are shared: every position uses the same 9 (and the "
                        "bias), so they are counted once.")], kind="training"),
        number(f"{key}/dense-params", key,
               "A Dense layer of 676 neurons (26×26, as many as the conv's outputs) on the "
               "784 pixels: how many parameters?", "784 weights per neuron, plus a bias each.",
               dense_params, state,
               "784 × 676 + 676 = 530,660 — against 10 for the convolution.",
               [Mistake("no-bias", float(dense_params - 676), "You forgot the biases: one per "
                                                              "neuron.")], kind="training"),
    ]


def _channels(state: Lesson) -> list[Exercise]:
    key = "channels-filters"
    rgb = sample_image("astronaut", mode="rgb")[:8, :8] * np.float32(255.0)
    kernel = np.repeat(state.kernel[:, :, None], 3, axis=2)
    seen = conv_steps(rgb, kernel)[0].patch.size
    conv2 = _row(STACKED, "conv2")
    maps = conv2.output_shape[-1]
    assert maps is not None
    per_filter = (conv2.params - maps) // maps
    net = dataclasses.replace(state, tab="training", training=dict(C.LESSONS_MODEL))
    return [
        number(f"{key}/rgb-inputs", key,
               "With channel \"all\", one 3×3 filter on the colour photo: how many numbers "
               "does one output pixel add up?", "The window spans all three channels.",
               seen, state, "3×3×3 = 27 products make one output pixel.",
               [Mistake("one-channel", seen / 3.0, "That is one channel; the filter spans all "
                                                   "three (3×3×3).")]),
        number(f"{key}/maps", key,
               "Conv2D(32, (3,3)) then Conv2D(64, (3,3)). How many maps does the second layer "
               "output?", "Each filter makes one map.", maps, net,
               "64 filters make 64 maps; each spans all 32 input channels.",
               [Mistake("64x32", float(maps * 32),
                        "You counted 64×32 maps: each of the 64 filters spans all 32 channels "
                        "(3×3×32 weights) and produces one map — 64 in all."),
                Mistake("sum", float(maps + 32), "The first layer's 32 maps are the second's "
                                                 "input, not its output.")], kind="training"),
        number(f"{key}/weights-per-filter", key,
               "How many weights (without the bias) has one filter of that second layer?",
               "It is 3×3 across every input channel.", per_filter, net,
               "3×3×32 = 288 weights: one filter reads all 32 maps.",
               [Mistake("one-channel", 9.0, "9 is one channel's worth; the filter spans all 32 "
                                            "input channels."),
                Mistake("with-bias", float(per_filter + 1), "That counts the bias too.")],
               kind="training"),
        number(f"{key}/conv2-params", key,
               "How many parameters has that second layer, Conv2D(64, (3,3)) on 32 channels?",
               "64 filters of 3×3×32 weights, and a bias each.", conv2.params, net,
               "64 × 288 + 64 = 18,496, as the Training tab's summary says.",
               [Mistake("no-bias", float(conv2.params - maps), "You forgot the 64 biases."),
                Mistake("one-channel", float(9 * maps + maps),
                        "Each filter spans all 32 channels: 3×3×32 weights, not 3×3.")],
               kind="training"),
    ]


def _four_d(state: Lesson) -> list[Exercise]:
    key = "four-d-input"
    per_image = summary(LESSONS_MODEL)[0].output_shape[1:]
    batch = (60000, *per_image)
    photo = (1, 512, 512, 1)
    weights = (*state.kernel.shape, 1, 1)
    options = ["(60000, 28, 28)", "(60000, 28, 28, 1)", "(28, 28, 1)", "(60000, 784)"]
    fits = [i for i, o in enumerate(options)
            if tuple(int(v) for v in o.strip("()").split(", "))[1:] == tuple(per_image)]
    return [
        shape(f"{key}/fashion-batch", key,
              "The 60,000 Fashion-MNIST training images load as (60000, 28, 28). What shape "
              "must they have for Conv2D(input_shape=(28, 28, 1))?",
              "Add the channel axis; keep the batch.", batch, state,
              "(60000, 28, 28, 1): batch, height, width, one channel.",
              [Mistake("no-batch", per_image, "That is one image; training feeds all 60,000, "
                                              "so the batch axis comes first."),
               Mistake("no-channel", (60000, 28, 28), "That is the array that gives \"expected "
                                                      "4 dimensions\": add the channel axis."),
               Mistake("flat", (60000, 784), "Flattened images lose the rows and columns a "
                                             "convolution needs.")]),
        shape(f"{key}/one-photo", key,
              "One 512×512 grey photo as Keras' input: what shape?",
              "Batch, height, width, channels.", photo, state,
              "(1, 512, 512, 1): one sample, one channel.",
              [Mistake("no-batch", photo[1:], "Keras wants a batch, even of one image: "
                                              "(1, …)."),
               Mistake("no-channel", photo[:3], "Keep the channel axis: a grey image has one."),
               Mistake("two-d", photo[1:3], "That is the image itself; Keras wants 4-D.")]),
        shape(f"{key}/weights", key,
              "The hand-set Conv2D of the strides lesson, one 3×3 filter on one channel: what "
              "shape is its weights array?", "Height, width, input channels, output channels.",
              weights, state, "(3, 3, 1, 1): one input channel, one filter.",
              [Mistake("two-d", weights[:2], "Keras also counts input and output channels: "
                                             "(height, width, in, out)."),
               Mistake("channels-first", (1, 1, *weights[:2]),
                       "The kernel's height and width come first, then the channels.")]),
        choice(f"{key}/which-input", key,
               "Which array can Conv2D(input_shape=(28, 28, 1)) be trained on?",
               "Batch first, channel last.", options, fits[0], state,
               "Only the 4-D array has a batch and a channel axis.",
               {0: Mistake("no-channel", None, "That gives \"expected 4 dimensions, but got "
                                               "array with shape (60000, 28, 28)\"."),
                2: Mistake("no-batch", None, "That is one image without its batch axis."),
                3: Mistake("flat", None, "Flat rows of 784 are a dense layer's input.")}),
    ]


def _first_cnn(state: Lesson) -> list[Exercise]:
    key = "first-cnn"
    conv1, pool2 = _row(LESSONS_MODEL, "conv1"), _row(LESSONS_MODEL, "pool2")
    flat, dense = _row(LESSONS_MODEL, "flatten"), _row(LESSONS_MODEL, "dense")
    shape2 = tuple(pool2.output_shape[1:])
    assert flat.output_shape[1] is not None
    return [
        number(f"{key}/conv1-params", key,
               "How many parameters has the first layer, Conv2D(64, (3,3)) on 28×28×1?",
               "64 filters of 3×3×1 weights, and a bias each.", conv1.params, state,
               "64 × 9 + 64 = 640.",
               [Mistake("no-bias", float(conv1.params - 64), "You forgot the 64 biases.")],
               kind="training"),
        shape(f"{key}/after-pool2", key,
              "What is the shape (height, width, channels) after the second MaxPooling2D?",
              "28 → conv → pool → conv → pool; a valid 3×3 conv loses 2, a pool halves and "
              "floors.", shape2, state, "28 → 26 → 13 → 11 → 5 (11 / 2 floored), 64 maps.",
              [Mistake("no-floor", (6, 6, 64), "You forgot the floor: 11 / 2 = 5.5 → 5; the "
                                               "last row and column have no partner."),
               Mistake("no-shrink", (7, 7, 64), "A valid 3×3 conv loses 2 pixels each time: "
                                                "28 → 26, 13 → 11.")], kind="training"),
        number(f"{key}/flatten", key,
               "How many numbers does Flatten pass to Dense(128)?", "height × width × channels "
               "after the second pool.", float(flat.output_shape[1]), state,
               "5 × 5 × 64 = 1,600.",
               [Mistake("no-shrink", 7 * 7 * 64.0, "The convs shrink the maps: 5×5, not 7×7."),
                Mistake("no-channels", 25.0, "Every one of the 64 maps is flattened.")],
               kind="training"),
        number(f"{key}/dense-params", key,
               "How many parameters has Dense(128) after that Flatten?",
               "1,600 weights per neuron, and a bias each.", dense.params, state,
               "1,600 × 128 + 128 = 204,928: most of the model's parameters.",
               [Mistake("no-bias", float(dense.params - 128), "You forgot the 128 biases.")],
               kind="training"),
    ]


def softmax(scores: np.ndarray) -> np.ndarray:
    """Return the softmax of ``scores`` (what a model's last layer outputs)."""
    e = np.exp(scores - scores.max())
    return e / e.sum()


def _confident(state: Lesson) -> list[Exercise]:
    key = "confident-answers"
    glyph = _grey("glyph")
    classes = ["vertical bar", "horizontal bar"]
    scores = np.array([float(conv2d(glyph, get_preset(n).array).max())
                       for n in ("sobel_x", "sobel_y")]) / SCORE_SCALE
    probs = softmax(scores)
    picked = int(np.argmax(probs))
    model = ("A hand-made model knows two classes, \"vertical bar\" (Sobel x) and \"horizontal "
             "bar\" (Sobel y): each class's score is its filter's strongest response divided "
             f"by {SCORE_SCALE:.0f}, and a softmax turns the scores into probabilities. It is "
             f"shown the handwritten 7 in the workspace (scores {scores[0]:.2f} and "
             f"{scores[1]:.2f}).")
    seen = dataclasses.replace(state, sample="glyph", image_name="glyph", tab="workspace",
                               kernel=get_preset("sobel_y").array)
    ten = softmax(np.linspace(-2.0, 3.0, 10))
    return [
        choice(f"{key}/picks", key, f"{model} What does it answer?",
               "A softmax always gives some class the largest probability.",
               classes + ["nothing: it has never seen a 7"], picked, seen,
               "It has no \"none of these\": the class with the larger score wins.",
               {2: Mistake("none-of-these", None, "A softmax has no \"none of these\": its "
                                                  "probabilities always add up to 1, so one "
                                                  "class wins.")}, kind="training"),
        number(f"{key}/confidence", key,
               f"{model} With what probability does it answer? (0.5, or 50 %, style)",
               "p = e^a / (e^a + e^b) for the winner's score a.", float(probs[picked]), seen,
               f"{probs[picked]:.2f}: confident, about an image of neither class.",
               [Mistake("score", float(scores[picked]), "That is the score; the softmax turns "
                                                        "scores into probabilities."),
                Mistake("unsure", 0.5, "0.5 would need equal scores; the softmax favours the "
                                       "larger one.")], tol=0.01, kind="training"),
        number(f"{key}/sum", key,
               "A Fashion-MNIST model is shown a cat, which none of its 10 classes is. What do "
               "its 10 probabilities add up to?", "Look at the softmax's formula.",
               float(ten.sum()), state,
               "Always 1: the model must share all its belief among its classes.",
               [Mistake("zero", 0.0, "It never saw a cat, but a softmax's outputs always add "
                                     "up to 1."),
                Mistake("ten", 10.0, "Each is between 0 and 1 and together they make 1.")],
               tol=1e-3, kind="training"),
    ]


def _mnist(state: Lesson) -> list[Exercise]:
    key = "mnist-convnet"
    glyph = _grey("glyph")
    p = state.params
    conv_hw = output_shape(glyph.shape, state.kernel.shape, padding=p.padding)
    pooled = pool_geometry(conv_hw, p.pool_size)[2]
    batch = (int(state.training["batch_size"]), *summary(MNIST_MODEL)[0].output_shape[1:])
    conv1, flat = _row(MNIST_MODEL, "conv1"), _row(MNIST_MODEL, "flatten")
    conv = conv2d(glyph, state.kernel, padding=p.padding)
    steps = pool_steps(conv, p.pool_size)
    best = steps[int(np.argmax(steps.output))]
    patch = ", ".join(f"{v:.1f}" for v in best.patch.ravel())
    cell_state = dataclasses.replace(state, animator_source="glyph", tab="animator",
                                     animator_step=conv.size + best.index)
    return [
        shape(f"{key}/pool-28", key,
              "The 28×28 digit, a 3×3 kernel with padding \"same\", then max pooling 2×2. "
              "Pooled height × width?", "\"same\" keeps 28; the pool halves it.", pooled, state,
              "28 → 28 → 14.",
              [Mistake("valid", (13, 13), "That is the valid conv (26) pooled; \"same\" keeps "
                                          "28."),
               Mistake("no-pool", conv_hw, "That is the conv output; pooling halves it.")]),
        shape(f"{key}/batch", key,
              f"Training reads mini-batches of {batch[0]} digits. What shape is one batch?",
              "Batch, height, width, channels.", batch, state,
              f"{batch}: a 4-D tensor, as Conv2D expects.",
              [Mistake("no-batch", batch[1:], "That is one digit; a batch stacks them."),
               Mistake("no-channel", batch[:3], "Keep the channel axis: that shape gives "
                                                "\"expected 4 dimensions\".")]),
        number(f"{key}/conv-params", key,
               "How many parameters has Conv2D(32, (3,3)) on 28×28×1 digits?",
               "32 filters of 3×3×1, and a bias each.", conv1.params, state,
               "32 × 9 + 32 = 320.",
               [Mistake("no-bias", float(conv1.params - 32), "You forgot the 32 biases.")],
               kind="training"),
        number(f"{key}/flatten", key,
               "In the MNIST ConvNet (valid 3×3 conv, pool 2×2), how many numbers reach the "
               "Dense layer?", "28 → 26 → 13, times 32 maps.", float(flat.output_shape[1] or 0),
               state, "13 × 13 × 32 = 5,408.",
               [Mistake("same", 14 * 14 * 32.0, "The Training tab's convs are valid: 28 → 26, "
                                                "then 13."),
                Mistake("no-channels", 169.0, "All 32 maps are flattened.")], kind="training"),
        cell(f"{key}/pool-winner", key,
             f"The pool window at pooled row {best.out_pos[0]}, column {best.out_pos[1]} "
             f"covers rows {best.window[0]}–{best.window[0] + 1} and columns "
             f"{best.window[1]}–{best.window[1] + 1} of the 28×28 conv output and holds "
             f"{patch} (row by row). Which cell of the conv output wins? (row, column)",
             "The largest of the four; count rows and columns in the 28×28 map, from 0.",
             best.winner, cell_state, f"{best.value:.1f} is the largest of the four.",
             [Mistake("top-left", best.window, "You kept the top-left pixel of the block, as "
                                               "the course's own loop did: max pooling keeps "
                                               "the largest.")], value=best.value),
    ]


def exercises(states: dict[str, Any]) -> list[Exercise]:
    """Return the exercises of the lessons from partial connections to the MNIST ConvNet."""
    return (_partial(states["partial-connections"]) + _channels(states["channels-filters"])
            + _four_d(states["four-d-input"]) + _first_cnn(states["first-cnn"])
            + _confident(states["confident-answers"]) + _mnist(states["mnist-convnet"]))
