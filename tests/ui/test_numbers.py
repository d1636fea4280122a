"""Typed numbers follow one rule in every locale: '.' or ',' is the decimal mark; nothing clamps."""

import pytest
from PySide6.QtCore import QLocale, Qt

from convstudio.ui.numbers import DecimalBox, WholeBox, parse_decimal


@pytest.mark.parametrize(("text", "value"), [
    ("1.5", 1.5), ("1,5", 1.5), (" -0,25 ", -0.25), ("−2", -2.0), (",5", 0.5), ("1e-3", 1e-3),
    ("3", 3.0)])
def test_parse_decimal_reads_point_and_comma_alike(text, value):
    assert parse_decimal(text) == value


@pytest.mark.parametrize("text", ["1,000.5", "1.000,5", "1.2.3", "abc", "", "1e999", "nan"])
def test_parse_decimal_refuses_what_cannot_be_read_as_meant(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


def _type(qtbot, box, text):
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


@pytest.mark.parametrize("locale", ["C", "en_US", "de_DE"])
def test_decimal_box_reads_the_same_in_every_locale(qtbot, locale):
    QLocale.setDefault(QLocale(locale))
    try:
        box = DecimalBox("Dropout", 0.0, 0.9, decimals=2)
        qtbot.addWidget(box)
        box.show()
        for text in ("0,5", "0.25"):
            _type(qtbot, box, text)
            assert box.value() == float(text.replace(",", "."))
        assert box.text() == "0.25"
    finally:
        QLocale.setDefault(QLocale.c())


def test_decimal_box_refuses_out_of_range_and_unreadable_text_with_a_message(qtbot):
    box = DecimalBox("Learning rate", 0.0001, 1.0, decimals=4)
    qtbot.addWidget(box)
    box.setValue(0.003)
    box.show()
    messages, values = [], []
    box.valueRefused.connect(messages.append)
    box.valueChanged.connect(values.append)
    for text in ("5", "1,000.5", "x"):
        _type(qtbot, box, text)
        assert box.value() == pytest.approx(0.003)
    assert values == []
    assert len(messages) == 3
    assert "outside 0.0001…1" in messages[0] and "stays 0.003" in messages[0]
    assert "decimal mark" in messages[1] and "not a number" in messages[2]
    assert "0.0001…1" in box.toolTip()


def test_whole_box_refuses_15_when_the_maximum_is_7_and_applies_nothing_while_typing(qtbot):
    box = WholeBox("Kernel rows", 1, 7)
    qtbot.addWidget(box)
    box.setValue(3)
    box.setToolTip("Kernel height (rows)")
    box.show()
    messages, values = [], []
    box.valueRefused.connect(messages.append)
    box.valueChanged.connect(values.append)
    _type(qtbot, box, "15")
    assert box.value() == 3 and values == []
    assert messages == ["Kernel rows: 15 is outside 1…7; it stays 3."]
    assert box.toolTip() == "Kernel height (rows) (allowed: 1…7)"
    _type(qtbot, box, "5")
    assert box.value() == 5 and values == [5]
