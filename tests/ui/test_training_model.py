"""TrainingModel without a widget: settings, dataset, a run and its state, and lessons."""

import numpy as np
import pytest

from convstudio.training.settings import SettingsError
from convstudio.ui.training.model import TrainingModel


@pytest.fixture
def model(qtbot):
    m = TrainingModel(lambda: np.eye(3, dtype=np.float32))
    yield m
    m.shutdown()
    m.deleteLater()


def test_settings_change_in_one_step_and_a_refused_value_changes_nothing(model, qtbot):
    before = model.settings
    with qtbot.waitSignal(model.settingsChanged):
        model.set_settings({"epochs": 2, "filters": 8})
    assert (model.settings.epochs, model.settings.filters) == (2, 8)
    changed = model.settings
    with qtbot.assertNotEmitted(model.settingsChanged):
        with pytest.raises(SettingsError, match="batch_size must be 1…4096"):
            model.set_settings({"epochs": 3, "batch_size": 0})
    assert model.settings == changed and model.settings != before
    # Nothing was loaded yet: a dataset change waits until one is needed.
    model.set_settings({"dataset": "shapes"})
    assert model.dataset is None and not model.loading


def test_a_folder_dataset_without_a_folder_keeps_the_dataset_in_use(model):
    model.set_settings({"dataset": "shapes"})
    model.set_settings({"dataset": "folder", "epochs": 4})
    assert model.settings.dataset == "shapes" and model.settings.epochs == 4


def test_a_run_trains_and_reports_without_any_widget(model, qtbot):
    model.set_settings({"dataset": "shapes", "limit": 300, "filters": 4, "dense": 8,
                        "epochs": 1, "validation_split": 0.0})
    with qtbot.waitSignal(model.datasetLoaded, timeout=30000):
        model.ensure_dataset()
    assert model.dataset.name == "shapes" and model.n_classes == 10
    statuses = []
    model.statusChanged.connect(statuses.append)
    with qtbot.waitSignal(model.runEnded, timeout=120000):
        assert model.start(seed_kernel=True, freeze_seed=True)
        assert model.training_now()
    assert model.network is not None and model.epochs_done == 1
    assert model.has_unsaved_model() and len(model.history["loss"]) == 1
    assert model.snapshots and model.snapshots[-1][1].shape == (3, 3, 1, 4)
    assert any(s.startswith("Trained 1 epoch") for s in statuses)
    # The seed kernel came from the workspace's function and stayed frozen.
    weights = model.network.get_layer("conv1").get_weights()[0]
    np.testing.assert_array_equal(weights[:, :, 0, 0], np.eye(3, dtype=np.float32))
    # Reset asks (the model is not saved); a refusal keeps everything.
    model.confirm_discard = lambda action: False
    assert not model.reset() and model.network is not None
    model.confirm_discard = lambda action: True
    with qtbot.waitSignal(model.networkChanged):
        assert model.reset()
    assert model.network is None and model.snapshots == [] and model.history == {}


def test_a_lesson_sets_the_training_model_without_building_the_tab(window, qtbot):
    from convstudio import lessons as L
    from convstudio.ui.lessons import apply

    lesson = L.builtin_lessons()["first-cnn"]
    lesson.tab = "workspace"
    apply(window, lesson)
    assert not window.training_built  # the widgets are still not made
    s = window.training_model.settings
    assert (s.blocks, s.filters, s.dense, s.learning_rate) == (2, 64, 128, 0.001)
