"""Damaged and hostile dataset files are refused with a message naming the file."""

import gzip
import os
import struct

import numpy as np
import pytest
from PIL import Image

from convstudio.training import datasets
from convstudio.training.datasets import DatasetError, load_dataset, read_idx


def _idx_bytes(array, code=0x08, dims=None):
    dims = array.shape if dims is None else dims
    dtype = {0x08: "u1", 0x0B: ">i2", 0x0D: ">f4", 0x0E: ">f8"}[code]
    return (bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
            + np.asarray(array).astype(dtype).tobytes())


def _folder(tmp_path, *, x_train=None, y_train=None, x_test=None, y_test=None, codes=None):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (12, 28, 28)), "y_train": np.arange(12) % 10,
              "x_test": rng.integers(0, 256, (6, 28, 28)), "y_test": np.arange(6) % 10}
    given = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    codes = codes or {}
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for key, name in datasets.IDX_FILES.items():
        array = arrays[key] if given[key] is None else given[key]
        with gzip.open(folder / name, "wb") as f:
            f.write(_idx_bytes(array, codes.get(key, 0x08)))
    return folder


def test_a_header_declaring_gigabytes_is_refused_before_anything_is_allocated(tmp_path):
    # 9M × 28 × 28 float64 is 56 GB: before, read() tried to allocate it (MemoryError).
    for name, opener in (("huge.gz", gzip.open), ("huge", open)):
        path = tmp_path / name
        with opener(path, "wb") as f:
            f.write(bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", 9_000_000, 28, 28) + b"\0" * 64)
        with pytest.raises(DatasetError, match=r"declares 9,000,000×28×28 float64") as info:
            read_idx(path)
        assert str(path) in str(info.value)


def test_an_uncompressed_file_shorter_than_its_header_says_is_refused_unread(tmp_path):
    path = tmp_path / "short-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">3I", 60000, 28, 28) + b"\0" * 100)
    with pytest.raises(DatasetError, match="truncated.*47,040,000 bytes"):
        read_idx(path)


def test_a_fifo_or_a_device_is_refused_with_what_it_is(tmp_path):
    fifo = tmp_path / "fifo.gz"
    os.mkfifo(fifo)
    with pytest.raises(DatasetError, match="named pipe"):
        read_idx(fifo)
    link = tmp_path / "zero.gz"
    link.symlink_to("/dev/zero")
    with pytest.raises(DatasetError, match="device"):
        read_idx(link)


@pytest.mark.parametrize(("change", "match", "file"), [
    ({"y_train": np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 1])}, r"label 12 \(image 10\) is "
     r"outside 0…9", "train-labels"),
    ({"y_test": np.arange(5)}, "5 labels for 6 images", "t10k-labels"),
    ({"x_train": np.zeros((0, 28, 28)), "y_train": np.zeros(0)}, "holds no images",
     "train-images"),
    ({"x_test": np.zeros((0, 28, 28)), "y_test": np.zeros(0)}, "holds no images", "t10k-images"),
])
def test_bad_labels_and_empty_sets_are_refused_naming_the_file(tmp_path, change, match, file):
    folder = _folder(tmp_path, **change)
    with pytest.raises(DatasetError, match=match) as info:
        load_dataset("fashion-mnist", tmp_path, only_data_dir=True)
    assert str(folder) in str(info.value) and file in str(info.value)


def test_nan_images_are_refused_and_float_images_are_read_as_pixels(tmp_path):
    x = np.random.default_rng(1).random((12, 28, 28))
    x[3, 4, 5] = np.nan
    _folder(tmp_path, x_train=x, codes={"x_train": 0x0D})
    with pytest.raises(DatasetError, match="1 pixel values are not numbers") as info:
        load_dataset("fashion-mnist", tmp_path, only_data_dir=True)
    assert "train-images" in str(info.value)
    ok = tmp_path / "ok"
    ok.mkdir()
    x[3, 4, 5] = 0.5
    _folder(ok, x_train=x, codes={"x_train": 0x0D})
    ds = load_dataset("fashion-mnist", ok, only_data_dir=True)
    assert ds.x_train.dtype == np.uint8
    np.testing.assert_array_equal(ds.x_train, np.rint(x.astype(np.float32) * 255.0))


def test_pixels_outside_0_255_are_refused(tmp_path):
    x = np.full((12, 28, 28), 300)
    _folder(tmp_path, x_train=x, codes={"x_train": 0x0B})
    with pytest.raises(DatasetError, match="from 300 to 300"):
        load_dataset("fashion-mnist", tmp_path, only_data_dir=True)


def test_only_the_given_folder_is_searched_when_asked(tmp_path, monkeypatch):
    elsewhere = tmp_path / "env"
    elsewhere.mkdir()
    _folder(elsewhere)
    monkeypatch.setenv("CONVSTUDIO_DATA", str(elsewhere))
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    assert load_dataset("fashion-mnist", chosen).source == str(elsewhere / "fashion-mnist")
    with pytest.raises(DatasetError, match="not found") as info:
        load_dataset("fashion-mnist", chosen, only_data_dir=True)
    assert str(chosen) in str(info.value) and str(elsewhere) not in str(info.value)


def test_unreadable_images_in_a_folder_are_skipped_and_named(tmp_path):
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            Image.fromarray(np.full((30, 30), 40 * i, np.uint8)).save(tmp_path / cls / f"{i}.png")
    (tmp_path / "a" / "broken.png").write_bytes(b"not a png at all")
    os.mkfifo(tmp_path / "b" / "pipe.png")  # before, this hung the loader
    (tmp_path / "b" / "folder.jpg").mkdir()
    ds = load_dataset("folder", tmp_path)
    assert len(ds.x_train) + len(ds.x_test) == 6 and ds.extra["skipped"] == 3
    names = [name for name, _ in ds.extra["skipped_files"]]
    assert names == [os.path.join("a", "broken.png"), os.path.join("b", "folder.jpg"),
                     os.path.join("b", "pipe.png")]
    text = datasets.skipped_text(ds)
    assert text.startswith("Skipped 3 unreadable image(s): a/broken.png (")
    assert "named pipe" in text
