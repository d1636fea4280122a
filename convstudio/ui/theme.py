"""Application style, projection mode, zoom, light/dark themes and the colour maps views share.

One :class:`Presentation` object holds what the user chose (kept in QSettings); ``apply``
pushes it to the application: the base font (everything follows it), the palette, pyqtgraph's
backgrounds, and widgets that size themselves from the font (kernel cells, animator grids)
listen to ``changed``.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import QApplication, QToolTip, QWidget

BASE_POINT_SIZE = 11
PROJECTION_POINT_SIZE = 20     # body text on a projector, read from the back of a classroom
# … on a screen up to this tall; a taller one (1080 rows) scales the text with its height, so
# capitals are ≥ 24 px high at 1920×1080 (25 pt) and ≥ 18 px at 1024×768 (20 pt).
PROJECTION_REFERENCE_HEIGHT = 864
ZOOM_STEPS = (0.67, 0.75, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0)
THEMES = ("light", "dark")
INTENSITY_MAPS = ("viridis", "cividis")
FONT_FACTOR = "fontFactor"     # dynamic property: a widget's font is the base font × this
MAX_PANEL_SCALE = 1.4         # side panels grow less than text: the views need the room
BASE_WIDTH = "baseWidth"       # dynamic property: a side panel's minimum width at scale 1


class Presentation(QObject):
    """Projection mode, zoom, theme and intensity map; ``changed`` after each change."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.projection = False
        self.zoom = 1.0
        self.theme = "light"
        self.intensity_map = "viridis"
        self.screen_height = 0  # the window's screen, in pixels (0: not known)

    @property
    def scale(self) -> float:
        """How much larger than the normal desktop size everything is drawn."""
        if not self.projection:
            return self.zoom
        tall = max(1.0, self.screen_height / PROJECTION_REFERENCE_HEIGHT)
        return PROJECTION_POINT_SIZE / BASE_POINT_SIZE * tall * self.zoom

    def set_screen_height(self, height: int) -> None:
        """Tell the presentation how tall the window's screen is (projection text follows)."""
        height = max(0, int(height))
        if height == self.screen_height:
            return
        self.screen_height = height
        if self.projection:
            self._changed(save=False)

    @property
    def point_size(self) -> float:
        """The body text's point size now."""
        return BASE_POINT_SIZE * self.scale

    def set_projection(self, on: bool, *, remember: bool = True) -> None:
        """Projection mode: large text, large cells, thick highlights.

        ``remember=False`` (the ``--projection`` flag) does not change the saved preference.
        """
        self.projection = bool(on)
        self._changed(save=remember)

    def set_zoom(self, zoom: float) -> None:
        """Zoom the whole interface (clamped to the steps' range)."""
        self.zoom = min(max(float(zoom), ZOOM_STEPS[0]), ZOOM_STEPS[-1])
        self._changed()

    def zoom_in(self) -> None:
        """Next larger zoom step."""
        self.set_zoom(next((z for z in ZOOM_STEPS if z > self.zoom + 1e-6), ZOOM_STEPS[-1]))

    def zoom_out(self) -> None:
        """Next smaller zoom step."""
        self.set_zoom(next((z for z in reversed(ZOOM_STEPS) if z < self.zoom - 1e-6),
                           ZOOM_STEPS[0]))

    def set_theme(self, theme: str) -> None:
        """Light or dark."""
        if theme not in THEMES:
            raise ValueError(f"theme must be one of {', '.join(THEMES)}")
        self.theme = theme
        self._changed()

    def set_intensity_map(self, name: str) -> None:
        """Viridis or cividis for intensities (both colour-blind safe)."""
        if name not in INTENSITY_MAPS:
            raise ValueError(f"intensity map must be one of {', '.join(INTENSITY_MAPS)}")
        self.intensity_map = name
        self._changed()

    def reset(self) -> None:
        """Back to the defaults (normal size, light, viridis); nothing to do if already there."""
        if (self.projection, self.zoom, self.theme, self.intensity_map) == (
                False, 1.0, "light", "viridis"):
            return
        self.projection, self.zoom = False, 1.0
        self.theme, self.intensity_map = "light", "viridis"
        self._changed()

    def _changed(self, *, save: bool = True) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply(app, self)
        if save:
            self.save()
        self.changed.emit()

    def load(self) -> None:
        """Read the user's choices from QSettings (bad stored values are ignored)."""
        s = QSettings()
        self.projection = str(s.value("view/projection", "false")).lower() == "true"
        try:
            self.zoom = min(max(float(str(s.value("view/zoom", 1.0))), ZOOM_STEPS[0]),
                            ZOOM_STEPS[-1])
        except ValueError:
            self.zoom = 1.0
        theme = str(s.value("view/theme", "light"))
        self.theme = theme if theme in THEMES else "light"
        cmap = str(s.value("view/intensityMap", "viridis"))
        self.intensity_map = cmap if cmap in INTENSITY_MAPS else "viridis"

    def save(self) -> None:
        """Write the choices to QSettings."""
        s = QSettings()
        s.setValue("view/projection", "true" if self.projection else "false")
        s.setValue("view/zoom", self.zoom)
        s.setValue("view/theme", self.theme)
        s.setValue("view/intensityMap", self.intensity_map)


