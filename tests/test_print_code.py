"""``--print-code``: the flags' state as a program, printed without a window or TensorFlow."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convstudio.app import _start_state, build_parser
from convstudio.core import load_image

MAIN = Path(__file__).resolve().parent.parent / "main.py"


def _cli(*flags, timeout=120):
    return subprocess.run([sys.executable, str(MAIN), *flags], capture_output=True, text=True,
                          timeout=timeout, env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})


def _window_result(qapp, flags, image_file=None):
    """What the window's workspace model computes for the same flags (as app.main sets it)."""
    from convstudio.ui.workspace import WorkspaceModel

    model = WorkspaceModel()
    try:
        assert _start_state(model, build_parser().parse_args(flags)) is None
        if image_file is not None:  # the window opens a file named by --image itself
            model.set_source(load_image(image_file, mode="rgb"), str(image_file))
        model.compute_now()
        return model.source.copy(), model.result
    finally:
        model.shutdown()


@pytest.fixture
def photo(tmp_path):
    rng = np.random.default_rng(17)
    path = tmp_path / "my photo.png"
    Image.fromarray(rng.integers(0, 256, (37, 52, 3), dtype=np.uint8)).save(path)
    return path


def test_printed_numpy_programs_compute_what_the_window_computes(qapp, tmp_path, photo):
    settings = {
        "camera-stride": ["--stride", "2,1", "--kernel", "box_blur", "--pool", "max"],
        "file-same-avg": ["--image", str(photo), "--kernel", "laplacian", "--padding", "same",
                          "--pool", "avg"],
        "glyph-custom-pad": ["--image", "glyph", "--padding", "2,1", "--pool", "none"],
    }
    paths = {}
    for name, flags in settings.items():
        done = _cli(*flags, "--print-code", "numpy")
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        paths[name] = tmp_path / f"{name}.py"
        paths[name].write_text(done.stdout)
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(f"""
        import json, runpy
        import numpy as np
        for name, path in json.loads({json.dumps(json.dumps({k: str(v) for k, v in
                                                             paths.items()}))}).items():
            ns = runpy.run_path(path, run_name="__main__")
            np.savez(path[:-3] + ".npz", **{{k: np.asarray(ns[k]) for k in
                                            ("image", "conv", "pooled") if k in ns}})
    """))
    run = subprocess.run([sys.executable, "-I", str(driver)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    for name, flags in settings.items():
        got = dict(np.load(tmp_path / f"{name}.npz"))
        image, result = _window_result(qapp, flags, photo if str(photo) in flags else None)
        np.testing.assert_array_equal(got["image"], image, err_msg=name)
        # Whole-number kernels on whole-number images: the same sums exactly; the blur's 1/9
        # and the average pool round in float32.
        np.testing.assert_allclose(got["conv"], result.conv, rtol=1e-6, atol=1e-4,
                                   err_msg=name)
        if result.pooled is None:
            assert "pooled" not in got, name
        else:
            np.testing.assert_allclose(got["pooled"], result.pooled, rtol=1e-6, atol=1e-4,
                                       err_msg=name)
    assert got["conv"].shape == (28 + 4 - 2, 28 + 2 - 2)  # glyph, padding 2,1, a 3×3 kernel


def test_print_code_loads_neither_qt_nor_tensorflow():
    probe = ("import sys\nfrom convstudio.app import main\n"
             "rc = main(['--print-code', {kind!r}, '--stride', '2,1'])\n"
             "print(rc, 'tensorflow' in sys.modules, 'keras' in sys.modules, "
             "'PySide6' in sys.modules, file=sys.stderr)\n")
    for kind, words in (("keras", "strides=(2, 1)"), ("cnn", "keras.layers.Conv2D(64, (3, 3)")):
        done = subprocess.run([sys.executable, "-c", probe.format(kind=kind)],
                              capture_output=True, text=True, timeout=120,
                              cwd=MAIN.parent, env={"PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, done.stderr
        assert done.stderr.split() == ["0", "False", "False", "False"], done.stderr
        assert words in done.stdout
    assert "load_weights" in done.stdout


def test_print_code_cnn_follows_a_lessons_training_settings():
    done = _cli("--lesson", "builtin:mnist-convnet", "--print-code", "cnn")
    assert done.returncode == 0, done.stderr
    # The MNIST lesson: one block of 32 filters and the digits as class names.
    assert "keras.layers.Conv2D(32, (3, 3)" in done.stdout
    assert 'name="conv2"' not in done.stdout
    assert "CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']" in done.stdout


def test_print_code_starts_from_a_lesson_and_the_flags_override_it():
    done = _cli("--lesson", "builtin:strides-padding", "--padding", "same", "--print-code",
                "numpy")
    assert done.returncode == 0, done.stderr
    ns: dict = {}
    exec(compile(done.stdout, "<printed>", "exec"), ns)  # noqa: S102 (the test runs it)
    assert ns["conv"].shape == (256, 512)   # the lesson's stride (2, 1), padding "same"
    assert ns["pooled"].shape == (128, 256)
    np.testing.assert_array_equal(ns["kernel"], np.ones((3, 3)))  # its all-ones, unweighted


@pytest.mark.parametrize("flags, words", [
    (["--stride", "99"], "stride must be 1…16"),
    (["--padding", "20,20"], "padding must be 0…16"),
    (["--image", "/no/such/picture.png"], "no such file"),
    (["--kernel", "no_such_kernel"], "kernel preset 'no_such_kernel' is unknown"),
    (["--image", "{tiny}"], "larger than the padded input 2x2"),
    (["--lesson", "builtin:no-such-lesson"], "no built-in lesson 'no-such-lesson'"),
    (["--lesson", "builtin:filter-multipliers"], "embeds its own image"),
])
def test_a_setting_that_cannot_run_exits_2_with_a_message(tmp_path, flags, words):
    tiny = tmp_path / "tiny.png"
    Image.new("L", (2, 2)).save(tiny)
    done = _cli(*(f.format(tiny=tiny) for f in flags), "--print-code", "numpy")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("convstudio: cannot print the numpy program:")
    assert words in done.stderr


def test_an_unknown_kind_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["--print-code", "fortran"])
    assert exc.value.code == 2
    assert "numpy" in capsys.readouterr().err


def test_print_code_follows_the_conv_family_mode(qapp, tmp_path, photo):
    settings = {
        "transposed": ["--family", "transposed", "--image", "glyph", "--stride", "2",
                       "--padding", "same", "--kernel", "sobel_x", "--pool", "max"],
        "depthwise": ["--family", "depthwise", "--image", str(photo), "--stride", "2,1",
                      "--kernel", "laplacian", "--pool", "avg"],
        "separable": ["--family", "separable", "--stride", "2", "--padding", "full",
                      "--kernel", "box_blur", "--pool", "none"],
    }
    heads = {"transposed": "Conv2DTranspose computes it", "depthwise": "filtered on its own",
             "separable": "the pointwise 1×1 conv"}
    layers = {"transposed": "keras.layers.Conv2DTranspose(1, (3, 3), strides=(2, 2)",
              "depthwise": "keras.layers.DepthwiseConv2D((3, 3), strides=(1, 1)",
              "separable": "keras.layers.SeparableConv2D(1, (3, 3), strides=(2, 2)"}
    for name, flags in settings.items():
        done = _cli(*flags, "--print-code", "numpy")
        assert done.returncode == 0, done.stderr
        assert heads[name] in done.stdout, name
        (tmp_path / f"{name}.py").write_text(done.stdout)
        keras = _cli(*flags, "--print-code", "keras")
        assert keras.returncode == 0, keras.stderr
        assert layers[name] in keras.stdout, name
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(f"""
        import runpy
        import numpy as np
        for name in {list(settings)!r}:
            ns = runpy.run_path(name + ".py", run_name="__main__")
            np.savez(name + ".npz", **{{k: np.asarray(ns[k]) for k in
                                       ("image", "conv", "pooled") if k in ns}})
    """))
    run = subprocess.run([sys.executable, "-I", str(driver)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    for name, flags in settings.items():
        got = dict(np.load(tmp_path / f"{name}.npz"))
        image, result = _window_result(qapp, flags, photo if str(photo) in flags else None)
        assert result.params.family == name
        np.testing.assert_array_equal(got["image"], image, err_msg=name)
        assert got["conv"].shape == result.conv.shape, name
        np.testing.assert_allclose(got["conv"], result.conv, rtol=1e-6, atol=1e-3, err_msg=name)
        if result.pooled is None:
            assert "pooled" not in got, name
        else:
            np.testing.assert_allclose(got["pooled"], result.pooled, rtol=1e-6, atol=1e-3,
                                       err_msg=name)
    assert got["conv"].shape == (257, 257)  # separable, full: (512 + 4 − 3) // 2 + 1


def test_show_code_panel_follows_the_mode_and_loads_its_own_input(qtbot, tmp_path):
    from convstudio.ui.panels import CodePanel
    from convstudio.ui.workspace import WorkspaceModel

    model = WorkspaceModel()
    panel = CodePanel(model)
    qtbot.addWidget(panel)
    try:
        model.set_params(family="transposed", stride=(2, 2), padding="same",
                         output_padding=(1, 1), pool="max")
        model.compute_now()
        code = panel.code("numpy")
        assert "Conv2DTranspose computes it" in code and "data.camera()" in code
        assert 'keras.layers.Conv2DTranspose(1, (3, 3), strides=(2, 2), padding="same"' in (
            panel.code("keras"))
        ns: dict = {}
        exec(compile(code, "<show code>", "exec"), ns)  # noqa: S102 (runs it as pasted)
        np.testing.assert_array_equal(ns["conv"], model.result.conv)  # sobel on grey: exact
        np.testing.assert_array_equal(ns["pooled"], model.result.pooled)
        panel.show()
        assert "loads its own input (the sample camera)" in panel.note.text()
        assert "transposed mode" in panel.note.text()

        model.crop((100, 120, 60, 80))  # an edited input: the programs need it saved
        model.set_params(family="separable", depth_multiplier=2, stride=(2, 1))
        model.compute_now()
        assert "expects it in a variable" in panel.note.text()
        assert "data.camera()" not in panel.numpy_edit.toPlainText()
        saved = panel.save_input(tmp_path / "input.npy")
        assert saved is not None and "the saved input input.npy" in panel.note.text()
        code = panel.numpy_edit.toPlainText()
        assert "np.load(" in code and "pointwise 1×1 conv" in code
        ns = {}
        exec(compile(code, "<show code>", "exec"), ns)  # noqa: S102 (runs it as pasted)
        np.testing.assert_array_equal(ns["image"], model.source)
        np.testing.assert_array_equal(ns["conv"], model.result.conv)
        assert ns["conv"].shape == (30, 80)  # "same" kept, stride (2, 1) on the 60×80 crop
    finally:
        model.shutdown()
