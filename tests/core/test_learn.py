"""The Learn phase's tiny network: one SGD step against Keras, sub-steps against full gradients.

Keras never sees a 1×1 kernel with a stride other than (1, 1) (see ``family_reference.tf_safe``).
"""

import math

import numpy as np
import pytest

from convstudio.core import conv2d_backward, get_preset, max_pool2d_backward, sample_image
from convstudio.core.learn import (
    LearnSetup,
    LearnTrace,
    edge_kernel,
    forward,
    glorot_kernel,
    learning_rate_for,
    mse,
    sgd_step,
    train,
)

from .family_reference import assert_float32_close, conv_backward_ref, tf_safe

CASES = [
    # stride, padding, kernel side, relu, pool op, pool size
    (1, "valid", 3, False, "max", 2),
    (1, "valid", 3, True, "max", 2),
    (1, "same", 3, True, "avg", 2),
    ((2, 1), "same", 3, True, "max", 2),
    (1, "valid", 2, False, "avg", 3),
    (1, "same", 5, True, "max", 2),
]


def _source(seed, shape=(14, 17)):
    return (np.random.default_rng(seed).random(shape, dtype=np.float32) * 255).astype(np.float32)


def _keras_step(x, kernel, target, setup, lr):
    """One Keras SGD step on a Conv2D → (ReLU) → pool with the same weights and loss."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    kh, kw = kernel.shape
    conv = keras.layers.Conv2D(1, (kh, kw), strides=setup.stride, padding=setup.padding,
                               activation="relu" if setup.relu else None)
    conv.build((1, *x.shape, 1))
    conv.set_weights([kernel[:, :, None, None], np.array([setup.bias], np.float32)])
    pool_layer = (keras.layers.MaxPooling2D if setup.pool_op == "max"
                  else keras.layers.AveragePooling2D)(setup.pool_size)
    optimizer = keras.optimizers.SGD(learning_rate=lr)
    with tf.GradientTape() as tape:
        p = pool_layer(conv(x[None, :, :, None]))
        loss = keras.losses.MeanSquaredError()(target[None, :, :, None], p)
    grads = tape.gradient(loss, [conv.kernel])
    optimizer.apply_gradients(zip(grads, [conv.kernel], strict=True))
    return np.asarray(conv.kernel)[:, :, 0, 0], float(loss)


@pytest.mark.slow
@pytest.mark.parametrize("stride, padding, k, relu, op, pool", CASES)
def test_one_sgd_step_equals_one_keras_sgd_step(stride, padding, k, relu, op, pool):
    assert tf_safe((k, k), stride)
    x = _source(k)
    setup = LearnSetup(stride=stride, padding=padding, bias=0.5, relu=relu, pool_size=pool,
                       pool_op=op)
    kernel = glorot_kernel(k, k, seed=3)
    target = forward(x, edge_kernel(k, k), setup).p
    lr = learning_rate_for(x, (k, k), setup)
    ours, loss = sgd_step(x, kernel, target, setup, lr)
    theirs, keras_loss = _keras_step(x, kernel, target, setup, lr)
    assert loss == pytest.approx(keras_loss, rel=1e-5)
    # The step is lr × gradient, so the update's rounding is measured against the gradient's.
    grad = (kernel - ours) / lr
    assert_float32_close((kernel - theirs) / lr, grad, np.abs(grad))
    assert_float32_close(theirs, ours, np.abs(kernel))
    assert not np.array_equal(ours, kernel)


@pytest.mark.parametrize("stride, padding, k, relu, op, pool", CASES)
def test_sub_steps_agree_with_the_full_gradients(stride, padding, k, relu, op, pool):
    x = _source(10 + k)
    setup = LearnSetup(stride=stride, padding=padding, bias=-3.0, relu=relu, pool_size=pool,
                       pool_op=op)
    trace = LearnTrace(x, glorot_kernel(k, k, seed=1), setup,
                       learning_rate_for(x, (k, k), setup))
    f = trace.fwd
    n = f.p.size
    # Each full gradient from its own definition, in float64 where it is a sum.
    dp = 2.0 * (f.p.astype(np.float64) - trace.target) / n
    np.testing.assert_allclose(trace.dp, dp, rtol=1e-6, atol=1e-9)
    assert trace.loss == pytest.approx(float(np.mean((f.p.astype(np.float64)
                                                       - trace.target) ** 2)), rel=1e-6)
    dx_ref, dk_ref, _ = conv_backward_ref(x[:, :, None], trace.kernel[:, :, None, None],
                                          trace.dy[:, :, None], stride, padding, 1)
    dx_ref, dk_ref = dx_ref[:, :, 0], dk_ref[:, :, 0, 0]
    assert_float32_close(trace.dkernel, dk_ref, np.abs(dk_ref))
    rng = np.random.default_rng(k)
    stages = dict(trace.stages)
    assert ("gate" in stages) == relu
    assert len(trace) == sum(stages.values())
    for stage, count in trace.stages:
        for j in sorted({0, count - 1, *rng.integers(0, count, 8).tolist()}):
            i = trace.start_of(stage) + j
            assert trace.locate(i) == (stage, j)
            got, step = trace.step(i)
            assert got == stage
            if stage == "loss":
                r, c = step.out_pos
                assert step.gradient == pytest.approx(dp[r, c], rel=1e-6, abs=1e-9)
                assert step.squared == pytest.approx(step.error ** 2, rel=1e-6)
            elif stage == "route":
                cells = step.targets
                np.testing.assert_allclose(step.totals, trace.da[cells[:, 0], cells[:, 1]],
                                           rtol=1e-6)
                assert step.gradient == pytest.approx(float(trace.dp[step.out_pos]), rel=1e-6)
            elif stage == "gate":
                r, c = step.out_pos
                assert step.passed == (f.y[r, c] > 0)
                assert step.value == (step.upstream if step.passed else 0.0)
            elif stage == "taps":
                ti, tj = step.tap
                assert float(step.products.sum(dtype=np.float64)) == pytest.approx(
                    float(dk_ref[ti, tj]), rel=1e-5, abs=1e-5 * float(np.abs(step.products).sum()))
            elif stage == "dx":
                r, c = step.in_pos
                assert float(step.products.sum(dtype=np.float64)) == pytest.approx(
                    float(dx_ref[r, c]), rel=1e-5, abs=1e-6)
            else:
                assert step is None
    np.testing.assert_allclose(trace.kernel_after, trace.kernel - trace.lr * trace.dkernel,
                               rtol=1e-6, atol=1e-7)
    assert trace.loss_after == pytest.approx(mse(forward(x, trace.kernel_after, setup).p,
                                                 trace.target), rel=1e-6)


def test_kernel_gradient_matches_finite_differences():
    x = _source(5, (7, 8)).astype(np.float64) / 255
    setup = LearnSetup(relu=False, pool_op="avg")
    kernel = glorot_kernel(3, 3, seed=4)
    trace = LearnTrace(x.astype(np.float32), kernel, setup, 0.1)
    eps = 1e-3
    numeric = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            losses = []
            for sign in (1, -1):
                k = kernel.astype(np.float64).copy()
                k[i, j] += sign * eps
                losses.append(mse(forward(x.astype(np.float32), k.astype(np.float32),
                                          setup).p, trace.target))
            numeric[i, j] = (losses[0] - losses[1]) / (2 * eps)
    np.testing.assert_allclose(trace.dkernel, numeric, rtol=2e-2, atol=1e-4)


def test_the_route_is_the_pool_gradient_and_the_gate_masks_it():
    x = _source(9)
    setup = LearnSetup(relu=True, bias=-60.0)
    trace = LearnTrace(x, glorot_kernel(3, 3, seed=2), setup, 1e-6)
    np.testing.assert_array_equal(trace.da, max_pool2d_backward(trace.fwd.a, trace.dp, 2))
    assert (trace.fwd.y <= 0).any()
    np.testing.assert_array_equal(trace.dy[trace.fwd.y <= 0], 0)
    grads = conv2d_backward(x, trace.kernel, trace.dy)
    np.testing.assert_array_equal(trace.dkernel, grads.dkernel)


def test_fifty_steps_turn_a_random_kernel_into_the_vertical_edge_detector():
    x = sample_image("glyph") * np.float32(255)
    setup = LearnSetup()
    target_kernel = edge_kernel(3, 3)
    target = forward(x, target_kernel, setup).p
    start = glorot_kernel(3, 3, seed=1)
    kernel, losses = train(x, start, target, setup, learning_rate_for(x, (3, 3), setup), 50)
    assert len(losses) == 51
    assert losses[-1] < 0.01 * losses[0]
    before = np.corrcoef(start.ravel(), target_kernel.ravel())[0, 1]
    after = np.corrcoef(kernel.ravel(), target_kernel.ravel())[0, 1]
    assert after > 0.9 > before
    # Left column negative, right column positive: it answers dark → light edges.
    assert (kernel[:, 0] < 0).all() and (kernel[:, 2] > 0).all()


def test_the_edge_kernel_is_sobel_x_and_grows_with_the_kernel():
    np.testing.assert_array_equal(edge_kernel(3, 3), get_preset("sobel_x").array)
    np.testing.assert_array_equal(edge_kernel(5, 4)[2], [-6, -6, 6, 6])
    np.testing.assert_array_equal(edge_kernel(1, 3), [[-1, 0, 1]])
    limit = math.sqrt(6 / 18)
    k = glorot_kernel(3, 3, seed=0)
    assert k.dtype == np.float32 and np.abs(k).max() <= limit
    np.testing.assert_array_equal(k, glorot_kernel(3, 3, seed=0))


def test_the_learning_rate_is_a_round_number_below_the_curvature_bound():
    x = sample_image("glyph") * np.float32(255)
    lr = learning_rate_for(x, (3, 3), LearnSetup())
    mantissa = lr / 10 ** math.floor(math.log10(lr))
    assert round(mantissa, 6) in (1.0, 2.0, 5.0)
    from numpy.lib.stride_tricks import sliding_window_view

    patches = sliding_window_view(x.astype(np.float64), (3, 3)).reshape(-1, 9)
    bound = 1 / (2 * np.linalg.eigvalsh(patches.T @ patches / len(patches))[-1])
    assert bound / 5 < lr <= bound


def test_bad_arguments_name_what_is_wrong():
    x = _source(0)
    setup = LearnSetup()
    k = glorot_kernel(3, 3, seed=0)
    target = forward(x, k, setup).p
    with pytest.raises(ValueError, match="learning rate"):
        sgd_step(x, k, target, setup, 0.0)
    with pytest.raises(ValueError, match="learning rate"):
        sgd_step(x, k, target, setup, float("nan"))
    with pytest.raises(ValueError, match="target must have the pooled output's shape"):
        sgd_step(x, k, target[:-1], setup, 1e-6)
    with pytest.raises(ValueError, match="pool_op"):
        LearnSetup(pool_op="min")
    with pytest.raises(ValueError, match="steps"):
        train(x, k, target, setup, 1e-6, 0)
    with pytest.raises(ValueError, match="target_kernel"):
        LearnTrace(x, k, setup, 1e-6, target_kernel=np.ones((2, 2)))
    trace = LearnTrace(x, k, setup, 1e-6)
    with pytest.raises(IndexError):
        trace.locate(len(trace))
    with pytest.raises(ValueError, match="stage"):
        trace.start_of("gate")  # no ReLU: no gate
    assert trace.locate(-1) == ("update", 0)
