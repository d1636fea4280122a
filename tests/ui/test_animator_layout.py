"""Issue 16: the animator fits 1024×700 and up, in normal and projection mode, and shows whole."""

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QApplication

from convstudio.ui.animator.panel import panel_text
from convstudio.ui.animator.text import fmt, fmt_cells
from convstudio.ui.theme import presentation

from .window_state import settle

SIZES = [(1024, 768), (1920, 1080)]


@pytest.fixture
def projection():
    pres = presentation()

    def set_projection(on):
        pres.set_projection(on, remember=False)
        QApplication.processEvents()

    yield set_projection
    pres.set_projection(False, remember=False)
    QApplication.processEvents()


def _show(window, qtbot, size, projection, on, source="glyph"):
    projection(on)
    window.animator_model.set_source_kind(source)
    window.show_tab("animator")
    window.resize(*size)
    settle(qtbot, window)
    for _ in range(3):
        QApplication.processEvents()
    return window.animator


def _visible(widget):
    """The part of ``widget`` on screen, in its own coordinates (parents clip it)."""
    assert widget.isVisible()
    return QRectF(widget.visibleRegion().boundingRect())


def _inside(outer, inner, slack=0.51):
    return outer.adjusted(-slack, -slack, slack, slack).contains(inner)


def _cell_rects(grid):
    s, r0, c0, nr, nc, x0, y0 = grid.geometry_now()
    return {(r, c): QRectF(x0 + (c - c0) * s, y0 + (r - r0) * s, s, s)
            for r in range(r0, r0 + nr) for c in range(c0, c0 + nc)}


def assert_whole(grid):
    """Every cell of ``grid`` is drawn, inside the part of the grid that is on screen."""
    rows, cols = grid.shape
    assert not grid.following
    cells = _cell_rects(grid)
    assert set(cells) == {(r, c) for r in range(rows) for c in range(cols)}
    visible = _visible(grid)
    for cell, rect in cells.items():
        assert _inside(visible, rect), (cell, rect, visible)


def assert_numbers_fit(grid, *, legible=True):
    """The shown numbers are drawn, each narrower than its cell (no "−201−201")."""
    s, r0, c0, nr, nc, _, _ = grid.geometry_now()
    block = grid.values[r0:r0 + nr, c0:c0 + nc]
    texts = fmt_cells(block[np.isfinite(block)])
    font = grid._fitted_font(s, texts)
    assert font is not None, "numbers hidden"
    if legible:
        assert font.pixelSize() >= grid.legible_px
    fm = QFontMetricsF(font)
    assert max(fm.horizontalAdvance(t) for t in texts) < s - 2


def _font(view, px, style):
    font = QFont(view.font())
    font.setPixelSize(max(1, round(px * 0.7)) if style == "sub" else px)
    font.setBold(style == "bold")
    font.setItalic(style == "italic")
    return font


def assert_arithmetic_shown(view, *, words=(), numbers=()):
    """Every chunk of the chosen form is drawn whole, inside the view, overlapping no other.

    ``words`` and ``numbers`` must each be found inside one chunk: never broken across lines.
    """
    placed = view.placed()
    form, px = view.chosen
    assert [p.text for p in placed] == panel_text(view._forms[form])  # nothing left out
    visible = _visible(view)
    for p in placed:
        assert _inside(visible, p.rect), (p.text, p.rect, visible)
        width = sum(QFontMetricsF(_font(view, px, style)).horizontalAdvance(text)
                    for _, style, text in p.runs)
        assert width <= p.rect.width() + 0.5, p.text
    for i, a in enumerate(placed):
        for b in placed[i + 1:]:
            overlap = a.rect.intersected(b.rect)
            assert overlap.width() < 0.5 or overlap.height() < 0.5, (a.text, b.text)
    texts = [p.text for p in placed]
    for needle in (*words, *numbers):
        assert any(needle in t for t in texts), (needle, texts)
    assert px >= 9


