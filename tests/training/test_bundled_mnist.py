"""Dataset "mnist": the full MNIST where it is found, else the bundled sample, saying which."""

import gzip
import json
import socket
import struct
from pathlib import Path

import numpy as np
import pytest

from convstudio.training import __main__ as cli
from convstudio.training import bundled, datasets
from convstudio.training.datasets import DatasetError, load_dataset

SYSTEM_MNIST = Path("/usr/share/datasets/mnist")


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _full_mnist(folder, n=30, m=10):
    """A tiny stand-in for the full MNIST: the four files under their standard names."""
    rng = np.random.default_rng(5)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"x_train": rng.integers(0, 256, (n, 28, 28)), "y_train": np.arange(n) % 10,
              "x_test": rng.integers(0, 256, (m, 28, 28)), "y_test": np.arange(m) % 10}
    for key, name in datasets.IDX_FILES.items():
        _write_idx(folder / name, arrays[key])
    return arrays


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """An empty home, no $CONVSTUDIO_DATA, and any attempt to connect anywhere fails the test."""
    if (SYSTEM_MNIST / datasets.IDX_FILES["x_train"]).is_file():
        pytest.skip(f"the full MNIST is installed in {SYSTEM_MNIST}")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CONVSTUDIO_DATA", raising=False)
    attempts = []

    def no_network(self, address):
        attempts.append(address)
        raise OSError("network blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    yield home
    assert attempts == []  # nothing even tried


def test_with_nothing_installed_mnist_is_the_bundled_sample(offline):
    assert Path.home() == offline
    ds = load_dataset("mnist")
    assert ds.bundled and ds.extra["bundled"] is True
    assert ds.source == "MNIST sample bundled with ConvStudio: 8,000 training / 2,000 test digits"
    assert ds.x_train.shape == (8000, 28, 28) and ds.x_test.shape == (2000, 28, 28)
    assert ds.x_train.dtype == np.uint8 and ds.class_names == datasets.DIGIT_CLASSES
    assert np.bincount(ds.y_test, minlength=10).tolist() == list(bundled.BUNDLED_TEST_COUNTS)
    assert not list(offline.iterdir())  # nothing was downloaded or cached


def test_a_quick_run_on_the_sample_still_says_it_is_the_sample(offline):
    ds = load_dataset("mnist", limit=600)
    assert ds.bundled and ds.source.startswith(bundled.BUNDLED_SOURCE)
    assert ds.source.endswith("(first 600)") and len(ds.x_train) == 600


@pytest.mark.parametrize("where", ["data_dir", "env", "keras_cache"])
def test_the_full_mnist_is_used_wherever_it_is_found(offline, tmp_path, monkeypatch, where):
    folder = {"data_dir": tmp_path / "chosen" / "mnist", "env": tmp_path / "env",
              "keras_cache": offline / ".keras" / "datasets" / "mnist"}[where]
    arrays = _full_mnist(folder)
    if where == "env":
        monkeypatch.setenv("CONVSTUDIO_DATA", str(folder))
    ds = load_dataset("mnist", tmp_path / "chosen" if where == "data_dir" else None)
    assert not ds.bundled and "bundled" not in ds.extra
    assert ds.source == str(folder)
    np.testing.assert_array_equal(ds.x_train, arrays["x_train"])
    np.testing.assert_array_equal(ds.y_test, arrays["y_test"])


def test_a_folder_named_on_the_command_line_is_the_only_place_looked(offline, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="not found"):
        load_dataset("mnist", tmp_path / "empty", only_data_dir=True)


def test_fashion_mnist_never_falls_back_to_digits(offline, monkeypatch, tmp_path):
    monkeypatch.setattr(datasets, "search_dirs", lambda name, data_dir=None: [tmp_path / "no"])
    with pytest.raises(DatasetError, match="fashion-mnist was not found"):
        load_dataset("fashion-mnist")


@pytest.mark.slow
def test_the_command_line_trains_offline_and_says_which_mnist(offline, capsys):
    assert cli.main(["--dataset", "mnist", "--epochs", "1", "--limit", "300", "--json",
                     "--batch-size", "64"]) == 0
    out = capsys.readouterr()
    last = json.loads(out.out.strip().splitlines()[-1])
    assert last["dataset"] == "mnist" and last["bundled"] is True
    assert last["source"] == f"{bundled.BUNDLED_SOURCE} (first 300)"
    assert 0 <= last["test_accuracy"] <= 1
    assert "MNIST was not found, so this run uses the MNIST sample bundled" in out.err
    assert "8,000 training / 2,000 test digits" in out.err


@pytest.mark.slow
def test_the_command_line_names_the_full_mnist_folder(offline, tmp_path, capsys):
    _full_mnist(tmp_path / "full")
    assert cli.main(["--dataset", "mnist", "--data-dir", str(tmp_path / "full"), "--epochs", "1",
                     "--json"]) == 0
    out = capsys.readouterr()
    last = json.loads(out.out.strip().splitlines()[-1])
    assert last["source"] == str(tmp_path / "full") and last["bundled"] is False
    assert "bundled" not in out.err
