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

# Fields that also take one value per conv block, first block first ([32, 64]); one number
# means every block (the form of settings and lessons saved before per-layer counts).
PER_LAYER = frozenset({"filters"})


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
    if key in PER_LAYER and isinstance(value, list | tuple):
        return _per_layer(key, value, name)
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


def _per_layer(key: str, values: list[Any] | tuple[Any, ...], name: str) -> int | tuple[int, ...]:
    """Check one value per conv block; equal values are the one number that means them all."""
    most = FIELDS["blocks"]
    assert isinstance(most, IntRange)
    if not most.allows(len(values)):
        raise SettingsError(f"{name} must be one number, or a list of {most.text()} (one per "
                            f"conv block), got a list of {len(values)}")
    checked = tuple(check(key, v, f"{name}[{i}]") for i, v in enumerate(values))
    return checked[0] if len(set(checked)) == 1 else checked


def fit_layers(value: int | tuple[int, ...], blocks: int) -> int | tuple[int, ...]:
    """Return per-block ``value`` for ``blocks`` blocks: cut, or the last one repeated."""
    if isinstance(value, int):
        return value
    fitted = (value + (value[-1],) * blocks)[:blocks]
    return fitted[0] if len(set(fitted)) == 1 else fitted


@dataclass(frozen=True)
class TrainingSettings:
    """What the Training tab's form holds: the dataset, the architecture and the run.

    The defaults are the lessons' CNN (two blocks of 64 3×3 filters, each max-pooled, Dense 128)
    trained with Adam from 0.003 along a cosine to 0 (see ``TrainingConfig.lr_schedule``).
    ``filters`` is one count for every conv block, or a tuple of one per block (32 then 64:
    ``(32, 64)``); equal counts are always stored as the one number, so settings that build
    the same model compare equal. :meth:`layer_filters` gives one count per block.
    """

    dataset: str = "fashion-mnist"
    limit: int = 0
    blocks: int = 2
    filters: int | tuple[int, ...] = 64
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
        if isinstance(self.filters, tuple) and len(self.filters) != self.blocks:
            raise SettingsError(f"filters lists {len(self.filters)} counts for "
                                f"{self.blocks} conv blocks: give one per block, or one "
                                "number for all of them")

    def layer_filters(self) -> tuple[int, ...]:
        """Return the filter count of each conv block, first block first."""
        if isinstance(self.filters, tuple):
            return self.filters
        return (self.filters,) * self.blocks

    @classmethod
    def from_dict(cls, values: Any, *, base: TrainingSettings | None = None,
                  where: str = "") -> TrainingSettings:
        """Return ``base`` (the defaults unless given) with the fields ``values`` holds.

        ``where`` prefixes each field's name in messages (a lesson passes ``"training"``).
        A new number of blocks without filters keeps the base's per-block counts, cut or with
        the last one repeated; per-block counts without a number of blocks set it. Raises
        :class:`SettingsError` for anything that is not a good set of settings.
        """
        if not isinstance(values, dict):
            raise SettingsError(f"{where or 'the training settings'} must be an object, "
                                f"got {describe(values)}")
        checked = {str(k): check(str(k), v, f"{where}.{k}" if where else str(k))
                   for k, v in values.items()}
        base = base or cls()
        if "blocks" in checked and "filters" not in checked:
            checked["filters"] = fit_layers(base.filters, checked["blocks"])
        elif isinstance(checked.get("filters"), tuple) and "blocks" not in checked:
            checked["blocks"] = len(checked["filters"])  # one count per block: that many
        return replace(base, **checked)

    def as_dict(self) -> dict[str, Any]:
        """Return every field by name, as a lesson stores them (per-block counts a list)."""
        values = asdict(self)
        if isinstance(self.filters, tuple):
            values["filters"] = list(self.filters)
        return values

    def with_changes(self, **changes: Any) -> TrainingSettings:
        """Return a copy with ``changes`` applied (checked like :meth:`from_dict`)."""
        return self.from_dict(changes, base=self)