def _band_has_text(grid):
    """The row numbers' band, left of the cells, holds drawn text (pixels unlike the background)."""
    image = grid.grab().toImage()
    bl, _ = grid.bands()
    background = grid.palette().window().color()
    s, _, _, _, _, x0, y0 = grid.geometry_now()
    for x in range(max(0, int(x0 - bl)), int(x0) - 3):
        for y in range(int(y0), min(image.height(), int(y0 + 3 * s))):
            if QColor(image.pixel(x, y)) != background:
                return True
    return False


@pytest.mark.parametrize("on", [False, True], ids=["normal", "projection"])
@pytest.mark.parametrize("size", SIZES, ids=["1024x768", "1920x1080"])
def test_the_animator_fits_and_shows_its_grids_and_sums_whole(window, qtbot, projection, size,
                                                              on):
    anim = _show(window, qtbot, size, projection, on)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 700, hint
    assert anim.minimumSizeHint().width() <= 1024
    assert window.size().toTuple() == size
    m = anim.model
    for kind in ("glyph", "region"):
        m.set_source_kind(kind)
        m.go_to(m.n_conv // 2 + 1)
        QApplication.processEvents()
        page = anim.conv_page
        assert anim.pages.currentWidget() is page
        for grid in (page.kernel_grid, page.products_grid):
            assert_whole(grid)
            assert_numbers_fit(grid, legible=False)
        assert_numbers_fit(page.kernel_grid)
        step = m.conv_step()
        r, c = step.out_pos
        assert_arithmetic_shown(page.arithmetic, words=("Σ", "bias", "written to"),
                                numbers=(fmt(step.value), f"output[{r}, {c}]"))
        for grid in (page.input_grid, page.output_grid):
            assert grid.indices and _band_has_text(grid)
            assert_numbers_fit(grid)
            assert _inside(_visible(grid), _cell_rects(grid)[min(_cell_rects(grid))])
        top, left = step.window
        assert page.input_grid.visible_region().contains(left, top)
        m.set_phase("pool")
        QApplication.processEvents()
        pool = anim.pool_page
        assert anim.pages.currentWidget() is pool
        pstep = m.pool_step()
        assert_arithmetic_shown(pool.arithmetic, words=("written to",),
                                numbers=(fmt(pstep.value),))
        for grid in (pool.input_grid, pool.output_grid):
            assert grid.indices and _band_has_text(grid)
            assert_numbers_fit(grid)  # as large as the conv page's: legible, same rule


@pytest.mark.parametrize("on", [False, True], ids=["normal", "projection"])
def test_at_its_smallest_the_window_still_shows_the_sums(window, qtbot, projection, on):
    anim = _show(window, qtbot, (1024, 700), projection, on, source="region")
    assert window.size().toTuple() == (1024, 700)
    m = anim.model
    anim.sub_phases.setChecked(True)
    m.go_to(10)
    page = anim.conv_page
    shown = []
    for _ in range(3):  # multiply, add, write: the font picked first stays (no jumping)
        QApplication.processEvents()
        assert_arithmetic_shown(page.arithmetic, words=("output[",))
        shown.append(page.arithmetic.chosen)
        m.next()
    assert shown[0] == shown[1] == shown[2]
    assert_arithmetic_shown(page.arithmetic, words=("Σ", "bias", "written to"))
    for grid in (page.kernel_grid, page.products_grid):
        assert_whole(grid)


def test_wide_numbers_never_overlap(window, qtbot, projection):
    ws = window.model
    ws.set_kernel(np.array([[4.5, -4.5, 4.5], [-4.5, 4.5, -4.5], [4.5, -4.5, 4.5]],
                           np.float32), use_weight=False)
    ws.set_params(bias=-0.25)
    anim = _show(window, qtbot, (1024, 768), projection, True, source="region")
    m = anim.model
    page = anim.conv_page
    for i in range(0, m.n_conv, 5):
        m.go_to(i)
        QApplication.processEvents()
        assert_whole(page.products_grid)
        assert_numbers_fit(page.products_grid, legible=False)
        assert_numbers_fit(page.output_grid)
        assert_arithmetic_shown(page.arithmetic, words=("Σ", "bias", "written to"),
                                numbers=(fmt(m.conv_step().value),))
    assert len(max(fmt_cells(page.output_grid.values), key=len)) >= 4  # wide: "−1148"


def test_a_long_position_drops_its_first_parts_instead_of_cutting_one(window, qtbot, projection):
    from PySide6.QtGui import QFontMetrics

    anim = _show(window, qtbot, (1024, 768), projection, True, source="rgb")
    m = anim.model
    m.go_to(3000)
    QApplication.processEvents()
    pos = anim.position
    full, shown = pos.text(), pos.shown_text()
    assert full.startswith("step 3001 of ") and "output[" in shown
    # Too long for a 1024-wide projector even at its smallest size: its first part goes.
    assert shown != full and full.endswith(" — " + shown), (full, shown)
    assert QFontMetrics(pos.fitted_font(shown)).horizontalAdvance(shown) <= pos.width()
    assert pos.fitted_font() == pos.fitted_font(shown)  # the font painted is the one checked
    window.resize(1920, 1080)
    settle(qtbot, window)
    assert pos.shown_text() == pos.text()  # with room, all of it


def test_the_source_note_names_a_colour_region_but_does_not_repeat_a_stacks_shape(
        window, qtbot, projection):
    window.model.set_channel("all")  # the region is then the colour region, 3 channels
    anim = _show(window, qtbot, (1920, 1080), projection, False, source="region")
    m = anim.model
    assert m.source.ndim == 3
    assert anim.source_note.isVisible() and anim.source_note.text() == m.region_text
    m.set_source_kind("rgb")
    QApplication.processEvents()
    assert not anim.source_note.isVisible()  # "512×512×3 → …" is above the grids
    assert anim.conv_page.channels.isVisible()
    m.set_source_kind("glyph")  # in colour too ("all"): 28×28×3, said above the grids
    QApplication.processEvents()
    assert m.source.ndim == 3 and not anim.source_note.isVisible()
    window.model.set_channel("luminance")
    QApplication.processEvents()
    assert m.source.ndim == 2
    assert anim.source_note.isVisible() and anim.source_note.text() == "28×28"


@pytest.mark.parametrize("size", [(1024, 768), (1280, 720)], ids=["1024x768", "1280x720"])
def test_the_channel_picker_shows_its_whole_entry_on_a_projector(window, qtbot, projection,
                                                                 size):
    from PySide6.QtGui import QFontMetrics

    anim = _show(window, qtbot, size, projection, True, source="rgb")
    picker = anim.conv_page.channel
    assert picker.isVisible() and window.size().toTuple() == size
    # As narrow as the window goes (another font, a window manager's frame: seen cut there).
    window.resize(window.minimumSizeHint().width(), size[1])
    settle(qtbot, window)
    for i in range(picker.count()):  # "channel R" … "channel B": never "chann"
        text = QFontMetrics(picker.font()).horizontalAdvance(picker.itemText(i))
        assert picker.width() >= picker.sizeHint().width() > text, (picker.itemText(i), text,
                                                                     picker.width())


def test_a_grey_image_as_the_colour_source_says_its_channels_are_one(window, qtbot, projection):
    anim = _show(window, qtbot, (1920, 1080), projection, False)
    m = anim.model
    window.statusBar().clearMessage()
    m.set_source_kind("rgb")
    QApplication.processEvents()
    assert np.array_equal(m.source[..., 0], m.source[..., 2])  # the camera photo: grey
    assert "R, G and B channels are the same" in window.statusBar().currentMessage()
    m.set_source_kind("glyph")
    window.model.set_source(np.random.default_rng(1).random((40, 50, 3), np.float32) * 255,
                            "noise")
    window.statusBar().clearMessage()
    m.set_source_kind("rgb")
    QApplication.processEvents()
    assert not np.array_equal(m.source[..., 0], m.source[..., 2])
    assert "are the same" not in window.statusBar().currentMessage()
