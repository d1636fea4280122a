"""Issue 17: Help ▸ Questions — every learner's question answered, each Show me sets its state."""

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from convstudio import questions as Q
from convstudio.ui.questions import QuestionDialog
from convstudio.ui.theme import presentation

from .window_state import settle

# The course material's "Questions learners ask", as it words them, and the entry answering each.
LEARNERS_ASK = {
    "How does backpropagation find the filters (the calculus)?": "backprop",
    "How do stacked filter counts combine?": "stacked",
    "Why is the input shape (28, 28, 1) and not (28, 28)?": "input-shape",
    "How are filters chosen (they are learned)?": "learned",
    "How do I take the trained model out (save/export), and use it in another program (a game "
    "engine, a web page)?": ("save", "other-program"),
    "Why does the model give a confident answer for a kind of image it never saw (show the "
    "probabilities)?": "confident",
    "How do I use the saved model in another program?": "other-program",
}


def _questions_menu(w):
    help_menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Help")
    return next(a.menu() for a in help_menu.actions() if a.text() == "&Questions")


def _open(w, key):
    entry = next(a for a in _questions_menu(w).actions() if a.text() == Q.question(key).question)
    entry.trigger()
    dialogs = [d for d in w.findChildren(QuestionDialog) if d.isVisible()]
    assert len(dialogs) == 1
    return dialogs[0]


def test_every_question_learners_ask_has_an_entry(window):
    listed = [a.text() for a in _questions_menu(window).actions()]
    assert listed == [q.question for q in Q.questions()]
    for asked, keys in LEARNERS_ASK.items():
        for key in (keys,) if isinstance(keys, str) else keys:
            assert Q.question(key).question in listed, asked
    assert {k for v in LEARNERS_ASK.values() for k in ((v,) if isinstance(v, str) else v)} \
        == {q.key for q in Q.questions()}


def test_answers_carry_the_numbers_the_core_computes():
    stacked = Q.question("stacked").answer
    assert "makes 64 maps" in stacked and "18,496 parameters" in stacked
    assert "32 filters of 3×3×32 + bias" in stacked and "9,248" in stacked
    # 12 + 192 + 100 + 64: the top-left weight's four pixels of the pooling block.
    assert "[[368, 368, 288]" in Q.question("backprop").answer
    assert "(batch, 28, 28, 1)" in Q.question("input-shape").demo.says


@pytest.mark.parametrize("key", [q.key for q in Q.questions()])
def test_show_me_sets_the_state_its_answer_says(window, qtbot, key):
    w = window
    w.training_model.set_settings({"dataset": "shapes", "blocks": 3, "filters": 16,
                                   "kernel_size": 2, "epochs": 7})
    w.model.set_source(np.zeros((40, 40), np.float32), "black")
    w.model.set_kernel(np.eye(3, dtype=np.float32), use_weight=False)
    w.show_tab("workspace")
    dialog = _open(w, key)
    demo = Q.question(key).demo
    assert Q.question(key).question in dialog.title.text()
    assert dialog.says.text() == demo.says
    assert "Show me" in demo.says
    qtbot.mouseClick(dialog.show_me_button, Qt.MouseButton.LeftButton)
    settle(qtbot, w)
    assert not dialog.message.isVisible()
    assert w.tabs.currentIndex() == w.tab_index[demo.tab]
    settings = w.training_model.settings.as_dict()
    assert {k: settings[k] for k in demo.training} == demo.training
    if demo.sample:
        assert w.model.source_name == demo.sample
        assert w.model.rgb.shape[:2] != (40, 40)
    if demo.kernel:
        np.testing.assert_array_equal(w.model.kernel.entries, np.array(demo.kernel))
        assert w.model.kernel.use_weight
    if demo.code:
        code = dialog.code.toPlainText()
        assert dialog.code.isVisible() and "keras.Sequential" in code
        blocks = settings["blocks"]
        assert code.count(f"keras.layers.Conv2D({settings['filters']}, ") == blocks
        qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
        assert QApplication.clipboard().text() == code
    else:
        assert not dialog.code.isVisible()
    dialog.close()


