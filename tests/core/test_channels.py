"""Multi-channel sources and filter banks: each map sums its filter's channels, plus the bias."""

import numpy as np
import pytest

from convstudio.core import conv2d, conv_steps, get_preset
from convstudio.core.animator_sources import CHANNEL_TOY_SHAPE
from convstudio.core.channels import channel_toy, filter_bank, filter_notes, maps_caption


def test_the_toy_has_a_different_pattern_in_each_channel():
    toy = channel_toy()
    assert toy.shape == CHANNEL_TOY_SHAPE == (6, 6, 3) and toy.dtype == np.float32
    assert toy.min() >= 0 and toy.max() <= 255
    assert (toy[:, 2, 0] == 250).all() and (toy[3, :, 1] == 200).all()
    np.testing.assert_array_equal(np.diag(toy[:, :, 2]), 150)
    assert all(toy[:, :, c].any() for c in range(3))


def test_the_bank_turns_the_kernel_and_picks_channels():
    k = get_preset("sobel_x").array
    bank = filter_bank(k, 3, 8)
    assert bank.shape == (3, 3, 3, 8) and bank.dtype == np.float32
    for c in range(3):
        np.testing.assert_array_equal(bank[:, :, c, 0], k)
        np.testing.assert_array_equal(bank[:, :, c, 1], np.rot90(k, -1))
        np.testing.assert_array_equal(bank[:, :, c, 2], np.rot90(k, 2))
    # Filters 4 and up: one channel only.
    assert bank[:, :, 0, 4].any() and not bank[:, :, 1:, 4].any()
    assert bank[:, :, 1, 5].any() and not bank[:, :, [0, 2], 5].any()
    assert filter_notes(3, 8)[5] == "turned 90°, on G only"
    np.testing.assert_array_equal(filter_bank(np.ones((2, 3)), 2, 3)[:, :, 1, 1],
                                  np.ones((2, 3)))  # non-square: flipped, not turned
    with pytest.raises(ValueError, match="2-D"):
        filter_bank(np.ones((3, 3, 1)), 3, 2)
    with pytest.raises(ValueError, match="at least 1"):
        filter_bank(k, 3, 0)


def test_each_map_is_the_sum_of_its_channels_plus_the_bias():
    toy = channel_toy()
    bank = filter_bank(get_preset("laplacian").array, 3, 5)
    out = conv2d(toy, bank, bias=1.5)
    assert out.shape == (4, 4, 5)
    for f in range(5):
        per_channel = sum(conv2d(toy[:, :, c], bank[:, :, c, f]).astype(np.float64)
                          for c in range(3))
        np.testing.assert_allclose(out[:, :, f], per_channel + 1.5, rtol=1e-6, atol=1e-4)
    steps = conv_steps(toy, bank, bias=1.5)
    assert len(steps) == 4 * 4 * 5
    for i in (0, 15, 16, 47, 79):
        step = steps[i]
        assert step.filter == i // 16
        assert step.products.shape == (3, 3, 3)
        assert float(step.channel_sums.sum()) + 1.5 == pytest.approx(step.value, abs=1e-3)
        r, c = step.out_pos
        assert step.value == pytest.approx(float(out[r, c, step.filter]), abs=1e-4)


def test_the_caption_counts_maps_and_weights():
    assert maps_caption((3, 3, 32, 64), (26, 26)) == (
        "64 maps 26×26, each from 3×3×32 weights + a bias")
    assert maps_caption((5, 5, 3, 1), (4, 4)).startswith("1 map 4×4, each from 5×5×3")
