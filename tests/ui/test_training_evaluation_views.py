"""Issue 16: the confusion matrix names its classes on both axes, each mistake is captioned
"true → predicted", and the probe image is shown beside its feature maps."""

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetricsF

from convstudio.training.datasets import IDX_DATASETS
from convstudio.training.events import Evaluation, Snapshot
from convstudio.ui.theme import presentation
from convstudio.ui.training.evaluation_views import SMALLEST_TEXT, ConfusionView, MistakesView

NAMES = IDX_DATASETS["fashion-mnist"]


def _confusion():
    conf = np.full((10, 10), 2, np.int64)
    conf[np.arange(10), np.arange(10)] = 80
    conf[6, 0] = 30  # shirts taken for T-shirts
    return conf


def _shown(qtbot, view, w, h):
    qtbot.addWidget(view)
    view.resize(w, h)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_the_matrix_names_every_class_on_both_axes(qtbot):
    view = _shown(qtbot, ConfusionView(), 700, 520)
    view.show_matrix(_confusion(), NAMES)
    lay = view.placement()
    assert not lay.numbered and lay.step == 1
    assert view.row_labels() == NAMES and view.column_labels() == NAMES
    # The last row ends at the canvas' edge: 456.775 + 39.225 is a hair over 496 in floats
    # (with the body font a test that toggled projection mode leaves behind).
    canvas = QRectF(view.canvas.rect()).adjusted(-1e-6, -1e-6, 1e-6, 1e-6)
    fm = QFontMetricsF(lay.font)
    assert lay.font.pointSizeF() == view.font().pointSizeF()  # the body text's size
    for rect, name in zip(lay.row_labels, NAMES, strict=True):
        assert canvas.contains(rect) and rect.height() >= fm.height()
        assert fm.horizontalAdvance(name) <= rect.width(), name  # never cut
    for rect, name in zip(lay.column_labels, NAMES, strict=True):
        assert canvas.contains(rect) and fm.horizontalAdvance(name) <= rect.height(), name
    np.testing.assert_allclose(view.data[6, 0], 30 / (30 + 80 + 8 * 2))
    # The cell of (Shirt, T-shirt/top) is drawn in the colour of its share.
    image = view.canvas.grab().toImage()
    cell = lay.cell
    centre = (lay.cells.left() + 0.5 * cell, lay.cells.top() + 6.5 * cell)
    from convstudio.ui.theme import sequential_cmap

    want = sequential_cmap().getLookupTable(nPts=256, alpha=False)[
        int(round(view.data[6, 0] * 255))]
    got = image.pixelColor(int(centre[0]), int(centre[1]))
    assert (got.red(), got.green(), got.blue()) == tuple(int(v) for v in want[:3])


def test_a_short_matrix_in_projection_numbers_its_columns_and_names_its_rows(qtbot):
    pres = presentation()
    pres.set_projection(True, remember=False)
    try:
        view = _shown(qtbot, ConfusionView(), 700, 330)
        view.show_matrix(_confusion(), NAMES)
        lay = view.placement()
        assert lay.numbered
        assert view.column_labels() == tuple(str(i) for i in range(10))
        assert view.row_labels()[6] == "Shirt 6" and view.row_labels()[0] == "T-shirt/top 0"
        assert "6: Shirt" in view.canvas.toolTip()
        # Never below the smallest legible size, and no row label over another.
        assert lay.font.pointSizeF() >= SMALLEST_TEXT * view.font().pointSizeF() - 1e-9
        assert lay.cell * lay.step >= QFontMetricsF(lay.font).height()
    finally:
        pres.set_projection(False, remember=False)


def test_each_mistake_is_captioned_true_then_predicted(qtbot):
    view = _shown(qtbot, MistakesView(), 900, 400)
    rng = np.random.default_rng(3)
    images = rng.random((12, 28, 28)).astype(np.float32)
    labels = tuple((i % 10, (i + 3) % 10) for i in range(12))
    view.show_mistakes(images, labels, NAMES)
    assert view.captions()[0] == "T-shirt/top → Dress"
    assert view.captions()[9] == "Ankle boot → Pullover"
    lay = view.placement()
    assert view.shown() == len(lay.images) > 0
    fm = QFontMetricsF(lay.font)
    for i, (rect, lines) in enumerate(lay.captions):
        true, predicted = NAMES[labels[i][0]], NAMES[labels[i][1]]
        assert " ".join(lines) == f"{true} → {predicted}"  # one line, or "true →" / "predicted"
        assert all(fm.horizontalAdvance(line) <= rect.width() for line in lines)
    # The image is drawn in grey as the network sees it.
    shot = view.canvas.grab().toImage()
    r = lay.images[0]
    px = shot.pixelColor(int(r.left() + 0.5 * r.width() / 28), int(r.top() + 0.5 * r.height() / 28))
    assert px.red() == px.green() == px.blue() == round(float(images[0, 0, 0]) * 255)


@pytest.mark.parametrize("page", [1, 2])
def test_the_evaluation_pages_take_more_height_and_show_the_names(window, qtbot, page):
    window.show_tab("training")
    res = window.training.results
    conf = _confusion()
    wrong = np.zeros((4, 28, 28), np.float32)
    ev = Evaluation(conf, wrong, ((6, 0), (0, 6), (2, 4), (9, 7)), "validation", 0.5, 0.8)
    res.show_evaluation(ev, NAMES, "after epoch 2")
    before = res.details.height()
    res.details.setCurrentIndex(page)
    qtbot.waitUntil(lambda: res.details.height() > before)
    taller = res.details.height()
    assert res.wrong_view.captions() == ("Shirt → T-shirt/top", "T-shirt/top → Shirt",
                                         "Pullover → Coat", "Ankle boot → Sneaker")
    assert res.confusion_view.row_labels()[6].startswith("Shirt")
    wrong_count, total = int(conf.sum() - np.trace(conf)), int(conf.sum())
    assert (wrong_count, total) == (208, 1008)
    assert res.wrong_view.caption.text() == (
        f"The first of {wrong_count} wrong in {total:,} validation images after epoch 2, each "
        "captioned true → predicted.")
    res.details.setCurrentIndex(0)  # the probe image: the curves and filters get half again
    qtbot.waitUntil(lambda: res.details.height() < taller)
    top, details = res.rows.sizes()
    assert abs(top - details) <= 1


def test_the_probe_image_is_shown_beside_its_feature_maps(window, qtbot):
    window.show_tab("training")
    res, model = window.training.results, window.training_model
    rng = np.random.default_rng(4)
    probe = rng.random((28, 28)).astype(np.float32)
    filters = rng.normal(size=(3, 3, 1, 4)).astype(np.float32)
    model.snapshots.append(("epoch 1, batch 5", filters))
    maps = (("conv1", rng.random((26, 26, 4)).astype(np.float32)),)
    res.add_snapshot(Snapshot(0, 5, filters, maps, np.full(10, 0.1), probe, 7, 9), NAMES)
    qtbot.waitUntil(lambda: res.probe_view.data is not None)
    np.testing.assert_array_equal(res.probe_view.data, probe)
    assert res.probe_view.caption.text() == "Ankle boot"
    # Beside the maps, on the same page, left of them.
    assert res.probe_view.parentWidget() is res.maps_view.parentWidget()
    assert res.probe_view.geometry().right() < res.maps_view.geometry().left()
    res.forget_model()
    assert res.probe_view.data is None
