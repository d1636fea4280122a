"""Issue 17: a filter count per conv layer (32 then 64); one number still means every layer."""

import json

import pytest

from convstudio import lessons
from convstudio.training.models import ConvBlock, ModelConfig, summary
from convstudio.training.session import TrainingConfig
from convstudio.training.settings import SettingsError, TrainingSettings


def test_one_count_per_block_builds_32_then_64():
    s = TrainingSettings(blocks=2, filters=(32, 64))
    assert s.layer_filters() == (32, 64)
    model = ModelConfig.from_settings(s)
    assert model.blocks == (ConvBlock(32), ConvBlock(64))
    assert TrainingConfig.from_settings(s).model == model
    rows = {r.name: r for r in summary(model)}
    assert rows["conv2"].output_shape == (None, 11, 11, 64)
    assert rows["conv2"].params == 64 * (3 * 3 * 32 + 1)
    assert rows["conv2"].note == "64 filters of 3×3×32 + bias"


def test_a_single_number_means_every_layer_as_saved_settings_have_it():
    old = TrainingSettings.from_dict({"blocks": 3, "filters": 16})
    assert old.filters == 16 and old.layer_filters() == (16, 16, 16)
    # Equal counts are the one number: the same model, the same settings.
    assert TrainingSettings(blocks=3, filters=[16, 16, 16]) == old
    assert TrainingSettings(blocks=1, filters=(8,)).filters == 8


def test_lists_are_checked_entry_by_entry_and_must_match_the_blocks():
    with pytest.raises(SettingsError, match=r"training\.filters\[1\] must be 1…256, got 0"):
        TrainingSettings.from_dict({"filters": [32, 0]}, where="training")
    with pytest.raises(SettingsError, match=r"filters\[0\] must be a whole number"):
        TrainingSettings.from_dict({"filters": ["32", 64]})
    with pytest.raises(SettingsError, match="a list of 1…3 .* got a list of 4"):
        TrainingSettings.from_dict({"filters": [8, 8, 8, 8]})
    with pytest.raises(SettingsError, match="a list of 1…3 .* got a list of 0"):
        TrainingSettings.from_dict({"filters": []})
    with pytest.raises(SettingsError, match="filters lists 2 counts for 3 conv blocks"):
        TrainingSettings.from_dict({"blocks": 3, "filters": [32, 64]})


def test_blocks_and_counts_follow_each_other_in_a_change():
    s = TrainingSettings(blocks=2, filters=(32, 64))
    assert s.with_changes(blocks=3).filters == (32, 64, 64)  # the last count repeated
    assert s.with_changes(blocks=1).filters == 32
    assert TrainingSettings.from_dict({"filters": [8, 16, 32]}).blocks == 3
    assert s.with_changes(epochs=2).filters == (32, 64)


def test_a_lesson_stores_and_reads_per_layer_counts_as_a_json_list(tmp_path):
    s = TrainingSettings(blocks=2, filters=(32, 64))
    stored = json.loads(json.dumps(s.as_dict()))
    assert stored["filters"] == [32, 64]
    assert TrainingSettings.from_dict(stored) == s
    lesson = lessons.Lesson()
    lesson.training = s.as_dict()
    path = lessons.write(lesson, tmp_path / "stacked.json")
    assert lessons.read(path).training["filters"] == [32, 64]
    doc = json.loads(path.read_text())
    doc["training"]["filters"] = [999, 64]
    with pytest.raises(lessons.LessonError, match=r"training\.filters\[0\] must be 1…256"):
        lessons.loads(json.dumps(doc))
