"""Issue 14: lessons through the real window — refused whole, applied whole, text rendered fast."""

import json
import os
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from convstudio import lessons as L
from convstudio.core.animator_sources import ANIMATOR_REGION
from convstudio.ui.lessons import capture, session_path
from convstudio.ui.main_window import MainWindow

from .window_state import assert_same_state, settle


def _state(w):
    m, an = w.model, w.animator_model
    return {"rgb": m.rgb.copy(), "name": m.source_name, "channel": m.channel,
            "kernel": m.kernel.entries.copy(), "use_weight": m.kernel.use_weight,
            "params": m.params, "selection": m.selection, "display": m.display_mode,
            "anim_source": an.source_kind, "step": an.cursor.step,
            "tab": w.tabs.currentIndex(), "panel": (w.lesson_panel.title, w.lesson_panel.text),
            "undo": m.undo_stack.count()}


def _prepare(w, qtbot):
    m = w.model
    m.set_source(np.random.default_rng(5).random((30, 40, 3)).astype(np.float32), "noise")
    m.set_kernel(np.arange(9, dtype=np.float32).reshape(3, 3), use_weight=False)
    m.set_params(stride=(2, 1), padding="same", bias=2.5)
    m.set_selection((1, 2, 9, 11))
    w.animator_model.set_source_kind("image")
    w.animator_model.rebuild()
    w.animator_model.go_to(37)
    settle(qtbot, w)


def _lesson_doc(**workspace):
    doc = L.builtin_lessons()["line-filters"].to_json()
    doc["workspace"].update(workspace)
    return doc


@pytest.mark.parametrize("mutate, words", [
    (lambda d: d["workspace"].update(kernel=np.ones((8, 8)).tolist()), "workspace.kernel"),
    (lambda d: d["workspace"].update(kernel=np.ones((7, 8)).tolist()), "1…7"),
    (lambda d: d["workspace"].update(kernel=[[1e39]]), "workspace.kernel[0][0]"),
    (lambda d: d["workspace"]["params"].update(bias=2**64), "workspace.params.bias"),
    (lambda d: d["workspace"]["params"].update(stride=[17, 1]), "1…16"),
    (lambda d: d["workspace"].update(selection=[500, 500, 20, 20]), "workspace.selection"),
    (lambda d: d["animator"].update(step=10**7), "animator.step"),
    (lambda d: d.update(model="w\u0000.keras"), "NUL"),
    (lambda d: d.update(text="x" * 200_000), "text"),
])
def test_a_refused_lesson_changes_nothing(window, qtbot, tmp_path, mutate, words):
    w = window
    _prepare(w, qtbot)
    before = _state(w)
    doc = _lesson_doc()
    mutate(doc)
    path = tmp_path / "bad.convstudio"
    path.write_text(json.dumps(doc))
    assert not w.open_lesson(str(path))      # before: ValueError after the image was replaced
    assert words in w.last_message and "Nothing was changed" in w.last_message
    settle(qtbot, w)
    assert_same_state(_state(w), before)


def test_a_model_beside_the_lesson_that_is_a_fifo_is_not_opened(window, tmp_path):
    doc = _lesson_doc()
    doc["model"] = "pipe.keras"
    os.mkfifo(tmp_path / "pipe.keras")
    (tmp_path / "l.convstudio").write_text(json.dumps(doc))
    assert window.open_lesson(str(tmp_path / "l.convstudio"))   # before: "missing beside it"
    assert "named pipe" in window.last_message
    assert window.training.network is None


def test_a_lesson_without_an_image_clips_its_selection_to_the_current_one(window, qtbot,
                                                                          tmp_path):
    w = window
    _prepare(w, qtbot)
    doc = _lesson_doc(selection=[20, 30, 100, 100])
    del doc["workspace"]["sample"]
    path = tmp_path / "no-image.convstudio"
    path.write_text(json.dumps(doc))
    assert w.open_lesson(str(path))
    assert w.model.selection == (20, 30, 10, 10) and w.model.rgb.shape == (30, 40, 3)


@pytest.mark.parametrize("source, selection, params", [
    ("image", None, {}), ("glyph", None, {"stride": (2, 1)}),
    ("region", None, {"padding": "same"}), ("region", (3, 4, 12, 9), {"pool_size": (3, 3)}),
    ("image", (0, 0, 5, 5), {"dilation": (2, 3), "pool_stride": (1, 1)}),
])
def test_animator_steps_match_the_animator(window, qtbot, source, selection, params):
    w = window
    m, an = w.model, w.animator_model
    m.set_source(np.random.default_rng(1).random((31, 45, 3)).astype(np.float32), "noise")
    m.set_params(**params)
    m.set_selection(selection)
    an.set_source_kind(source)
    totals = []
    for pool_input in ("conv", "image"):
        an.set_pool_input(pool_input)
        an.rebuild()
        totals.append(an.total)
    an.set_pool_input("conv")
    assert L.animator_steps(capture(w)) == max(totals)
    assert ANIMATOR_REGION == L.ANIMATOR_REGION


