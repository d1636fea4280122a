"""Issue 14: a lesson is checked whole against the window's limits; only LessonError escapes."""

import base64
import json
import os
import stat
import zlib

import numpy as np
import pytest

from convstudio import lessons as L
from convstudio.core import limits


def _image(h=20, w=30, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3)).astype(np.float32)


def _doc(**workspace):
    lesson = L.Lesson(title="T", text="<p>x</p>", image=_image(), image_name="noise.png",
                      kernel=np.array([[1, 0, -1]] * 3, np.float32), selection=(2, 3, 10, 12),
                      animator_source="image", animator_step=5,
                      training={"epochs": 3, "learning_rate": 0.01})
    doc = lesson.to_json()
    doc["workspace"].update(workspace)
    return doc


def _params(**changes):
    doc = _doc()
    doc["workspace"]["params"].update(changes)
    return doc


def assert_refused(doc, *words):
    with pytest.raises(L.LessonError) as info:
        L.parse(doc)
    for w in words:
        assert w in str(info.value), (w, str(info.value))
    return str(info.value)


def test_a_good_lesson_parses():
    lesson = L.parse(_doc())
    assert lesson.kernel.shape == (3, 3) and lesson.selection == (2, 3, 10, 12)
    np.testing.assert_array_equal(lesson.image, _image())


@pytest.mark.parametrize("shape", [(8, 8), (7, 8), (8, 7), (15, 15), (1, 9)])
def test_kernels_larger_than_the_editor_are_refused(shape):
    assert_refused(_doc(kernel=np.ones(shape).tolist()), "workspace.kernel", "1…7 rows")


def test_the_largest_kernel_the_editor_holds_is_accepted():
    k = np.full((7, 7), limits.MAX_KERNEL_ENTRY)
    k[0, 0] = -limits.MAX_KERNEL_ENTRY
    lesson = L.parse(_doc(kernel=k.tolist()))
    np.testing.assert_array_equal(lesson.kernel, k.astype(np.float32))


@pytest.mark.parametrize("value", [1e39, -1e39, 1e7, 1.0000001e6, 1e308, -1e308, 2**64,
                                   10**400], ids=str)
def test_kernel_entries_beyond_a_cell_are_refused(value):
    k = [[0, 0, 0], [0, value, 0], [0, 0, 0]]
    assert_refused(_doc(kernel=k), "workspace.kernel[1][1]", "-1000000…1000000")


@pytest.mark.parametrize("value", [1e5, -1000.5, 1e308, -1e308, 2**64, -(2**64), 10**5000],
                         ids=["1e5", "-1000.5", "1e308", "-1e308", "2**64", "-2**64", "10**5000"])
def test_bias_beyond_the_box_is_refused(value):
    assert_refused(_params(bias=value), "workspace.params.bias", "-1000…1000")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "1", True, None, [1]])
def test_bias_of_the_wrong_kind_is_refused(value):
    assert_refused(_params(bias=value), "workspace.params.bias")


def test_bias_at_the_box_edges_is_accepted():
    assert L.parse(_params(bias=1000)).params.bias == 1000.0
    assert L.parse(_params(bias=-1000.0)).params.bias == -1000.0


@pytest.mark.parametrize("key, value, allowed", [
    ("stride", [17, 1], "1…16"), ("stride", [1, 0], "1…16"),
    ("dilation", [9, 1], "1…8"), ("padding", [17, 0], "0…16"), ("padding", [-1, 0], "0…16"),
    ("pool_size", [9, 2], "1…8"), ("pool_stride", [2, 9], "1…8"),
    ("stride", [2**64, 1], "1…16"),
])
def test_parameters_beyond_their_boxes_are_refused(key, value, allowed):
    assert_refused(_params(**{key: value}), f"workspace.params.{key}", allowed)


def test_parameters_at_their_box_edges_are_accepted():
    p = L.parse(_params(stride=[16, 1], dilation=[8, 8], padding=[16, 0], pool_size=[8, 1],
                        pool_stride=[8, 8])).params
    assert (p.stride, p.dilation, p.padding, p.pool_size, p.pool_stride) == (
        (16, 1), (8, 8), (16, 0), (8, 1), (8, 8))


def test_huge_whole_numbers_give_messages_not_exceptions():
    doc = _doc()
    doc["training"]["epochs"] = 10**5000          # str(int) refuses over 4300 digits
    msg = assert_refused(doc, "training.epochs", "1…1000", "about 5000 digits")
    assert len(msg) < 200
    doc = _doc()
    doc["training"]["learning_rate"] = 2**64      # np.isfinite raised TypeError
    assert_refused(doc, "training.learning_rate", "1e-05…1")
    text = json.dumps(_doc()).replace('"epochs": 3', '"epochs": ' + "9" * 5000)
    with pytest.raises(L.LessonError, match="not valid JSON"):
        L.loads(text)                              # json.loads' own ValueError


