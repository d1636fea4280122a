"""Issue 7: a corpus of hostile and broken inputs, each opened through the real UI path.

Every broken file: a message is shown, the window stays alive, and the previous state is intact.
Unusual but valid files (16-bit, RGBA, palette, CMYK, 1×1) open correctly.
"""

import gzip
import io
import json
import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication

from convstudio import lessons as L


@pytest.fixture
def win(window):
    return window


def _png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _huge_png_header() -> bytes:
    """A valid PNG signature and IHDR declaring 100000×100000 pixels, then a tiny IDAT."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b""))


def _jpeg_bytes(mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (32, 24), (10, 200, 30, 0) if mode == "CMYK" else (10, 200, 30)).save(
        buf, "JPEG")
    return buf.getvalue()


BROKEN_IMAGES = {
    "zero-byte.png": b"",
    "truncated.png": _png_bytes(Image.new("RGB", (64, 64), "red"))[:60],
    "truncated.jpg": _jpeg_bytes()[:200],
    "text-renamed.png": b"this is a shopping list, not a picture\n",
    "huge-header.png": _huge_png_header(),
}


def _image_state(w):
    return w.model.rgb.copy(), w.model.source_name


@pytest.mark.parametrize("name", list(BROKEN_IMAGES))
def test_broken_images_are_refused_with_a_message(win, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(BROKEN_IMAGES[name])
    rgb, source = _image_state(win)
    assert not win.workspace.open_path(path)
    assert name in win.workspace.error_label.text()
    assert "unchanged" in win.workspace.error_label.text()
    assert win.last_message  # the status bar says it too
    np.testing.assert_array_equal(win.model.rgb, rgb)
    assert win.model.source_name == source
    assert win.isVisible()


def _valid_unusual(tmp_path):
    files = {}
    a16 = (np.arange(20 * 30, dtype=np.uint16).reshape(20, 30) * 100)
    Image.fromarray(a16).save(files.setdefault("sixteen.png", tmp_path / "sixteen.png"))
    Image.new("RGBA", (17, 9), (255, 0, 0, 128)).save(files.setdefault("rgba.png",
                                                                    tmp_path / "rgba.png"))
    Image.new("P", (12, 12), 3).save(files.setdefault("palette.png", tmp_path / "palette.png"))
    (tmp_path / "cmyk.jpg").write_bytes(_jpeg_bytes("CMYK"))
    files["cmyk.jpg"] = tmp_path / "cmyk.jpg"
    Image.new("L", (1, 1), 200).save(files.setdefault("one.png", tmp_path / "one.png"))
    return files


@pytest.mark.parametrize("name, shape", [("sixteen.png", (20, 30)), ("rgba.png", (9, 17)),
                                         ("palette.png", (12, 12)), ("cmyk.jpg", (24, 32)),
                                         ("one.png", (1, 1))])
def test_unusual_valid_images_open(win, qtbot, tmp_path, name, shape):
    path = _valid_unusual(tmp_path)[name]
    assert win.workspace.open_path(path)
    assert win.model.rgb.shape[:2] == shape
    rgb = win.model.rgb
    assert np.isfinite(rgb).all() and 0 <= rgb.min() <= rgb.max() <= 255
    QApplication.processEvents()
    qtbot.waitUntil(lambda: win.model.idle, timeout=10000)
    assert win.isVisible()


def test_nan_kernel_file_is_refused(win, tmp_path):
    path = tmp_path / "nan.npy"
    np.save(path, np.full((3, 3), np.nan))
    before = win.model.kernel.entries.copy()
    assert not win.workspace.open_kernel(path)
    assert "nan.npy" in win.workspace.error_label.text()
    np.testing.assert_array_equal(win.model.kernel.entries, before)
    pickled = tmp_path / "objects.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert not win.workspace.open_kernel(pickled)  # object arrays would need a pickle
    np.testing.assert_array_equal(win.model.kernel.entries, before)
    good = tmp_path / "good.npy"
    np.save(good, np.arange(9.0).reshape(3, 3))
    assert win.workspace.open_kernel(good)
    np.testing.assert_array_equal(win.model.kernel.entries, np.arange(9.0).reshape(3, 3))


def _write_idx(folder, prefix, images, labels, *, magic=0x0803, cut=0):
    folder.mkdir(parents=True, exist_ok=True)
    n, h, w = images.shape
    raw = struct.pack(">IIII", magic, n, h, w) + images.astype(np.uint8).tobytes()
    if cut:
        raw = raw[:-cut]
    (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(raw))
    (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(struct.pack(">II", 0x0801, n) + labels.astype(np.uint8).tobytes()))


def _wait_dataset(qtbot, tab):
    with qtbot.waitSignal(tab.model.datasetLoaded, timeout=30000):
        pass


@pytest.mark.parametrize("problem", ["wrong magic", "truncated", "empty folder",
                                     "one class", "not images"])
def test_bad_datasets_keep_the_current_one(win, qtbot, tmp_path, problem):
    tab = win.training
    win.show_tab("training")
    tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("shapes"))
    qtbot.waitUntil(lambda: tab.dataset is not None and tab.dataset.name == "shapes",
                    timeout=30000)
    folder = tmp_path / "data"
    rng = np.random.default_rng(0)
    imgs, labels = rng.integers(0, 255, (20, 28, 28)), np.arange(20) % 10
    if problem in ("wrong magic", "truncated"):
        kw = {"magic": 0x0808} if problem == "wrong magic" else {"cut": 500}
        _write_idx(folder, "train", imgs, labels, **kw)
        _write_idx(folder, "t10k", imgs, labels, **kw)
        target = "fashion-mnist"
    else:
        folder.mkdir()
        if problem == "one class":
            (folder / "cats").mkdir()
            for i in range(3):
                Image.new("L", (28, 28), i * 40).save(folder / "cats" / f"{i}.png")
        elif problem == "not images":
            for c in ("a", "b"):
                (folder / c).mkdir()
                (folder / c / "readme.txt").write_text("no pictures here")
        target = "folder"
    tab.model.folder = str(folder)
    with qtbot.waitSignal(tab.model.datasetLoaded, timeout=30000):
        tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData(target))
        if target == "fashion-mnist" and tab.model.settings.dataset == target:
            pass
    text = tab.error_label.text()
    assert text and "Still using" in text, text
    assert tab.dataset is not None and tab.dataset.name == "shapes"
    assert win.isVisible()


def test_corrupt_keras_file_keeps_the_model(win, tmp_path):
    path = tmp_path / "broken.keras"
    path.write_bytes(b"PK\x03\x04 this zip is broken")
    assert not win.training.load_from(str(path))
    assert "unchanged" in win.training.error_label.text()
    assert win.training.network is None and win.isVisible()


def test_lesson_with_wrong_types_and_from_the_future(win, tmp_path):
    doc = L.builtin_lessons()["line-filters"].to_json()
    before = win.model.kernel.entries.copy(), win.model.params
    wrong = dict(doc, workspace=dict(doc["workspace"], kernel=[[1, "two", 3]]))
    future = dict(doc, version=L.VERSION + 5)
    not_json = b"{\"format\": \"convstudio-lesson\", \"version\": 1, "
    for name, content in (("wrong.convstudio", json.dumps(wrong).encode()),
                          ("future.convstudio", json.dumps(future).encode()),
                          ("cut.convstudio", not_json)):
        path = tmp_path / name
        path.write_bytes(content)
        assert not win.open_lesson(str(path))
        assert name in win.last_message and "Nothing was changed" in win.last_message
        np.testing.assert_array_equal(win.model.kernel.entries, before[0])
        assert win.model.params == before[1]
    assert win.isVisible()


def test_special_files_as_kernels_give_a_message_and_no_hang(win, tmp_path):
    import os

    fifo = tmp_path / "kernel.txt"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.txt"
    os.symlink(tmp_path / "loop2.txt", loop)
    os.symlink(loop, tmp_path / "loop2.txt")
    before = win.model.kernel.entries.copy()
    for path, why in ((fifo, "named pipe"), ("/dev/zero", "device"), (loop, "loop")):
        assert not win.workspace.open_kernel(path)
        assert why in win.workspace.error_label.text(), win.workspace.error_label.text()
        np.testing.assert_array_equal(win.model.kernel.entries, before)
    text = tmp_path / "k.txt"
    text.write_text("1 2 3\n4 5 6\n")
    assert win.workspace.open_kernel(text)
    np.testing.assert_array_equal(win.model.kernel.entries, [[1, 2, 3], [4, 5, 6]])


def test_exported_files_get_the_usual_permissions(win, tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        written = win.workspace.export_to(str(tmp_path / "out.png"))
        view = win.export_view(str(tmp_path / "view.png"))
    finally:
        os.umask(old)
    for path in (written, view):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png", "view.png"]
