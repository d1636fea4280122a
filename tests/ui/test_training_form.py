"""The training form reads numbers one way in every locale; files it writes are atomic."""

import os
import stat

import numpy as np
import pytest
from PySide6.QtCore import QLocale, Qt


@pytest.fixture
def tab(window, qtbot):
    t = window.training
    window.show_tab("training")
    return t


def _type(qtbot, box, text):
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


@pytest.mark.parametrize("locale", ["C", "en_US", "de_DE"])
def test_decimal_boxes_read_point_and_comma_alike_in_every_locale(window, qtbot, locale):
    QLocale.setDefault(QLocale(locale))
    try:
        from convstudio.ui.training.form import TrainingForm

        form = TrainingForm()
        for box in form.numbers():
            qtbot.addWidget(box)
            box.show()
        # Before: '1,5'-style text was read as 15 (C, English) or '0.25' as 25 (German),
        # then clamped to the range without a word.
        for box, text, value in ((form.dropout, "0,25", 0.25), (form.dropout, "0.5", 0.5),
                                 (form.learning_rate, "0,002", 0.002),
                                 (form.learning_rate, "0.0005", 0.0005),
                                 (form.val_split, "0,2", 0.2)):
            _type(qtbot, box, text)
            assert box.value() == pytest.approx(value), (box, text)
        assert form.learning_rate.text() == "0.0005"
    finally:
        QLocale.setDefault(QLocale.c())


def test_out_of_range_and_unreadable_values_are_refused_with_a_message(tab, qtbot):
    messages = []
    tab.messageRaised.connect(messages.append)
    before = tab.model.settings
    for box, text in ((tab.learning_rate, "5"), (tab.dropout, "0,95"), (tab.epochs, "5000"),
                      (tab.val_split, "1.000,5"), (tab.batch_size, "0")):
        _type(qtbot, box, text)
    assert tab.model.settings == before  # nothing clamped, nothing changed
    assert len(messages) == 5
    assert messages[0] == "Learning rate: 5 is outside 1e-05…1; it stays 0.003."
    assert "Dropout: 0,95 is outside 0…0.9" in messages[1]
    assert "Epochs: 5000 is outside 1…1000" in messages[2]
    assert "decimal mark" in messages[3] and "Batch size: 0 is outside" in messages[4]
    assert tab.error_label.text() == messages[-1]


def test_the_limit_box_shows_and_takes_all(tab, qtbot):
    messages = []
    tab.messageRaised.connect(messages.append)
    assert tab.limit.value() == 0 and tab.limit.text() == "all"
    _type(qtbot, tab.limit, "600")
    assert tab.limit.value() == 600
    _type(qtbot, tab.limit, "all")
    assert tab.limit.value() == 0 and tab.limit.text() == "all"
    tab.limit.setFocus()
    qtbot.keyClick(tab.limit, Qt.Key.Key_Return)  # Enter on "all" is not a refusal
    assert messages == []


def test_exported_filters_are_written_atomically_with_the_users_permissions(tab, tmp_path):
    filters = np.arange(9 * 4, dtype=np.float32).reshape(3, 3, 1, 4)
    tab.model.snapshots[:] = [("test", filters)]  # as a loaded model leaves them
    tab.results.show_model()
    old = os.umask(0o022)
    try:
        out = tab.export_filters(str(tmp_path / "f"))
    finally:
        os.umask(old)
    assert out == tmp_path / "f.npy"
    np.testing.assert_array_equal(np.load(out, allow_pickle=False), filters)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # before: 0600 whatever the umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.npy"]
    assert tab.export_filters(str(tmp_path / "missing" / "f.npy")) is None
    assert "Could not save" in tab.error_label.text()


def test_every_form_range_is_the_settings_schema(qtbot):
    # One schema (training/settings.py): a value the form can hold is one a saved lesson reads
    # back and a run accepts (the learning-rate box once allowed 1e-5 while lessons refused it).
    from convstudio.core.limits import FloatRange, IntRange
    from convstudio.training.settings import FIELDS
    from convstudio.ui.training.form import TrainingForm

    form = TrainingForm()
    names = {"validation_split": "val_split"}
    checked = 0
    for key, rule in FIELDS.items():
        if not isinstance(rule, IntRange | FloatRange):
            continue
        box = getattr(form, names.get(key, key))
        assert (box.minimum(), box.maximum()) == pytest.approx(tuple(rule)), key
        checked += 1
    assert checked == 10
