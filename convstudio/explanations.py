"""“What am I seeing?”: a short text and the formula for every panel of the window. No Qt.

Texts are HTML fragments (Qt's rich-text subset). The facts and examples are those of the course
material (../shared/LESSONS.md); the workspace's own panels also get a line worked out with the
numbers on screen (:func:`output_size_example`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Explanation:
    """A panel's title, what it shows, and the formula behind it."""

    title: str
    text: str
    formula: str

    def html(self, example: str = "") -> str:
        """Return the explanation as rich text, with ``example`` (a worked line) if given."""
        worked = f"<p><i>Here:</i> {example}</p>" if example else ""
        return (f"<h3>{self.title}</h3><p>{self.text}</p>"
                f"<p style='font-family: monospace'>{self.formula}</p>{worked}")


CONV_FORMULA = ("out[i, j] = Σ<sub>m</sub> Σ<sub>n</sub> x[i·s + m·d, j·s + n·d] · w[m, n] "
                "(× weight)")
SIZE_FORMULA = "out = ⌊(in + pad<sub>before</sub> + pad<sub>after</sub> − d·(k − 1) − 1) / s⌋ + 1"

EXPLANATIONS: dict[str, Explanation] = {
    "workspace.input": Explanation(
        "Input",
        "The image the kernel slides over: one channel (or grey), values 0…255. Hover to read a "
        "pixel. Drag a rectangle to work on a small region; the animator can follow it.",
        "x[row, column] ∈ [0, 255]"),
    "workspace.kernel": Explanation(
        "Kernel",
        "A small grid of multipliers. For each position, every pixel under the grid is "
        "multiplied by the weight on top of it and the products are added: the sum is the new "
        "pixel. If the entries do not sum to 0 or 1, the weight scales them so they sum to 1 "
        "(entries summing to 10 → weight 0.1).",
        "weight = 1 / Σ w  (when Σ w ∉ {0, 1})"),
    "workspace.params": Explanation(
        "Stride, padding, dilation",
        "Stride s: how far the window jumps between outputs. Padding: zeros added around the "
        "image (“valid”: none; “same”: enough to keep the size at stride 1; “full”: every "
        "overlap). Dilation d: gaps between the kernel's taps. Each axis has its own.",
        SIZE_FORMULA),
    "workspace.output": Explanation(
        "Convolution output",
        "Every output pixel is one window position's sum of products. As in Keras' Conv2D the "
        "kernel is not flipped (strictly, a cross-correlation). Signed results use a diverging "
        "map centred on 0; “clipped” shows 0…255 as the lessons do.",
        CONV_FORMULA),
    "workspace.pooled": Explanation(
        "Pooled",
        "Max pooling 2×2 keeps the largest value of each 2×2 block, so the image keeps a "
        "quarter of its pixels (512×512 → 256×256) and the features a filter found are kept. "
        "Average pooling keeps the mean instead.",
        "p[i, j] = max(out[2i, 2j], out[2i, 2j+1], out[2i+1, 2j], out[2i+1, 2j+1])"),
    "animator.conv": Explanation(
        "One output pixel at a time",
        "The outlined window on the input, the kernel w, the nine products x × w and their sum, "
        "which is written to the output grid at the same place. One step = one output pixel, "
        "row by row; the arrows or a presenter clicker step, Space plays.",
        CONV_FORMULA),
    "animator.pool": Explanation(
        "Max pooling, block by block",
        "The convolution's output cut into 2×2 blocks. The largest of the four numbers in the "
        "current block wins and is written to the pooled grid (not the top-left one: that was a "
        "bug in one of the lessons' loops).",
        "p[i, j] = max of block (i, j)"),
    "training.samples": Explanation(
        "Samples",
        "Three training images of each class as the network gets them: 28×28 pixels, one "
        "channel, values 0…255 divided by 255.",
        "input batch shape = (batch, 28, 28, 1)"),
    "training.curves": Explanation(
        "Loss and accuracy",
        "Loss: how surprised the network is by the true class, averaged over images; it should "
        "fall. Accuracy: the fraction of images whose most probable class is the true one. "
        "Train: running mean over this epoch's batches; validation: held-out images after each "
        "epoch. Validation far below train means the network memorises.",
        "loss = mean of −log p(true class)"),
    "training.filters": Explanation(
        "First layer's filters",
        "Each tile is one learned 3×3 filter of the first Conv2D layer, as it is now: blue "
        "negative, white 0, red positive, scaled per filter around 0. They start random; "
        "training turns many into edge and line detectors. The slider replays snapshots.",
        "map = ReLU(Σ<sub>m,n</sub> x[i+m, j+n] · w[m, n] + b),  ReLU(z) = max(0, z)"),
    "training.maps": Explanation(
        "Feature maps",
        "The probe image after each layer: one tile per filter. Bright where a filter found "
        "its pattern (a horizontal-line filter lights up on a shoe's sole). A second-layer "
        "filter spans all channels of the layer before (3×3×64 weights) and makes one map.",
        "28×28 → conv 3×3 → 26×26 → pool → 13×13 → conv 3×3 → 11×11 → pool → 5×5"),
    "training.probs": Explanation(
        "What the network says",
        "The softmax layer's output: one probability per class, summing to 1. The network "
        "always answers, even for a kind of image it never saw: a confident answer is not a "
        "correct one.",
        "p<sub>c</sub> = e<sup>z<sub>c</sub></sup> / Σ<sub>k</sub> e<sup>z<sub>k</sub></sup>"),
    "training.confusion": Explanation(
        "Confusion matrix",
        "Row: the true class; column: the class the network chose; each cell counts images. "
        "The diagonal is right; bright cells off it show which classes it mixes up (shirts and "
        "T-shirts).",
        "accuracy of class c = C[c, c] / Σ<sub>j</sub> C[c, j]"),
    "training.wrong": Explanation(
        "Misclassified images",
        "Held-out images the network got wrong after the last epoch, with the true and the "
        "predicted class.",
        "shown when argmax p ≠ true class"),
}


def output_size_example(axis: str, size: int, kernel: int, stride: int, dilation: int,
                        pad_before: int, pad_after: int) -> str:
    """Return SIZE_FORMULA worked out for one axis of the picture on screen.

    For example ``H: ⌊(512 + 0 + 0 − 1·(3 − 1) − 1) / 2⌋ + 1 = 255``.
    """
    span = dilation * (kernel - 1)
    out = (size + pad_before + pad_after - span - 1) // stride + 1
    return (f"{axis}: ⌊({size} + {pad_before} + {pad_after} − {dilation}·({kernel} − 1) − 1)"
            f" / {stride}⌋ + 1 = {out}")
