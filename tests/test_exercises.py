"""Issue 17: the checked exercise bank — answers from the core, misconceptions named, input
read leniently and never an exception."""

import json

import numpy as np
import pytest

from convstudio import course
from convstudio import lessons as L
from convstudio.core import conv2d, get_preset, luminance, normalisation_weight, sample_image
from convstudio.core.pipeline import run_pipeline
from convstudio.exercises import Exercise, all_exercises, for_lesson
from convstudio.exercises.parse import Unreadable, read_choice, read_grid, read_number, read_numbers

EXERCISES = all_exercises()
BY_ID = {e.id: e for e in EXERCISES}


def _run(state: L.Lesson):
    """Run the workspace's pipeline on a lesson state, as the window does (luminance)."""
    rgb = state.image if state.image is not None else (
        sample_image(state.sample, mode="rgb") * np.float32(255))
    weight = normalisation_weight(state.kernel) if state.use_weight else 1.0
    kernel = (state.kernel * np.float32(weight)).astype(np.float32)
    return run_pipeline(luminance(rgb), kernel, state.params)


def _perturbed(e: Exercise):
    if e.form == "choice":
        return (e.answer + 1) % len(e.options)
    if e.kind == "kernel":
        return np.zeros((3, 3))
    if e.form == "grid":
        wrong = np.array(e.answer, np.float64)
        wrong[0, 0] += 1
        return wrong
    if e.form == "numbers":
        return (e.answer[0] + 1, *e.answer[1:])
    return e.answer + 1 + 10 * abs(e.answer) * 0.01


def test_the_bank_covers_every_lesson_with_at_least_three_exercises():
    keys = course.keys()
    assert len(EXERCISES) >= 24
    assert len({e.id for e in EXERCISES}) == len(EXERCISES)
    for key in keys:
        assert len(for_lesson(key)) >= 3, key
    assert [e.lesson for e in EXERCISES] == sorted((e.lesson for e in EXERCISES),
                                                   key=keys.index)
    kinds = {e.kind for e in EXERCISES}
    assert {"number", "shape", "cell", "kernel", "choice", "training"} <= kinds


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.id)
def test_each_exercise_accepts_its_answer_and_refuses_a_perturbed_one(ex):
    for given in (ex.answer, ex.answer_text):
        fb = ex.check(given)
        assert fb.correct, (given, fb.message)
        assert fb.message.startswith("Right")
    fb = ex.check(_perturbed(ex))
    assert not fb.correct and len(fb.message) > 10
    assert ex.prompt and ex.hint and ex.explanation


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.id)
def test_each_misconception_is_named_by_its_own_wrong_answer(ex):
    if ex.form == "choice":
        wrong = [i for i in range(len(ex.options)) if i != ex.answer]
        named = {ex.check(i).misconception for i in wrong} - {None}
        assert len(named) == len(ex.mistakes)
        return
    for m in ex.mistakes:
        fb = ex.check(m.value)
        assert not fb.correct and fb.misconception == m.code and fb.message == m.message


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.id)
def test_unreadable_input_gives_a_message_never_an_exception(ex):
    for junk in ("", "   ", "abc", "1e999", "[[", "nan", None, object(), "9" * 5000,
                 float("nan"), [], {}, "1/0", "--3", "\x00"):
        fb = ex.check(junk)
        assert not fb.correct and fb.message


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.id)
def test_each_exercise_state_is_a_lesson_the_reader_accepts(ex):
    back = L.loads(json.dumps(ex.state.to_json()))
    assert back.to_json() == ex.state.to_json()
    steps = L.animator_steps(back)
    assert steps is None or back.animator_step < steps


