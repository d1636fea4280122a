import numpy as np
import pytest

from convstudio.core import conv2d, get_preset, normalisation_weight, preset_names
from convstudio.core.kernels import validate_kernel


def test_lesson_kernels_are_exact():
    assert get_preset("laplacian").values == ((0, 1, 0), (1, -4, 1), (0, 1, 0))
    assert get_preset("sobel_y").values == ((-1, -2, -1), (0, 0, 0), (1, 2, 1))
    assert get_preset("sobel_x").values == ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1))
    np.testing.assert_array_equal(get_preset("sobel_x").array, get_preset("sobel_y").array.T)
    assert get_preset("box_blur").values == ((1, 1, 1),) * 3


def test_required_presets_exist():
    required = {"identity", "box_blur", "gaussian_3x3", "gaussian_5x5", "sharpen", "laplacian",
                "sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "emboss", "outline"}
    assert required <= set(preset_names())


@pytest.mark.parametrize(("kernel", "weight"), [
    (np.ones((3, 3)), 1 / 9),
    ([[1, 2, 3], [4, 0, 0], [0, 0, 0]], 0.1),   # sums to 10
    ([[0, 1, 0], [1, -4, 1], [0, 1, 0]], 1.0),  # sums to 0
    ([[0, 0, 0], [0, 1, 0], [0, 0, 0]], 1.0),   # sums to 1
    ([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16),
])
def test_normalisation_weight(kernel, weight):
    assert normalisation_weight(kernel) == pytest.approx(weight)


def test_weighted_presets_sum_to_zero_or_one():
    for name in preset_names():
        total = float(get_preset(name).weighted.sum())
        assert min(abs(total), abs(total - 1)) < 1e-5, name


def test_box_blur_averages():
    img = np.arange(25, dtype=np.float32).reshape(5, 5)
    out = conv2d(img, get_preset("box_blur").weighted)
    assert out[1, 1] == pytest.approx(img[1:4, 1:4].mean())


def test_unknown_preset_and_invalid_kernels():
    with pytest.raises(ValueError, match="unknown; choose one of identity"):
        get_preset("nope")
    with pytest.raises(ValueError, match="at most 7x7"):
        validate_kernel(np.ones((8, 3)))
    with pytest.raises(ValueError, match="finite"):
        validate_kernel([[np.nan]])


def test_kernel_entries_are_held_to_what_a_cell_accepts():
    from convstudio.core import limits

    edge = np.full((2, 2), limits.MAX_KERNEL_ENTRY, np.float32)
    np.testing.assert_array_equal(validate_kernel(edge), edge)
    np.testing.assert_array_equal(validate_kernel(-edge), -edge)
    for value in (1e7, -1e7, 3.4e38):
        with pytest.raises(ValueError, match=r"entries must lie in -1000000…1000000"):
            validate_kernel([[0.0, value]])


def test_kernel_side_limit_is_the_shared_one():
    from convstudio.core import kernels, limits

    assert kernels.MAX_KERNEL_SIDE == limits.KERNEL_SIDE.hi == 7
    side = limits.KERNEL_SIDE.hi
    assert validate_kernel(np.ones((side, side))).shape == (side, side)
    with pytest.raises(ValueError, match="at most 7x7"):
        validate_kernel(np.ones((side, side + 1)))


def test_limit_ranges_read_as_messages_write_them():
    from convstudio.core import limits

    assert limits.STRIDE.text() == "1…16" and limits.STRIDE.allows(16)
    assert not limits.STRIDE.allows(0) and not limits.STRIDE.allows(17)
    assert limits.BIAS.text() == "-1000…1000"
    assert limits.PIXEL.allows(255.0) and not limits.PIXEL.allows(255.5)
    assert not limits.PIXEL.allows(float("nan"))
    assert tuple(limits.POOL_SIZE) == (1, 8)
