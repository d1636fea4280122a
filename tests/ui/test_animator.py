import math
import os
import stat

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from convstudio.core import conv2d, get_preset, max_pool2d
from convstudio.ui.animator import player as player_module
from convstudio.ui.animator.text import fmt


def _settle(qtbot, window):
    QApplication.processEvents()
    qtbot.waitUntil(lambda: window.model.idle, timeout=10000)
    QApplication.processEvents()


def _expected_conv(window, source):
    m = window.model
    p = m.params
    out = conv2d(source, window.animator_model.conv.kernel, stride=p.stride, padding=p.padding,
                 dilation=p.dilation, bias=p.bias)
    return np.maximum(out, 0) if p.activation == "relu" else out


@pytest.mark.parametrize("setup", ["glyph", "region_same_stride"])
def test_random_steps_show_conv2d_numbers(window, anim, qtbot, setup):
    model = anim.model
    if setup == "region_same_stride":
        window.model.apply_preset("sharpen")
        window.model.set_params(padding="same", stride=(2, 1), bias=1.5)
        window.model.set_selection((200, 300, 9, 11))
        anim.source.setCurrentIndex(anim.source.findData("region"))
        QApplication.processEvents()
        src = window.model.source[200:209, 300:311]
    else:
        src = model.source
    np.testing.assert_array_equal(model.source, src)
    expected = _expected_conv(window, src)
    kernel = model.conv.kernel
    rng = np.random.default_rng(3)
    for i in rng.integers(0, model.n_conv, 12):
        model.go_to(int(i))
        step = model.conv_step()
        r, c = step.out_pos
        assert step.value == pytest.approx(float(expected[r, c]), rel=1e-5, abs=1e-4)
        page = anim.conv_page
        # The products grid holds patch × kernel, and they add up to the output value.
        np.testing.assert_allclose(page.products_grid.values, step.patch * kernel, rtol=1e-6)
        assert page.products_grid.values.sum() + step.bias == pytest.approx(
            float(expected[r, c]), rel=1e-5, abs=1e-3)
        text = page.arithmetic.text()
        assert f"output[{r}, {c}]" in text
        assert f"= <b>{fmt(float(expected[r, c]))}</b>" in text
        assert page.output_grid.values[r, c] == pytest.approx(float(expected[r, c]), rel=1e-5,
                                                              abs=1e-4)
        assert page.output_grid.overlay.filled == int(i) + 1
        assert page.output_grid.overlay.current == (r, c)
        assert anim.scrubber.value() == int(i)


def test_keys_work_whichever_widget_has_focus(window, anim, qtbot):
    model, player = anim.model, anim.player
    for focus in (anim, anim.source, anim.speed, anim.buttons["next"], anim.sub_phases):
        focus.setFocus()
        model.start()
        qtbot.keyClick(focus, Qt.Key.Key_Right)
        qtbot.keyClick(focus, Qt.Key.Key_PageDown)
        assert model.cursor.step == 2, focus
        qtbot.keyClick(focus, Qt.Key.Key_PageUp)
        assert model.cursor.step == 1
        qtbot.keyClick(focus, Qt.Key.Key_Left)
        assert model.cursor.step == 0
        qtbot.keyClick(focus, Qt.Key.Key_End)
        assert model.cursor.step == model.total - 1
        qtbot.keyClick(focus, Qt.Key.Key_Home)
        assert model.cursor.step == 0
        qtbot.keyClick(focus, Qt.Key.Key_Down)
        assert model.cursor.step == model.conv.output.shape[1]
        qtbot.keyClick(focus, Qt.Key.Key_Space)
        assert player.playing
        qtbot.keyClick(focus, Qt.Key.Key_Space)
        assert not player.playing
        before = player.speed
        qtbot.keyClick(focus, Qt.Key.Key_Plus)
        assert player.speed > before
        qtbot.keyClick(focus, Qt.Key.Key_Minus)
        assert player.speed == before
    assert anim.source.currentData() == "glyph"  # the combo never saw the arrow keys


def test_keys_leave_other_tabs_alone(window, anim, qtbot):
    window.show_tab("workspace")
    QApplication.processEvents()
    anim.model.start()
    qtbot.keyClick(window.workspace.samples, Qt.Key.Key_Right)
    assert anim.model.cursor.step == 0


