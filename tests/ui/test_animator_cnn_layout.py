"""The trained CNN's source in a lesson, and its 32 channels and 64 maps at any width."""

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from convstudio import lessons as L
from convstudio.core.animator_sources import TRAINED_SOURCE

from ..training.second_conv_setup import tiny_cnn

pytestmark = pytest.mark.slow


def _saved(tmp_path, seed=5):
    from convstudio.training.persist import save_model

    return save_model(tiny_cnn((32, 64), seed=seed), {"loss": [0.5]}, tmp_path / "cnn.keras")


def test_a_lesson_with_its_model_opens_on_the_trained_layer_at_its_step(window, tmp_path):
    _saved(tmp_path)
    lesson = L.Lesson(title="conv2", tab="animator", sample="camera",
                      animator_source=TRAINED_SOURCE, animator_step=500,
                      model_file="cnn.keras")
    assert L.animator_steps(lesson) is None  # the network's layer decides, not the image
    path = L.write(lesson, tmp_path / "conv2")
    assert L.read(path).animator_step == 500  # not cut to some other source's count
    assert window.open_lesson(str(path))
    QApplication.processEvents()
    m = window.animator_model
    assert m.source_kind == TRAINED_SOURCE and m.cursor.step == 500
    assert m.error == "" and window.animator.error_label.isHidden()
    assert m.conv.kernel.shape == (3, 3, 32, 64)
    assert window.statusBar().currentMessage() == "Opened lesson “conv2”."


def test_the_strips_show_larger_pages_on_a_wider_window(big_window, tmp_path):
    w = big_window
    assert w.training_model.load_from(str(_saved(tmp_path)))
    w.show_tab("animator")
    w.animator_model.set_source_kind(TRAINED_SOURCE)
    w.animator_model.go_to(121 * 9 + 4)  # filter 9
    QApplication.processEvents()
    row = w.animator.conv_page.channels
    wide = tuple(len(r) for r in row._pages)
    assert wide[0] >= 4 and wide[2] >= 4
    w.resize(1024, 768)
    QApplication.processEvents()
    narrow = tuple(len(r) for r in row._pages)
    assert narrow != wide and all(n <= x for n, x in zip(narrow, wide, strict=True))
    channels, filters, maps = row._pages
    assert 0 in channels and 9 in filters and 9 in maps  # the current ones stay shown
    for strip in (row.input_strip, row.kernel_strip, row.output_strip):
        assert strip.width() >= strip.sizeHint().width() * 0.6, strip  # drawn near full size
        assert strip.geometry().right() < row.caption.geometry().left()
    np.testing.assert_array_equal(row.output_strip._items[9 - maps.start][0],
                                  w.animator_model.conv.output[:, :, 9])


def test_the_command_line_asking_for_it_without_a_cnn_shows_why(window):
    from convstudio import app

    assert "animator" not in window._lazy  # the tab is not built yet
    app._animator_state(window, app.build_parser().parse_args(["--source", TRAINED_SOURCE]))
    QApplication.processEvents()
    assert window.animator_model.source_kind == "glyph"
    assert "No trained CNN yet" in window.animator.error_label.text()
    assert "No trained CNN yet" in window.statusBar().currentMessage()
