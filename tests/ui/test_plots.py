"""Plot pieces: clipped axes, tick labels that never overlap, whole titles; still curve axes."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QApplication

from convstudio.ui.plots import ClippedAxisItem, LegibleAxisItem, clipped_axes
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


def test_clipped_axes_paint_exactly_what_unclipped_axes_paint(qtbot):
    stock = _render(qtbot, {name: LegibleAxisItem(name) for name in ("left", "bottom")})
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
    # The most likely class first (always named), then the others (where they fit).
    assert axis._tickLevels == [[(1, "dog")], [(0, "cat")]]  # noqa: SLF001
    view.show_array(np.array([0.1, 0.7, 0.2]), ["a", "b", "c"])
    assert axis._tickLevels == [[(1, "b")], [(0, "a"), (2, "c")]]  # noqa: SLF001
    assert view.plot.viewRange()[1] == pytest.approx([-0.5, 2.5], abs=0.2)


def test_the_most_likely_class_is_named_however_low_the_plot(qtbot):
    view = ProbabilityView()
    qtbot.addWidget(view)
    axis = view.plot.getAxis("left")
    font = QApplication.font()
    font.setPointSizeF(20)  # a projector's text, in a plot a few lines high
    axis.setTickFont(font)
    view.resize(420, 150)
    view.show()
    probs = np.full(10, 0.02)
    for best in (5, 0, 9):
        p = probs.copy()
        p[best] = 0.82
        view.show_array(p, FASHION)
        view.grab()
        QApplication.processEvents()
        texts = [t for t, _ in _drawn_labels(axis)]
        assert FASHION[best] in texts, (best, texts)
        assert len(texts) < 10  # not all ten fit: the others give way, none overlapping
    # One line of title says what the bars are; no axis label under them takes a line.
    assert "robabilities" in view.title.text() and view.title.height() < 2 * (
        view.title.fontMetrics().lineSpacing())
    assert not view.plot.getAxis("bottom").label.isVisible()


# --- every plot on screen: labels apart and whole, titles whole --------------------------------
FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot")


def _drawn_labels(axis):
    """(text, scene rect) of each tick label as the axis would paint it now.

    The rectangles generateDrawSpecs returns place the text by their alignment; the text's own
    box is its advance × the font's height, put where that alignment puts it in the rect.
    """
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QFontMetricsF, QPainter, QPicture

    font = axis.style["tickFont"] or QApplication.font()
    picture = QPicture()
    painter = QPainter(picture)
    painter.setFont(font)
    specs = axis.generateDrawSpecs(painter)
    painter.end()
    fm = QFontMetricsF(font)
    out = []
    for rect, flags, text in (specs[2] if specs else []):
        w, h = fm.horizontalAdvance(text), fm.height()
        f = Qt.AlignmentFlag(int(flags))
        x = (rect.right() - w if f & Qt.AlignmentFlag.AlignRight
             else rect.left() if f & Qt.AlignmentFlag.AlignLeft else rect.center().x() - w / 2)
        y = (rect.top() if f & Qt.AlignmentFlag.AlignTop
             else rect.bottom() - h if f & Qt.AlignmentFlag.AlignBottom
             else rect.center().y() - h / 2)
        out.append((text, axis.mapRectToScene(QRectF(x, y, w, h))))
    return out


def _plot_problems(page, where):
    """Overlapping or cut tick labels and cut titles in every visible pyqtgraph view of ``page``."""
    found, labelled = [], 0
    for view in page.findChildren(pg.GraphicsView):
        if not view.isVisible() or view.width() < 2:
            continue
        shown = view.mapToScene(view.viewport().rect()).boundingRect().adjusted(-1, -1, 1, 1)
        boxes = []  # every label in this view: those of two axes meet in a plot's corner
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem) and item.isVisible() and item.style["showValues"]:
                labels = _drawn_labels(item)
                labelled += bool(labels)
                boxes += [(f"{item.orientation} {text!r}", r) for text, r in labels]
            if isinstance(item, pg.PlotItem) and item.titleLabel.isVisible():
                title = item.titleLabel
                text = title.item.toPlainText()
                rect = title.item.mapRectToScene(title.item.boundingRect())
                plot = item.sceneBoundingRect().adjusted(-1, -1, 1, 1)
                if text.strip() and not (shown.contains(rect) and plot.contains(rect)):
                    found.append(f"{where}: title {text!r} {rect.getRect()} cut (view "
                                 f"{shown.getRect()}, plot {plot.getRect()})")
                boxes.append((f"title {text!r}", rect.adjusted(4, 4, -4, -4)))  # less margins
        for name, r in boxes:
            if not shown.contains(r):
                found.append(f"{where}: {name} {r.getRect()} outside its view {shown.getRect()}")
        for i, (a, ra) in enumerate(boxes):
            for b, rb in boxes[i + 1:]:
                if ra.adjusted(0.5, 0.5, -0.5, -0.5).intersects(rb.adjusted(0.5, 0.5, -0.5, -0.5)):
                    found.append(f"{where}: {a} {ra.getRect()} overlaps {b} {rb.getRect()}")
    return found, labelled


@pytest.fixture
def shown_run(window):
    """The Training tab showing what a run leaves: 12 epochs, step sizes, ten named classes."""
    from convstudio.ui.theme import presentation

    t = window.training
    window.show_tab("training")
    c = t.curves
    c.set_history({"loss": list(np.linspace(2.2, 0.4, 12)),
                   "accuracy": list(np.linspace(0.3, 0.9, 12)),
                   "val_loss": list(np.linspace(2.1, 0.5, 12)),
                   "val_accuracy": list(np.linspace(0.3, 0.85, 12))})
    for k in range(60):
        t.updates_view.add(k / 5, (("conv1", 10 ** (-1.5 - k / 30)), ("dense", 3e-4)))
    t.probs_view.show_array(np.linspace(0.01, 0.3, 10), FASHION)
    yield window
    presentation().set_projection(False, remember=False)
    presentation().set_screen_height(0)


@pytest.mark.parametrize("projection", [False, True], ids=["normal", "projection"])
def test_tick_labels_never_overlap_and_titles_are_whole(shown_run, projection):
    """At the four projector sizes of issue 16, normal and projection."""
    from convstudio.ui.theme import presentation

    window = shown_run
    for size in ((1024, 768), (1280, 720), (1366, 768), (1920, 1080)):
        presentation().set_screen_height(size[1])
        presentation().set_projection(projection, remember=False)
        for tab in ("training", "workspace"):
            window.show_tab(tab)
            window.resize(*size)
            for _ in range(2):  # painted twice: an axis widens for the labels it measured
                window.grab()
                for _ in range(3):
                    QApplication.processEvents()
            where = f"{tab} at {size[0]}×{size[1]}{' projection' if projection else ''}"
            found, labelled = _plot_problems(window.tabs.currentWidget(), where)
            assert found == [], found[:6]
            # Not a pass by drawing nothing: the loss, accuracy and probability axes (two
            # each), or the colour bars (the input's, and the one the outputs share).
            assert labelled >= (6 if tab == "training" else 2), (where, labelled)
            if tab == "training":  # the two titles side by side alike: long, or both short
                curves = window.training.curves
                shown = [p.titleLabel.forms.index(p.titleLabel.text)
                         for p in (curves.loss_plot, curves.acc_plot)]
                assert shown[0] == shown[1], (where, shown)
    window.show_tab("training")
    probs = window.training.probs_view.plot
    texts = [t for t, _ in _drawn_labels(probs.getAxis("bottom"))]
    assert texts[0] == "0" and texts[-1] in ("1", "1.0"), texts  # the 0–1 axis, both ends


@pytest.mark.parametrize("points", [9.0, 20.0, 28.0])
def test_any_range_at_any_length_and_text_size_keeps_its_labels_apart(qtbot, points):
    widget = pg.PlotWidget(axisItems=clipped_axes())
    qtbot.addWidget(widget)
    plot = widget.getPlotItem()
    font = QApplication.font()
    font.setPointSizeF(points)
    for name in ("left", "bottom"):
        plot.getAxis(name).setTickFont(font)
    widget.show()
    ranges = ((0, 1), (-201, 255), (0, 12345), (0.0012, 0.0019), (-1e6, 3e6))
    for log in (False, True):
        plot.setLogMode(x=False, y=log)
        for lo, hi in ranges if not log else ((-5, -1), (-3.2, -2.9), (-12, 0)):
            for w, h in ((90, 90), (200, 140), (420, 320), (900, 600)):
                widget.resize(w, h)
                plot.setXRange(lo if not log else 0, hi if not log else 1, padding=0)
                plot.setYRange(lo, hi, padding=0)
                widget.grab()
                QApplication.processEvents()
                for name in ("left", "bottom"):
                    labels = _drawn_labels(plot.getAxis(name))
                    spans = sorted((r.top(), r.bottom()) if name == "left"
                                   else (r.left(), r.right()) for _, r in labels)
                    where = (points, log, lo, hi, w, h, name, [t for t, _ in labels])
                    assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:], strict=False)), (
                        where)
                    axis = plot.getAxis(name)
                    length = axis.height() if name == "left" else axis.width()
                    widest = axis.label_size("0.0000")[1 if name == "left" else 0]
                    # Something to read wherever one label fits the axis.
                    assert labels or length < 1.5 * widest, (where, length, widest)
