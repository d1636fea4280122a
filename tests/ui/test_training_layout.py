"""The Training tab's views start right under the Start/Stop row: no empty band above them."""

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from convstudio.ui.theme import presentation


@pytest.fixture
def presenter(window):
    window.show_tab("training")
    yield window
    presentation().set_projection(False, remember=False)
    presentation().set_screen_height(0)


def _top(widget, window) -> int:
    return widget.mapTo(window, QPoint(0, 0)).y()


def _bottom(widget, window) -> int:
    return widget.mapTo(window, QPoint(0, widget.height())).y()


@pytest.mark.parametrize("size", [(1024, 768), (1920, 1080)])
def test_the_views_start_right_under_the_start_row(presenter, size):
    w, t = presenter, presenter.training
    presentation().set_screen_height(size[1])
    presentation().set_projection(True, remember=False)
    w.resize(*size)
    for _ in range(6):
        QApplication.processEvents()
    row_end = max(_bottom(x, w) for x in (t.start_button, t.progress, t.status))
    gap = _top(t.curves.key, w) - row_end
    # The layout's spacing and a view's margin, not an empty message line (it was ~60 px).
    assert 0 <= gap <= 12, gap
    assert _top(t.filters_view.title, w) - row_end <= 12
    assert not t.error_label.isVisible()
    t.show_message("The folder has no images.")  # a message takes its line…
    QApplication.processEvents()
    assert t.error_label.isVisible() and t.error_label.text().startswith("The folder")
    assert _top(t.curves.key, w) >= _bottom(t.error_label, w)  # …above the views, not on them
    t.show_message("")
    QApplication.processEvents()
    assert not t.error_label.isVisible() and _top(t.curves.key, w) - row_end <= 12


def _whole_lines(status) -> None:
    """Two lines at most, each as wide as the label at most, all of them in its height."""
    from PySide6.QtWidgets import QLabel

    lines = QLabel.text(status).split("\n")
    fm = status.fontMetrics()
    assert len(lines) <= status.LINES, lines
    assert all(fm.horizontalAdvance(line) <= status.contentsRect().width() for line in lines)
    assert len(lines) * fm.lineSpacing() <= status.height()


def test_a_long_status_ends_in_an_ellipsis_on_two_lines_and_its_tooltip_is_whole(qtbot):
    from PySide6.QtWidgets import QLabel

    from convstudio.ui.training.views import StatusLabel

    long = ("epoch 1/3 · batch 12/19 · loss 0.532 · accuracy 23.0% · rate 0.001 · "
            "about 5 s left")
    status = StatusLabel(long)
    qtbot.addWidget(status)
    status.resize(150, status.height())
    status.show()
    QApplication.processEvents()
    shown = QLabel.text(status)  # what is painted, its lines broken where they wrap
    assert status.text() == long and status.toolTip() == long
    assert shown.endswith("…") and long.startswith(shown[:-1].replace("\n", " "))
    _whole_lines(status)
    status.resize(900, status.height())  # wide: the whole text, no tooltip needed
    QApplication.processEvents()
    assert QLabel.text(status) == long and status.toolTip() == ""  # one line
    # A text that takes exactly the two lines is shown whole (Qt's wrapped text is a pixel
    # taller per line than the line spacing, which once cut it to one line and "…").
    words = "Trained 3 epoch(s) in 10 s; test accuracy 25.0%"
    font = status.font()
    font.setPointSizeF(20)  # where the two differ: 64 px for two lines, line spacing 31
    status.setFont(font)
    status.resize(status.fontMetrics().horizontalAdvance(words) * 3 // 5, status.height())
    status.setText(words)
    QApplication.processEvents()
    assert QLabel.text(status).replace("\n", " ") == words and status.toolTip() == ""
    _whole_lines(status)
