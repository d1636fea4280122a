"""A clock that advances the animator at a steady rate, from 1 to 120 steps a second."""

from __future__ import annotations

from time import perf_counter

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from .model import AnimatorModel

MIN_SPEED, MAX_SPEED = 1.0, 120.0
# A preset ladder for +/−: each press roughly doubles or halves the speed.
SPEEDS = (1, 2, 3, 5, 8, 12, 20, 30, 45, 60, 90, 120)
FRAME_MS = 16


class Player(QObject):
    """Plays the animator forward; steps due since the last frame are taken in one repaint.

    Tying steps to the elapsed time (not to timer ticks) keeps the rate exact at 120 steps/s
    even though a display only shows ~60 frames a second and timers fire late under load.
    """

    playingChanged = Signal(bool)
    speedChanged = Signal(float)

    def __init__(self, model: AnimatorModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.speed = 5.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_tick)
        self._t0 = 0.0
        self._taken = 0

    @property
    def playing(self) -> bool:
        """Whether the clock runs."""
        return self._timer.isActive()

    def set_speed(self, steps_per_second: float) -> None:
        """Set the rate (clamped to 1…120 steps/s); playing continues at the new rate."""
        speed = max(MIN_SPEED, min(MAX_SPEED, float(steps_per_second)))
        if speed == self.speed:
            return
        self.speed = speed
        if self.playing:
            self._restart_clock()
        self.speedChanged.emit(speed)

    def faster(self) -> None:
        """Go to the next speed on the ladder."""
        self.set_speed(next((s for s in SPEEDS if s > self.speed), MAX_SPEED))

    def slower(self) -> None:
        """Go to the previous speed on the ladder."""
        self.set_speed(next((s for s in reversed(SPEEDS) if s < self.speed), MIN_SPEED))

    def _restart_clock(self) -> None:
        self._t0 = perf_counter()
        self._taken = 0
        self._timer.start(max(FRAME_MS, round(1000 / self.speed)))

    def play(self) -> None:
        """Start (from the beginning when already at the end)."""
        if self.playing:
            return
        m = self.model
        if m.at_end:
            m.start()
        self._restart_clock()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        """Stop where it is."""
        if self.playing:
            self._timer.stop()
            self.playingChanged.emit(False)

    def toggle(self) -> None:
        """Play or pause."""
        if self.playing:
            self.pause()
        else:
            self.play()

    def _on_tick(self) -> None:
        # The epsilon keeps 0.05 s × 120 steps/s at 6, not 5.999….
        due = int((perf_counter() - self._t0) * self.speed + 1e-9) - self._taken
        if due <= 0:
            return
        cap = max(1, round(self.speed * 0.1))
        if due > cap:
            # After a stall (a dialog, a busy machine) carry on from now instead of racing.
            due = cap
            self._t0, self._taken = perf_counter(), 0
        else:
            self._taken += due
        if not self.model.advance(due):
            self.pause()
