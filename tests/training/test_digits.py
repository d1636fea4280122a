"""preprocess_drawing: a drawn digit becomes a 28×28 image made the way MNIST's digits were.

The centre of mass is checked against MNIST's own convention, measured on the bundled digits:
within half a pixel of pixel (14, 14) in 0-based (row, column) indices.
"""

import cv2
import numpy as np
import pytest

from convstudio.training import bundled, datasets
from convstudio.training.digits import MASS_CENTRE, centre_of_mass, preprocess_drawing

CANVAS = 280  # the Training tab's drawing canvas
PEN = 22      # its pen width


def _stroke(points, *, side=CANVAS, pen=PEN):
    """Anti-aliased white strokes through ``points`` (x, y) on black, as the canvas draws."""
    canvas = np.zeros((side, side), np.uint8)
    cv2.polylines(canvas, [np.array(points, np.int32)], False, 255, pen, lineType=cv2.LINE_AA)
    return canvas


def _box(img):
    rows, cols = np.nonzero(img)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def _assert_mnist_like(img):
    assert img.shape == (28, 28) and img.dtype == np.uint8
    assert max(_box(img)) == 20
    cy, cx = centre_of_mass(img)
    assert abs(cy - MASS_CENTRE[0]) <= 0.5 and abs(cx - MASS_CENTRE[1]) <= 0.5


def test_the_convention_is_mnist_own():
    x = datasets.read_idx(bundled.BUNDLED_MNIST_DIR / datasets.IDX_FILES["x_test"])
    centres = np.array([centre_of_mass(img) for img in x])
    assert np.all(np.abs(centres - MASS_CENTRE) <= 0.5)
    assert max(max(_box(img)) for img in x[:200]) == 20


def test_a_small_thick_one_in_a_corner_is_centred_and_scaled_to_20_pixels():
    canvas = _stroke([(40, 30), (52, 100)])  # a "1" 70 px tall, top left
    out = preprocess_drawing(canvas)
    _assert_mnist_like(out)
    h, w = _box(out)
    assert h == 20 and 3 <= w <= 10  # tall and narrow, its aspect ratio kept
    assert out.max() == 255  # the stroke's core stays full ink


def test_a_seven_off_centre_is_centred_and_scaled_to_20_pixels():
    seven = [(150, 170), (250, 170), (190, 270)]  # bar, then the down stroke, bottom right
    out = preprocess_drawing(_stroke(seven))
    _assert_mnist_like(out)
    top, bottom = out[:14].sum(), out[14:].sum()
    assert top > bottom  # the bar is at the top: the image is not flipped
    assert np.count_nonzero(out[np.nonzero(out)[0].min()]) >= 8  # the bar spans the top row


def test_where_the_digit_is_drawn_does_not_matter():
    seven = [(20, 20), (120, 20), (60, 120)]
    here = preprocess_drawing(_stroke(seven))
    moved = preprocess_drawing(_stroke([(x + 130, y + 140) for x, y in seven]))
    np.testing.assert_array_equal(here, moved)  # only the crop reaches the scaling


def test_float_0_to_1_uint8_and_float_0_to_255_drawings_agree():
    canvas = _stroke([(60, 200), (140, 60), (220, 200)])
    as_bytes = preprocess_drawing(canvas)
    np.testing.assert_array_equal(preprocess_drawing(canvas / 255.0), as_bytes)
    np.testing.assert_array_equal(preprocess_drawing(canvas.astype(np.float32)), as_bytes)
    np.testing.assert_array_equal(preprocess_drawing(canvas[..., None]), as_bytes)


def test_an_mnist_digit_drawn_ten_times_larger_comes_back_as_itself():
    # MNIST's digits already are what this preprocessing makes: blown up and put anywhere on a
    # bigger canvas, each is cropped, scaled back by an exact factor and placed where it was.
    x = datasets.read_idx(bundled.BUNDLED_MNIST_DIR / datasets.IDX_FILES["x_test"])[:40]
    for i, digit in enumerate(x):
        canvas = np.zeros((400, 420), np.uint8)
        top, left = 5 * i % 120, 7 * i % 140
        canvas[top:top + 280, left:left + 280] = np.kron(digit, np.ones((10, 10), np.uint8))
        np.testing.assert_array_equal(preprocess_drawing(canvas), digit, err_msg=f"digit {i}")


@pytest.mark.parametrize("empty", [np.zeros((CANVAS, CANVAS), np.uint8),
                                   np.zeros((50, 60)), np.full((28, 28), -3.0),
                                   np.full((280, 280), 0.001)])
def test_a_drawing_without_ink_gives_an_empty_image(empty):
    out = preprocess_drawing(empty)
    assert out.shape == (28, 28) and out.dtype == np.uint8 and not out.any()


def test_a_single_dot_and_a_full_canvas_are_defined():
    dot = np.zeros((CANVAS, CANVAS), np.uint8)
    dot[3, 270] = 255
    out = preprocess_drawing(dot)
    assert out[14, 14] == 255 and np.count_nonzero(out) == 400  # one pixel, scaled to 20×20
    full = preprocess_drawing(np.ones((100, 100)))
    assert np.count_nonzero(full) == 400 and _box(full) == (20, 20)


@pytest.mark.parametrize("bad", [np.zeros(10), np.zeros((3, 4, 3)), np.zeros((0, 5)),
                                 np.array([[np.nan, 1.0]]), np.array([["a"]])])
def test_what_is_not_a_drawing_is_refused(bad):
    with pytest.raises(ValueError, match="drawing"):
        preprocess_drawing(bad)
