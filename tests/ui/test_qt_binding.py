"""Guard against Qt-binding releases that corrupt reference counts (PySide6 6.12.0 did)."""

import sys

from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QWidget


class _Painted(QWidget):
    def paintEvent(self, event):  # noqa: N802 (Qt override)
        pass


class _Command(QUndoCommand):
    def redo(self):
        pass

    def undo(self):
        pass


def test_python_overrides_of_void_virtuals_keep_none_alive(qtbot):
    widget = _Painted()
    qtbot.addWidget(widget)
    widget.resize(40, 40)
    widget.show()
    stack = QUndoStack()
    stack.push(_Command("x"))
    before = sys.getrefcount(None)
    for _ in range(200):
        widget.repaint()
        stack.undo()
        stack.redo()
    # A leak-free binding keeps the count steady; 6.12.0 loses 600 references here.
    assert abs(sys.getrefcount(None) - before) < 50
