"""Export the animator: the current step as a PNG, or the whole run as a GIF or PNG frames.

Frames are rendered from the real page on the GUI thread, a few per event-loop turn, so the
window stays responsive and the progress dialog's Cancel works. The exporter knows the model,
the player and how to grab a frame, not the tab that shows them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from ...files import atomic_write

if TYPE_CHECKING:
    from PIL import Image

    from .model import AnimatorModel, Cursor
    from .player import Player

MAX_GIF_FRAMES = 1000   # Pillow keeps every GIF frame in memory until it writes the file
GIF_WIDTH = 720
MIN_FRAME_MS = 20       # GIF delays are in 1/100 s; viewers slow anything shorter to 100 ms
SLICE_S = 0.05


def qimage_to_array(image: QImage) -> np.ndarray:
    """Copy a QImage into an (H, W, 3) uint8 array."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, stride = rgb.height(), rgb.width(), rgb.bytesPerLine()
    buf = np.frombuffer(rgb.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return buf[:, : w * 3].reshape(h, w, 3).copy()


def _save_png(image: QImage, path: Path) -> None:
    # PNG named explicitly: the temporary file takes the target's suffix, which may be none.
    # (PySide6 wants the format as str; its stubs say bytes.)
    atomic_write(path, lambda tmp: image.save(str(tmp), "PNG"))  # type: ignore[call-overload]


class FrameExporter(QObject):
    """Renders animator frames and writes them; one export at a time.

    ``grab`` renders the frame for the model's current step as it looks now; ``parent`` owns
    the exporter and its file and progress dialogs.
    """

    messageRaised = Signal(str)
    finished = Signal(object)  # the written Path, or None when cancelled or failed

    def __init__(self, model: AnimatorModel, player: Player, grab: Callable[[], QImage],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.model = model
        self.player = player
        self._grab = grab
        self._parent = parent
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._on_slice)
        self._kind = ""
        self._path = Path()
        self._frames: list[Image.Image] = []
        self._count = 0
        self._expected = 0
        self._saved_cursor: Cursor | None = None
        self._saved_learning = False
        self._progress: QProgressDialog | None = None

    @property
    def running(self) -> bool:
        """Whether an export is under way."""
        return self._timer.isActive()

    def frame_count(self) -> int:
        """How many frames the whole run makes (with sub-phases, three per conv step)."""
        m = self.model
        per_conv = 3 if m.sub_phases and m.transpose is None else 1
        return m.n_conv * per_conv + m.n_pool

    # --- dialogs ------------------------------------------------------------------------------
    def dialog(self, kind: str) -> None:
        """Ask where to write, then export ``png``, ``gif`` or ``frames``."""
        parent = self._parent
        if kind == "png":
            path, _ = QFileDialog.getSaveFileName(parent, "Save this step", "step.png",
                                                  "PNG image (*.png)")
        elif kind == "gif":
            path, _ = QFileDialog.getSaveFileName(parent, "Save the run as a GIF",
                                                  "convolution.gif", "Animated GIF (*.gif)")
        else:
            path = QFileDialog.getExistingDirectory(parent, "Folder for the numbered frames")
        if path:
            if kind == "png":
                self.export_png(path)
            else:
                self.start(kind, path)

    # --- single frame ---------------------------------------------------------------------------
    def export_png(self, path: str | Path) -> Path | None:
        """Write the current step as a PNG."""
        target = Path(path)
        try:
            _save_png(self._grab(), target)
        except OSError as exc:
            self.messageRaised.emit(f"Could not save {target}: {exc}")
            return None
        self.messageRaised.emit(f"Saved {target}")
        return target

    # --- whole run ------------------------------------------------------------------------------
    def start(self, kind: str, path: str | Path) -> bool:
        """Begin exporting every step as ``gif`` or numbered PNG ``frames`` under ``path``."""
        if self.running:
            self.messageRaised.emit("An export is already running.")
            return False
        n = self.frame_count()
        if kind == "gif" and n > MAX_GIF_FRAMES:
            self.messageRaised.emit(
                f"This run has {n:,} steps; a GIF holds at most {MAX_GIF_FRAMES:,}. Pick a "
                "smaller source (the glyph or a small workspace region), or export PNG frames.")
            return False
        target = Path(path)
        if kind == "frames":
            try:
                target.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self.messageRaised.emit(f"Could not use the folder {target}: {exc}")
                return False
        self._kind, self._path = kind, target
        self._frames, self._count, self._expected = [], 0, n
        m = self.model
        self.player.pause()
        self._saved_cursor = m.cursor
        # The run is the conv and pool steps: from the Learn phase, it is shown for the export.
        self._saved_learning = m.learning
        m.leave_learn()
        m.start()
        self._progress = QProgressDialog(f"Rendering {n:,} frames…", "Cancel", 0, n,
                                         self._parent)
        self._progress.setWindowModality(Qt.WindowModality.WindowModal)
        self._progress.setMinimumDuration(300)
        self._progress.canceled.connect(self.cancel)
        self._timer.start()
        return True

    def _frame_ms(self) -> int:
        return max(MIN_FRAME_MS, round(1000 / self.player.speed))

    def _on_slice(self) -> None:
        deadline = time.perf_counter() + SLICE_S
        m = self.model
        try:
            while time.perf_counter() < deadline:
                image = self._grab()
                self._count += 1
                if self._kind == "gif":
                    self._frames.append(self._gif_frame(image))
                else:
                    _save_png(image, self._path / f"frame_{self._count:05d}.png")
                if self._progress is not None:
                    self._progress.setValue(self._count)
                if not m.next():
                    self._finish()
                    return
        except OSError as exc:
            self._stop(f"Export failed: {exc}. Nothing else changed.")

    @staticmethod
    def _gif_frame(image: QImage) -> Image.Image:
        from PIL import Image

        frame = Image.fromarray(qimage_to_array(image))
        if frame.width > GIF_WIDTH:
            h = round(frame.height * GIF_WIDTH / frame.width)
            frame = frame.resize((GIF_WIDTH, h), Image.Resampling.BILINEAR)
        return frame.quantize(colors=256, method=Image.Quantize.MEDIANCUT)

    def _finish(self) -> None:
        if self._kind == "gif":
            first, rest = self._frames[0], self._frames[1:]
            atomic_write(self._path, lambda tmp: first.save(
                tmp, format="GIF", save_all=True, append_images=rest,
                duration=self._frame_ms(), loop=0))
        what = (f"{self._count} frames into {self._path}" if self._kind == "frames"
                else f"{self._path} ({self._count} frames)")
        self._stop(f"Saved {what}", written=self._path)

    def cancel(self) -> None:
        """Stop an export; nothing half-written is left behind for a GIF."""
        if self.running:
            self._stop("Export cancelled.")

    def _stop(self, message: str, written: Path | None = None) -> None:
        self._timer.stop()
        self._frames = []
        if self._progress is not None:
            self._progress.canceled.disconnect(self.cancel)
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None
        if self._saved_cursor is not None:
            self.model.set_cursor(self._saved_cursor)
            self._saved_cursor = None
            if self._saved_learning:
                self.model.enter_learn(self.model.learn_cursor)
        self.messageRaised.emit(message)
        self.finished.emit(written)
