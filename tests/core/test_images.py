import os
import struct
import zlib
from pathlib import Path

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


# --- Hostile files: every failure is an ImageLoadError naming the file -------------------------

def _chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _png_with_chunk(path, extra, *, before_pixels=True):
    good = _photo(path.parent, "base.png", "L", (4, 3)).read_bytes()
    head, body, tail = good[:33], good[33:-12], good[-12:]  # IHDR | IDAT… | IEND
    path.write_bytes(head + extra + body + tail if before_pixels else head + body + extra + tail)
    return path


@pytest.mark.timeout(30)
def test_special_files_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    loop = tmp_path / "loop.png"
    loop.symlink_to(tmp_path / "loop2.png")
    (tmp_path / "loop2.png").symlink_to(loop)
    big = _photo(tmp_path, "big.png", "RGB", (200, 150))
    for path, fragment, kwargs in [(fifo, "named pipe", {}),
                                   (Path("/dev/zero"), "device", {}),
                                   (loop, "loop", {}),
                                   (big, "more than", {"max_bytes": 1000})]:
        with pytest.raises(ImageLoadError, match=fragment) as info:
            load_image(path, **kwargs)
        assert str(info.value).startswith(f"Could not open {str(path)!r}: ")


@pytest.mark.parametrize(("kind", "payload", "before"), [
    (b"iCCP", b"sRGB\0\0", True),
    (b"zTXt", b"Comment\0\0", True),
    (b"zTXt", b"Comment\0\0", False),   # after the pixels: read by load(), not open()
    (b"iTXt", b"Comment\0\1\0\0\0", True),
])
def test_png_with_a_huge_compressed_chunk_is_refused(tmp_path, kind, payload, before):
    # 3 MB of zeros compress to 3 KB: past Pillow's 1 MB guard for text and colour profiles.
    extra = _chunk(kind, payload + zlib.compress(b"\0" * 3_000_000, 9))
    path = _png_with_chunk(tmp_path / "chunk.png", extra, before_pixels=before)
    with pytest.raises(ImageLoadError, match="more than 1 MB") as info:
        load_image(path)
    assert str(path) in str(info.value)
    # A small chunk of the same kind is fine.
    small = _png_with_chunk(tmp_path / "small.png", _chunk(kind, payload + zlib.compress(b"hi")),
                            before_pixels=before)
    assert load_image(small).shape == (3, 4)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_float_tiff_with_nan_or_infinity_is_refused(tmp_path, bad):
    path = tmp_path / "float.tif"
    Image.fromarray(np.array([[0.0, 0.5], [bad, 0.25]], np.float32), "F").save(path)
    with pytest.raises(ImageLoadError, match="NaN or infinite") as info:
        load_image(path)
    assert str(path) in str(info.value)


def test_float_tiff_is_stretched_to_the_unit_range(tmp_path):
    path = tmp_path / "float.tif"
    Image.fromarray(np.array([[0.0, 0.5, 0.25]], np.float32), "F").save(path)
    np.testing.assert_array_equal(load_image(path), [[0.0, 0.5, 0.25]])  # already in [0, 1]
    # Values near float32's limit: the stretch must not overflow.
    Image.fromarray(np.array([[-3e38, 2e38, 3e38]], np.float32), "F").save(path)
    np.testing.assert_allclose(load_image(path), [[0.0, 5 / 6, 1.0]], rtol=1e-6)


def _lab_tiff(path, lab):
    """Write CIELab values (L* 0..100, a*, b* -127..127) as an 8-bit CIELab TIFF."""
    lab = np.asarray(lab, np.float64)
    raw = np.empty(lab.shape, np.uint8)
    raw[..., 0] = np.round(lab[..., 0] * 2.55)
    # Pillow's "LAB" bytes are the TIFF file's: a* and b* as signed 8-bit numbers.
    raw[..., 1:] = np.round(lab[..., 1:]).astype(np.int8).view(np.uint8)
    Image.frombytes("LAB", (lab.shape[1], lab.shape[0]), raw.tobytes()).save(path)
    return np.concatenate([raw[..., :1] / 2.55, raw[..., 1:].view(np.int8)], axis=-1)


