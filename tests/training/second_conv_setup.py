"""A small two-block CNN made with the app's builder, and Keras' own answer for its conv2."""

import numpy as np

from convstudio.training.backend import load_keras
from convstudio.training.models import ConvBlock, ModelConfig, build_model


def tiny_cnn(filters=(32, 64), *, pool=True, seed=5):
    """Return the Training tab's network of two conv blocks, its biases made non-zero."""
    keras = load_keras()
    keras.utils.set_random_seed(seed)
    model = build_model(ModelConfig(tuple(ConvBlock(f, 3, pool) for f in filters), 16, 0.0, 10))
    rng = np.random.default_rng(seed)
    for name in ("conv1", "conv2"):  # a bias of 0 would hide a bias left out
        layer = model.get_layer(name)
        kernel, bias = layer.get_weights()
        layer.set_weights([kernel, rng.normal(0.0, 0.05, bias.shape).astype(np.float32)])
    return model


def keras_conv2(model, image):
    """Return Keras' conv2 output for one image: before its ReLU, and after it (the model's)."""
    from convstudio.training.inference import prepare_images

    keras = load_keras()
    conv = model.get_layer("conv2")
    x = prepare_images(image)
    received = keras.Model(model.inputs[0], conv.input)(x, training=False)
    linear = keras.layers.Conv2D.from_config({**conv.get_config(), "activation": "linear"})
    linear.build(received.shape)
    linear.set_weights(conv.get_weights())
    after = keras.Model(model.inputs[0], conv.output)(x, training=False)
    return np.asarray(linear(received))[0], np.asarray(after)[0]


def tolerance(layer):
    """Return the rounding allowed in each output: float32's, on that output's Σ|x·w|."""
    from convstudio.core import conv2d

    scale = conv2d(np.abs(layer.maps), np.abs(layer.kernel), stride=layer.stride,
                   padding=layer.padding, dilation=layer.dilation)
    return 1e-5 * scale + 1e-6
