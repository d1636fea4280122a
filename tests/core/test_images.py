import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from convstudio.core import ImageLoadError, load_image, sample_image, sample_names
from convstudio.core.images import sample_description


def _png_header_only(path, width, height):
    """A PNG whose IHDR declares width x height, with no real pixel data behind it."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))
    return path


def _photo(tmp_path, name="photo.png", mode="L", size=(40, 30)):
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    im = Image.fromarray(arr, "RGB").convert(mode)
    path = tmp_path / name
    im.save(path)
    return path


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda d: _write(d / "empty.png", b""), "empty"),
    (lambda d: _write(d / "notes.png", b"hello, not an image"), "not an image format"),
    (lambda d: d / "missing.png", "no such file"),
    (lambda d: d, "folder"),
    (lambda d: _png_header_only(d / "bomb.png", 100_000, 100_000), "too many pixels"),
    (lambda d: _png_header_only(d / "big.png", 9000, 9000), "9000x9000, too many pixels"),
])
def test_refused_files_raise_image_load_error(tmp_path, make, fragment):
    path = make(tmp_path)
    with pytest.raises(ImageLoadError, match=fragment) as info:
        load_image(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_truncated_png_and_jpeg_are_refused(tmp_path):
    for name in ("photo.png", "photo.jpg"):
        good = _photo(tmp_path, name, "RGB", (200, 150))
        data = good.read_bytes()
        bad = tmp_path / f"cut_{name}"
        bad.write_bytes(data[: len(data) // 2])
        with pytest.raises(ImageLoadError, match="damaged or truncated"):
            load_image(bad)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "LA", "P", "CMYK", "1", "I;16"])
def test_every_pillow_mode_loads_as_float_in_unit_range(tmp_path, mode):
    ext = "jpg" if mode == "CMYK" else "png"
    if mode == "I;16":
        arr = (np.linspace(0, 65535, 40 * 30).reshape(30, 40)).astype(np.uint16)
        path = tmp_path / "deep.png"
        Image.fromarray(arr).save(path)
    else:
        path = _photo(tmp_path, f"x.{ext}", mode)
    for out_mode, ndim in (("gray", 2), ("rgb", 3)):
        img = load_image(path, mode=out_mode)
        assert img.dtype == np.float32 and img.ndim == ndim
        assert img.shape[:2] == (30, 40)
        assert 0.0 <= img.min() and img.max() <= 1.0


def test_sixteen_bit_keeps_its_precision(tmp_path):
    arr = np.array([[0, 1, 32768, 65535]], dtype=np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(arr).save(path)
    np.testing.assert_allclose(load_image(path)[0], arr[0] / 65535, rtol=1e-6)


def test_transparent_pixels_composite_over_white(tmp_path):
    im = Image.new("RGBA", (2, 1), (0, 0, 0, 0))
    im.putpixel((1, 0), (0, 0, 0, 255))
    path = tmp_path / "alpha.png"
    im.save(path)
    np.testing.assert_allclose(load_image(path), [[1.0, 0.0]])


def test_one_pixel_image_loads(tmp_path):
    path = tmp_path / "dot.png"
    Image.new("L", (1, 1), 128).save(path)
    assert load_image(path).shape == (1, 1)
    assert load_image(path)[0, 0] == pytest.approx(128 / 255)


def test_gray_uses_bt601_luma(tmp_path):
    path = tmp_path / "c.png"
    Image.new("RGB", (1, 1), (255, 0, 0)).save(path)
    assert load_image(path)[0, 0] == pytest.approx(0.299, abs=1e-6)


def test_samples_are_offline_and_well_formed():
    names = sample_names()
    for required in ("camera", "coins", "brick", "stripes_vertical", "stripes_horizontal",
                     "checkerboard", "glyph"):
        assert required in names
    assert sample_image("camera").shape == (512, 512)
    glyph = sample_image("glyph")
    assert glyph.shape == (28, 28)
    # MNIST-like: white strokes on black, mostly background, centred.
    assert glyph.max() > 0.9 and (glyph < 0.05).mean() > 0.6
    rows, cols = np.nonzero(glyph > 0.3)
    assert 9 <= rows.mean() <= 19 and 9 <= cols.mean() <= 19
    v, h = sample_image("stripes_vertical"), sample_image("stripes_horizontal")
    np.testing.assert_array_equal(v, h.T)
    assert np.all(v[0] == v[100])  # vertical stripes: every row the same
    assert sample_image("astronaut", mode="rgb").shape == (512, 512, 3)
    assert "512" in sample_description("camera")
    img = sample_image("camera")
    img[0, 0] = 5.0  # a caller's copy may be changed without harming the cache
    assert sample_image("camera")[0, 0] <= 1.0
    with pytest.raises(ValueError, match="no sample image"):
        sample_image("ascent")


def test_photo_samples_decode_to_the_same_pixels_as_load_image():
    from convstudio.core.images import _SKIMAGE_SAMPLES, _skimage_data_dir

    data = _skimage_data_dir()
    assert data is not None
    for name, (file, _) in _SKIMAGE_SAMPLES.items():
        for mode in ("gray", "rgb"):
            np.testing.assert_array_equal(sample_image(name, mode=mode),
                                          load_image(data / file, mode=mode), err_msg=name)


# --- Luminance: one elementwise formula, exact for grey, the same for any array layout --------

def _grey_rgb(grey):
    return np.repeat(np.asarray(grey, np.float32)[..., None], 3, axis=-1)


def test_grey_photo_keeps_its_exact_values_as_luminance():
    from convstudio.core import luminance

    camera = sample_image("camera", mode="rgb")
    assert np.array_equal(camera[..., 0], camera[..., 2])  # a grey photo stored as colour
    np.testing.assert_array_equal(luminance(camera), camera[..., 0])
    np.testing.assert_array_equal(sample_image("camera"), camera[..., 0])
    # On the workspace's 0..255 scale each pixel stays a whole number.
    scaled = camera * np.float32(255)
    np.testing.assert_array_equal(luminance(scaled), np.round(scaled[..., 0]))
    for name in ("coins", "moon", "text"):
        np.testing.assert_array_equal(sample_image(name),
                                      sample_image(name, mode="rgb")[..., 0], err_msg=name)


@pytest.mark.parametrize("seed", range(4))
def test_random_grey_arrays_keep_their_exact_values(seed):
    from convstudio.core import luminance
    from convstudio.core.images import convert

    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 60, 2))
    for grey in (rng.random(shape, np.float32),                        # any float in [0, 1)
                 rng.integers(0, 256, shape).astype(np.float32),          # 0..255
                 rng.integers(0, 256, shape).astype(np.float32) / np.float32(255),
                 (rng.standard_normal(shape) * 1e3).astype(np.float32)):  # any sign, any size
        np.testing.assert_array_equal(luminance(_grey_rgb(grey)), grey)
        if grey.min() >= 0 and grey.max() <= 1:
            np.testing.assert_array_equal(convert(_grey_rgb(grey), "gray"), grey)


def test_luminance_is_bt601_and_independent_of_layout():
    from convstudio.core import luminance
    from convstudio.core.images import convert

    rng = np.random.default_rng(7)
    rgb = rng.random((37, 53, 3), np.float32)
    out = luminance(rgb)
    assert out.dtype == np.float32 and out.shape == (37, 53) and out.flags.c_contiguous
    weights = np.array([0.299, 0.587, 0.114])
    exact = (rgb.astype(np.float64) * weights).sum(axis=2)
    np.testing.assert_allclose(out, exact, rtol=1e-6, atol=1e-7)
    # The same bits from a reversed (BGR) view, a Fortran-ordered copy, a transposed view
    # and a strided crop: no path may go through a matrix product.
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    np.testing.assert_array_equal(luminance(bgr[..., ::-1]), out)
    np.testing.assert_array_equal(luminance(np.asfortranarray(rgb)), out)
    np.testing.assert_array_equal(luminance(rgb.transpose(1, 0, 2)), out.T)
    np.testing.assert_array_equal(luminance(rgb[3:30:2, 5:50:3]), out[3:30:2, 5:50:3])
    np.testing.assert_array_equal(convert(bgr[..., ::-1], "gray"), convert(rgb, "gray"))
    # Pure primaries give their weights.
    eye = np.eye(3, dtype=np.float32)
    np.testing.assert_allclose(luminance(eye), weights, rtol=1e-6)
    with pytest.raises(ValueError, match="last axis"):
        luminance(np.zeros((4, 4), np.float32))