def test_the_answers_reproduce_the_course_numbers():
    assert BY_ID["filter-multipliers/window-sum"].answer == 577          # 192 × 4.5 + …
    assert BY_ID["strides-padding/stride-2-1"].answer == (255, 510)
    assert BY_ID["strides-padding/same"].answer == (512, 512)
    np.testing.assert_array_equal(BY_ID["max-pooling/four-by-four"].answer,
                                  [[192, 144], [255, 168]])
    assert BY_ID["max-pooling/camera"].answer == (256, 256)
    assert BY_ID["channels-filters/maps"].answer == 64
    assert BY_ID["channels-filters/weights-per-filter"].answer == 3 * 3 * 32
    assert BY_ID["partial-connections/inputs-seen"].answer == 9
    assert BY_ID["partial-connections/dense-inputs"].answer == 28 * 28
    assert BY_ID["four-d-input/fashion-batch"].answer == (60000, 28, 28, 1)
    assert BY_ID["mnist-convnet/pool-28"].answer == (14, 14)
    assert BY_ID["line-filters/weight-ten"].answer == pytest.approx(0.1)


def test_answers_come_from_the_exercise_state():
    ex = BY_ID["filter-multipliers/window-sum"]
    image = luminance(ex.state.image)
    assert ex.answer == conv2d(image, ex.state.kernel)[0, 0]
    ex = BY_ID["line-filters/camera-window"]
    top, left, h, w = ex.state.selection
    camera = luminance(sample_image("camera", mode="rgb") * np.float32(255))
    assert ex.answer == conv2d(camera[top:top + h, left:left + w], ex.state.kernel)[0, 0]
    for name in ("strides-padding/stride-2-1", "strides-padding/full", "dilation/valid",
                 "strides-padding/same-stride-2"):
        ex = BY_ID[name]
        assert _run(ex.state).conv.shape == ex.answer, name
    ex = BY_ID["max-pooling/camera"]
    assert _run(ex.state).pooled.shape == ex.answer
    ex = BY_ID["max-pooling/four-by-four"]
    np.testing.assert_array_equal(_run(ex.state).pooled, ex.answer)


def test_classic_misconceptions_are_named():
    stride = BY_ID["strides-padding/stride-2-1"]
    for typed in ("256x510", "256 × 510", "255.5 x 510"):
        fb = stride.check(typed)
        assert fb.misconception == "no-floor" and "floor" in fb.message
    assert stride.check("510x255").misconception == "swapped"
    fb = BY_ID["strides-padding/same-sides"].check("2, 1")
    assert fb.misconception == "wrong-side" and "wrong side" in fb.message
    fb = BY_ID["max-pooling/four-by-four"].check("[[12, 16], [255, 80]]")
    assert fb.misconception == "top-left" and "course's own loop" in fb.message
    fb = BY_ID["max-pooling/winner"].check("0, 2")
    assert fb.misconception == "top-left"
    assert BY_ID["max-pooling/winner"].check("1, 4").misconception == "one-based"
    assert BY_ID["max-pooling/winner"].check("144").misconception == "value-not-cell"
    patch = np.array(course.SEED_PATCH, np.float32)
    k = np.array(course.SEED_FILTER, np.float32)
    flipped = conv2d(patch, k[::-1, ::-1])[0, 0]
    fb = BY_ID["filter-multipliers/window-sum"].check(str(flipped))
    assert fb.misconception == "flipped" and "cross-correlation" in fb.message
    fb = BY_ID["filter-multipliers/true-convolution"].check("577")
    assert fb.misconception == "not-flipped"
    fb = BY_ID["channels-filters/maps"].check("2048")
    assert fb.misconception == "64x32" and "64×32" in fb.message
    assert BY_ID["first-cnn/after-pool2"].check("6x6x64").misconception == "no-floor"
    assert BY_ID["first-cnn/conv1-params"].check("576").misconception == "no-bias"
    fb = BY_ID["four-d-input/fashion-batch"].check("(60000, 28, 28)")
    assert fb.misconception == "no-channel" and "expected 4 dimensions" in fb.message
    fb = BY_ID["confident-answers/picks"].check("C")
    assert fb.misconception == "none-of-these"


