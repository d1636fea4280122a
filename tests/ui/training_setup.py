"""The Training tab set up for a quick run, shared by the training tests."""


def quick_run_tab(window, qtbot, *, epochs=2):
    """Show the Training tab on the built-in shapes with a tiny model on 600 images."""
    t = window.training
    window.show_tab("training")
    t.dataset_combo.setCurrentIndex(t.dataset_combo.findData("shapes"))
    qtbot.waitUntil(lambda: t.dataset is not None and t.dataset.name == "shapes", timeout=30000)
    t.limit.setValue(600)
    t.filters.setValue(8)
    t.dense.setValue(16)
    t.epochs.setValue(epochs)
    t.batch_size.setValue(32)
    return t
