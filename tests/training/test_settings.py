"""The settings schema: one definition of every training field, its range and its default."""

import math

import pytest

from convstudio import lessons
from convstudio.core.limits import FloatRange, IntRange
from convstudio.training.models import ConvBlock, ModelConfig
from convstudio.training.session import TrainingConfig
from convstudio.training.settings import FIELDS, SettingsError, TrainingSettings, check


def test_the_defaults_are_the_lessons_cnn_and_the_runs_defaults():
    s = TrainingSettings()
    config = TrainingConfig.from_settings(s)
    assert config.model == ModelConfig()
    blank = TrainingConfig()
    for name in ("dataset", "optimizer", "learning_rate", "batch_size", "epochs",
                 "validation_split", "lr_schedule"):
        assert getattr(config, name) == getattr(blank, name), name
    assert config.limit is None  # 0 in the form: every image
    assert s.as_dict()["filters"] == 64 and len(config.model.blocks) == 2


@pytest.mark.parametrize("key", [k for k, r in FIELDS.items() if isinstance(r, IntRange)])
def test_every_whole_number_range_is_inclusive_and_refused_outside(key):
    rule = FIELDS[key]
    for ok in (rule.lo, rule.hi):
        assert check(key, ok) == ok
    for bad in (rule.lo - 1, rule.hi + 1, 2**200, True, 1.5, "3", None):
        with pytest.raises(SettingsError, match=key):
            check(key, bad)


@pytest.mark.parametrize("key", [k for k, r in FIELDS.items() if isinstance(r, FloatRange)])
def test_every_decimal_range_refuses_nan_infinity_and_out_of_range(key):
    rule = FIELDS[key]
    assert check(key, rule.lo) == rule.lo and isinstance(check(key, int(rule.hi)), float)
    for bad in (math.nan, math.inf, -math.inf, rule.hi * 1.01 + 1e-9, -1e-9 + rule.lo - 1e-9,
                10**400, False, "0.1"):
        with pytest.raises(SettingsError, match=key):
            check(key, bad)


def test_from_dict_names_the_field_with_its_prefix_and_keeps_the_base():
    base = TrainingSettings(epochs=3)
    s = TrainingSettings.from_dict({"filters": 8}, base=base)
    assert (s.filters, s.epochs) == (8, 3)
    with pytest.raises(SettingsError, match=r"training\.epochs must be 1…1000, got 0"):
        TrainingSettings.from_dict({"epochs": 0}, where="training")
    with pytest.raises(SettingsError, match="colour is not a training setting"):
        TrainingSettings.from_dict({"colour": "red"})
    with pytest.raises(SettingsError, match="must be an object"):
        TrainingSettings.from_dict([1, 2])
    with pytest.raises(SettingsError, match="optimizer must be one of adam, sgd, rmsprop"):
        base.with_changes(optimizer="lbfgs")
    assert base.epochs == 3  # frozen: a refused change changes nothing


def test_a_lesson_a_run_and_a_model_refuse_exactly_what_the_schema_refuses():
    # The learning rate: 1e-5 is the form's minimum; every layer takes it and refuses below.
    lo = FIELDS["learning_rate"].lo
    TrainingConfig(learning_rate=lo)
    lessons._training({"learning_rate": lo})
    for make in (lambda v: TrainingConfig(learning_rate=v),
                 lambda v: lessons._training({"learning_rate": v})):
        with pytest.raises(ValueError, match="learning"):
            make(lo / 2)
    with pytest.raises(lessons.LessonError, match=r"training\.validation_split must be 0…0\.5"):
        lessons._training({"validation_split": 0.6})
    with pytest.raises(ValueError, match="dropout must be 0…0.9"):
        ModelConfig(dropout=0.95)
    with pytest.raises(ValueError, match="filters must be 1…256"):
        ModelConfig(blocks=(ConvBlock(filters=257),))


def test_a_model_that_leaves_no_pixels_is_refused_when_built_not_when_set():
    s = TrainingSettings(blocks=3, kernel_size=7)
    with pytest.raises(ValueError, match="leaves no pixels"):
        ModelConfig.from_settings(s)