def test_deeply_nested_json_is_refused():
    deep = '{"format": "convstudio-lesson", "version": 1, "title": ' + "[" * 100_000 + \
           "]" * 100_000 + "}"
    with pytest.raises(L.LessonError, match="nested too deeply"):
        L.loads(deep)


def test_a_file_of_millions_of_values_is_refused_before_decoding():
    with pytest.raises(L.LessonError, match="far more values"):
        L.loads(b"[" + b"0," * 2_000_000 + b"0]")


def test_messages_with_only_a_lower_bound_say_at_least():
    doc = _doc()
    doc["version"] = 0
    msg = assert_refused(doc, "version must be at least 1, got 0")
    assert "None" not in msg


def test_a_nul_in_the_model_name_is_refused():
    doc = _doc()
    doc["model"] = "weights\x00.keras"
    assert_refused(doc, "model", "NUL")


def test_names_and_title_are_bounded():
    doc = _doc()
    doc["title"] = "t" * (L.MAX_TITLE_CHARS + 1)
    assert_refused(doc, "title", "at most 1,000")
    assert_refused(_doc(image_name="a\x00b"), "workspace.image_name", "NUL")
    doc = _doc()
    doc["model"] = "m" * 300 + ".keras"
    assert_refused(doc, "model", "at most 255")


def test_text_longer_than_the_panel_shows_is_refused():
    doc = _doc()
    doc["text"] = "x" * (L.MAX_TEXT_CHARS + 1)
    assert_refused(doc, "text", "100,001 characters", "at most 100,000")
    doc["text"] = "x" * L.MAX_TEXT_CHARS
    assert len(L.parse(doc).text) == L.MAX_TEXT_CHARS


@pytest.mark.parametrize("sel, field", [
    ([0, 0, 21, 30], "[2] (height)"), ([0, 0, 20, 31], "[3] (width)"),
    ([20, 0, 1, 1], "[0] (top)"), ([0, 30, 1, 1], "[1] (left)"), ([5, 5, 16, 1], "(height)"),
    ([0, 0, 0, 5], "(height)"), ([-1, 0, 1, 1], "(top)"),
])
def test_a_selection_outside_the_image_is_refused(sel, field):
    assert_refused(_doc(selection=sel), "workspace.selection", field)


def test_a_selection_covering_the_whole_image_is_accepted():
    assert L.parse(_doc(selection=[0, 0, 20, 30])).selection == (0, 0, 20, 30)


def test_an_animator_step_past_the_last_is_refused():
    doc = _doc()
    lesson = L.parse(doc)
    total = L.animator_steps(lesson)
    # 20×30 image, 3×3 valid → 18×28 = 504 conv steps; max-pool 2×2 of the image (more
    # windows than of the conv output) → 10×15 = 150 pool steps.
    assert total == 18 * 28 + 10 * 15
    doc["animator"]["step"] = total - 1
    assert L.parse(doc).animator_step == total - 1
    doc["animator"]["step"] = total
    assert_refused(doc, "animator.step", f"0…{total - 1}")


def test_pixels_outside_0_255_are_refused():
    for bad in (1e30, -1e30, -0.5, 255.5, np.nan, np.inf):
        img = _image()
        img[3, 4, 1] = bad
        doc = _doc()
        arr = np.ascontiguousarray(img, "<f4")
        doc["workspace"]["image"] = {
            "dtype": "float32", "shape": list(arr.shape), "encoding": "zlib+base64",
            "data": base64.b64encode(zlib.compress(arr.tobytes())).decode()}
        assert_refused(doc, "workspace.image", "0…255")


def test_an_image_larger_than_the_workspace_is_refused():
    doc = _doc()
    doc["workspace"]["image"]["shape"] = [4097, 2, 3]
    assert_refused(doc, "workspace.image.shape", "1…4096")


def test_whole_number_images_are_stored_as_uint8_and_others_as_float32():
    whole = L.Lesson(image=_image(64, 64)).to_json()["workspace"]["image"]
    assert whole["dtype"] == "uint8"
    frac = _image(64, 64)
    frac[0, 0, 0] = 0.5
    exact = L.Lesson(image=frac).to_json()
    assert exact["workspace"]["image"]["dtype"] == "float32"
    np.testing.assert_array_equal(L.parse(exact).image, frac)
    raw = zlib.decompress(base64.b64decode(whole["data"]))
    assert len(raw) == 64 * 64 * 3


