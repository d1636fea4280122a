"""Ctrl+Z and Ctrl+Shift+Z in the workspace's number boxes undo the workspace, not the text.

A spin box's line edit claims the undo keys for its own typing history, so after typing a
stride and Enter, Ctrl+Z would only put the old digits back in the box. The boxes commit on
Enter (no half-typed state to undo), so the keys go to Edit ▸ Undo and Redo instead.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QWidget

_KEYS = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)
_MENU_KEYS = (QKeySequence("Ctrl+Z"), QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y"))


class _UndoKeys(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Leave the undo keys unclaimed, so the window's shortcuts get them."""
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            pressed = QKeySequence(event.keyCombination())
            return any(event.matches(k) for k in _KEYS) or pressed in _MENU_KEYS
        return False


def route_undo_keys(root: QWidget) -> None:
    """Let the undo keys pressed in ``root``'s spin boxes reach the window's Undo and Redo."""
    keys = _UndoKeys(root)
    for box in root.findChildren(QAbstractSpinBox):
        box.installEventFilter(keys)
