"""Plot pieces: clipped axes paint the same pixels; training curves keep their axes still."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QApplication

from convstudio.ui.plots import ClippedAxisItem, clipped_axes
from convstudio.ui.training.views import CurvesView, ProbabilityView


def _render(qtbot, axis_items):
    widget = pg.PlotWidget(axisItems=axis_items)
    qtbot.addWidget(widget)
    widget.setBackground("w")
    widget.showGrid(x=True, y=True, alpha=0.3)
    widget.plot(np.arange(20.0), np.sin(np.arange(20.0) / 3) * 7, pen=pg.mkPen("b", width=2))
    widget.setTitle("grid")
    widget.resize(420, 320)
    widget.show()
    qtbot.waitExposed(widget)
    for _ in range(3):
        QApplication.processEvents()
    return widget.grab().toImage()


def test_clipped_axes_paint_exactly_what_pyqtgraph_axes_paint(qtbot):
    stock = _render(qtbot, None)
    clipped = _render(qtbot, clipped_axes())
    assert stock.size() == clipped.size()
    assert stock == clipped
    # …and the grid is really there (not a blank comparison): many distinct grey levels.
    arr = np.array([[stock.pixel(x, y) for x in range(0, 420, 7)] for y in range(0, 320, 7)])
    assert len(np.unique(arr)) > 5


def test_clipped_axes_cover_the_sides_asked_for():
    axes = clipped_axes("left", "right")
    assert set(axes) == {"left", "right"}
    assert all(isinstance(a, ClippedAxisItem) and a.orientation == side
               for side, a in axes.items())
    assert set(clipped_axes()) == {"left", "bottom"}


def test_curves_keep_the_epoch_axis_for_the_whole_run(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    view.expect_epochs(5)
    x0 = view.loss_plot.viewRange()[0]
    acc_x0 = view.acc_plot.viewRange()[0]
    assert x0[0] <= 0 and 5 <= x0[1] < 5.5 and acc_x0 == x0
    for epoch in range(1, 4):
        for b in range(10):
            view.add_batch(epoch, b / 10 - 1, 2.0 / epoch)
        view.add_epoch(1.5 / epoch, 0.5 + 0.1 * epoch, 1.6 / epoch, 0.45 + 0.1 * epoch)
    assert view.loss_plot.viewRange()[0] == x0
    assert view.acc_plot.viewRange()[0] == acc_x0
    assert view.history["loss"] == pytest.approx([1.5, 0.75, 0.5])
    # Whole epochs only on the epoch axis.
    assert view.loss_plot.getAxis("bottom")._tickSpacing == [(1, 0)]  # noqa: SLF001
    view.expect_epochs(40)  # a longer run: fewer labels, still whole epochs
    assert view.loss_plot.getAxis("bottom")._tickSpacing == [(5, 0)]  # noqa: SLF001


def test_loss_axis_changes_only_when_a_point_would_not_fit(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    view.expect_epochs(3)
    view.add_batch(1, -0.9, 2.3)
    top = view.loss_top
    assert top >= 2.3 and view.loss_plot.viewRange()[1][1] >= 2.3
    view.add_batch(1, -0.5, 1.5)
    view.add_epoch(1.4, 0.6, 1.3, 0.6)
    assert view.loss_top == top  # smaller points: the axis stays
    view.add_batch(1, -0.4, 3.0)  # a spike is never cut off
    assert view.loss_top >= 3.0 and view.loss_plot.viewRange()[1][1] >= 3.0
    view.add_batch(1, -0.3, float("nan"))  # a diverged batch does not break the axis
    assert np.isfinite(view.loss_top)
    view.clear()
    view.set_history({"loss": [0.5, 0.4], "accuracy": [0.8, 0.85]})
    assert view.loss_top == pytest.approx(0.55)  # everything fits in 60 %: the axis shrinks
    assert view.loss_plot.viewRange()[0][1] >= 2


def test_probability_labels_follow_the_classes(qtbot):
    view = ProbabilityView()
    qtbot.addWidget(view)
    view.show_array(np.array([0.2, 0.8]), ["cat", "dog"])
    axis = view.plot.getAxis("left")
    assert axis._tickLevels == [[(0, "cat"), (1, "dog")]]  # noqa: SLF001
    view.show_array(np.array([0.1, 0.7, 0.2]), ["a", "b", "c"])
    assert axis._tickLevels == [[(0, "a"), (1, "b"), (2, "c")]]  # noqa: SLF001
    assert view.plot.viewRange()[1] == pytest.approx([-0.5, 2.5], abs=0.2)