def test_the_designed_kernel_is_judged_by_what_it_does():
    ex = BY_ID["line-filters/design-vertical"]
    for good in ("-1 0 1; -2 0 2; -1 0 1", "[[1, 0, -1], [1, 0, -1], [1, 0, -1]]", "-1 1",
                 "0 0 0 0 0; -1 -1 0 1 1; 0 0 0 0 0"):
        assert ex.check(good).correct, good
    assert ex.check("-1 -2 -1; 0 0 0; 1 2 1").misconception == "transposed"
    fb = ex.check("1 1 1; 1 1 1; 1 1 1")
    assert fb.misconception == "flat" and "sum to 0" in fb.message
    assert ex.check("0 0; 0 0").misconception == "zero"
    assert ex.check("1 0 -1; 0 0 0; -1 0 1").misconception == "weak"
    assert ex.check("-1 0 1; 0 0 0; 1 0 -1").correct is False
    assert ex.check("9 9 9 9 9 9 9 9").misconception == "unreadable"   # over 7 wide


def _course_loop(i: np.ndarray, f: np.ndarray) -> np.ndarray:
    """The course's seed loop, as printed (x walks the rows, y the columns)."""
    out = np.zeros_like(i)
    for x in range(1, i.shape[0] - 1):
        for y in range(1, i.shape[1] - 1):
            out[x, y] = (i[x - 1, y - 1] * f[0][0] + i[x, y - 1] * f[0][1]
                         + i[x + 1, y - 1] * f[0][2] + i[x - 1, y] * f[1][0]
                         + i[x, y] * f[1][1] + i[x + 1, y] * f[1][2]
                         + i[x - 1, y + 1] * f[2][0] + i[x, y + 1] * f[2][1]
                         + i[x + 1, y + 1] * f[2][2])
    return out


def test_the_course_loop_applies_the_transpose_and_the_exercise_says_so():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (9, 11)).astype(np.float32)
    k = np.array(course.SOBEL_Y, np.float32)
    np.testing.assert_array_equal(_course_loop(image, k)[1:-1, 1:-1], conv2d(image, k.T))
    loop = BY_ID["line-filters/seed-loop"]
    assert loop.options[loop.answer] == "vertical lines"
    direct = BY_ID["line-filters/conv2d-direction"]
    assert direct.options[direct.answer] == "horizontal lines"
    assert get_preset("sobel_y").array.tolist() == k.tolist()
    assert loop.check("horizontal lines").misconception == "conv2d-not-loop"


@pytest.mark.parametrize("text, value", [
    ("577", 577), (" = 577 ", 577), ("−286", -286), ("4,5", 4.5), ("0,111", 0.111),
    ("18,496", 18496), ("18 496", 18496), ("1/9", 1 / 9), ("84 %", 0.84), ("1e3", 1000),
    (".5", 0.5), ("answer: 64", 64), (64, 64), (np.float32(0.5), 0.5)])
def test_numbers_are_read_leniently(text, value):
    assert read_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "abc", "1 2", "1e999", True, "seven", "2 apples"])
def test_unreadable_numbers_say_why(text):
    with pytest.raises(Unreadable):
        read_number(text)


@pytest.mark.parametrize("text, value", [
    ("255x510", (255, 510)), ("255 × 510", (255, 510)), ("(255, 510)", (255, 510)),
    ("[255, 510]", (255, 510)), ("255 by 510", (255, 510)), ("1,2", (1, 2)),
    ("row 1, column 2", (1, 2)), ("r1c2", (1, 2)), ((3, 4), (3, 4))])
def test_shapes_and_cells_are_read_leniently(text, value):
    assert read_numbers(text) == value


def test_grids_and_choices_are_read_leniently():
    expected = [[1, 0, -1], [2, 0, -2]]
    for text in ("[[1, 0, -1], [2, 0, -2]]", "1 0 -1; 2 0 -2", "1 0 -1\n2 0 -2",
                 "1, 0, -1 | 2, 0, -2"):
        np.testing.assert_array_equal(read_grid(text), expected)
    with pytest.raises(Unreadable, match="different lengths"):
        read_grid("1 2; 3")
    options = ("vertical lines", "horizontal lines")
    for text, index in (("a", 0), ("B)", 1), ("(b)", 1), ("2", 1), ("Horizontal lines", 1),
                        ("vertical", 0), (0, 0)):
        assert read_choice(text, options) == index
    for text in ("z", "lines", "", "3"):
        with pytest.raises(Unreadable):
            read_choice(text, options)
