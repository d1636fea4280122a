"""Issue 19: while it trains, the run reports each layer's update size ‖ΔW‖/‖W‖ and the first
layer's filter gradients ∂loss/∂W."""

import threading

import numpy as np
import pytest

from convstudio.training.datasets import shapes_dataset
from convstudio.training.models import ConvBlock, ModelConfig, build_model
from convstudio.training.session import TrainingConfig, prepare_images, train
from convstudio.training.signals import GRADIENT_IMAGES, GradientProbe, update_ratio

TINY = ModelConfig((ConvBlock(4),), 8, n_classes=10)  # the shapes dataset's classes


@pytest.fixture(scope="module")
def shapes():
    return shapes_dataset(n_train=192, n_test=16, seed=3)


class Reader:
    """Reads the model's kernels itself after every reported batch."""

    def __init__(self, model):
        self.model, self.events, self.kernels, self.snapshots = model, [], [], []
        self.kernels.append(self.read())

    def read(self):
        return {name: np.array(self.model.get_layer(name).kernel.numpy())
                for name in ("conv1", "dense", "output")}

    def on_started(self, info):
        pass

    def on_batch(self, event):
        self.events.append(event)
        self.kernels.append(self.read())

    def on_epoch(self, event):
        pass

    def on_snapshot(self, snap):
        self.snapshots.append(snap)


def test_each_batch_reports_the_update_ratio_the_weights_show(shapes):
    model = build_model(TINY, optimizer="adam", learning_rate=0.01)
    config = TrainingConfig(dataset="shapes", model=TINY, epochs=1, batch_size=32,
                            validation_split=0.0, metrics_every=1, snapshot_every=1000,
                            learning_rate=0.01, lr_schedule="constant")
    rec = Reader(model)
    train(config, rec, threading.Event(), dataset=shapes, model=model)
    assert len(rec.events) == 6  # 192 images in batches of 32, each reported
    for k, event in enumerate(rec.events):
        names = [name for name, _ in event.update_ratios]
        assert names == ["conv1", "dense", "output"]
        for name, ratio in event.update_ratios:
            before, after = rec.kernels[k][name], rec.kernels[k + 1][name]
            mine = np.linalg.norm((after - before).astype(np.float64)) / np.linalg.norm(
                before.astype(np.float64))
            assert ratio == pytest.approx(mine, rel=1e-6), (k, name)
            assert 0 < ratio < 1


def test_only_reported_batches_are_measured(shapes):
    config = TrainingConfig(dataset="shapes", model=TINY, epochs=1, batch_size=32,
                            validation_split=0.0, metrics_every=4, snapshot_every=1000)
    rec = Reader(build_model(TINY))
    train(config, rec, threading.Event(), dataset=shapes, model=rec.model)
    assert [e.batch for e in rec.events] == [4, 6]
    assert all(len(e.update_ratios) == 3 for e in rec.events)


def test_the_gradient_is_what_one_plain_sgd_step_subtracts(shapes):
    model = build_model(TINY, optimizer="sgd", learning_rate=1.0)
    x = prepare_images(shapes.x_train[:GRADIENT_IMAGES])
    y = shapes.y_train[:GRADIENT_IMAGES]
    grad = GradientProbe(model, x, y)()
    conv = model.get_layer("conv1")
    before = np.array(conv.kernel.numpy())
    assert grad.shape == before.shape == (3, 3, 1, 4)
    model.train_on_batch(x, y)  # w ← w − 1·∂loss/∂w, Keras' own gradient
    step = before - np.array(conv.kernel.numpy())
    np.testing.assert_allclose(grad, step, rtol=1e-5, atol=1e-6)
    assert np.abs(grad).max() > 0


def test_snapshots_carry_the_first_layers_gradient_on_the_fixed_batch(shapes):
    config = TrainingConfig(dataset="shapes", model=TINY, epochs=1, batch_size=32,
                            validation_split=0.0, snapshot_every=2, snapshot_seconds=0.0)
    rec = Reader(build_model(TINY))
    result = train(config, rec, threading.Event(), dataset=shapes, model=rec.model)
    assert len(rec.snapshots) >= 2
    last = rec.snapshots[-1]  # after the last batch: the model as it ended
    mine = GradientProbe(result.model, prepare_images(shapes.x_train), shapes.y_train)()
    np.testing.assert_allclose(last.filter_gradients, mine, rtol=1e-5, atol=1e-7)
    assert last.filter_gradients.shape == last.filters.shape


def test_the_ratio_of_a_zero_kernel_is_zero_not_nan():
    assert update_ratio(np.zeros((2, 2)), np.ones((2, 2))) == 0.0
    assert update_ratio(np.full((1, 4), 2.0), np.full((1, 4), 3.0)) == 0.5  # exact: ‖1‖/‖2‖
