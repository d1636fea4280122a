"""Draw with the mouse, then hand the network a 28×28 image prepared the way MNIST's were."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

SIDE = 280


def to_dataset_image(drawing: np.ndarray) -> np.ndarray:
    """Prepare a drawing as MNIST's digits were (``training.digits.preprocess_drawing``).

    Cropped to the ink, scaled into a 20×20 box and placed in 28×28 with its centre of mass
    where every MNIST digit's is (uint8, ink high): a drawn digit then looks to the network
    like the images it learned from.
    """
    from ...training.digits import preprocess_drawing

    return preprocess_drawing(drawing)


class DrawCanvas(QWidget):
    """A black square to draw on in white; ``drawn`` is emitted when a stroke ends."""

    drawn = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(SIDE, SIDE)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw here with the mouse; the network sees it at 28×28")
        self.image = QImage(SIDE, SIDE, QImage.Format.Format_Grayscale8)
        self.image.fill(0)
        self._last: QPointF | None = None

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Prefer 280×280: ten screen pixels per dataset pixel."""
        return QSize(SIDE, SIDE)

    def clear(self) -> None:
        """Wipe the drawing."""
        self.image.fill(0)
        self.update()

    def array(self) -> np.ndarray:
        """Return the drawing as a (280, 280) uint8 array."""
        stride = self.image.bytesPerLine()
        buf = np.frombuffer(self.image.constBits(), np.uint8, count=stride * SIDE)
        return buf.reshape(SIDE, stride)[:, :SIDE].copy()

    def _stroke(self, to: QPointF) -> None:
        p = QPainter(self.image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(Qt.GlobalColor.white, 22, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                      Qt.PenJoinStyle.RoundJoin))
        p.drawLine(self._last or to, to)
        p.end()
        self._last = to
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        """Start a stroke."""
        self._last = None
        self._stroke(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        """Continue the stroke."""
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._stroke(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        """End the stroke."""
        self._last = None
        self.drawn.emit()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """Show the drawing."""
        p = QPainter(self)
        p.drawImage(0, 0, self.image)
        p.end()
