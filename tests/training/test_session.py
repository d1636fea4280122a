import json
import threading
from dataclasses import replace

import numpy as np
import pytest

from convstudio.training import __main__ as cli
from convstudio.training.datasets import shapes_dataset
from convstudio.training.models import ConvBlock, ModelConfig
from convstudio.training.persist import ModelFileError, load_model, save_model
from convstudio.training.session import (
    StopPoint,
    TrainingConfig,
    learning_rate,
    prepare_images,
    train,
)

SMALL = ModelConfig(blocks=(ConvBlock(8, 3, True), ConvBlock(8, 3, True)), dense_units=32)


class Recorder:
    def __init__(self, stop_after_batches=None, stop_event=None):
        self.started, self.batches, self.epochs, self.snapshots = [], [], [], []
        self.stop_after, self.stop_event = stop_after_batches, stop_event

    def on_started(self, info):
        self.started.append(info)

    def on_batch(self, event):
        self.batches.append(event)
        if self.stop_after is not None and len(self.batches) >= self.stop_after:
            self.stop_event.set()

    def on_epoch(self, event):
        self.epochs.append(event)

    def on_snapshot(self, snap):
        self.snapshots.append(snap)


@pytest.fixture(scope="module")
def shapes():
    return shapes_dataset(n_train=960, n_test=200, seed=1)


def test_prepare_images_makes_the_4d_batch():
    x = np.full((5, 28, 28), 255, np.uint8)
    out = prepare_images(x)
    assert out.shape == (5, 28, 28, 1) and out.dtype == np.float32 and out.max() == 1.0
    with pytest.raises(ValueError, match="28, 28"):
        prepare_images(np.zeros((5, 32, 32)))


def test_train_reports_batches_epochs_and_snapshots(shapes):
    config = TrainingConfig(dataset="shapes", model=SMALL, epochs=2, batch_size=32,
                            validation_split=0.1, snapshot_every=5, snapshot_seconds=0.0)
    rec = Recorder()
    result = train(config, rec, threading.Event(), dataset=shapes)
    info = rec.started[0]
    assert info["train"] == 864 and info["validation"] == 96 and info["batches"] == 27
    assert [e.epoch for e in rec.epochs] == [0, 1]
    last = rec.epochs[-1]
    assert last.confusion.sum() == 96 and last.evaluated_on == "validation"
    # The validation numbers are those Keras computes for the same images.
    x_val = prepare_images(shapes.x_train[864:])
    loss, acc = result.model.evaluate(x_val, shapes.y_train[864:], verbose=0)
    assert last.val_loss == pytest.approx(loss, rel=1e-4)
    assert last.val_accuracy == pytest.approx(acc, abs=1e-6)
    assert np.trace(last.confusion) == round(acc * 96)
    assert len(last.misclassified) == min(64, 96 - np.trace(last.confusion))
    assert last.misclassified.shape[1:] == (28, 28)
    assert rec.batches[-1].batch == 27 and all(b.batch % 5 == 0 or b.batch == 27
                                               for b in rec.batches)
    snap = rec.snapshots[-1]
    assert snap.filters.shape == (3, 3, 1, 8)
    np.testing.assert_array_equal(snap.filters, result.model.get_layer("conv1").get_weights()[0])
    names = [n for n, _ in snap.feature_maps]
    assert names == ["conv1", "pool1", "conv2", "pool2"]
    assert dict(snap.feature_maps)["conv1"].shape == (26, 26, 8)
    assert dict(snap.feature_maps)["conv1"].min() >= 0  # after ReLU
    assert snap.probabilities.shape == (10,) and snap.probabilities.sum() == pytest.approx(1,
                                                                                          abs=1e-4)
    assert result.epochs_done == 2 and not result.stopped
    assert 0.0 <= result.test_accuracy <= 1.0
    assert len(result.history["loss"]) == 2


def test_snapshots_are_throttled_by_time(shapes):
    config = TrainingConfig(dataset="shapes", model=SMALL, epochs=1, batch_size=32,
                            snapshot_every=1, snapshot_seconds=60.0)
    rec = Recorder()
    train(config, rec, threading.Event(), dataset=shapes)
    # One at the first batch that passes both tests, one at the end of the epoch; never 27.
    assert len(rec.snapshots) == 2


