"""The Training tab's settings: every field, its range and its default, written once. No Qt.

:class:`TrainingSettings` is what a lesson stores, what the form shows and what a run is built
from (``TrainingConfig.from_settings``). The form's boxes take their ranges from
:data:`FIELDS`, lessons validate by building a :class:`TrainingSettings`, and
:class:`~convstudio.training.session.TrainingConfig` checks its numbers against the same
ranges, so a value one of them accepts is never refused by another. Importing this module loads
neither TensorFlow nor Keras.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ..core.limits import FloatRange, IntRange
from . import LR_SCHEDULES
from .datasets import DATASETS

OPTIMIZERS = ("adam", "sgd", "rmsprop")

Rule = IntRange | FloatRange | tuple[str, ...] | type[bool]

# The rule of each field. A whole-number range, a decimal range, a choice of words, or bool.
FIELDS: dict[str, Rule] = {
    "dataset": DATASETS,
    "limit": IntRange(0, 60000),            # 0: every image
    "blocks": IntRange(1, 3),
    "filters": IntRange(1, 256),
    "kernel_size": IntRange(1, 7),
    "pooling": bool,
    "dense": IntRange(1, 2048),
    "dropout": FloatRange(0.0, 0.9),
    "optimizer": OPTIMIZERS,
    "learning_rate": FloatRange(0.00001, 1.0),
    "batch_size": IntRange(1, 4096),
    "epochs": IntRange(1, 1000),
    "validation_split": FloatRange(0.0, 0.5),
    "lr_schedule": LR_SCHEDULES,
}


class SettingsError(ValueError):
    """A setting that is not allowed; the message names the field and what it may be."""


def describe(value: Any) -> str:
    """Describe a value for a message, briefly (a 5,000-digit number is not written out)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value.bit_length() > 64:
        return f"a whole number of about {value.bit_length() * 0.30103:.0f} digits"
    if isinstance(value, int | float):
        return f"{value:g}"
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:40]) + "…"
    return "null" if value is None else type(value).__name__


def check(key: str, value: Any, where: str | None = None) -> Any:
    """Return ``value`` (a float for a decimal field) if field ``key`` allows it.

    Raises :class:`SettingsError` naming ``where`` (the field's name unless given) for an
    unknown field, a wrong type, NaN or a value out of range; never anything else.
    """
    name = where or key
    rule = FIELDS.get(key)
    if rule is None:
        raise SettingsError(f"{name} is not a training setting ConvStudio knows")
    if rule is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{name} must be true or false, got {describe(value)}")
        return value
    if isinstance(rule, IntRange):
        if not isinstance(value, int) or isinstance(value, bool):
            raise SettingsError(f"{name} must be a whole number, got {describe(value)}")
        if not rule.allows(value):
            raise SettingsError(f"{name} must be {rule.text()}, got {describe(value)}")
        return value
    if isinstance(rule, FloatRange):
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise SettingsError(f"{name} must be a number, got {describe(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise SettingsError(f"{name} must be a finite number, got {describe(value)}")
        if not rule.allows(value):  # an int is compared exactly: 10**400 gives a message
            raise SettingsError(f"{name} must be {rule.text()}, got {describe(value)}")
        return float(value)
    choices: tuple[str, ...] = rule
    if not isinstance(value, str) or value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}; got "
                            f"{describe(value)}")
    return value


@dataclass(frozen=True)
class TrainingSettings:
    """What the Training tab's form holds: the dataset, the architecture and the run.

    The defaults are the lessons' CNN (two blocks of 64 3×3 filters, each max-pooled, Dense 128)
    trained with Adam from 0.003 along a cosine to 0 (see ``TrainingConfig.lr_schedule``).
    """

    dataset: str = "fashion-mnist"
    limit: int = 0
    blocks: int = 2
    filters: int = 64
    kernel_size: int = 3
    pooling: bool = True
    dense: int = 128
    dropout: float = 0.0
    optimizer: str = "adam"
    # The start of the cosine. The lessons' model, 5 epochs on all of Fashion-MNIST, batch 32,
    # test accuracy: Adam's constant 0.001 89.9 %; cosine from 0.001 91.3 %, from 0.002
    # 91.5 / 91.5 %, from 0.003 91.8 / 91.6 % (two seeds; benchmarks/training.py).
    learning_rate: float = 3e-3
    batch_size: int = 32  # Keras' default, which the lessons' model.fit uses
    epochs: int = 5
    validation_split: float = 0.1
    lr_schedule: str = "cosine"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = check(f.name, getattr(self, f.name))
            if value is not getattr(self, f.name):  # an int given for a decimal field
                object.__setattr__(self, f.name, value)

    @classmethod
    def from_dict(cls, values: Any, *, base: TrainingSettings | None = None,
                  where: str = "") -> TrainingSettings:
        """Return ``base`` (the defaults unless given) with the fields ``values`` holds.

        ``where`` prefixes each field's name in messages (a lesson passes ``"training"``).
        Raises :class:`SettingsError` for anything that is not a good set of settings.
        """
        if not isinstance(values, dict):
            raise SettingsError(f"{where or 'the training settings'} must be an object, "
                                f"got {describe(values)}")
        checked = {str(k): check(str(k), v, f"{where}.{k}" if where else str(k))
                   for k, v in values.items()}
        return replace(base or cls(), **checked)

    def as_dict(self) -> dict[str, Any]:
        """Return every field by name, as a lesson stores them."""
        return asdict(self)

    def with_changes(self, **changes: Any) -> TrainingSettings:
        """Return a copy with ``changes`` applied (checked like :meth:`from_dict`)."""
        return self.from_dict(changes, base=self)
