import pytest

from convstudio.ui.main_window import MainWindow


def _shown(qtbot, width, height):
    from PySide6.QtWidgets import QApplication

    from convstudio.ui.theme import apply_theme

    apply_theme(QApplication.instance())  # the style and body font the application starts with
    w = MainWindow()
    qtbot.addWidget(w)
    w.save_session_on_close = False  # the session test turns it on itself
    w.resize(width, height)
    w.show()
    return w


@pytest.fixture
def window(qtbot):
    w = _shown(qtbot, 1400, 900)
    yield w
    w.close()


@pytest.fixture
def big_window(qtbot):
    """A 1920×1080 window, the projector's size."""
    w = _shown(qtbot, 1920, 1080)
    yield w
    w.close()


@pytest.fixture
def anim(window):
    """The window's Animator tab, shown (it is built on first use)."""
    from PySide6.QtWidgets import QApplication

    window.show_tab("animator")
    QApplication.processEvents()
    return window.animator