def test_scrubber_and_speed(window, anim, qtbot):
    anim.scrubber.setValue(300)
    assert anim.model.cursor.step == 300
    assert "step 301 of" in anim.position.text()
    anim.speed.setValue(anim.speed.maximum())
    assert anim.player.speed == 120
    anim.speed.setValue(0)
    assert anim.player.speed == 1


def test_player_takes_steps_by_elapsed_time(window, anim, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(player_module, "perf_counter", lambda: clock[0])
    p, m = anim.player, anim.model
    m.start()
    p.set_speed(120)
    p.play()
    clock[0] += 0.05  # a 50 ms frame at 120 steps/s: 6 steps due
    p._on_tick()
    assert m.cursor.step == 6
    clock[0] += 0.0084
    p._on_tick()
    assert m.cursor.step == 7
    clock[0] += 5.0  # a stall: carry on at most 0.1 s worth, no racing
    p._on_tick()
    assert m.cursor.step == 19
    m.go_to(m.total - 2)
    clock[0] += 1.0
    p._on_tick()
    assert m.cursor.step == m.total - 1 and not p.playing
    p.pause()


def test_pool_winner_is_argmax_of_its_block(window, anim, qtbot):
    model = anim.model
    model.set_phase("pool")
    assert anim.pages.currentWidget() is anim.pool_page
    conv_out = _expected_conv(window, model.source)
    pooled = max_pool2d(conv_out, 2)
    rng = np.random.default_rng(5)
    for i in rng.integers(0, model.n_pool, 10):
        model.go_to(model.n_conv + int(i))
        step = model.pool_step()
        r, c = step.out_pos
        block = conv_out[2 * r:2 * r + 2, 2 * c:2 * c + 2]
        wr, wc = np.unravel_index(np.argmax(block), block.shape)
        assert step.winner == (2 * r + wr, 2 * c + wc)
        assert anim.pool_page.input_grid.overlay.winner == step.winner
        assert step.value == pytest.approx(float(pooled[r, c]), rel=1e-5, abs=1e-4)
        assert f"= <b>{fmt(float(pooled[r, c]))}</b>" in anim.pool_page.arithmetic.text()
        assert anim.pool_page.output_grid.overlay.filled == int(i) + 1


def test_average_pooling_shows_the_mean(window, anim, qtbot):
    window.model.set_params(pool="avg")
    QApplication.processEvents()
    anim.model.go_to(anim.model.n_conv + 40)
    step = anim.model.pool_step()
    assert step.value == pytest.approx(float(np.nanmean(step.patch)), rel=1e-5, abs=1e-4)
    assert "mean(" in anim.pool_page.arithmetic.text()
    assert anim.pool_page.input_grid.overlay.winner is None


def test_sub_phases_write_the_cell_last(window, anim, qtbot):
    m = anim.model
    anim.sub_phases.setChecked(True)
    m.go_to(99)  # a jump shows the step complete
    assert m.cursor.sub == 2
    m.next()
    assert m.cursor.step == 100 and m.cursor.sub == 0
    page = anim.conv_page
    assert page.output_grid.overlay.filled == 100  # not written yet
    assert "Σ" not in page.arithmetic.text()
    m.next()
    assert m.cursor.sub == 1 and "Σ x·w" in page.arithmetic.text()
    assert page.output_grid.overlay.filled == 100
    m.next()
    assert m.cursor.sub == 2 and page.output_grid.overlay.filled == 101
    assert "written to" in page.arithmetic.text()
    m.previous()
    assert m.cursor.sub == 1 and page.output_grid.overlay.filled == 100
    m.next()
    m.next()
    assert m.cursor == type(m.cursor)(101, 0)


def test_shared_with_the_workspace(window, anim, qtbot):
    ws = window.model
    ws.apply_preset("laplacian")
    QApplication.processEvents()
    np.testing.assert_allclose(anim.conv_page.kernel_grid.values, get_preset("laplacian").array)
    anim.relu.setChecked(True)
    assert ws.params.activation == "relu"
    _settle(qtbot, window)
    assert window.workspace.params_panel.activation.currentText() == "relu"
    assert anim.conv_page.output_grid.values.min() >= 0
    ws.undo_stack.undo()  # the ReLU, then the preset: back to Sobel x, in both tabs
    QApplication.processEvents()
    assert ws.params.activation == "none" and not anim.relu.isChecked()
    ws.undo_stack.undo()
    QApplication.processEvents()
    np.testing.assert_allclose(anim.conv_page.kernel_grid.values, get_preset("sobel_x").array)


def test_multichannel_lists_each_channel_sum(window, anim, qtbot):
    window.workspace.load_sample("astronaut")
    window.model.set_channel("all")
    window.model.set_selection((100, 100, 6, 6))
    anim.source.setCurrentIndex(anim.source.findData("region"))
    QApplication.processEvents()
    m = anim.model
    assert m.source.shape == (6, 6, 3) and anim.conv_page.channel.isVisible()
    m.go_to(5)
    step = m.conv_step()
    text = anim.conv_page.arithmetic.text()
    sums = step.products.sum(axis=(0, 1))
    for name, s in zip("RGB", sums, strict=True):
        assert f"{name}: {fmt(float(s))}" in text
    expected = conv2d(m.source, m.conv.kernel)
    assert step.value == pytest.approx(float(expected[step.out_pos]), rel=1e-5)
    anim.conv_page.channel.setCurrentIndex(2)
    np.testing.assert_allclose(anim.conv_page.products_grid.values, step.products[:, :, 2])


def test_bad_sources_keep_the_last_trace(window, anim, qtbot):
    m = anim.model
    window.model.set_selection((10, 10, 2, 2))
    anim.source.setCurrentIndex(anim.source.findData("region"))
    QApplication.processEvents()
    assert "Cannot animate" in anim.error_label.text()
    assert m.source.shape == (28, 28)  # still the glyph's trace
    assert "Cannot animate" in window.statusBar().currentMessage()
    with pytest.raises(ValueError):
        window.model.set_selection((600, 600, 3, 3))  # empty crop: refused where it is made
    window.model.set_selection((10, 10, 5, 5))
    QApplication.processEvents()
    assert anim.error_label.text() == "" and m.source.shape == (5, 5)


def test_large_source_follows_the_window(window, anim, qtbot):
    anim.source.setCurrentIndex(anim.source.findData("image"))
    QApplication.processEvents()
    m = anim.model
    assert m.source.shape == (512, 512)
    m.go_to(m.n_conv // 2 + 300)
    anim.conv_page.input_grid.repaint()
    grid = anim.conv_page.input_grid
    assert grid.following and grid.numbers_shown()
    top, left = m.conv_step().window
    region = grid.visible_region()
    assert region.contains(left, top) and region.contains(left + 2, top + 2)
    QApplication.processEvents()
    assert anim.conv_page.follow_note.isVisible()
    assert "too small to read" in anim.conv_page.follow_note.text()


def test_export_gif_png_and_frames(window, anim, qtbot, tmp_path):
    window.model.set_selection((100, 100, 6, 6))
    anim.source.setCurrentIndex(anim.source.findData("region"))
    QApplication.processEvents()
    m = anim.model
    assert (m.n_conv, m.n_pool) == (16, 4)
    m.go_to(7)
    png = anim.exporter.export_png(tmp_path / "step.png")
    with Image.open(png) as im:
        assert im.size[0] > 200
    gif = tmp_path / "run.gif"
    with qtbot.waitSignal(anim.exporter.finished, timeout=60000) as blocker:
        assert anim.exporter.start("gif", gif)
    assert blocker.args == [gif]
    with Image.open(gif) as im:
        assert im.n_frames == 20
    assert m.cursor.step == 7  # the export put the cursor back
    anim.sub_phases.setChecked(True)
    frames = tmp_path / "frames"
    with qtbot.waitSignal(anim.exporter.finished, timeout=60000):
        assert anim.exporter.start("frames", frames)
    assert len(list(frames.glob("frame_*.png"))) == 16 * 3 + 4


def test_export_cancel_and_too_many_frames(window, anim, qtbot, tmp_path):
    anim.source.setCurrentIndex(anim.source.findData("image"))
    QApplication.processEvents()
    assert anim.exporter.start("gif", tmp_path / "big.gif") is False
    assert "at most" in window.statusBar().currentMessage()
    with qtbot.waitSignal(anim.exporter.finished, timeout=10000) as blocker:
        assert anim.exporter.start("frames", tmp_path / "f")
        anim.exporter.cancel()
    assert blocker.args == [None]
    assert not anim.exporter.running


def test_cell_texts_in_bulk_equal_one_by_one():
    from convstudio.ui.animator.text import fmt_cell, fmt_cells

    special = [0.0, -0.0, 1000.0, -1000.0, 1001.0, 999.9999995, 0.5, 2.5, -1e-7, 255.0,
               float("nan"), float("inf"), float("-inf"), 1e-9, 123.456, -0.004]
    for seed in range(3):
        rng = np.random.default_rng(seed)
        mixed = np.concatenate([special, rng.integers(-1500, 1500, 200).astype(np.float64),
                                rng.normal(0, 300, 200), rng.normal(0, 0.01, 50)])
        assert fmt_cells(mixed) == [fmt_cell(x) for x in mixed]
        assert fmt_cells(mixed.astype(np.float32).reshape(-1, 2)) == [
            fmt_cell(x) for x in mixed.astype(np.float32)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(width=32, allow_nan=True, allow_infinity=True), max_size=30))
def test_cell_texts_in_bulk_equal_one_by_one_for_any_float32(xs):
    from convstudio.ui.animator.text import fmt_cell, fmt_cells

    arr = np.array(xs, dtype=np.float32)
    assert fmt_cells(arr) == [fmt_cell(x) for x in arr]


def test_followed_grid_goes_back_to_parts_it_drew_without_drawing_them_again(qtbot, monkeypatch):
    from convstudio.ui.animator.grid import GridView, Overlay

    grid = GridView()
    qtbot.addWidget(grid)
    grid.resize(300, 300)
    grid.show_array(np.arange(200 * 200, dtype=np.float32).reshape(200, 200) % 251)
    grid.show()
    qtbot.waitExposed(grid)
    drawn = []
    render = grid._render_cells
    monkeypatch.setattr(grid, "_render_cells", lambda *a: drawn.append(a[1:3]) or render(*a))

    def show(top, left):
        grid.set_overlay(Overlay(window=(top, left, 3, 3)))
        grid.repaint()
        return grid.grab().toImage(), grid.visible_region()

    assert grid.following
    first, region = show(0, 0)
    right, region_right = show(0, region.width() + 5)   # past the edge: another part
    assert region_right.left() > region.left() and len(drawn) == 2
    back, _ = show(0, 0)                                 # a step back: the first part again
    assert len(drawn) == 2 and back == first
    show(120, 0)
    show(160, 0)                                         # a fourth part pushes out the part
    assert len(drawn) == 4                               # used longest ago (the right one)
    show(0, 0)                                           # used recently: kept
    assert len(drawn) == 4
    show(0, region.width() + 5)                          # pushed out: drawn again
    assert len(drawn) == 5
    grid.show_array(np.zeros((200, 200), np.float32))      # new values: nothing old is reused
    show(0, region.width() + 5)
    assert len(drawn) == 6


@pytest.mark.parametrize("at", [(0, 0), (37, 51)])
def test_a_part_drawn_in_bands_of_rows_is_the_part_drawn_at_once(qtbot, at):
    from convstudio.ui.animator.grid import GridView

    grid = GridView(indices=True)
    qtbot.addWidget(grid)
    grid.resize(320, 300)
    values = (np.arange(120 * 130, dtype=np.float32).reshape(120, 130) % 509) - 254
    grid.show_array(values, kind="diverging", pad=(1, 2, 1, 2))  # dashed padding, two shades
    grid.show()
    qtbot.waitExposed(grid)
    s, _, _, nr, nc, _, _ = grid.geometry_now()
    assert grid.following and nr >= 4
    whole = grid._render_cells(s, *at, nr, nc).toImage()
    draft = grid._begin_part(s, *at, nr, nc)
    for count in (1, 2, 1, nr):  # bands of one row, two, one, then the rest
        grid._paint_rows(draft, count)
    assert draft.rows_done == nr
    assert draft.pixmap.toImage() == whole


@pytest.mark.parametrize(("phase", "per_frame"),
                         [("conv", 2), ("pool", 2), ("conv", 1), ("pool", 1)])
def test_playing_a_large_image_draws_each_part_once_ahead_and_spread_over_steps(
        window, anim, monkeypatch, phase, per_frame):
    from PySide6.QtCore import QCoreApplication

    from convstudio.ui.animator.pages import LOOK_AHEAD

    anim.source.setCurrentIndex(anim.source.findData("image"))
    QApplication.processEvents()
    m = anim.model
    m.go_to(0 if phase == "conv" else m.n_conv)
    QApplication.processEvents()
    page = anim.conv_page if phase == "conv" else anim.pool_page
    assert anim.pages.currentWidget() is page
    assert page.input_grid.following and page.output_grid.following
    steps = m.conv if phase == "conv" else m.pool
    row = steps.output.shape[1]
    begun: list[tuple[str, tuple[int, int], int]] = []
    rows_now = {"input_grid": 0, "output_grid": 0}  # cell rows painted in this frame
    while_shown: list[str] = []  # grids that painted cells while showing them
    painting = {"now": False}
    part_rows = {}
    for name in ("input_grid", "output_grid"):
        grid = getattr(page, name)
        part_rows[name] = grid.visible_region().height()
        begin, rows, paint = grid._begin_part, grid._paint_rows, grid.paintEvent

        def begun_part(*a, name=name, begin=begin):
            begun.append((name, a[1:3], m.cursor.step))
            return begin(*a)

        def painted_rows(draft, count, name=name, rows=rows):
            before = draft.rows_done
            rows(draft, count)
            rows_now[name] += draft.rows_done - before
            if painting["now"]:
                while_shown.append(name)

        def painted(event, paint=paint):
            painting["now"] = True
            try:
                paint(event)
            finally:
                painting["now"] = False

        monkeypatch.setattr(grid, "_begin_part", begun_part)
        monkeypatch.setattr(grid, "_paint_rows", painted_rows)
        monkeypatch.setattr(grid, "paintEvent", painted)
    views = set()
    most = {"input_grid": 0, "output_grid": 0}
    for k in range(300 // per_frame):  # two steps a frame as at 120 steps/s; one as at 60
        rows_now.update(input_grid=0, output_grid=0)
        m.advance(per_frame)
        QCoreApplication.sendPostedEvents()
        if k * per_frame >= LOOK_AHEAD:  # the first parts were due before they could be seen
            most = {name: max(most[name], rows_now[name]) for name in most}
        views.add(("input_grid", page.input_grid.visible_region().topLeft().toTuple()))
        views.add(("output_grid", page.output_grid.visible_region().topLeft().toTuple()))
    assert len(views) >= 40  # both grids moved on many times
    # Spread over the steps before it is shown: never more than half a part in one frame,
    # and every part done before it shows. Except where the parts come every frame or two:
    # the pool's input moves two columns a step, a new part every 3.5 steps on this page;
    # at two steps a frame a part is then drawn in one frame or on showing, one at most.
    fast = phase == "pool" and per_frame == 2
    for name, n in most.items():
        whole = part_rows[name]
        assert 0 < n <= (whole if fast and name == "input_grid" else math.ceil(whole / 2)), (
            name, n, whole)
    assert set(while_shown) <= ({"input_grid"} if fast else set()), while_shown
    first = m.n_conv if phase == "pool" else 0
    in_first_row = [(name, view) for name, view, step in begun if step - first < row - 12]
    assert len(in_first_row) == len(set(in_first_row))  # along a row, no part drawn twice


def test_a_part_shown_before_it_is_drawn_ahead_to_the_end_is_finished_then(qtbot):
    from convstudio.ui.animator.grid import GridView, Overlay

    values = (np.arange(200 * 200, dtype=np.float32).reshape(200, 200) * 7) % 251
    grids = []
    for _ in range(2):
        grid = GridView(indices=True)
        qtbot.addWidget(grid)
        grid.resize(300, 300)
        grid.show_array(values)
        grid.set_overlay(Overlay(window=(0, 0, 3, 3)))
        with qtbot.waitExposed(grid):
            grid.show()
        grid.repaint()
        grids.append(grid)
    ahead, direct = grids
    shown = ahead.visible_region()
    assert ahead.following
    moved = (0, shown.width() + 5, 3, 3)  # past the right edge: the next part
    # Due in 9 steps: begun on the first call, one band on the second; then shown at once.
    ahead.prepare_ahead([(0, 0, 3, 3)] * 9 + [moved])
    ahead.prepare_ahead([(0, 0, 3, 3)] * 8 + [moved])
    draft = ahead._parts._draft
    assert draft is not None and 0 < draft.rows_done < shown.height()
    for grid in grids:
        grid.set_overlay(Overlay(window=moved))
        grid.repaint()
    assert ahead.visible_region() == direct.visible_region() != shown
    assert ahead._parts._draft is None  # finished and shown
    assert ahead.grab().toImage() == direct.grab().toImage()


@pytest.mark.parametrize("channel", ["luminance", "G", "all"])
def test_region_is_the_workspace_source_sliced(window, anim, qtbot, channel):
    # A colour image: recomputing luminance on a crop rounds differently from the workspace's
    # whole-image conversion on some CPUs; the animator must show the workspace's own numbers.
    rgb = np.random.default_rng(11).random((120, 170, 3), np.float32)
    ws = window.model
    ws.set_source(rgb, "noise")
    ws.set_channel(channel)
    ws.set_params(padding="same")  # so that one-pixel-wide regions animate too
    anim.source.setCurrentIndex(anim.source.findData("region"))
    QApplication.processEvents()
    m = anim.model
    h, w = ws.source.shape[:2]
    top, left = (h - 8) // 2, (w - 8) // 2  # no selection: the centre 8×8
    np.testing.assert_array_equal(m.source, ws.source[top:top + 8, left:left + 8])
    rng = np.random.default_rng(5)
    # One-pixel-wide and -high crops included: there OpenBLAS and NumPy's own loop disagree.
    rects = [(10, 20, 7, 1), (33, 41, 1, 9), (50, 60, 1, 1), (0, 0, 11, 1)] + [
        (int(rng.integers(0, h - 12)), int(rng.integers(0, w - 12)),
         int(rng.integers(1, 12)), int(rng.integers(1, 12))) for _ in range(20)]
    for top, left, height, width in rects:
        ws.set_selection((top, left, height, width))
        QApplication.processEvents()
        np.testing.assert_array_equal(m.source, ws.source[top:top + height, left:left + width])
        # What the input grid shows, inside the padding, is that same slice.
        pads = m.conv.pads
        shown = anim.conv_page.input_grid.values[pads.top:pads.top + height,
                                                 pads.left:pads.left + width]
        region = ws.source[top:top + height, left:left + width]
        np.testing.assert_array_equal(shown, region if region.ndim == 2 else region[..., 0])
    anim.source.setCurrentIndex(anim.source.findData("image"))
    QApplication.processEvents()
    np.testing.assert_array_equal(m.source, ws.source)


def test_exports_are_written_whole_with_the_usual_permissions(window, anim, qtbot, tmp_path):
    window.model.set_selection((100, 100, 6, 6))
    anim.source.setCurrentIndex(anim.source.findData("region"))
    QApplication.processEvents()
    old_mask = os.umask(0o022)
    try:
        png = anim.exporter.export_png(tmp_path / "step")  # no suffix: still a PNG
        gif = tmp_path / "run.gif"
        with qtbot.waitSignal(anim.exporter.finished, timeout=60000):
            assert anim.exporter.start("gif", gif)
    finally:
        os.umask(old_mask)
    assert png is not None and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 20
    # Like any other program's files (not mkstemp's 0600), and no temporary file left behind.
    for path in (png, gif):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.gif", "step"]
    assert anim.exporter.export_png(tmp_path / "missing" / "step.png") is None
    assert "Could not save" in window.statusBar().currentMessage()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.gif", "step"]