def test_stacked_filters_show_in_the_training_summary(window, qtbot):
    w = window
    dialog = _open(w, "stacked")
    assert dialog.show_me()
    table = w.training.summary_table
    rows = [[table.item(r, c).text() if table.item(r, c) else "" for c in range(3)]
            for r in range(table.rowCount())]
    # 64 maps out of the second layer, each from 3×3×32 weights and a bias: not 64 × 32.
    assert ["conv2 (Conv2D)", "(batch, 11, 11, 64)", "18,496"] in rows
    assert ["conv1 (Conv2D)", "(batch, 26, 26, 32)", "320"] in rows
    qtbot.waitUntil(lambda: not table.visibleRegion().isEmpty())  # scrolled into view


def test_show_me_opens_the_folded_controls_in_projection_mode(window, qtbot):
    w = window
    presentation().set_projection(True, remember=False)
    w.show_tab("training")
    assert w.drawer.folded and not w.training.save_button.isVisible()
    assert _open(w, "save").show_me()
    assert not w.drawer.folded
    qtbot.waitUntil(lambda: not w.training.save_button.visibleRegion().isEmpty())


def test_a_demonstration_the_window_refuses_changes_nothing(window, qtbot):
    w = window
    item = Q.question("stacked")
    bad = dataclasses.replace(item, demo=dataclasses.replace(
        item.demo, training={"filters": 100_000}, kernel=((1, 2), (3, 4))))
    before = (w.training_model.settings, w.model.kernel.entries.copy(), w.tabs.currentIndex())
    dialog = QuestionDialog(w, bad, w)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.show_me()
    assert dialog.message.isVisible() and "training.filters" in dialog.message.text()
    assert dialog.message.text().endswith("Nothing was changed.")
    assert w.training_model.settings == before[0]
    np.testing.assert_array_equal(w.model.kernel.entries, before[1])
    assert w.tabs.currentIndex() == before[2]


def test_a_program_for_a_model_that_cannot_be_built_is_refused_with_the_reason(window):
    w = window
    w.training_model.set_settings({"blocks": 3, "kernel_size": 7, "pooling": True})
    w.show_tab("workspace")
    dialog = _open(w, "other-program")
    assert not dialog.show_me()
    assert "leaves no pixels" in dialog.message.text() and not dialog.code.isVisible()
    assert w.tabs.currentIndex() == w.tab_index["workspace"]


def test_the_saved_model_program_loads_the_file_the_training_tab_holds(window, tmp_path):
    # "How do I use the saved model in another program?": once the network on screen is in a
    # .keras file, the program rebuilds that file's network and loads that file by its path.
    from convstudio.training.backend import load_keras
    from convstudio.training.models import ConvBlock, ModelConfig, build_model
    from convstudio.training.persist import save_model

    w = window
    load_keras().utils.set_random_seed(3)
    config = ModelConfig((ConvBlock(4), ConvBlock(6)), 16, 0.0, 10)  # not the form's model
    path = save_model(build_model(config), {"loss": [0.9]}, tmp_path / "shirts.keras")
    tr = w.training_model
    assert tr.load_from(str(path)) and tr.saved_file() == path
    code = _open(w, "other-program")
    assert code.show_me()
    program = code.code.toPlainText()
    assert f"model.load_weights({str(path.resolve())!r})" in program
    assert 'keras.layers.Conv2D(4, (3, 3), activation="relu", name="conv1")' in program
    assert "'T-shirt/top'" in program  # ten classes: the chosen dataset's names fit
    code.close()
    assert tr.reset()  # no network: the program builds the form's model, with no file
    again = _open(w, "other-program")
    assert again.show_me()
    assert str(path.resolve()) not in again.code.toPlainText()
    assert '# model.load_weights("my-model.keras")' in again.code.toPlainText()  # says where
    assert f"Conv2D({tr.settings.layer_filters()[0]}, (3, 3)" in again.code.toPlainText()
