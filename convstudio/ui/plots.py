"""pyqtgraph pieces shared by the views: axes whose tick labels never overlap, fitted titles.

pyqtgraph chooses its tick spacing from the axis length alone and decides whether to label a
level from how much of the axis the text fills, so at a projector's text size the labels ran
into each other ("0.20.40.60.8") and a log axis labelled every minor tick ("9 8 7 6 5 4 3 2").
:class:`LegibleAxisItem` picks the spacing from the labels' own size: adjacent labels are at
least a label plus a gap apart, a log axis labels its decades (and 2 and 5, or every minor
tick, only where they fit), and labels set by hand (class names) are thinned to every k-th.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, NamedTuple

import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QApplication, QStyleOptionGraphicsItem, QWidget

END_ROOM = 4  # px a horizontal axis' end label may reach past the axis (< a vertical axis'
# 5 px text offset, so it never meets the vertical axis' lowest label in the corner)

Label = tuple[QRectF, Qt.AlignmentFlag, str]
Metrics = tuple[str, QFontMetricsF, dict[str, float]]  # a font's key, metrics, label widths


class Placed(NamedTuple):
    """A label's span along the axis, its tick value and what drawPicture draws."""

    start: float
    end: float
    value: float
    spec: Label
    moved: bool = False  # an end label moved inwards to be whole


def _nice_steps(step: float, explicit: bool) -> Iterator[float]:
    """Yield ``step``, then coarser steps.

    1-2-5 multiples of a step chosen by hand (the epochs' whole numbers), else the 1-2-5
    numbers above it (pyqtgraph's own steps are 1, 2 or 5 × 10ⁿ).
    """
    if explicit:
        base = step
    else:
        base = 10.0 ** math.floor(math.log10(step) + 1e-9)
    for k in range(40):
        for m in (1, 2, 5):
            s = base * m * 10.0 ** k
            if s >= step * (1 - 1e-9):
                yield s


