"""Issue 19 on the Training tab: the first layer's filter gradients beside the filters, and each
layer's update size ‖ΔW‖/‖W‖ as a curve, from the numbers the run reports."""

import numpy as np
import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication, QBoxLayout, QLabel

from convstudio.training.events import BatchEvent, Snapshot
from convstudio.ui.training.learning_views import GradientsView, SideBySide, UpdatesView
from convstudio.ui.training.views import tile

from .training_setup import quick_run_tab


def test_the_gradients_are_tiled_as_the_filters_on_one_scale(qtbot):
    view = GradientsView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    g = np.zeros((3, 3, 1, 4), np.float32)
    g[..., 0, 2] = -0.5  # filter 2 pulled hardest, by negative gradients
    g[1, 1, 0, 0] = 0.1
    view.show_gradients(g, "epoch 1, batch 20")
    np.testing.assert_array_equal(view.data, tile(np.abs(np.moveaxis(g[:, :, 0, :], -1, 0))))
    assert view.caption.text() == "filter 2 pulled hardest, on 32 training images"
    assert "GradientTape" in view.caption.toolTip() and "32 training images" in (
        view.caption.toolTip())
    view.resize(90, 400)  # too narrow for the whole caption: its short form
    qtbot.waitUntil(lambda: view.caption.text() == "filter 2 pulled hardest")
    view.clear()
    assert view.data is None and view.gradients is None


def test_the_update_curve_keeps_each_layers_ratios_on_a_log_axis(qtbot):
    view = UpdatesView()
    qtbot.addWidget(view)
    view.add(0.2, (("conv1", 2e-3), ("dense", 1e-4)))
    view.add(0.4, (("conv1", 0.0), ("dense", 3e-4)))  # a 0 has no place on a log axis
    view.add(1.2, (("conv1", 1e-3), ("dense", 5e-4)))
    assert view.points["conv1"] == ([0.2, 1.2], [2e-3, 1e-3])
    assert view.points["dense"] == ([0.2, 0.4, 1.2], [1e-4, 3e-4, 5e-4])
    assert view.plot.getAxis("left").logMode
    xs, ys = view.curves["dense"].getData()
    np.testing.assert_allclose(ys, np.log10([1e-4, 3e-4, 5e-4]))  # drawn as log10
    text = QLabel(view.key.text()).text()
    assert "conv1" in text and "dense" in text
    assert "‖ΔW‖/‖W‖" in view.title.text().replace("\u2060", "")  # word joiners: one piece
    view.drop_after(1)  # a Stop mid-epoch 2: that epoch is trained again
    assert view.points["dense"] == ([0.2, 0.4], [1e-4, 3e-4])
    view.clear()
    assert view.points == {} and view.key.text() == ""


def _lines(label: QLabel) -> list[str]:
    """The lines ``label`` shows at its width, as its word wrap breaks them."""
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setDefaultFont(label.font())
    doc.setDocumentMargin(0)
    doc.setHtml(label.text())
    doc.setTextWidth(label.contentsRect().width())
    doc.documentLayout()  # lays the text out
    block, lines = doc.begin(), []
    while block.isValid():
        layout = block.layout()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            lines.append(block.text()[line.textStart():line.textStart() + line.textLength()])
        block = block.next()
    return [t.replace("\u2060", "").strip() for t in lines]


@pytest.mark.parametrize("width", [120, 160, 200, 260])
def test_a_formula_in_a_title_is_never_broken_across_lines(qtbot, width):
    grads, steps = GradientsView(), UpdatesView()
    for view, formula in ((grads, "|∂loss/∂W|"), (steps, "‖ΔW‖/‖W‖")):
        qtbot.addWidget(view)
        f = view.title.font()
        f.setPointSizeF(20)  # a projector's text
        view.title.setFont(f)
        view.resize(width, 300)
        view.show()
        QApplication.processEvents()
        lines = _lines(view.title)
        assert len(lines) >= 2 or width >= 200, lines  # narrow: the title does wrap…
        assert formula in lines, lines                  # …but never inside the formula


@pytest.mark.parametrize(("w", "h", "wide"), [(900, 300, True), (240, 420, False)])
def test_two_views_sit_side_by_side_where_that_gives_larger_pictures(qtbot, w, h, wide):
    a, b = QLabel("a"), QLabel("b")
    pair = SideBySide(a, b)
    qtbot.addWidget(pair)
    pair.show()
    pair.resize(w, h)
    qtbot.waitUntil(lambda: pair.size() == QSize(w, h))
    want = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
    assert pair.box.direction() == want
    optional = SideBySide(QLabel("c"), QLabel("d"), optional=True)
    qtbot.addWidget(optional)
    optional.show()
    line = optional.fontMetrics().lineSpacing()
    optional.resize(4 * line, 4 * line)
    qtbot.waitUntil(lambda: optional.second.isHidden())  # no room: it gives way
    optional.resize(60 * line, 30 * line)
    qtbot.waitUntil(lambda: not optional.second.isHidden())
    assert optional.arrangement(60 * line, 30 * line) == (True, 26 * line)


@pytest.fixture
def tab(window, qtbot):
    return quick_run_tab(window, qtbot, epochs=1)


def test_a_run_shows_the_reported_update_sizes_and_filter_gradients(tab, qtbot):
    seen_batches, seen_snaps = [], []
    assert tab.start()
    worker = tab.model.runner.worker
    worker.batchEnded.connect(seen_batches.append, Qt.ConnectionType.DirectConnection)
    worker.snapshotTaken.connect(seen_snaps.append, Qt.ConnectionType.DirectConnection)
    qtbot.waitUntil(lambda: not tab.model.runner.running and tab.start_button.isEnabled(),
                    timeout=120000)
    QApplication.processEvents()
    qtbot.waitUntil(lambda: tab.gradients_view.gradients is not None)
    assert seen_batches and seen_snaps
    # The curve holds every ratio reported, at the batch's place in the run.
    for name in ("conv1", "conv2", "dense", "output"):
        xs, ys = tab.updates_view.points[name]
        reported = [(e.epoch + e.batch / e.batches, dict(e.update_ratios)[name])
                    for e in seen_batches]
        assert list(zip(xs, ys, strict=True)) == [p for p in reported if p[1] > 0]
    last = next(s for s in reversed(seen_snaps) if s.filter_gradients is not None)
    np.testing.assert_array_equal(tab.gradients_view.gradients, last.filter_gradients)
    np.testing.assert_array_equal(
        tab.gradients_view.data, tile(np.abs(np.moveaxis(last.filter_gradients[:, :, 0, :],
                                                         -1, 0))))
    assert tab.gradients_view.gradients.shape == (3, 3, 1, 8)


def test_a_forgotten_model_leaves_no_gradients_and_no_update_curve(tab):
    tab.results.updates_view.add(0.5, (("conv1", 1e-3),))
    tab.results.gradients_view.show_gradients(np.ones((3, 3, 1, 8), np.float32), "x")
    tab.results.forget_model()
    assert tab.updates_view.points == {} and tab.gradients_view.data is None
    assert isinstance(BatchEvent(0, 5, 17, 1.0, 0.5, 1.0).update_ratios, tuple)
    assert Snapshot(0, 5, np.zeros((3, 3, 1, 1)), (), np.zeros(10)).filter_gradients is None