_PRESENTATION: Presentation | None = None


def presentation() -> Presentation:
    """Return the application's one Presentation."""
    global _PRESENTATION
    if _PRESENTATION is None:
        _PRESENTATION = Presentation()
    return _PRESENTATION


def apply_theme(app: QApplication) -> None:
    """Use Fusion (the same look on every desktop) with the user's saved presentation."""
    app.setStyle("Fusion")
    pres = presentation()
    pres.load()
    apply(app, pres)


def _palette(theme: str) -> QPalette:
    pal = QPalette()
    if theme == "light":
        return QApplication.style().standardPalette()
    roles = {
        QPalette.ColorRole.Window: "#202124", QPalette.ColorRole.WindowText: "#f1f3f4",
        QPalette.ColorRole.Base: "#15161a", QPalette.ColorRole.AlternateBase: "#2a2b2f",
        QPalette.ColorRole.Text: "#f1f3f4", QPalette.ColorRole.Button: "#303134",
        QPalette.ColorRole.ButtonText: "#f1f3f4", QPalette.ColorRole.ToolTipBase: "#303134",
        QPalette.ColorRole.ToolTipText: "#f1f3f4", QPalette.ColorRole.Highlight: "#8ab4f8",
        QPalette.ColorRole.HighlightedText: "#000000", QPalette.ColorRole.Link: "#8ab4f8",
        QPalette.ColorRole.PlaceholderText: "#9aa0a6", QPalette.ColorRole.BrightText: "#ffffff",
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7f8388"))
    return pal


def plot_colours(theme: str | None = None) -> tuple[str, str]:
    """(background, foreground) for pyqtgraph views in ``theme`` (default: the current)."""
    t = theme or presentation().theme
    return ("#15161a", "#e8eaed") if t == "dark" else ("#ffffff", "#202124")


def apply(app: QApplication, pres: Presentation) -> None:
    """Push the presentation to the application's font, palette and plots."""
    font = QFont(app.font())
    font.setPointSizeF(pres.point_size)
    app.setFont(font)
    QToolTip.setFont(font)  # tooltips keep a font of their own otherwise
    app.setPalette(_palette(pres.theme))
    bg, fg = plot_colours(pres.theme)
    pg.setConfigOption("background", bg)
    pg.setConfigOption("foreground", fg)
    for w in app.allWidgets():
        if isinstance(w, pg.GraphicsView):
            w.setBackground(bg)
        factor = w.property(FONT_FACTOR)
        if factor is not None:
            _set_font(w, float(factor), pres.point_size)
        width = w.property(BASE_WIDTH)
        if width is not None and hasattr(w, "fit_content"):
            w.fit_content()  # a side panel: at least its content's width
        elif width is not None:
            w.setMinimumWidth(round(float(width) * min(pres.scale, MAX_PANEL_SCALE)))


def _set_font(widget: QWidget, factor: float, point_size: float) -> None:
    f = QFont(widget.font())
    f.setPointSizeF(point_size * factor)
    widget.setFont(f)


def scale_font(widget: QWidget, factor: float, *, bold: bool | None = None) -> None:
    """Make ``widget``'s text ``factor`` × the body size, now and after every zoom."""
    widget.setProperty(FONT_FACTOR, factor)
    if bold is not None:
        f = QFont(widget.font())
        f.setBold(bold)
        widget.setFont(f)
    _set_font(widget, factor, presentation().point_size)


def scale_width(widget: QWidget, base: int) -> None:
    """Give a side panel ``base`` px of minimum width, scaled with projection mode and zoom."""
    widget.setProperty(BASE_WIDTH, base)
    widget.setMinimumWidth(round(base * min(presentation().scale, MAX_PANEL_SCALE)))


def diverging_cmap() -> pg.ColorMap:
    """Blue–white–red, centred on zero (CET-D1A from colorcet: colour-blind friendly)."""
    return pg.colormap.get("CET-D1A")


def sequential_cmap(kind: str = "sequential") -> pg.ColorMap:
    """Return the chosen intensity map (viridis or cividis), or grey for the 0..255 view."""
    if kind == "grey":
        return pg.ColorMap([0.0, 1.0], [(0, 0, 0), (255, 255, 255)])
    return pg.colormap.get(presentation().intensity_map)


def signed_tint(value: float, scale: float) -> tuple[int, int, int]:
    """Cell colour for a kernel weight: blue for negative, red for positive, white at 0."""
    t = 0.0 if scale <= 0 else max(-1.0, min(1.0, value / scale))
    lo, hi = (255, 255, 255), ((214, 96, 77) if t > 0 else (67, 147, 195))
    a = abs(t) * 0.85
    r, g, b = (round(lo[i] + (hi[i] - lo[i]) * a) for i in range(3))
    return r, g, b


class PlotStyler(QObject):
    """Sizes pyqtgraph titles, tick labels and axis labels from the body text.

    pyqtgraph draws its text with fonts of its own, which the application font does not reach;
    this follows projection mode and zoom like every widget does. Owned by the view, so it stops
    listening when the view goes.
    """

    def __init__(self, owner: QWidget, plots: tuple[pg.PlotItem, ...] = (),
                 axes: tuple[pg.AxisItem, ...] = ()) -> None:
        super().__init__(owner)
        self.plots, self.axes = plots, axes
        presentation().changed.connect(self.restyle)
        self.restyle()

    def restyle(self) -> None:
        """Apply the current text size."""
        pt = presentation().point_size
        font = QFont(QApplication.font())
        font.setPointSizeF(pt * 0.9)
        axes = list(self.axes)
        for plot in self.plots:
            title = plot.titleLabel.text
            if title:
                plot.setTitle(title, size=f"{pt:.1f}pt")
            axes += [plot.getAxis(name) for name in ("left", "bottom")]
        # pyqtgraph sizes a vertical axis from the labels it drew last time and drops labels
        # that do not fit: after a jump to a larger font only "0" and "50" were left, for good.
        # Start each size from room for "−000" and let the axis only grow from there.
        room = QFontMetrics(font).horizontalAdvance("−0000")
        for axis in axes:
            axis.setTickFont(font)
            if axis.labelText:
                axis.setLabel(axis.labelText, **{"font-size": f"{pt * 0.9:.1f}pt"})
            if axis.orientation in ("left", "right"):
                axis.setStyle(autoReduceTextSpace=False)
                axis.textWidth = max(room, 30)
                if axis.fixedWidth is not None:  # a colour bar's axis: 45 px, set by pyqtgraph
                    axis.setWidth(axis.textWidth + 10)
                else:
                    axis.setWidth(None)  # public: recompute the width from textWidth