class LegibleAxisItem(pg.AxisItem):
    """An axis whose tick labels never overlap or run out of the plot, at any length and font.

    The major spacing grows (1-2-5) until adjacent labels are a label's extent plus a gap
    apart (across a horizontal axis a label's width, along a vertical one its line height);
    the finer levels keep their ticks and grid lines but no labels. Labels at a vertical
    axis' ends may reach half a line past it, centred on their tick; a horizontal axis' end
    label is moved inwards to stay whole. Labels set with ``setTicks`` are drawn every k-th,
    then those of its later levels that fit between them (the first level: those that matter
    most, such as the most likely class).
    """

    _cached_metrics: Metrics | None = None  # the tick font's, until it changes
    _cached_ticks: tuple[Any, Any] | None = None  # the last tickValues: (arguments, result)

    def __init__(self, orientation: str, **kwargs: Any) -> None:
        super().__init__(orientation, **kwargs)
        if self.orientation in ("top", "bottom"):
            self.setStyle(hideOverlappingLabels=END_ROOM)

    # --- sizes ---------------------------------------------------------------------------------
    @property
    def vertical(self) -> bool:
        """True for a left or right axis."""
        return self.orientation in ("left", "right")

    def tick_font(self) -> QFont:
        """Return the font the tick labels are drawn in."""
        return self.style["tickFont"] or QApplication.font()

    def _metrics(self) -> QFontMetricsF:
        cached = self._cached_metrics
        if cached is None:  # measured again after a font change only
            cached = ("", QFontMetricsF(self.tick_font()), {})
            self._cached_metrics = cached
        return cached[1]

    def _widths(self) -> dict[str, float]:
        self._metrics()
        assert self._cached_metrics is not None
        return self._cached_metrics[2]

    def setTickFont(self, font: QFont | None) -> None:  # noqa: N802 (pyqtgraph override)
        """Draw the labels in ``font`` (and measure them again)."""
        self._cached_metrics = None
        self._cached_ticks = None
        super().setTickFont(font)

    def tickValues(self, minVal: float, maxVal: float, size: float) -> Any:  # noqa: N802, N803
        """Return pyqtgraph's tick values, worked out once for the axis line and the labels."""
        key = (minVal, maxVal, size, self.logMode, repr(self._tickSpacing), self.scale)
        cached = self._cached_ticks
        if cached is None or cached[0] != key:
            cached = (key, super().tickValues(minVal, maxVal, size))
            self._cached_ticks = cached
        return cached[1]

    def label_size(self, text: str) -> tuple[float, float]:
        """Width and height of ``text`` as a tick label."""
        fm = self._metrics()
        widths = self._widths()
        if text not in widths:
            widths[text] = fm.horizontalAdvance(text)
        return widths[text], fm.height()

    def label_gap(self) -> float:
        """Return the least free space between two labels along the axis."""
        fm = self._metrics()
        return 0.25 * fm.height() if self.vertical else self.label_size("0")[0]

    def _extent(self, text: str) -> float:
        w, h = self.label_size(text)
        return h if self.vertical else w

    def _end_room(self) -> float:
        return self.label_size("0")[1] / 2 + 1 if self.vertical else END_ROOM

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        """pyqtgraph's, reaching past the ends as far as end labels may (with a grid too)."""
        rect = super().boundingRect()
        geo = self.mapRectFromParent(self.geometry())
        m = self._end_room()
        return rect.united(geo.adjusted(0, -m, 0, m) if self.vertical
                           else geo.adjusted(-m, 0, m, 0))

    def _visible_room(self) -> QRectF:
        """Return where labels may go: the bounding rectangle, inside the view that shows it."""
        room = self.boundingRect()
        scene = self.scene()
        views = scene.views() if scene is not None else []
        if views:
            view = views[0]
            shown = view.mapToScene(view.viewport().rect()).boundingRect()
            room = room.intersected(self.mapRectFromScene(shown))
        return room

    def setTicks(self, ticks: list[list[tuple[float, str]]] | None) -> None:  # noqa: N802
        """Label the ticks by hand; a vertical axis is widened for the widest label at once.

        pyqtgraph widens it after a paint has measured the labels: the first frame with ten
        class names cut them at the left.
        """
        super().setTicks(ticks)
        if self.vertical and ticks:
            widest = max((self.label_size(str(s))[0] for level in ticks for _, s in level),
                         default=0.0)
            self._updateMaxTextSize(math.ceil(widest))

    # --- where the ticks go ----------------------------------------------------------------------
    def tickSpacing(self, minVal: float, maxVal: float,  # noqa: N802, N803
                    size: float) -> list[tuple[float, float]]:
        """Return pyqtgraph's levels, the major spacing widened until the labels fit."""
        levels = list(super().tickSpacing(minVal, maxVal, size))
        dif = abs(maxVal - minVal)
        if not levels or dif == 0 or size <= 0:
            return levels
        step, offset = levels[0]
        if self.logMode:
            step = max(1.0, float(math.ceil(step - 1e-9)))  # whole decades
        gap = self.label_gap()
        chosen = step
        for s in _nice_steps(step, self._tickSpacing is not None):
            chosen = s
            start = math.ceil((minVal - offset) / s) * s + offset
            values = [start + i * s for i in range(int((maxVal - start) / s) + 1)]
            if len(values) <= 1 or s > dif:
                break
            scale = self.scale or 1.0
            strings = self.tickStrings([v / scale for v in values],
                                       self.autoSIPrefixScale * scale, s / scale)
            widest = max((self._extent(t) for t in strings), default=0.0)
            if s / dif * size >= widest + gap:
                break
        finer = [(s, o) for s, o in levels if s < chosen * (1 - 1e-9)]
        if self.logMode and chosen > 1:
            finer = [(1.0, 0.0)]  # each decade ticked, every `chosen`-th labelled
        return [(chosen, offset), *finer]

    def logTickValues(self, minVal: float, maxVal: float, size: float,  # noqa: N802, N803
                      stdTicks: list[tuple[float, list[float]]]) -> list[Any]:  # noqa: N803
        """Decades, and the 2…9 between them where a decade is at most a few decades' span."""
        ticks: list[Any] = [(sp, t) for sp, t in stdTicks if sp >= 1.0]
        if maxVal - minVal <= 3:
            minor = [v + math.log10(k) for v in range(math.floor(minVal), math.ceil(maxVal))
                     for k in range(2, 10)]
            ticks.append((None, [x for x in minor if minVal < x < maxVal]))
        return ticks

    # --- where the labels go ---------------------------------------------------------------------
    def generateDrawSpecs(self, p: QPainter) -> Any:  # noqa: N802 (pyqtgraph override)
        """Return pyqtgraph's axis line and ticks, and labels that never overlap."""
        specs = super().generateDrawSpecs(p)
        if specs is None or not self.style["showValues"]:
            return specs
        axis_spec, tick_specs, _ = specs
        return axis_spec, tick_specs, self.label_specs(axis_spec)

    def _levels(self, length: float) -> list[tuple[list[float], list[str]]]:
        if self._tickLevels is not None:
            return [([v for v, _ in lvl], [str(s) for _, s in lvl]) for lvl in self._tickLevels]
        out = []
        for spacing, values in self.tickValues(self.range[0], self.range[1], length):
            out.append((list(values), list(self.tickStrings(
                list(values), self.autoSIPrefixScale * self.scale, spacing))))
        return out

    def label_specs(self, axis_spec: Any) -> list[Label]:
        """Return the labels to draw, (rect, alignment, text), none nearer than the gap."""
        _pen, p1, p2 = axis_spec
        d1, d2 = self.mapToDevice(p1), self.mapToDevice(p2)
        if d1 is None or d2 is None:
            return []
        length = math.hypot(d2.x() - d1.x(), d2.y() - d1.y())
        dif = self.range[1] - self.range[0]
        if length == 0 or dif == 0:
            return []
        bounds = self.mapRectFromParent(self.geometry())
        allowed = self._visible_room()
        lo, hi = ((allowed.top(), allowed.bottom()) if self.vertical
                  else (allowed.left(), allowed.right()))
        gap = self.label_gap()
        placed: list[Placed] = []

        def place(value: float, text: str, shift: bool) -> Placed | None:
            if self.vertical:
                pos = bounds.height() - (value - self.range[0]) / dif * bounds.height()
            else:
                pos = (value - self.range[0]) / dif * bounds.width()
            extent = bounds.height() if self.vertical else bounds.width()
            if pos < -0.01 or pos > extent + 0.01:
                return None
            w, h = self.label_size(text)
            size = h if self.vertical else w
            a = centred = pos - size / 2
            if shift:  # an end label moved inwards, whole (a view's edge, a colour bar's end)
                a = min(max(a, lo), hi - size)
            if a < lo - 0.01 or a + size > hi + 0.01:
                return None
            return Placed(a, a + size, value, self._spec(a, w, h, text, bounds),
                          abs(a - centred) > 0.5)

        def clear_of(items: list[Placed]) -> bool:
            spans = sorted([(x.start, x.end) for x in (*placed, *items)])
            return all(n[0] - c[1] >= gap - 0.01 for c, n in zip(spans, spans[1:], strict=False))

        for i, (values, strings) in enumerate(self._levels(length)):
            if i > self.style["maxTextLevel"]:
                break
            items = [x for v, s in zip(values, strings, strict=False) if s
                     for x in [place(v, s, i == 0)] if x is not None]
            if i == 0:  # every k-th of the labels set by hand; a moved end label gives way
                items.sort(key=lambda x: x.start)
                if len(items) > 1 and items[0].moved and items[1].start - items[0].end < gap:
                    items.pop(0)
                if len(items) > 1 and items[-1].moved and items[-1].start - items[-2].end < gap:
                    items.pop()
                k = next((k for k in range(1, len(items) + 1) if clear_of(items[::k])), 1)
                placed.extend(items[::k])
                if not self.logMode and self._tickLevels is None:
                    break  # finer levels: ticks and grid lines only
            elif self.logMode:  # the 2…9 of each decade: all, or 2 and 5, or none
                two_five = [x for x in items
                            if round(10 ** (x.value - math.floor(x.value + 1e-9))) in (2, 5)]
                # With no decade in sight the 1-2-5 marks, or every other one, are the scale.
                choices = (items, two_five) if placed else (items, two_five, items[::2])
                chosen = next((c for c in choices if c and clear_of(c)), [])
                placed.extend(chosen)
            elif self._tickLevels is not None:  # by hand, after the first level: each that fits
                for x in sorted(items, key=lambda x: x.start):
                    if clear_of([x]):
                        placed.append(x)
            elif clear_of(items):
                placed.extend(items)
        if self.vertical and placed:  # as wide as the labels drawn, not only pyqtgraph's own
            self._updateMaxTextSize(math.ceil(max(x.spec[0].width() for x in placed)))
        return [x.spec for x in sorted(placed, key=lambda x: x.start)]

    def _spec(self, a: float, w: float, h: float, text: str, bounds: QRectF) -> Label:
        offset = max(0, self.style["tickLength"]) + self.style["tickTextOffset"][
            0 if self.vertical else 1]
        flags = Qt.TextFlag.TextDontClip
        if self.orientation == "left":
            rect = QRectF(bounds.right() - offset - w, a, w, h)
            align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        elif self.orientation == "right":
            rect = QRectF(bounds.left() + offset, a, w, h)
            align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        elif self.orientation == "top":
            rect = QRectF(a, bounds.bottom() - offset - h, w, h)
            align = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom
        else:
            rect = QRectF(a, bounds.top() + offset, w, h)
            align = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
        return rect, align | flags, text


