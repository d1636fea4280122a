"""Issue 17: the training form takes a filter count per conv layer (32 then 64)."""

from convstudio.ui.questions import QuestionDialog

from .test_training_form import _type


def _tab(window):
    window.show_tab("training")
    return window.training


def _row(table, name):
    for r in range(table.rowCount()):
        if table.item(r, 0) and table.item(r, 0).text() == name:
            return [table.item(r, c).text() if table.item(r, c) else "" for c in range(3)]
    raise AssertionError(f"no row {name}")


def test_one_box_per_conv_layer_makes_32_then_64(window, qtbot):
    tab = _tab(window)
    boxes = tab.layer_filters
    assert [b.isVisible() for b in boxes] == [True, True, False]  # two blocks by default
    _type(qtbot, boxes[0], "32")
    assert tab.model.settings.filters == 32  # every layer followed the first
    assert boxes[1].value() == 32
    _type(qtbot, boxes[1], "64")
    assert tab.model.settings.filters == (32, 64)
    assert tab.model.settings.layer_filters() == (32, 64)
    assert _row(tab.summary_table, "conv1 (Conv2D)") == ["conv1 (Conv2D)", "(batch, 26, 26, 32)",
                                                         "320"]
    assert _row(tab.summary_table, "conv2 (Conv2D)") == ["conv2 (Conv2D)", "(batch, 11, 11, 64)",
                                                         "18,496"]
    assert ("conv2: 64 filters, each of 3×3×32 weights (all 32 maps of conv1), make 64 maps, "
            "not 64×32.") in tab.summary_note.text()
    # The first layer's own count now: the second keeps 64.
    _type(qtbot, boxes[0], "16")
    assert tab.model.settings.filters == (16, 64)


def test_a_third_block_starts_with_the_last_count_and_fewer_blocks_drop_theirs(window, qtbot):
    tab = _tab(window)
    boxes = tab.layer_filters
    tab.model.set_settings({"filters": [32, 64]})
    assert (boxes[0].value(), boxes[1].value()) == (32, 64)
    tab.model.set_settings({"pooling": False})  # three blocks of 3×3 keep pixels unpooled
    _type(qtbot, tab.blocks, "3")
    assert boxes[2].isVisible() and boxes[2].value() == 64
    assert tab.model.settings.filters == (32, 64, 64)
    _type(qtbot, tab.blocks, "1")
    assert [b.isVisible() for b in boxes] == [True, False, False]
    assert tab.model.settings.filters == 32 and tab.model.settings.blocks == 1


def test_refused_counts_leave_the_settings_as_they_were(window, qtbot):
    tab = _tab(window)
    messages = []
    tab.messageRaised.connect(messages.append)
    tab.model.set_settings({"filters": [32, 64]})
    before = tab.model.settings
    _type(qtbot, tab.layer_filters[1], "300")
    assert tab.model.settings == before
    assert messages and "Filters of conv2: 300 is outside 1…256" in messages[-1]
    assert tab.error_label.text() == messages[-1]


def test_show_me_builds_32_then_64_and_shows_64_maps_from_3x3x32_weights(window, qtbot):
    w = window
    from convstudio import questions as Q

    dialog = QuestionDialog(w, Q.question("stacked"), w)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.show_me()
    t = w.training
    assert w.training_model.settings.layer_filters() == (32, 64)
    assert [b.value() for b in t.layer_filters[:2]] == [32, 64]
    assert _row(t.summary_table, "conv2 (Conv2D)")[1:] == ["(batch, 11, 11, 64)", "18,496"]
    row = next(r for r in range(t.summary_table.rowCount())
               if t.summary_table.item(r, 0).text() == "conv2 (Conv2D)")
    assert t.summary_table.item(row, 0).toolTip() == "64 filters of 3×3×32 + bias"
    assert "64 filters, each of 3×3×32 weights" in t.summary_note.text()
    assert "makes 64 maps" in dialog.browser.toPlainText()
