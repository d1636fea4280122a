import gzip
import struct

import numpy as np
import pytest
from PIL import Image

from convstudio.training import datasets
from convstudio.training.datasets import DatasetError, load_dataset, read_idx


def _write_idx(path, array, magic_type=0x08):
    header = bytes([0, 0, magic_type, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _fake_idx_folder(folder, n=12, m=6):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "x_train": rng.integers(0, 256, (n, 28, 28)), "y_train": rng.integers(0, 10, n),
        "x_test": rng.integers(0, 256, (m, 28, 28)), "y_test": rng.integers(0, 10, m),
    }
    for key, name in datasets.IDX_FILES.items():
        _write_idx(folder / name, arrays[key])
    return arrays


def test_idx_round_trip(tmp_path):
    arrays = _fake_idx_folder(tmp_path / "fashion-mnist")
    ds = load_dataset("fashion-mnist", tmp_path)
    np.testing.assert_array_equal(ds.x_train, arrays["x_train"])
    np.testing.assert_array_equal(ds.y_test, arrays["y_test"])
    assert ds.class_names[9] == "Ankle boot" and ds.source == str(tmp_path / "fashion-mnist")


def test_idx_wrong_magic_and_truncated(tmp_path):
    bad = tmp_path / "bad.gz"
    with gzip.open(bad, "wb") as f:
        f.write(b"\x12\x34\x08\x03" + b"\x00" * 20)
    with pytest.raises(DatasetError, match="bad magic"):
        read_idx(bad)
    short = tmp_path / "short.gz"
    with gzip.open(short, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + struct.pack(">3I", 10, 28, 28) + b"\x00" * 100)
    with pytest.raises(DatasetError, match="truncated"):
        read_idx(short)
    notgz = tmp_path / "plain.gz"
    notgz.write_bytes(b"hello")
    with pytest.raises(DatasetError):
        read_idx(notgz)


def test_debian_fashion_mnist_when_installed():
    folder = datasets.Path("/usr/share/datasets/fashion-mnist")
    if not (folder / datasets.IDX_FILES["x_train"]).is_file():
        pytest.skip("dataset-fashion-mnist is not installed here")
    ds = load_dataset("fashion-mnist", limit=600)
    assert ds.x_train.shape == (600, 28, 28) and ds.x_train.dtype == np.uint8
    assert set(np.unique(ds.y_train)) <= set(range(10))


def test_missing_dataset_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVSTUDIO_DATA", str(tmp_path / "env"))
    monkeypatch.setattr(datasets.Path, "home", lambda: tmp_path / "home")
    # A copy of ConvStudio without its bundled MNIST sample (else MNIST is never missing).
    monkeypatch.setattr("convstudio.training.bundled.BUNDLED_MNIST_DIR", tmp_path / "none")
    with pytest.raises(DatasetError) as info:
        load_dataset("mnist", tmp_path / "chosen")
    text = str(info.value)
    for place in (tmp_path / "chosen", tmp_path / "env", tmp_path / "home" / ".keras"):
        assert str(place) in text
    assert "shapes" in text


def test_shapes_is_seeded_and_balanced():
    a = datasets.shapes_dataset(n_train=200, n_test=50, seed=3)
    b = datasets.shapes_dataset(n_train=200, n_test=50, seed=3)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert a.x_train.shape == (200, 28, 28) and a.x_train.dtype == np.uint8
    assert np.bincount(a.y_train).tolist() == [20] * 10
    assert a.x_train.max() > 150  # something is drawn
    c = datasets.shapes_dataset(n_train=200, n_test=50, seed=4)
    assert not np.array_equal(a.x_train, c.x_train)


def test_image_folder(tmp_path):
    for cls, value in (("dark", 30), ("light", 220)):
        (tmp_path / cls).mkdir()
        for i in range(5):
            image = Image.fromarray(np.full((40, 50), value + i, np.uint8))
            image.save(tmp_path / cls / f"{i}.png")
    (tmp_path / "light" / "notes.txt").write_text("ignored")
    (tmp_path / "dark" / "broken.png").write_bytes(b"not a png")
    ds = load_dataset("folder", tmp_path)
    assert ds.class_names == ("dark", "light")
    assert len(ds.x_train) + len(ds.x_test) == 10 and ds.extra["skipped"] == 1
    x = np.concatenate([ds.x_train, ds.x_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    assert x[y == 0].max() < 40 and x[y == 1].min() > 210


def test_empty_folder_is_refused(tmp_path):
    with pytest.raises(DatasetError, match="at least two"):
        load_dataset("folder", tmp_path)
