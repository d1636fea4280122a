"""Popups, dialogs, tooltips and status text follow projection mode and stay on the screen.

The picture and panels grew with projection mode, but a tooltip, a "?" explanation or a
question's window opened at the desktop size (or larger than a 1024×768 projector).
"""

import pytest
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QToolTip

from convstudio.ui.theme import presentation


@pytest.fixture
def projecting(window):
    presentation().set_screen_height(window.screen().availableGeometry().height())
    presentation().set_projection(True, remember=False)
    QApplication.processEvents()
    yield window
    presentation().set_projection(False, remember=False)
    presentation().set_screen_height(0)


def _px(widget) -> int:
    return QFontInfo(widget.font()).pixelSize()


def _body_px() -> int:
    return QFontInfo(QApplication.font()).pixelSize()


def test_tooltips_are_as_large_as_the_body_text(window):
    from convstudio.ui import theme

    theme.apply(QApplication.instance(), presentation())  # as the application does at start
    normal = QFontInfo(QToolTip.font()).pixelSize()
    presentation().set_projection(True, remember=False)
    try:
        assert QFontInfo(QToolTip.font()).pixelSize() == _body_px()
        assert QFontInfo(QToolTip.font()).pixelSize() >= normal * 1.6
    finally:
        presentation().set_projection(False, remember=False)
    assert QFontInfo(QToolTip.font()).pixelSize() == normal


def test_an_explanation_reads_and_stays_inside_the_screen(projecting):
    button = projecting.workspace.explain_buttons["output"]
    popup = button.show_explanation()
    QApplication.processEvents()
    room = popup.screen().availableGeometry()
    assert _px(popup) == _body_px()
    assert room.contains(popup.frameGeometry()), (room, popup.frameGeometry())
    assert popup.height() >= popup.heightForWidth(popup.width()) or popup.height() == room.height()
    popup.close()


def test_a_question_window_fits_its_screen_and_grows_its_text(projecting):
    from convstudio.questions import questions
    from convstudio.ui.questions import open_question

    dialog = open_question(projecting, questions()[0].key)
    QApplication.processEvents()
    room = dialog.screen().availableGeometry()
    assert dialog.width() <= room.width() and dialog.height() <= room.height()
    assert room.contains(dialog.frameGeometry()), (room, dialog.frameGeometry())
    assert _px(dialog.says) == _body_px()
    assert _px(dialog.title) > _body_px()
    dialog.close()


def test_message_boxes_and_the_status_bar_use_the_projection_size(projecting):
    box = QMessageBox(QMessageBox.Icon.Question, "Discard", "Discard the trained model?",
                      QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                      projecting)
    text = box.findChild(QLabel, "qt_msgbox_label")
    assert text is not None and _px(text) == _body_px()
    box.deleteLater()
    projecting.statusBar().showMessage("Saved")
    assert _px(projecting.statusBar()) >= _body_px()
