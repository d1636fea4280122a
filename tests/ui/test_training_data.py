"""Datasets in the Training tab: any failure ends "Loading…" with a message; skips are named."""

import gzip
import struct

import numpy as np
from PIL import Image

from convstudio.training import datasets


def _shapes(window, qtbot):
    t = window.training
    window.show_tab("training")
    t.dataset_combo.setCurrentIndex(t.dataset_combo.findData("shapes"))
    qtbot.waitUntil(lambda: t.dataset is not None and t.dataset.name == "shapes", timeout=30000)
    return t


def test_a_header_declaring_gigabytes_ends_loading_with_the_file_named(window, qtbot, tmp_path):
    tab = _shapes(window, qtbot)
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for name in datasets.IDX_FILES.values():
        with gzip.open(folder / name, "wb") as f:
            f.write(bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", 9_000_000, 28, 28))
    tab.model.folder = str(tmp_path)
    with qtbot.waitSignal(tab.model.datasetLoaded, timeout=30000):
        tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("fashion-mnist"))
    assert tab.dataset_label.text() == "Not loaded."
    text = tab.error_label.text()
    assert "declares 9,000,000×28×28 float64" in text and "Still using shapes" in text
    assert tab.dataset.name == "shapes"


def test_any_exception_while_loading_ends_loading(window, qtbot, monkeypatch):
    tab = _shapes(window, qtbot)

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    # Before, anything but DatasetError, OSError or ValueError left "Loading…" forever.
    monkeypatch.setattr("convstudio.training.datasets.load_dataset", out_of_memory)
    with qtbot.waitSignal(tab.model.datasetLoaded, timeout=30000):
        tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("mnist"))
    assert tab.dataset_label.text() == "Not loaded."
    assert "not enough memory" in tab.error_label.text() and tab.dataset.name == "shapes"


def test_images_that_could_not_be_read_are_named(window, qtbot, tmp_path):
    tab = _shapes(window, qtbot)
    for cls in ("circles", "squares"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            Image.fromarray(np.full((28, 28), 60 * i, np.uint8)).save(tmp_path / cls / f"{i}.png")
    (tmp_path / "squares" / "torn.png").write_bytes(b"\x89PNG torn")
    tab.model.folder = str(tmp_path)
    with qtbot.waitSignal(tab.model.datasetLoaded, timeout=30000):
        tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("folder"))
    assert tab.dataset.name == "folder"
    assert tab.error_label.text().startswith("Skipped 1 unreadable image(s): squares/torn.png (")