def test_a_step_captured_before_the_animator_rebuilt_still_reads_back(window, qtbot, tmp_path):
    w = window
    an = w.animator_model
    an.set_source_kind("image")
    an.rebuild()
    an.end()
    w.model.set_params(stride=(16, 16))   # the animator rebuilds on the next event
    path = w.save_lesson(str(tmp_path / "now"))
    assert path is not None
    lesson = L.read(path)                 # before: animator.step past the last step
    assert lesson.animator_step == L.animator_steps(lesson) - 1


def test_untouched_default_session_is_not_offered(qtbot):
    first = MainWindow()
    qtbot.addWidget(first)
    first.close()                         # saves the session on close
    assert not session_path().exists()
    second = MainWindow()
    qtbot.addWidget(second)
    second.save_session_on_close = False
    assert not second.offer_session()     # before: "Restore last session?" for the default


def test_a_touched_session_is_still_saved(qtbot):
    first = MainWindow()
    qtbot.addWidget(first)
    first.animator_model.set_source_kind("region")
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    second.save_session_on_close = False
    assert second.offer_session() and second.restore_session()
    assert second.animator_model.source_kind == "region"


def test_a_12_megapixel_photo_session_reads_back(window, qtbot):
    w = window
    photo = np.random.default_rng(2).integers(0, 256, (3000, 4000, 3)).astype(np.float32)
    w.model.set_source(photo / np.float32(255), "photo.jpg")
    settle(qtbot, w)
    start = time.perf_counter()
    path = w.save_session()
    print(f"\nsession of a noisy 4000x3000 photo: {time.perf_counter() - start:.2f} s, "
          f"{path.stat().st_size / 2**20:.1f} MiB")
    assert path is not None and path.stat().st_size > 0
    w.model.set_source(np.zeros((4, 4), np.float32), "black")
    assert w.restore_session()            # before: 67 MB, over the read limit
    np.testing.assert_array_equal(w.model.rgb, photo)


@pytest.mark.parametrize("text", [
    "<table><tr><td>" * 30 + "deep" + "</td></tr></table>" * 30,
    "<table><tr><td>" * 20_000 + "deep",
    "<p>" + "lorem ipsum " * 2_500_000 + "</p>",
], ids=["tables-30", "tables-20000", "30MB"])
def test_hostile_lesson_text_renders_in_bounded_time(window, text):
    lesson = L.builtin_lessons()["line-filters"]
    lesson.text = text
    start = time.perf_counter()
    window.lesson_panel.show_lesson(lesson)   # before: hung (tables) or froze 58 s (30 MB)
    window.lesson_panel.browser.grab()        # lay out and paint
    assert time.perf_counter() - start < 20   # generous: a loaded CI machine must pass
    html = window.lesson_panel.browser.toHtml()
    assert "<table" not in html
    plain = window.lesson_panel.browser.toPlainText()
    assert len(plain) < 2 * 100_000
    assert window.lesson_panel.text == text   # kept as written (saved back unchanged)


def test_builtin_lessons_show_their_text_unchanged(window):
    for lesson in L.builtin_lessons().values():
        window.lesson_panel.show_lesson(lesson)
        shown = window.lesson_panel.browser.toPlainText()
        assert "<" not in shown.replace("→", "")
        assert lesson.title in shown


def test_no_thanks_is_remembered_for_that_session_only(qtbot):
    first = MainWindow()
    qtbot.addWidget(first)
    first.animator_model.set_source_kind("region")
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    second.save_session_on_close = False
    assert second.offer_session()
    qtbot.mouseClick(second.offer_dismiss, Qt.MouseButton.LeftButton)
    assert second.offer_bar.isHidden()
    third = MainWindow()
    qtbot.addWidget(third)
    assert not third.offer_session()  # the same session is not offered again
    third.animator_model.set_source_kind("image")
    third.close()                     # a new session is saved: that one is offered
    fourth = MainWindow()
    qtbot.addWidget(fourth)
    fourth.save_session_on_close = False
    assert fourth.offer_session()


def test_quitting_with_a_trained_unsaved_model_asks_first(window, qtbot, monkeypatch):
    tab = window.training
    window.ask_before_closing = True
    asked = []
    monkeypatch.setattr(tab.model, "has_unsaved_model", lambda: True)
    monkeypatch.setattr(tab, "confirm_discard", lambda action: asked.append(action) or False)
    window.close()
    assert window.isVisible() and asked == ["Quitting"]  # Cancel keeps the window and model
    monkeypatch.setattr(tab, "confirm_discard", lambda action: asked.append(action) or True)
    window.close()
    assert not window.isVisible() and len(asked) == 2
