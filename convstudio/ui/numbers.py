"""One rule for typed numbers, in every box of the app, whatever the machine's locale.

A number is written with a point *or* a comma as its decimal mark (``1.5`` and ``1,5`` are
both one and a half), never with thousands separators, and is shown with a point. Text that
cannot be read as one number (``1,000.5``, ``1.2.3``), or a number outside the box's range,
is refused: the box keeps its previous value and says why through ``valueRefused``. Qt's own
spin boxes follow the locale instead (``1,5`` became 15 under English, ``1.5`` became 15
under German) and clamp silently.
"""

from __future__ import annotations

import math
import re

from PySide6.QtCore import QLocale, Signal
from PySide6.QtGui import QKeyEvent, QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox, QWidget

_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def parse_decimal(text: str) -> float:
    """Read ``text`` as one finite number with ``.`` or ``,`` as the decimal mark.

    Raises
    ------
    ValueError
        Saying why the text is not a number.
    """
    cleaned = text.strip().replace("−", "-").replace(" ", "")
    if not cleaned:
        raise ValueError("the box is empty; type a number")
    if not _NUMBER.fullmatch(cleaned):
        if cleaned.count(",") + cleaned.count(".") > 1:
            raise ValueError(f"{text!r} has more than one decimal mark; write one point or "
                             "comma and no thousands separators (e.g. 1000.5)")
        raise ValueError(f"{text!r} is not a number")
    value = float(cleaned.replace(",", "."))
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is too large")
    return value


def _format_range(lo: float, hi: float) -> str:
    return f"{lo:g}…{hi:g}"


class _Refusing:
    """The range in the tooltip; a refused value keeps the previous one and says why once."""

    valueRefused: Signal
    _label: str
    _tip: str = ""
    _last_refused: str = ""

    def _refuse(self, text: str, why: str) -> None:
        if text == self._last_refused:
            return
        self._last_refused = text
        shown = self.textFromValue(self.value())  # type: ignore[attr-defined]
        self.valueRefused.emit(  # type: ignore[call-overload]
            f"{self._label}: {why}; it stays {shown}.")

    def _show_tip(self) -> None:
        lo = self.textFromValue(self.minimum())  # type: ignore[attr-defined]
        hi = self.textFromValue(self.maximum())  # type: ignore[attr-defined]
        QWidget.setToolTip(self, f"{self._tip or self._label} "  # type: ignore[arg-type]
                                 f"(allowed: {lo}…{hi})")

    def setToolTip(self, tip: str) -> None:  # noqa: N802, D102 (Qt override)
        self._tip = tip
        self._show_tip()

    def setRange(self, lo: float, hi: float) -> None:  # noqa: N802, D102 (Qt override)
        super().setRange(lo, hi)  # type: ignore[misc]
        self._show_tip()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802, D102 (Qt override)
        self._last_refused = ""
        super().keyPressEvent(event)  # type: ignore[misc]


class DecimalBox(_Refusing, QDoubleSpinBox):
    """A decimal spin box that reads ``.`` and ``,`` alike and refuses what it cannot apply."""

    valueRefused = Signal(str)

    def __init__(self, label: str, lo: float, hi: float, *, decimals: int = 2,
                 step: float = 0.1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._label = label
        self._last_refused = ""
        self.setLocale(QLocale.c())
        self.setDecimals(decimals)
        self.setRange(lo, hi)
        self.setSingleStep(step)
        self.setKeyboardTracking(False)
        self.setCorrectionMode(QDoubleSpinBox.CorrectionMode.CorrectToPreviousValue)

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:  # noqa: D102 (Qt override)
        # Never Invalid: what is typed stays visible until Enter, which applies or refuses it.
        try:
            value = parse_decimal(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        ok = self.minimum() <= round(value, self.decimals()) <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos

    def valueFromText(self, text: str) -> float:  # noqa: N802, D102 (Qt override)
        try:
            return parse_decimal(text)
        except ValueError:
            return self.value()

    def textFromValue(self, value: float) -> str:  # noqa: N802, D102 (Qt override)
        return f"{value:.{self.decimals()}f}".rstrip("0").rstrip(".") if self.decimals() else (
            f"{value:.0f}")

    def fixup(self, text: str) -> str:  # noqa: D102 (Qt override)
        self._judge(text)
        return text

    def _judge(self, text: str) -> None:
        try:
            value = parse_decimal(text)
        except ValueError as exc:
            self._refuse(text, str(exc))
            return
        if not self.minimum() <= round(value, self.decimals()) <= self.maximum():
            self._refuse(text, f"{text.strip()} is outside "
                               f"{_format_range(self.minimum(), self.maximum())}")


class WholeBox(_Refusing, QSpinBox):
    """A whole-number spin box that states its range and refuses (never clamps) other input."""

    valueRefused = Signal(str)

    def __init__(self, label: str, lo: int, hi: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._label = label
        self._last_refused = ""
        self.setLocale(QLocale.c())
        self.setRange(lo, hi)
        self.setKeyboardTracking(False)
        self.setCorrectionMode(QSpinBox.CorrectionMode.CorrectToPreviousValue)

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:  # noqa: D102 (Qt override)
        body = text.strip()
        if not body or re.fullmatch(r"[+-]?\d*", body.replace("−", "-")):
            try:
                value = int(body.replace("−", "-"))
            except ValueError:
                return QValidator.State.Intermediate, text, pos
            state = (QValidator.State.Acceptable if self.minimum() <= value <= self.maximum()
                     else QValidator.State.Intermediate)
            return state, text, pos
        return QValidator.State.Invalid, text, pos

    def fixup(self, text: str) -> str:  # noqa: D102 (Qt override)
        body = text.strip().replace("−", "-")
        if body:
            self._refuse(text, f"{body} is outside {self.minimum()}…{self.maximum()}"
                         if re.fullmatch(r"[+-]?\d+", body) else f"{text!r} is not a whole number")
        return text
