"""The animator's trained source: conv2 of the Training tab's CNN, stepped, is Keras' conv2."""

import numpy as np
import pytest

from convstudio.core import conv_steps
from convstudio.training.backend import load_keras
from convstudio.training.inference import prepare_images, second_conv

from .second_conv_setup import keras_conv2, tiny_cnn, tolerance

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def digit():
    from convstudio.training.datasets import load_idx_dataset

    return load_idx_dataset("mnist").x_test[0]  # offline: the full set, or the bundled one


def _steps(layer):
    return conv_steps(layer.maps, layer.kernel, stride=layer.stride, padding=layer.padding,
                      dilation=layer.dilation, bias=layer.bias)


def test_conv2_stepped_on_conv1s_pooled_maps_is_keras_conv2(digit):
    model = tiny_cnn((32, 64))
    layer = second_conv(model, digit)
    keras = load_keras()
    pool1 = keras.Model(model.inputs[0], model.get_layer("pool1").output)
    # What conv2 receives: conv1's maps after its ReLU and the 2×2 max pooling.
    np.testing.assert_array_equal(layer.maps, np.asarray(pool1(prepare_images(digit)))[0])
    assert layer.maps.shape == (13, 13, 32) and layer.maps.min() >= 0 and layer.maps.max() > 0
    np.testing.assert_array_equal(layer.kernel, model.get_layer("conv2").get_weights()[0])
    np.testing.assert_array_equal(layer.bias, model.get_layer("conv2").get_weights()[1])
    assert np.abs(layer.bias).max() > 0
    assert (layer.first, layer.name, layer.between) == ("conv1", "conv2", ("pool1",))
    assert layer.receives == "conv1's maps after its ReLU and pool1"
    assert (layer.stride, layer.padding, layer.dilation, layer.activation) == (
        (1, 1), "valid", (1, 1), "relu")
    before, after = keras_conv2(model, digit)
    steps = _steps(layer)
    assert steps.filters == 64 and len(steps) == 11 * 11 * 64
    tol = tolerance(layer)
    assert np.all(np.abs(steps.output - before) <= tol)
    assert np.all(np.abs(np.maximum(steps.output, 0) - after) <= tol)  # ReLU: the model's own
    assert np.any(before < 0) and np.any(before > 0)  # the ReLU does change something
    rng = np.random.default_rng(0)
    for i in [0, 120, 121, len(steps) - 1, *rng.integers(0, len(steps), 40).tolist()]:
        step = steps[i]
        r, c = step.out_pos
        f = i // 121
        assert step.filter == f and (r, c) == divmod(i % 121, 11)
        assert step.patch.shape == (3, 3, 32)
        assert abs(step.value - before[r, c, f]) <= tol[r, c, f]
        # The channels' partial sums + the bias are the value.
        per = step.products.sum(axis=(0, 1), dtype=np.float64)
        assert abs(per.sum() + float(layer.bias[f]) - step.value) <= tol[r, c, f]


def test_without_pooling_conv2_reads_conv1s_relu_maps(digit):
    model = tiny_cnn((4, 6), pool=False)
    layer = second_conv(model, digit)
    keras = load_keras()
    conv1 = keras.Model(model.inputs[0], model.get_layer("conv1").output)
    np.testing.assert_array_equal(layer.maps, np.asarray(conv1(prepare_images(digit)))[0])
    assert layer.maps.shape == (26, 26, 4) and layer.between == ()
    assert layer.receives == "conv1's maps after its ReLU"
    before, _ = keras_conv2(model, digit)
    assert np.all(np.abs(_steps(layer).output - before) <= tolerance(layer))


def test_a_loaded_models_own_geometry_is_kept(digit):
    keras = load_keras()
    keras.utils.set_random_seed(2)
    model = keras.Sequential([
        keras.Input((28, 28, 1)), keras.layers.Conv2D(5, 3, activation="tanh", name="a"),
        keras.layers.Conv2D(7, 3, strides=2, padding="same", dilation_rate=1, name="b"),
        keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    layer = second_conv(model, digit)
    assert (layer.stride, layer.padding, layer.first, layer.name) == ((2, 2), "same", "a", "b")
    assert layer.receives == "a's maps after its tanh"
    out = np.asarray(model.get_layer("b")(layer.maps[None]))[0]
    steps = _steps(layer)
    assert steps.output.shape == out.shape == (13, 13, 7)
    assert np.all(np.abs(steps.output - out) <= tolerance(layer))


def test_a_network_of_one_conv_block_has_no_second_layer(digit):
    from convstudio.training.models import ConvBlock, ModelConfig, build_model

    with pytest.raises(ValueError, match="1 Conv2D layer"):
        second_conv(build_model(ModelConfig((ConvBlock(4),), 8)), digit)
