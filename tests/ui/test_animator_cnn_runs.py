"""The trained CNN's source follows real Training tab runs: never the weights of another."""

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from convstudio.core.animator_sources import TRAINED_SOURCE
from convstudio.ui.animator.trained import TRAINING

from .training_setup import quick_run_tab

pytestmark = pytest.mark.slow


def _wait_done(qtbot, tab):
    qtbot.waitUntil(lambda: not tab.model.runner.running and tab.start_button.isEnabled(),
                    timeout=120000)
    QApplication.processEvents()


def test_a_run_gives_the_layer_of_its_probe_image_and_a_new_run_replaces_it(window, qtbot):
    from convstudio.training.inference import second_conv

    tab = quick_run_tab(window, qtbot, epochs=1)
    tab.confirm_discard = lambda action: True
    m = window.animator_model
    assert tab.start()
    _wait_done(qtbot, tab)
    network = tab.model.network
    ds = tab.model.dataset
    probe = tab.probe.value()
    assert m.trained is not None
    assert m.trained_about.startswith(f"test image {probe} (")  # the run's probe image
    np.testing.assert_array_equal(m.trained.maps, second_conv(network, ds.x_test[probe]).maps)
    window.show_tab("animator")
    m.set_source_kind("toy-rgb")
    m.set_source_kind(TRAINED_SOURCE)
    assert m.source_kind == TRAINED_SOURCE
    np.testing.assert_array_equal(m.conv.kernel, network.get_layer("conv2").get_weights()[0])
    first = m.conv.kernel.copy()
    # Training again (another rate: other weights): while it runs the source is left, its
    # weights changing every batch …
    tab.learning_rate.setValue(tab.learning_rate.value() * 3)
    assert tab.start()
    QApplication.processEvents()
    assert m.source_kind == "toy-rgb" and m.trained is None
    assert TRAINING in window.animator.error_label.text()
    combo = window.animator.source
    assert combo.itemText(combo.findData(TRAINED_SOURCE)) == "Trained CNN (training…)"
    _wait_done(qtbot, tab)
    # … and afterwards the new network's layer is there, not the first one's.
    new = tab.model.network.get_layer("conv2").get_weights()[0]
    np.testing.assert_array_equal(m.trained.kernel, new)
    assert not np.array_equal(new, first)
    assert combo.itemText(combo.findData(TRAINED_SOURCE)) == "Trained CNN's maps"
    m.set_source_kind(TRAINED_SOURCE)
    np.testing.assert_array_equal(m.conv.kernel, new)