class ClippedAxisItem(LegibleAxisItem):
    """An axis that clips its painting to its own bounding rectangle (and the line caps).

    Nothing it draws lies outside (with a grid, the rectangle covers the plot), so the pixels
    are the same (tested); but Qt's raster engine draws semi-transparent lines on an
    unclipped painter through a slow path: a plot's faint grid lines took 5 ms per axis, 20 of
    the 25 ms a loss-and-accuracy repaint cost, and with clipping the whole repaint takes 6 ms
    (measured offscreen at 1920×1080; the widget backing store is raster on every platform).
    """

    def paint(self, p: QPainter, opt: QStyleOptionGraphicsItem, widget: QWidget | None) -> None:
        """Paint the cached axis picture inside the bounding rectangle."""
        p.save()
        p.setClipRect(self.boundingRect().adjusted(-2, -2, 2, 2))  # square caps reach past
        super().paint(p, opt, widget)
        p.restore()


def clipped_axes(*names: str) -> dict[str, Any]:
    """Return ``axisItems`` for ``addPlot``: a :class:`ClippedAxisItem` per named side."""
    return {name: ClippedAxisItem(name) for name in names or ("left", "bottom")}



class FittedTitle(pg.LabelItem):
    """A plot's title that is always whole, and never makes the plot wider than its share.

    It shows the longest of its forms ("Accuracy per epoch", "Accuracy") that fits the width
    the plot's layout gives it at the size asked for, else the shortest at a smaller size down
    to :data:`SMALLEST_TITLE` of it. pyqtgraph's title asks its width of the layout, so a long
    title pushed its plot out of a narrow view ("Accuracy per ep…" at 1920×1080).
    """

    SMALLEST_TITLE = 0.7  # × the size asked for: still read from the back of a room

    def __init__(self, plot: pg.PlotItem) -> None:
        super().__init__("", parent=plot)
        self.plot = plot
        self.forms: tuple[str, ...] = ()
        self.size_pt = 11.0
        self.opts["size"] = f"{self.size_pt:.1f}pt"
        self._shown: tuple[str, float] | None = None
        self.partners: tuple[FittedTitle, ...] = ()  # titles of plots beside this one

    def set_forms(self, *forms: str) -> None:
        """Offer ``forms``, longest first; the first that fits is shown."""
        self.forms = forms
        self._shown = None
        self.fit()

    def setText(self, text: str, **args: Any) -> None:  # noqa: N802 (pyqtgraph override)
        """Show ``text`` (one of the forms, or a new only form) at ``args["size"]``."""
        if not hasattr(self, "forms"):  # pyqtgraph's __init__ sets its first text
            super().setText(text, **args)
            return
        if "size" in args:
            self.size_pt = float(str(args.pop("size")).removesuffix("pt"))
        if text not in self.forms:
            self.forms = (text,)
        self.opts.update(args)
        self._shown = None
        self.fit()

    def text_width(self, text: str, size_pt: float) -> float:
        """Return the width ``text`` takes as a title at ``size_pt``."""
        font = QFont(self.item.font())
        font.setPointSizeF(size_pt)
        margin = self.item.document().documentMargin()
        return QFontMetricsF(font).horizontalAdvance(text) + 2 * margin + 1

    def own_choice(self, first: int = 0) -> tuple[int, str, float]:
        """Return (index, form, size): the longest form from ``first`` on that fits, largest."""
        width = self.rect().width()
        for k in range(4):
            size = self.size_pt * (1 - (1 - self.SMALLEST_TITLE) * k / 3)
            for i in range(first, len(self.forms)):
                if self.text_width(self.forms[i], size) <= width:
                    return i, self.forms[i], size
        return len(self.forms) - 1, self.forms[-1], self.size_pt * self.SMALLEST_TITLE

    def fit(self) -> None:
        """Choose the form and size for the width there is now."""
        if not self.forms:
            return
        # Side by side plots say alike: "Loss" beside "Accuracy", not beside "Accuracy per
        # epoch"; each takes the shortest form any of them needs (the same count of forms).
        titles = [t for t in (self, *self.partners) if shiboken6.isValid(t)]
        if self not in titles or not shiboken6.isValid(self.plot.layout):
            return  # the plots are being deleted (a window closing): nothing to lay out
        short = max(t.own_choice()[0] for t in titles)
        choice = self.own_choice(min(short, len(self.forms) - 1))[1:]
        if choice == self._shown:
            return
        self._shown = choice
        self.opts["size"] = f"{choice[1]:.1f}pt"
        super().setText(choice[0])
        height = self.itemRect().height()
        self.plot.layout.setRowFixedHeight(0, height)  # pyqtgraph fixes it at 30 px
        self.setMaximumHeight(height)

    def updateMin(self) -> None:  # noqa: N802 (pyqtgraph override)
        """Ask the layout for the text's height only: the width is the plot's to give."""
        super().updateMin()
        h = self.itemRect().height()
        self.setMinimumWidth(0)
        for hint in (Qt.SizeHint.MinimumSize, Qt.SizeHint.PreferredSize):
            self._sizeHint[hint] = (0, h)
        self.updateGeometry()

    def resizeEvent(self, ev: Any) -> None:  # noqa: N802 (Qt override)
        """Choose again for a new width."""
        super().resizeEvent(ev)
        if ev is not None and getattr(self, "forms", None):  # not during pyqtgraph's __init__
            for title in (self, *self.partners):
                if shiboken6.isValid(title):  # a partner deleted first, as a window closes
                    title.fit()


def match_titles(*titles: FittedTitle) -> None:
    """Make ``titles`` (of plots side by side) take their short forms together."""
    for t in titles:
        t.partners = tuple(o for o in titles if o is not t)
        t.fit()


def fitted_title(plot: pg.PlotItem, *forms: str) -> FittedTitle:
    """Give ``plot`` a :class:`FittedTitle` showing the first of ``forms`` that fits."""
    old = plot.titleLabel
    plot.layout.removeItem(old)
    if old.scene() is not None:
        old.scene().removeItem(old)
    title = FittedTitle(plot)
    plot.titleLabel = title
    plot.layout.addItem(title, 0, 1)
    title.setVisible(True)
    title.set_forms(*forms)
    return title
