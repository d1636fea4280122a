"""Issue 17: ``--print-code cnn --model FILE`` prints a program that rebuilds the saved network,
loads the file by its path and predicts what the app predicts (run as pasted, in a subprocess)."""

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from convstudio.training.keras_file import model_config_from_file
from convstudio.training.models import ConvBlock, ModelConfig
from convstudio.training.persist import ModelFileError

MAIN = Path(__file__).resolve().parents[2] / "main.py"
TINY = ModelConfig((ConvBlock(4), ConvBlock(6, 3, False)), 8, 0.25, 3)


def _cli(*flags):
    return subprocess.run([sys.executable, str(MAIN), *flags], capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A tiny trained-looking network saved as the Training tab saves one."""
    from convstudio.training.backend import load_keras
    from convstudio.training.models import build_model
    from convstudio.training.persist import save_model

    keras = load_keras()
    keras.utils.set_random_seed(5)
    model = build_model(TINY)
    rng = np.random.default_rng(5)  # biases too, so no output is the untrained zero
    model.set_weights([rng.normal(0, 0.3, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return save_model(model, {"loss": [0.5]}, tmp_path_factory.mktemp("m") / "my model.keras")


def test_the_architecture_is_read_from_the_file_without_keras(saved):
    assert model_config_from_file(saved) == TINY


def test_the_printed_program_predicts_what_the_app_predicts(saved, tmp_path):
    from convstudio.core import sample_image
    from convstudio.training.inference import probabilities
    from convstudio.training.persist import load_model

    done = _cli("--print-code", "cnn", "--model", str(saved))
    assert done.returncode == 0, done.stderr
    code = done.stdout
    assert f"model.load_weights({str(saved.resolve())!r})" in code
    assert 'keras.layers.Conv2D(4, (3, 3), activation="relu", name="conv1")' in code
    assert 'keras.layers.Conv2D(6, (3, 3), activation="relu", name="conv2")' in code
    assert 'name="pool2"' not in code and "Dropout(0.25" in code
    assert "CLASS_NAMES = ['0', '1', '2']" in code  # the file does not say its dataset
    program = tmp_path / "predict.py"
    program.write_text(code)
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(f"""
        import runpy
        import numpy as np
        ns = runpy.run_path({str(program)!r}, run_name="__main__")
        np.savez({str(tmp_path / "out.npz")!r}, images=ns["images"],
                 probabilities=ns["probabilities"])
    """))
    run = subprocess.run([sys.executable, "-I", str(driver)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    out = np.load(tmp_path / "out.npz")
    assert out["images"].shape == (1, 28, 28, 1)
    # The program's input is the app's glyph sample, bit for bit.
    np.testing.assert_array_equal(out["images"][0, :, :, 0], sample_image("glyph", mode="gray"))
    model, _ = load_model(saved)
    app = probabilities(model, out["images"])
    np.testing.assert_allclose(out["probabilities"], app, rtol=1e-5, atol=1e-6)
    k = int(np.argmax(app[0]))
    assert int(np.argmax(out["probabilities"][0])) == k
    assert run.stdout.strip() == f"{k}: {out['probabilities'][0, k]:.1%}"


def test_printing_with_a_model_loads_neither_qt_nor_tensorflow(saved):
    probe = ("import sys\nfrom convstudio.app import main\n"
             f"rc = main(['--print-code', 'cnn', '--model', {str(saved)!r}])\n"
             "print(rc, 'tensorflow' in sys.modules, 'keras' in sys.modules, "
             "'PySide6' in sys.modules, file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, cwd=MAIN.parent, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stderr.split() == ["0", "False", "False", "False"], done.stderr
    assert "load_weights" in done.stdout


def _zip(path, config):
    with zipfile.ZipFile(path, "w") as z:
        if config is not None:
            z.writestr("config.json", json.dumps(config))
    return path


def test_files_that_are_not_the_tabs_networks_are_refused_saying_why(saved, tmp_path):
    config = json.loads(zipfile.ZipFile(saved).read("config.json"))
    same = config["config"]["layers"][1]["config"]
    same["padding"] = "same"
    cases = {
        "same.keras": (_zip(tmp_path / "same.keras", config),
                       "its a Conv2D layer 'conv1' has padding 'same', not 'valid'"),
        "empty.keras": (_zip(tmp_path / "empty.keras", None), "holds no Keras model"),
        "text.keras": (tmp_path / "text.keras", "not a Keras model file"),
        "dense.keras": (_zip(tmp_path / "dense.keras", {"class_name": "Functional"}),
                        "is not a network the Training tab builds: it is not a Sequential"),
        "missing.keras": (tmp_path / "missing.keras", "there is no such file"),
    }
    (tmp_path / "text.keras").write_text("not a zip")
    for name, (path, words) in cases.items():
        with pytest.raises(ModelFileError) as caught:
            model_config_from_file(path)
        assert words in str(caught.value), name
        done = _cli("--print-code", "cnn", "--model", str(path))
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.startswith("convstudio: cannot print the cnn program: "), name
        assert words in done.stderr, name
    done = _cli("--model", str(saved))
    assert done.returncode == 2 and "--model names the saved model for --print-code cnn" \
        in done.stderr


def test_a_lesson_saved_with_its_model_prints_the_program_for_that_model(saved):
    from convstudio import lessons

    lesson = lessons.Lesson()
    lesson.training = {"dataset": "mnist", "filters": 64}  # the form's, not the file's
    lesson.model_file = saved.name
    path = lessons.write(lesson, saved.parent / "with model")
    done = _cli("--lesson", str(path), "--print-code", "cnn")
    assert done.returncode == 0, done.stderr
    assert f"model.load_weights({str(saved.resolve())!r})" in done.stdout
    assert "keras.layers.Conv2D(4, (3, 3)" in done.stdout and "Conv2D(64" not in done.stdout
    # MNIST's ten names do not fit three classes: the program prints class numbers.
    assert "CLASS_NAMES = ['0', '1', '2']" in done.stdout
