"""Training run control: every view shows the current model or nothing; Resume goes on."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from convstudio.training.session import TrainingConfig, learning_rate, prepare_images

from .training_setup import quick_run_tab

BATCHES = 17  # 600 images, 10 % held out: 540 to fit in batches of 32


@pytest.fixture
def tab(window, qtbot, monkeypatch):
    t = quick_run_tab(window, qtbot)
    t.asked = []
    monkeypatch.setattr(t, "confirm_discard", lambda action: t.asked.append(action) or True)
    return t


def _wait_done(qtbot, tab, timeout=120000):
    qtbot.waitUntil(lambda: not tab.model.runner.running and tab.start_button.isEnabled(),
                    timeout=timeout)
    QApplication.processEvents()


def _stop_at(tab, epoch, batch, seen=None):
    """Stop the run right after ``batch`` (a multiple of 5) of ``epoch`` (from 0), exactly.

    The worker's report is handled on the training thread itself, so the stop comes before
    the next batch whatever the GUI thread is doing.
    """
    stop = tab.model.runner.stop_event

    def on_batch(event):
        if seen is not None:
            seen.append(event)
        if (event.epoch, event.batch) >= (epoch, batch):
            stop.set()

    tab.model.runner.worker.batchEnded.connect(on_batch, Qt.ConnectionType.DirectConnection)


def _truth(tab):
    """The confusion matrix of the tab's model on the images its run evaluates."""
    ds = tab.dataset.limited(600)
    n_val = int(len(ds.x_train) * 0.1)  # the last tenth, held out
    x, y = prepare_images(ds.x_train[-n_val:]), ds.y_train[-n_val:]
    pred = np.argmax(tab.network.predict(x, verbose=0), axis=1)
    conf = np.zeros((10, 10), np.int64)
    np.add.at(conf, (y, pred), 1)
    return conf


def _assert_views_show(tab, conf, when):
    shown = tab.results.evaluation
    assert shown is not None
    np.testing.assert_array_equal(shown.confusion, conf)
    rows = conf / np.maximum(conf.sum(axis=1, keepdims=True), 1)
    np.testing.assert_allclose(tab.confusion_view.data, rows)
    wrong = int(conf.sum() - np.trace(conf))
    assert f"of {wrong:,} wrong in {int(conf.sum())} validation images {when}" in (
        tab.wrong_view.caption.text())
    assert tab.confusion_view.caption.text().startswith(when.capitalize())


def test_a_stop_mid_epoch_says_where_leaves_the_bar_and_shows_the_model_at_the_stop(tab, qtbot):
    assert tab.start()
    _stop_at(tab, 0, 10)
    _wait_done(qtbot, tab)
    assert tab.status.text().startswith("Stopped in epoch 1 at batch 10/17; Resume finishes "
                                         "the 2 planned epochs")
    # The bar stays at the batch reached (before: 100 %), and no epoch point is added.
    assert (tab.progress.value(), tab.progress.maximum()) == (10, 2 * BATCHES)
    assert tab.model.epochs_done == 0 and tab.model.history == {}
    assert tab.curves.history["loss"] == []
    conf = _truth(tab)
    _assert_views_show(tab, conf, "at the stop in epoch 1, batch 10/17")


def test_resume_goes_on_along_the_schedule_and_the_views_follow_the_model(tab, qtbot):
    from convstudio.training.session import scheduled_rate

    assert tab.start()
    _stop_at(tab, 0, 10)
    _wait_done(qtbot, tab)
    plan = TrainingConfig(learning_rate=tab.learning_rate.value(), epochs=2)
    assert tab.results.evaluation is not None
    seen = []
    assert tab.resume()
    # The views showed the model at the stop; it is training again: they show nothing.
    assert tab.confusion_view.data is None and tab.wrong_view.data is None
    assert tab.results.evaluation is None and "epoch 1 ends" in tab.wrong_view.caption.text()
    config = tab.model.runner.worker.config
    assert config.epochs == 2 and config.schedule_start == pytest.approx(10 / (2 * BATCHES))
    # The rate after the resume is the planned run's rate at the step reached.
    assert scheduled_rate(config, config.schedule_start) == pytest.approx(
        learning_rate(plan, 0, 10, BATCHES), rel=1e-12)
    _stop_at(tab, 9, 0, seen)  # never: only records the reports
    _wait_done(qtbot, tab)
    assert seen[0].batch == 5 and seen[0].learning_rate == pytest.approx(
        learning_rate(config, 0, 4, BATCHES), rel=1e-6)
    assert seen[0].learning_rate < learning_rate(plan, 0, 10, BATCHES)  # not back at the start
    assert tab.model.epochs_done == 2 and len(tab.curves.history["loss"]) == 2
    assert "Trained 2 epoch(s)" in tab.status.text()
    conf = _truth(tab)
    _assert_views_show(tab, conf, "after epoch 2")
    # A finished plan: Resume starts a new one, and says so.
    assert tab.resume()
    assert "new cosine schedule" in tab.status.text() and tab.model.runner.worker.config.epochs == 2
    assert tab.model.runner.worker.config.schedule_start == 0.0
    tab.stop()
    _wait_done(qtbot, tab)