def test_the_float32_form_of_earlier_versions_still_reads():
    img = _image() * np.float32(0.5) + np.float32(0.25)
    arr = np.ascontiguousarray(img, "<f4")
    doc = _doc()
    doc["workspace"]["image"] = {
        "dtype": "float32", "shape": list(arr.shape), "encoding": "zlib+base64",
        "data": base64.b64encode(zlib.compress(arr.tobytes(), 6)).decode("ascii")}
    np.testing.assert_array_equal(L.parse(doc).image, img)


def test_the_largest_noisy_image_writes_a_lesson_that_reads_back(tmp_path):
    side = limits.MAX_IMAGE_SIDE
    img = np.random.default_rng(1).integers(0, 256, (side, side, 3), dtype=np.uint8)
    lesson = L.Lesson(image=img.astype(np.float32), image_name="noise")
    path = L.write(lesson, tmp_path / "big")
    assert path.stat().st_size > 64 * 2**20       # over the old read limit
    assert path.stat().st_size <= L.MAX_FILE_BYTES
    back = L.read(path)
    assert back.image.dtype == np.float32
    np.testing.assert_array_equal(back.image, img)


def test_the_read_limit_holds_the_largest_image_even_as_float32():
    raw = limits.MAX_IMAGE_SIDE ** 2 * 3 * 4
    bound = raw + (raw >> 12) + (raw >> 14) + (raw >> 25) + 13   # zlib.compressBound
    assert 4 * -(-bound // 3) + 6 * L.MAX_TEXT_CHARS < L.MAX_FILE_BYTES


def test_special_files_are_refused_with_their_reason(tmp_path):
    fifo = tmp_path / "pipe.convstudio"
    os.mkfifo(fifo)
    with pytest.raises(L.LessonError, match="named pipe"):
        L.read(fifo)
    with pytest.raises(L.LessonError, match="device"):
        L.read("/dev/zero")
    loop = tmp_path / "loop.convstudio"
    loop.symlink_to(loop)
    with pytest.raises(L.LessonError, match="loop"):
        L.read(loop)


def test_write_is_atomic_and_follows_the_umask(tmp_path):
    mask = os.umask(0o022)
    try:
        path = L.write(L.builtin_lessons()["line-filters"], tmp_path / "l")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["l.convstudio"]
    assert L.read(path).title == L.builtin_lessons()["line-filters"].title


@pytest.mark.parametrize("name", list(L.builtin_lessons()))
def test_builtin_lessons_pass_their_own_checks(name):
    lesson = L.builtin_lessons()[name]
    back = L.loads(json.dumps(lesson.to_json()))
    assert back.title == lesson.title and back.text == lesson.text


@pytest.mark.parametrize("doc", [None, [], "lesson", 3, {"format": 1},
                                 {"format": "convstudio-lesson", "version": True}])
def test_documents_of_any_shape_give_lesson_errors(doc):
    with pytest.raises(L.LessonError):
        L.parse(doc)
    with pytest.raises(L.LessonError):
        L.loads(json.dumps(doc))


@pytest.mark.parametrize("data", [b"", b"\xff\xfe\x00", b"{", b"NaN", b"[1e999]", "\udcff"])
def test_text_that_is_not_json_gives_lesson_errors(data):
    with pytest.raises(L.LessonError):
        L.loads(data)


def test_a_large_float_image_is_stored_uncompressed_and_reads_back_exactly(tmp_path, monkeypatch):
    import numpy as np

    from convstudio import lesson_values

    monkeypatch.setattr(lesson_values, "FAST_FLOAT_BYTES", 1000)
    rng = np.random.default_rng(3)
    image = (rng.random((40, 30, 3)) * 255).astype(np.float32)  # not whole numbers
    doc = lesson_values.encode_image(image)
    assert doc["dtype"] == "float32"
    import base64
    import zlib

    packed = base64.b64decode(doc["data"])
    assert len(packed) > image.nbytes  # stored, not compressed
    assert zlib.decompress(packed) == image.tobytes()
    lesson = L.Lesson(title="resized \"@@convstudio-image-data@@\"", image=image)
    back = L.read(L.write(lesson, tmp_path / "big"))
    np.testing.assert_array_equal(back.image, image)
    assert back.title == lesson.title


def test_the_pool_example_source_counts_its_own_4x4_steps_whatever_the_image():
    # It was counted as a region of the workspace image (a 512² photo: hundreds of steps).
    from convstudio import lessons as L

    lesson = L.builtin_lessons()["max-pooling"]
    lesson.animator_source = "pool-example"
    lesson.image = np.zeros((512, 512, 3), np.float32)
    steps = L.animator_steps(lesson)
    assert steps is not None and steps < 50  # a 4×4 block's conv and pool steps, not 512²'s
    assert steps == L.animator_steps(lesson, (64, 64))  # the image does not matter
