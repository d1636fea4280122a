"""The questions learners ask, answered (no Qt): Help ▸ Questions shows them in the window.

One :class:`Question` per question of the course material's "Questions learners ask" (and
"How do I use the saved model in another program?"), each with a short answer and a
:class:`Demo`: the state Show me gives the window (a tab, training settings, a workspace image,
kernel and parameters), which ``ui/questions.py`` sets through the window's models. Numbers in
the answers are computed here by the app's own core and model summary, not typed by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .core.limits import TABS

# The pooling lesson's 4×4 block: the backpropagation answer differentiates a filter on it.
BLOCK = ((12, 192, 16, 144), (100, 64, 96, 32), (255, 40, 80, 20), (30, 200, 168, 120))
REVEALS = ("summary", "save", "drawing")   # parts of the Training tab a demo brings into view


@dataclass(frozen=True)
class Demo:
    """What Show me sets: the tab to show and, optionally, training and workspace state.

    Attributes
    ----------
    tab : str
        ``workspace``, ``animator`` or ``training``.
    training : dict
        Training settings to apply (fields of ``TrainingSettings``); empty keeps them.
    sample : str or None
        A sample image for the workspace.
    channel : str or None
        The workspace channel.
    kernel : tuple of tuples or None
        The workspace kernel's entries (applied with the lessons' weight).
    params : dict
        Workspace parameters (fields of ``PipelineParams``).
    code : str or None
        ``"cnn"``: also show the program that rebuilds the Training tab's model and predicts.
    reveal : str or None
        A part of the Training tab to bring into view: ``summary``, ``save`` or ``drawing``.
    says : str
        What Show me does, in a sentence (the answer ends with it).
    """

    tab: str
    training: dict[str, Any] = field(default_factory=dict)
    sample: str | None = None
    channel: str | None = None
    kernel: tuple[tuple[float, ...], ...] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    code: str | None = None
    reveal: str | None = None
    says: str = ""

    def __post_init__(self) -> None:
        if self.tab not in TABS:
            raise ValueError(f"a demo's tab must be one of {', '.join(TABS)}")
        if self.reveal not in (None, *REVEALS):
            raise ValueError(f"a demo reveals one of {', '.join(REVEALS)}")


@dataclass(frozen=True)
class Question:
    """A question, its short answer (HTML) and what Show me demonstrates."""

    key: str
    question: str
    answer: str
    demo: Demo


def _rows(a: np.ndarray) -> str:
    return "[" + ", ".join("[" + ", ".join(f"{v:g}" for v in row) + "]" for row in a) + "]"


def _backprop() -> Question:
    from .core.backward import conv2d_backward

    block = np.array(BLOCK, np.float32)
    kernel = np.array(((-1, 0, 1), (-2, 0, 2), (-1, 0, 1)), np.float32)
    grads = conv2d_backward(block, kernel, np.ones((2, 2), np.float32))
    return Question(
        "backprop", "How does backpropagation find the filters (the calculus)?",
        "<p>Training measures how wrong the network is with one number, the <b>loss</b>, and "
        "asks for each weight: if it grew a little, how much would the loss change? That is "
        "the derivative ∂loss/∂weight, and the chain rule computes it layer by layer from the "
        "output back to the input. The optimizer then moves every weight a small step "
        "against its derivative (weight − learning rate × ∂loss/∂weight) and repeats, batch "
        "after batch.</p><p>For a convolution the rule is short: an output pixel is "
        "Σ weight × pixel, so ∂output/∂weight is the pixel that weight multiplied. A weight "
        "touches one pixel per position, so its derivative adds those pixels, each times the "
        "derivative of the loss at that output. With the 4×4 block "
        f"{_rows(block)}, a 3×3 filter and the loss = the sum of the 2×2 output, "
        f"∂loss/∂kernel = {_rows(grads.dkernel)}: each weight's four pixels, added. Max "
        "pooling passes each derivative on to its block's winner only.</p>",
        Demo("training", training={"dataset": "mnist", "blocks": 1, "filters": 8,
                                   "kernel_size": 3, "epochs": 1},
             says="Show me opens the Training tab with a small network on the MNIST digits "
                  "(one layer of 8 filters, one epoch): press Start and watch the filters "
                  "move, one optimizer step after another."))


def _stacked() -> Question:
    from .training.models import ConvBlock, ModelConfig, summary

    rows = {r.name: r for r in summary(ModelConfig(blocks=(ConvBlock(32), ConvBlock(64))))}
    conv1, conv2 = rows["conv1"], rows["conv2"]
    same = {r.name: r for r in summary(ModelConfig(blocks=(ConvBlock(32), ConvBlock(32))))}
    return Question(
        "stacked", "How do stacked filter counts combine (32 filters, then 64)?",
        "<p>They do not multiply. The first Conv2D(32) makes "
        f"{conv1.output_shape[-1]} maps: a 32-channel image. "
        "Each filter of the next layer spans <b>all</b> of its input channels — 3×3×32 = "
        "288 weights — adds all the products into <b>one</b> map, and adds its bias. "
        f"Conv2D(64) on those 32 channels therefore makes {conv2.output_shape[-1]} maps "
        f"(output {conv2.output_shape[1:]}), not 64 × 32 = 2,048, and has 64 × (288 + 1) = "
        f"{conv2.params:,} parameters: the summary reads “{conv2.note}”.</p>"
        "<p>The number of maps is the number of filters, whatever came before: with 32 "
        f"filters in both layers, conv2 reads “{same['conv2'].note}” — "
        f"{same['conv2'].output_shape[-1]} maps from {same['conv2'].params:,} parameters."
        "</p><p>The same holds in the workspace: with the channel <b>all</b>, one 3×3 filter "
        "on a colour photo is 3×3×3 and still makes one map.</p>",
        Demo("training", training={"blocks": 2, "filters": [32, 64], "kernel_size": 3,
                                   "pooling": True}, reveal="summary",
             says="Show me sets the Training tab's model to 32 filters, then 64, and shows "
                  "its summary: conv2 makes 64 maps, each from 3×3×32 weights."))


def _input_shape() -> Question:
    return Question(
        "input-shape", "Why is the input shape (28, 28, 1) and not (28, 28)?",
        "<p>Conv2D reads images as height × width × <b>channels</b>: a colour image has 3 "
        "channels, a grey one 1, and each filter spans all of them. A 28×28 grey digit is "
        "therefore (28, 28, 1). Training feeds batches, so the array itself is 4-D: "
        "(batch, 28, 28, 1). MNIST and Fashion-MNIST load as (60000, 28, 28), without the "
        "channel axis, which is why Keras says “expected 4 dimensions, but got array with "
        "shape (60000, 28, 28)”; <code>x.reshape(60000, 28, 28, 1)</code> (or "
        "<code>x[..., None]</code>) adds it.</p>",
        Demo("training", training={"dataset": "fashion-mnist", "blocks": 2, "filters": 64,
                                   "kernel_size": 3, "pooling": True, "dense": 128},
             reveal="summary",
             says="Show me opens the Training tab with the lessons' model: the summary's "
                  "first row is its input, (batch, 28, 28, 1)."))


def _learned() -> Question:
    return Question(
        "learned", "How are the filters chosen?",
        "<p>Nobody chooses them. A CNN's filters start as small random numbers and are "
        "<b>learned</b> like any other weight: each batch, backpropagation says how each "
        "weight should change to lower the loss, and the optimizer changes it. Filters that "
        "help tell the classes apart survive; many end up like the hand-made ones of the "
        "first lessons — edge and line detectors — and deeper ones respond to parts such as "
        "the sole of a shoe.</p><p>To see a hand-made filter reshaped, tick “Seed filter 0 "
        "with my workspace kernel” on the Training tab (the workspace holds Sobel y) before "
        "Start.</p>",
        Demo("training", training={"dataset": "mnist", "blocks": 1, "filters": 8,
                                   "kernel_size": 3, "epochs": 1},
             kernel=((-1, -2, -1), (0, 0, 0), (1, 2, 1)),
             says="Show me puts Sobel y in the workspace and opens the Training tab with 8 "
                  "filters on the MNIST digits: press Start and watch the random filters "
                  "become detectors."))


def _save() -> Question:
    return Question(
        "save", "How do I take the trained model out (save or export it)?",
        "<p>On the Training tab, <b>Save model…</b> writes a <code>.keras</code> file: the "
        "architecture and every learned weight in one file that Keras opens again with "
        "<code>keras.models.load_model(\"my-model.keras\")</code>. <b>Export filters "
        "(.npy)…</b> writes the first layer's filters as a NumPy array, and File ▸ Save "
        "lesson… can save the model beside the lesson, so a class opens both together.</p>",
        Demo("training", reveal="save",
             says="Show me opens the Training tab at its Save model… button."))


def _other_program() -> Question:
    return Question(
        "other-program", "How do I use the saved model in another program?",
        "<p>In Python, load it and predict: the program below rebuilds the Training tab's "
        "network, loads the weights of the <code>.keras</code> file and prints each image's "
        "class with its probability (images 28×28, values 0…1, shaped (N, 28, 28, 1)).</p>"
        "<p>Elsewhere, export it first: <code>model.export(\"exported\")</code> writes a "
        "TensorFlow SavedModel. For a web page, <code>tensorflowjs_converter "
        "--input_format=tf_saved_model exported web_model</code> makes a model TensorFlow.js "
        "loads in the browser; for a game engine or an app, <code>python -m tf2onnx.convert "
        "--saved-model exported --output model.onnx</code> makes an ONNX file (Unity's "
        "Sentis, ONNX Runtime in C++, C# or JavaScript read it). Feed it what it was trained "
        "on: 28×28 grey images, scaled like the training data.</p>",
        Demo("training", code="cnn",
             says="Show me opens the Training tab and shows the program for its model."))


def _confident() -> Question:
    return Question(
        "confident", "Why does the model give a confident answer for a kind of image it "
                     "never saw?",
        "<p>Its last layer is a softmax: it turns the ten scores into ten probabilities that "
        "always add up to 1. There is no eleventh answer, “none of these”, so a picture of "
        "something else still gets one of the ten classes, and the probability only says "
        "how much larger that score was than the others — not how familiar the picture "
        "is. Always look at all the probabilities, and test a model on the kind of images "
        "it will meet.</p>",
        Demo("training", training={"dataset": "fashion-mnist", "blocks": 2, "filters": 64,
                                   "kernel_size": 3, "epochs": 1},
             sample="chelsea", reveal="drawing",
             says="Show me opens the Training tab with the lessons' model on Fashion-MNIST for "
                  "one epoch (the workspace holds a cat, which is none of its classes): train "
                  "it, then draw a digit in the drawing box and read the ten probabilities."))


def questions() -> tuple[Question, ...]:
    """Return every question, in the order Help ▸ Questions lists them."""
    return (_backprop(), _stacked(), _input_shape(), _learned(), _save(), _other_program(),
            _confident())


def question(key: str) -> Question:
    """Return the question called ``key`` (KeyError naming the keys)."""
    for q in questions():
        if q.key == key:
            return q
    raise KeyError(f"no question {key!r}; there are {', '.join(q.key for q in questions())}")