def test_a_stop_during_a_resumed_run_refreshes_the_views(tab, qtbot):
    assert tab.start()
    _stop_at(tab, 0, 15)
    _wait_done(qtbot, tab)
    assert tab.resume()
    _stop_at(tab, 0, 5)
    _wait_done(qtbot, tab)
    assert tab.status.text().startswith("Stopped in epoch 1 at batch 5/17")
    conf = _truth(tab)
    _assert_views_show(tab, conf, "at the stop in epoch 1, batch 5/17")


def test_reset_empties_every_view_of_the_model_and_asks_first(tab, qtbot):
    tab.epochs.setValue(1)
    assert tab.start()
    _wait_done(qtbot, tab)
    assert tab.model.has_unsaved_model()
    assert tab.filters_view.data is not None and tab.confusion_view.data is not None
    tab.confirm_discard = lambda action: tab.asked.append(action) or False
    assert not tab.reset()  # "Cancel": nothing lost
    assert tab.asked == ["Reset"] and tab.network is not None
    assert tab.confusion_view.data is not None
    tab.confirm_discard = lambda action: tab.asked.append(action) or True
    assert tab.reset()
    assert tab.network is None and not tab.model.has_unsaved_model()
    for view in (tab.filters_view, tab.maps_view, tab.probe_view):
        assert view.data is None and view.item.image is None
    assert tab.confusion_view.data is None and tab.wrong_view.data is None
    assert tab.wrong_view.captions() == () and tab.wrong_view.shown() == 0
    assert tab.confusion_view.caption.text() == tab.wrong_view.caption.text() == ""
    assert len(tab.probs_view.values) == 0 and tab.layer_combo.count() == 0
    assert tab.snapshots == [] and not tab.export_button.isEnabled()
    assert tab.curves.history["loss"] == []


def test_load_shows_the_loaded_models_mistakes_and_asks_before_replacing(tab, qtbot, tmp_path):
    tab.epochs.setValue(1)
    assert tab.start()
    _wait_done(qtbot, tab)
    saved = tab.save_to(str(tmp_path / "a.keras"))
    assert not tab.model.has_unsaved_model()
    conf_a = _truth(tab)
    tab.epochs.setValue(2)
    tab.learning_rate.setValue(0.01)
    assert tab.start()
    _wait_done(qtbot, tab)
    conf_b = _truth(tab)
    assert not np.array_equal(conf_a, conf_b)
    assert tab.model.has_unsaved_model()
    tab.confirm_discard = lambda action: tab.asked.append(action) or False
    assert not tab.load_from(str(saved))
    assert tab.asked == ["Loading a.keras"] and tab.model.epochs_done == 2
    np.testing.assert_array_equal(tab.results.evaluation.confusion, conf_b)
    tab.confirm_discard = lambda action: tab.asked.append(action) or True
    assert tab.load_from(str(saved))
    _wait_done(qtbot, tab)
    assert tab.model.epochs_done == 1 and not tab.model.has_unsaved_model()
    # Before, the views kept the replaced model's matrix and mistakes.
    _assert_views_show(tab, conf_a, "of the loaded model a.keras")


def test_a_model_of_another_shape_is_refused_and_changes_nothing(tab, qtbot, tmp_path):
    import keras

    tab.epochs.setValue(1)
    assert tab.start()
    _wait_done(qtbot, tab)
    model, history, done = tab.network, dict(tab.model.history), tab.model.epochs_done
    conf = tab.results.evaluation.confusion.copy()
    rgb = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3),
                            keras.layers.Flatten(), keras.layers.Dense(10,
                                                                       activation="softmax")])
    rgb.save(tmp_path / "rgb.keras")
    assert not tab.load_from(str(tmp_path / "rgb.keras"))
    text = tab.error_label.text()
    assert "takes inputs of shape (32, 32, 3)" in text and "28×28×1" in text
    assert "The current model is unchanged." in text
    assert tab.network is model and tab.model.history == history and tab.model.epochs_done == done
    assert tab.asked == []  # refused before anything was asked
    np.testing.assert_array_equal(tab.results.evaluation.confusion, conf)


def test_the_unsaved_model_flag_follows_training_saving_and_loading(tab, qtbot, tmp_path):
    assert not tab.model.has_unsaved_model()
    tab.epochs.setValue(1)
    assert tab.start()
    _wait_done(qtbot, tab)
    assert tab.model.has_unsaved_model()
    path = tab.save_to(str(tmp_path / "m.keras"))
    assert not tab.model.has_unsaved_model()
    assert tab.resume()
    _wait_done(qtbot, tab)
    assert tab.model.has_unsaved_model()  # trained further since the save
    assert tab.load_from(str(path))
    _wait_done(qtbot, tab)
    assert not tab.model.has_unsaved_model() and tab.asked == ["Loading m.keras"]


def test_a_lesson_with_a_model_of_another_shape_opens_without_it(window, tmp_path):
    import keras

    from convstudio import lessons as L

    rgb = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3),
                            keras.layers.Flatten(), keras.layers.Dense(10,
                                                                       activation="softmax")])
    rgb.save(tmp_path / "cifar.keras")
    lesson = L.builtin_lessons()["first-cnn"]
    lesson.model_file = "cifar.keras"
    path = L.write(lesson, tmp_path / "l.convstudio")
    assert window.open_lesson(str(path))
    # Before, the (32, 32, 3) model replaced the tab's model without a word.
    assert window.training.network is None
    assert "takes inputs of shape (32, 32, 3)" in window.training.error_label.text()
    assert "could not be loaded" in window.last_message