def test_stop_keeps_weights_and_resume_continues(shapes):
    stop = threading.Event()
    config = TrainingConfig(dataset="shapes", model=SMALL, epochs=3, batch_size=32,
                            metrics_every=1)
    rec = Recorder(stop_after_batches=3, stop_event=stop)
    result = train(config, rec, stop, dataset=shapes)
    assert result.stopped and result.test_accuracy is None
    assert len(rec.batches) == 3  # ended after the batch during which Stop came
    # A stop in the middle of an epoch is not a whole epoch: not reported, counted or kept.
    assert result.stopped_at == StopPoint(0, 3, 27) and result.stopped_at.mid_epoch
    assert result.epochs_done == 0 and rec.epochs == [] and result.history == {}
    assert result.batches_trained == 3
    assert result.schedule_reached == pytest.approx(3 / (3 * 27))
    before = result.model.get_layer("conv1").get_weights()[0].copy()
    rec2 = Recorder()
    resumed = train(replace(config, schedule_start=result.schedule_reached), rec2,
                    threading.Event(), dataset=shapes, model=result.model,
                    initial_epoch=result.epochs_done)
    assert [e.epoch for e in rec2.epochs] == [0, 1, 2] and resumed.epochs_done == 3
    assert not resumed.stopped and resumed.stopped_at is None
    assert len(resumed.history["loss"]) == 3 and resumed.schedule_reached == 1.0
    assert not np.array_equal(before, resumed.model.get_layer("conv1").get_weights()[0])


def test_a_stop_after_the_last_batch_of_an_epoch_keeps_that_epoch(shapes):
    stop = threading.Event()
    config = TrainingConfig(dataset="shapes", model=SMALL, epochs=3, batch_size=32,
                            metrics_every=1)
    result = train(config, Recorder(stop_after_batches=27, stop_event=stop), stop,
                   dataset=shapes)
    assert result.stopped_at == StopPoint(0, 27, 27) and not result.stopped_at.mid_epoch
    assert result.epochs_done == 1 and len(result.history["loss"]) == 1
    # Its validation pass was cut short by the stop: no number rather than a shifted one.
    assert np.isnan(result.history["val_loss"][0])


def test_resume_goes_on_along_the_schedule_from_the_step_reached(shapes):
    from convstudio.training.models import build_model

    model = build_model(SMALL)
    seen = []

    class Rates(Recorder):
        def on_batch(self, event):
            seen.append((float(model.optimizer.learning_rate.numpy()), event.learning_rate))
            super().on_batch(event)

    config = TrainingConfig(dataset="shapes", model=SMALL, epochs=2, batch_size=96,
                            validation_split=0.0, metrics_every=1, learning_rate=0.004)
    batches = 960 // 96
    stop = threading.Event()
    first = train(config, Rates(stop_after_batches=7, stop_event=stop), stop, dataset=shapes,
                  model=model)
    assert first.stopped_at == StopPoint(0, 7, batches)
    assert first.schedule_reached == pytest.approx(7 / 20)
    seen.clear()
    resumed = replace(config, schedule_start=first.schedule_reached)
    train(resumed, Rates(), threading.Event(), dataset=shapes, model=model,
          initial_epoch=first.epochs_done)
    # The first resumed batch trains at the planned run's rate for its 8th batch, not at 0.004.
    assert seen[0][0] == pytest.approx(learning_rate(config, 0, 7, batches), rel=1e-6)
    assert seen[0][1] == pytest.approx(seen[0][0], rel=1e-6)  # what the batch report says
    rates = [r for r, _ in seen]
    assert all(a > b for a, b in zip(rates, rates[1:], strict=False))
    assert rates[-1] < learning_rate(config, 1, batches - 1, batches) * 1.01  # ends near 0


def test_seed_kernel_frozen_in_filter_zero(shapes):
    sobel = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))
    config = TrainingConfig(dataset="shapes", model=SMALL, epochs=1, batch_size=64,
                            seed_kernel=sobel, freeze_seed=True)
    result = train(config, Recorder(), threading.Event(), dataset=shapes)
    w = result.model.get_layer("conv1").get_weights()[0]
    np.testing.assert_array_equal(w[:, :, 0, 0], np.array(sobel, np.float32))
    bad = TrainingConfig(dataset="shapes", model=SMALL, epochs=1, seed_kernel=((1.0,) * 5,) * 5)
    with pytest.raises(ValueError, match="5×5"):
        train(bad, Recorder(), threading.Event(), dataset=shapes)


