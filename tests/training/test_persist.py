"""Model files: what the Training tab can use is loaded; anything else is refused, saying why."""

import os
import stat
import threading
import zipfile

import numpy as np
import pytest

from convstudio.training.persist import ModelFileError, load_model, save_model


def _keras():
    from convstudio.training.backend import load_keras

    return load_keras()


def _model(kind):
    keras = _keras()
    L = keras.layers
    if kind == "rgb":
        return keras.Sequential([keras.Input((32, 32, 3)), L.Conv2D(4, 3), L.Flatten(),
                                 L.Dense(10, activation="softmax")])
    if kind == "two inputs":
        a, b = keras.Input((28, 28, 1)), keras.Input((28, 28, 1))
        x = L.Flatten()(L.Conv2D(4, 3)(L.Concatenate()([a, b])))
        return keras.Model([a, b], L.Dense(10, activation="softmax")(x))
    if kind == "dense first":
        return keras.Sequential([keras.Input((28, 28, 1)), L.Dense(4), L.Flatten(),
                                 L.Dense(10, activation="softmax")])
    if kind == "conv1d first":
        inp = keras.Input((28, 28, 1))
        x = L.Conv1D(4, 3)(L.Reshape((28, 28))(inp))
        return keras.Model(inp, L.Dense(10, activation="softmax")(L.Flatten()(x)))
    if kind == "logits":
        return keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(4, 3), L.Flatten(),
                                 L.Dense(10)])
    if kind == "three classes":
        return keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(4, 3), L.Flatten(),
                                 L.Dense(3, activation="softmax")])
    if kind == "softmax layer":
        inp = keras.Input((28, 28, 1))
        x = L.Dense(10)(L.Flatten()(L.Conv2D(4, 3, name="edges")(inp)))
        return keras.Model(inp, L.Softmax()(x))
    raise AssertionError(kind)


@pytest.mark.parametrize(("kind", "says"), [
    ("rgb", "takes inputs of shape (32, 32, 3)"),
    ("two inputs", "has 2 inputs"),
    ("dense first", "starts with a Dense layer, not Conv2D"),
    ("conv1d first", "starts with a Reshape layer, not Conv2D"),
    ("logits", "gives no probabilities (no softmax)"),
    ("three classes", "outputs 3 classes but the current dataset has 10"),
])
def test_models_of_another_architecture_are_refused_saying_what_the_tab_needs(tmp_path, kind,
                                                                             says):
    path = tmp_path / "other.keras"
    _model(kind).save(path)
    with pytest.raises(ModelFileError) as info:
        load_model(path, n_classes=10)
    text = str(info.value)
    assert says in text and "other.keras is not a model for this tab" in text
    assert "one input of 28×28×1 images, a Conv2D first layer" in text


def test_a_softmax_layer_at_the_end_is_a_model_the_tab_can_use(tmp_path):
    path = tmp_path / "softmax.keras"
    _model("softmax layer").save(path)
    model, history = load_model(path, n_classes=10)
    assert history == {} and model.outputs[0].shape[-1] == 10
    # Saved without a training setup and ending in a Softmax layer: it still trains on.
    from convstudio.training.datasets import shapes_dataset
    from convstudio.training.session import TrainingConfig, train

    class Quiet:
        def __getattr__(self, name):
            return lambda *args: None

    result = train(TrainingConfig(dataset="shapes", epochs=1, batch_size=64), Quiet(),
                   threading.Event(), dataset=shapes_dataset(256, 64), model=model,
                   initial_epoch=0)
    assert result.epochs_done == 1 and 0 <= result.test_accuracy <= 1
    assert result.history["loss"][0] > 0


def _in_time(fn, seconds=30):
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it does not return."""
    out = {}

    def run():
        try:
            out["value"] = fn()
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the call did not return: it is reading a special file"
    return out


def test_special_files_are_refused_with_what_they_are(tmp_path):
    fifo = tmp_path / "pipe.keras"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.keras"
    loop.symlink_to(loop)
    zero = tmp_path / "zero.keras"
    zero.symlink_to("/dev/zero")
    for path, says in ((fifo, "named pipe"), (loop, "symbolic links form a loop"),
                       (zero, "a device")):
        out = _in_time(lambda p=path: load_model(p))
        assert isinstance(out.get("error"), ModelFileError), out
        assert says in str(out["error"]) and path.name in str(out["error"])


def test_a_corrupt_file_is_not_called_missing(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"garbage")
    with pytest.raises(ModelFileError) as info:
        load_model(bad)
    assert "could not load bad.keras" in str(info.value)
    assert "not a Keras model file" in str(info.value)
    assert "not found" not in str(info.value).lower()
    empty_zip = tmp_path / "zip.keras"
    with zipfile.ZipFile(empty_zip, "w") as z:
        z.writestr("notes.txt", "no model here")
    with pytest.raises(ModelFileError, match="holds no Keras model"):
        load_model(empty_zip)
    with pytest.raises(ModelFileError, match=r"\.keras files only"):
        load_model(tmp_path / "model.h5")


def test_save_is_atomic_and_follows_the_umask(tmp_path):
    from convstudio.training.models import ConvBlock, ModelConfig, build_model

    model = build_model(ModelConfig((ConvBlock(2, 3, True),), 4))
    old = os.umask(0o027)
    try:
        path = save_model(model, {"loss": [0.5, float("nan")]}, tmp_path / "m.keras")
    finally:
        os.umask(old)
    # Before, both files were left 0600 by mkstemp whatever the umask.
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(path.with_suffix(".history.json").stat().st_mode) == 0o640
    loaded, history = load_model(path)
    assert history["loss"][0] == 0.5 and np.isnan(history["loss"][1])
    good = path.read_bytes()

    class Failing:
        def save(self, tmp):
            with open(tmp, "wb") as f:
                f.write(b"half a model")
            raise OSError(28, "No space left on device")

    with pytest.raises(ModelFileError, match="No space left"):
        save_model(Failing(), {}, path)
    assert path.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.history.json", "m.keras"]