def test_lab_tiff_shows_the_right_colours(tmp_path):
    from skimage.color import lab2rgb, rgb2lab

    srgb = np.array([[[1, 1, 1], [0, 0, 0], [1, 0, 0], [0, 1, 0]],
                     [[0, 0, 1], [1, 1, 0], [0.5, 0.5, 0.5], [0.8, 0.55, 0.4]]])
    # TIFF 6.0 (section 23): CIELab relative to D65, a* and b* signed.
    stored = _lab_tiff(tmp_path / "lab.tif", np.clip(rgb2lab(srgb), -127, 127))
    with Image.open(tmp_path / "lab.tif") as im:
        assert im.mode == "LAB" and im.tag_v2[262] == 8
    got = load_image(tmp_path / "lab.tif", mode="rgb")
    # The colours the stored (rounded) Lab values stand for, per scikit-image's lab2rgb.
    np.testing.assert_allclose(got, np.clip(lab2rgb(stored), 0, 1), atol=2e-3)
    # And, within what rounding Lab to whole numbers costs (most near 0, where the sRGB curve
    # is steep), the colours written.
    np.testing.assert_allclose(got, srgb, atol=0.04)
    np.testing.assert_allclose(got[0, 0], [1, 1, 1], atol=1e-3)   # white stays white
    np.testing.assert_allclose(got[0, 1], [0, 0, 0], atol=1e-3)   # black stays black
    assert load_image(tmp_path / "lab.tif").shape == (2, 4)


def test_lab_relative_to_d50_keeps_white_and_greys_neutral():
    from convstudio.core.images import pil_to_array

    raw = np.array([[[255, 0, 0], [128, 0, 0], [0, 0, 0]]], np.uint8)  # L* 100, 50, 0
    im = Image.frombytes("LAB", (3, 1), raw.tobytes())
    for white in ("D50", "D65"):
        rgb = pil_to_array(im, mode="rgb", lab_white=white)
        np.testing.assert_allclose(rgb[0, 0], 1.0, atol=1e-3)
        np.testing.assert_allclose(rgb[0, 1], rgb[0, 1, 1], atol=1e-3)  # grey
        np.testing.assert_allclose(rgb[0, 1], 0.4663, atol=2e-3)       # sRGB of L* 50
        np.testing.assert_allclose(rgb[0, 2], 0.0, atol=1e-3)


def _image_files(tmp_path):
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
    rgb = Image.fromarray(arr, "RGB")
    files = []
    for name, im, kwargs in [
        ("rgb.png", rgb, {}), ("grey.png", rgb.convert("L"), {}),
        ("palette.png", rgb.convert("P"), {}), ("alpha.png", rgb.convert("RGBA"), {}),
        ("photo.jpg", rgb, {"quality": 90}), ("anim.gif", rgb.convert("P"), {}),
        ("bitmap.bmp", rgb, {}), ("rgb.tif", rgb, {"compression": "tiff_lzw"}),
        ("lab.tif", rgb.convert("LAB"), {}), ("photo.webp", rgb, {}),
        ("float.tif", Image.fromarray(arr[..., 0].astype(np.float32) / 7, "F"), {}),
        ("deep.png", Image.fromarray(arr[..., 0].astype(np.uint16) * 257), {}),
    ]:
        im.save(tmp_path / name, **kwargs)
        files.append(tmp_path / name)
    return files


def test_damaged_files_of_every_format_give_image_load_error(tmp_path):
    """Random damage to each format: the image loads, or ImageLoadError names the file."""
    rng = np.random.default_rng(14)
    originals = [(p.suffix, p.read_bytes()) for p in _image_files(tmp_path)]
    loaded = refused = 0
    for case in range(400):
        suffix, data = originals[case % len(originals)]
        buf = bytearray(data)
        how = case % 4
        if how == 0:                                  # flip bytes anywhere
            for i in rng.integers(0, len(buf), int(rng.integers(1, 8))):
                buf[i] = int(rng.integers(0, 256))
        elif how == 1:                                # flip bytes in the header
            for i in rng.integers(0, min(len(buf), 64), int(rng.integers(1, 4))):
                buf[i] = int(rng.integers(0, 256))
        elif how == 2:                                # cut short
            del buf[int(rng.integers(1, len(buf))):]
        else:                                         # insert random bytes
            at = int(rng.integers(0, len(buf)))
            buf[at:at] = rng.integers(0, 256, int(rng.integers(1, 16)), dtype=np.uint8).tobytes()
        path = tmp_path / f"damaged_{case}{suffix}"
        path.write_bytes(bytes(buf))
        try:
            # Damage may declare a huge size; a low pixel limit keeps the test quick.
            img = load_image(path, mode="rgb" if case % 2 else "gray", max_pixels=100_000)
        except ImageLoadError as exc:
            assert str(path) in str(exc)
            refused += 1
        else:
            assert img.dtype == np.float32 and np.isfinite(img).all()
            assert 0.0 <= img.min() and img.max() <= 1.0
            loaded += 1
    assert loaded > 20 and refused > 20  # both outcomes were exercised
