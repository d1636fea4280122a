"""The Workspace's sample box names the image on screen, whoever changed it."""

import numpy as np
from PIL import Image


def test_the_sample_box_follows_a_lesson_undo_and_a_file(window, tmp_path):
    box = window.workspace.samples
    assert box.currentText() == "camera"
    assert window.open_builtin("channels-filters")  # the astronaut, in colour
    assert window.model.source_name == "astronaut" and box.currentText() == "astronaut"
    window.model.undo_stack.undo()  # back to the camera, the box too
    assert window.model.source_name == "camera" and box.currentText() == "camera"
    path = tmp_path / "stripes.png"
    Image.fromarray((np.indices((40, 60))[1] % 2 * 255).astype(np.uint8)).save(path)
    assert window.workspace.open_path(path)
    assert box.currentIndex() == -1 and box.currentText() == ""  # a file is not a sample
    window.workspace.load_sample("coins")
    assert box.currentText() == "coins"