def test_save_and_load_round_trip(shapes, tmp_path):
    config = TrainingConfig(dataset="shapes", model=SMALL, epochs=1, batch_size=64)
    result = train(config, Recorder(), threading.Event(), dataset=shapes)
    path = save_model(result.model, result.history, tmp_path / "m")
    assert path.suffix == ".keras" and path.with_suffix(".history.json").is_file()
    model, history = load_model(path)
    x = prepare_images(shapes.x_test[:8])
    np.testing.assert_allclose(model.predict(x, verbose=0), result.model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert history == result.history
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ModelFileError, match="corrupt.keras"):
        load_model(corrupt)


def test_cli_json_lines(capsys):
    assert cli.main(["--dataset", "shapes", "--epochs", "2", "--limit", "600", "--json",
                     "--batch-size", "64"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    assert [x["epoch"] for x in lines[:2]] == [1, 2]
    assert set(lines[0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
    assert 0 <= lines[-1]["test_accuracy"] <= 1


def test_cli_missing_dataset_exits_2(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("convstudio.training.datasets.Path.home", lambda: tmp_path)
    monkeypatch.delenv("CONVSTUDIO_DATA", raising=False)
    assert cli.main(["--dataset", "mnist", "--data-dir", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and str(tmp_path / "none") in err


def test_cosine_schedule_falls_to_zero_over_the_run_and_constant_stays():
    cos = TrainingConfig(dataset="shapes", epochs=4, learning_rate=0.002)
    rates = [learning_rate(cos, e, b, 10) for e in range(4) for b in range(10)]
    assert rates[0] == pytest.approx(0.002)
    assert rates[20] == pytest.approx(0.001)  # half-way
    assert rates[-1] == pytest.approx(0.002 * 0.5 * (1 + np.cos(np.pi * 39 / 40)))
    assert all(a > b for a, b in zip(rates, rates[1:], strict=False))
    flat = TrainingConfig(dataset="shapes", epochs=4, learning_rate=0.002, lr_schedule="constant")
    assert {learning_rate(flat, e, b, 10) for e in range(4) for b in range(10)} == {0.002}
    with pytest.raises(ValueError, match="schedule"):
        TrainingConfig(lr_schedule="step")


def test_the_optimizer_follows_the_schedule_during_fit(shapes):
    from convstudio.training.models import build_model

    model = build_model(SMALL)
    seen = []

    class Rates(Recorder):
        def on_batch(self, event):
            seen.append(float(model.optimizer.learning_rate.numpy()))

    config = TrainingConfig(dataset="shapes", model=SMALL, epochs=2, batch_size=96,
                            validation_split=0.0, metrics_every=1, learning_rate=0.004)
    train(config, Rates(), threading.Event(), dataset=shapes, model=model)
    batches = 960 // 96
    # The report after batch b shows the rate set just before it.
    expected = [learning_rate(config, e, b, batches) for e in range(2) for b in range(batches)]
    np.testing.assert_allclose(seen, expected, rtol=1e-6)


def test_a_fresh_run_on_a_recycled_model_equals_one_on_a_new_model(shapes):
    # Start → Start in the app reuses the compiled model (TensorFlow never frees a fitted
    # model's traces); the second run must be the run a brand-new model would have made.
    config = TrainingConfig(dataset="shapes", model=SMALL, epochs=1, batch_size=64, seed=3)
    first = train(config, Recorder(), threading.Event(), dataset=shapes)
    new = train(config, Recorder(), threading.Event(), dataset=shapes)
    again = train(config, Recorder(), threading.Event(), dataset=shapes, recycle=first.model)
    assert again.model is first.model and new.model is not first.model
    for a, b in zip(new.model.get_weights(), again.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert again.history["loss"] == pytest.approx(new.history["loss"], rel=1e-4)
    assert int(again.model.optimizer.iterations.numpy()) == int(new.model.optimizer.iterations)
    # A different architecture is not recycled.
    other = TrainingConfig(dataset="shapes", model=ModelConfig((ConvBlock(4, 3, True),), 16),
                           epochs=1, batch_size=64)
    fresh = train(other, Recorder(), threading.Event(), dataset=shapes, recycle=first.model)
    assert fresh.model is not first.model
