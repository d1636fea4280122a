"""Issue 17: the built-in course — its lessons in order, their texts, and states that a lesson
file holds exactly (saved and read back)."""

import pathlib

import numpy as np
import pytest

import convstudio
from convstudio import course
from convstudio import lessons as L
from convstudio.core import luminance, normalisation_weight, sample_image
from convstudio.core.pipeline import run_pipeline
from convstudio.lesson_text import sanitise

ORDER = ("filter-multipliers", "line-filters", "strides-padding", "dilation", "max-pooling",
         "partial-connections", "channels-filters", "four-d-input", "first-cnn",
         "confident-answers", "mnist-convnet")


def _run(state: L.Lesson):
    rgb = state.image if state.image is not None else (
        sample_image(state.sample, mode="rgb") * np.float32(255))
    source = rgb if state.channel == "all" else luminance(rgb)
    weight = normalisation_weight(state.kernel) if state.use_weight else 1.0
    kernel = (state.kernel * np.float32(weight)).astype(np.float32)
    if source.ndim == 3:
        kernel = np.repeat(kernel[:, :, None], 3, axis=2)
    return run_pipeline(source, kernel, state.params)


def test_the_course_has_its_lessons_in_order_and_keeps_the_old_keys():
    assert course.keys() == ORDER
    assert list(L.builtin_lessons()) == list(ORDER)
    for old in ("line-filters", "strides-padding", "max-pooling", "first-cnn"):
        assert old in L.builtin_lessons()
    assert course.lesson("dilation").title.startswith("Dilation")
    with pytest.raises(KeyError, match="line-filters"):
        course.lesson("nope")


@pytest.mark.parametrize("key", ORDER)
def test_each_builtin_lesson_round_trips_through_save_and_load(key, tmp_path):
    lesson = L.builtin_lessons()[key]
    path = L.write(lesson, tmp_path / key)
    back = L.read(path)
    assert back.to_json() == lesson.to_json()
    assert back.text == course.lesson(key).text == sanitise(back.text)
    steps = L.animator_steps(back)
    assert steps is None or back.animator_step < steps


def test_the_texts_reproduce_the_course_material():
    text = {c.key: c.text for c in course.course()}
    assert "192" in text["filter-multipliers"] and "4.5" in text["filter-multipliers"]
    assert "cross-correlation" in text["filter-multipliers"]
    for kernel in ("[[0, 1, 0], [1, -4, 1], [0, 1, 0]]", "[[-1, -2, -1], [0, 0, 0], [1, 2, 1]]",
                   "[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]", "[[1, 1, 1], [1, 1, 1], [1, 1, 1]]"):
        assert kernel in text["line-filters"], kernel
    assert "weight 0.1" in text["line-filters"]
    assert "i[x-1, y-1] * filter[0][0]" in text["line-filters"]
    assert "transpose" in text["line-filters"]
    assert "255×510" in text["strides-padding"] and "512×512" in text["strides-padding"]
    assert "(3, 3, 1, 1)" in text["strides-padding"]
    assert "[[192, 144], [255, 168]]" in text["max-pooling"]
    assert "101 images" in text["max-pooling"] and "14×14" in text["max-pooling"]
    assert "784" in text["partial-connections"]
    assert "64 maps in total, not 64×32" in text["channels-filters"]
    assert "expected 4 dimensions, but got array with shape (60000, 28, 28)" in text[
        "four-d-input"]
    assert "sole" in text["first-cnn"] and "learned" in text["first-cnn"]
    assert "add up to 1" in text["confident-answers"]
    assert "28 → 14" in text["mnist-convnet"] and "(64, 28, 28, 1)" in text["mnist-convnet"]


@pytest.mark.parametrize("key, conv, pooled", [
    ("filter-multipliers", (1, 1), None),
    ("line-filters", (510, 510), (255, 255)),
    ("strides-padding", (255, 510), (127, 255)),
    ("dilation", (508, 508), None),
    ("max-pooling", (512, 512), (256, 256)),
    ("channels-filters", (510, 510), None),
    ("mnist-convnet", (28, 28), (14, 14)),
])
def test_the_lesson_states_compute_the_course_shapes(key, conv, pooled):
    result = _run(course.lesson(key).state)
    assert result.conv.shape[:2] == conv
    assert (None if result.pooled is None else result.pooled.shape[:2]) == pooled


def test_the_first_lesson_window_gives_577_and_the_training_lessons_set_their_data():
    assert _run(course.lesson("filter-multipliers").state).conv[0, 0] == 577
    assert course.lesson("mnist-convnet").state.training["dataset"] == "mnist"
    first = course.lesson("first-cnn").state.training
    assert (first["blocks"], first["filters"], first["kernel_size"], first["dense"]) == (
        2, 64, 3, 128)
    assert course.lesson("first-cnn").state.tab == "training"


def test_the_pooling_lesson_steps_through_its_own_4x4_example():
    # The lesson's text and its exercises use the 4×4 block; its Animator shows that block.
    from convstudio.core import max_pool2d
    from convstudio.core.animator_sources import POOL_EXAMPLE, POOL_EXAMPLE_MAXIMA
    from convstudio.exercises.bank_sizes import POOL_BLOCK

    assert course.lesson("max-pooling").state.animator_source == "pool-example"
    assert POOL_BLOCK == POOL_EXAMPLE
    pooled = max_pool2d(np.array(POOL_EXAMPLE, np.float32), 2)
    assert pooled.tolist() == [list(row) for row in POOL_EXAMPLE_MAXIMA]


def test_course_lessons_and_exercise_modules_stay_small():
    root = pathlib.Path(convstudio.__file__).parent
    paths = [root / "lessons.py", root / "course.py", root / "lesson_state.py",
             *(root / "exercises").glob("*.py"), root / "core" / "codegen.py"]
    for path in paths:
        assert len(path.read_text(encoding="utf-8").splitlines()) < 450, path
