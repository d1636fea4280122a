"""Datasets for the training tab, as NumPy arrays: IDX files, a built-in set, image folders.

Nothing here touches the network: Fashion-MNIST and MNIST are read from folders holding their four
IDX ``.gz`` files (see :func:`search_dirs`); MNIST falls back to the sample bundled in the package
(see :mod:`.bundled`); :func:`download` is separate and only ever called by an explicit user action.
"""

from __future__ import annotations

import gzip
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .bundled import BUNDLED_SOURCE, bundled_mnist_files

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
DIGIT_CLASSES = tuple(str(d) for d in range(10))
SHAPE_CLASSES = ("horizontal bar", "vertical bar", "diagonal \\", "diagonal /", "plus", "cross",
                 "square", "disc", "ring", "triangle")
IDX_DATASETS = {"fashion-mnist": FASHION_CLASSES, "mnist": DIGIT_CLASSES}
DATASETS = ("fashion-mnist", "mnist", "shapes", "folder")
IMAGE_SIDE = 28
_IDX_TYPES: dict[int, np.dtype] = {code: np.dtype(t) for code, t in (
    (0x08, "u1"), (0x09, "i1"), (0x0B, ">i2"), (0x0C, ">i4"), (0x0D, ">f4"), (0x0E, ">f8"))}
# What one IDX file may hold once decoded: Fashion-MNIST's training images are 47 MB, so a
# header declaring more than this is damaged or hostile and nothing is allocated for it.
MAX_IDX_BYTES = 1024**3
_CHUNK = 16 * 1024**2


class DatasetError(ValueError):
    """A dataset is missing or unreadable; the message says where we looked and what to do."""


@dataclass
class Dataset:
    """Images (N, 28, 28) uint8 and integer labels, with class names and where they came from."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    @property
    def bundled(self) -> bool:
        """True for the MNIST sample shipped with ConvStudio (not the full MNIST)."""
        return self.extra.get("bundled") is True

    def limited(self, n: int | None) -> Dataset:
        """Return the first ``n`` training and ``n // 6`` test images (a quick run)."""
        if n is None or n >= len(self.x_train):
            return self
        m = max(1, n // 6)
        return Dataset(self.name, self.x_train[:n], self.y_train[:n], self.x_test[:m],
                       self.y_test[:m], self.class_names, self.source + f" (first {n:,})",
                       dict(self.extra))


# --- IDX --------------------------------------------------------------------------------------
def _size_text(n: int) -> str:
    return f"{n / 1024**3:.1f} GB" if n >= 1024**3 else f"{n / 1024**2:.1f} MB"


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped) into an array.

    The declared size is checked against :data:`MAX_IDX_BYTES` (and, uncompressed, against the
    file's size) before anything is allocated; a gzipped file is read in pieces, so a header
    that lies about its size costs no more memory than the data really there.

    Raises
    ------
    DatasetError
        Not a regular file, wrong magic number, unknown element type, a declared size beyond
        the limit, or fewer bytes than the header promises; the message names the file.
    """
    from ..files import FileReadError, check_regular

    p = Path(path)
    try:
        check_regular(p, limit=MAX_IDX_BYTES + _CHUNK)
    except FileReadError as exc:
        raise DatasetError(str(exc)) from None
    gz = p.suffix == ".gz"
    try:
        with (gzip.open(p, "rb") if gz else open(p, "rb")) as f:
            header = f.read(4)
            if len(header) < 4 or header[0] != 0 or header[1] != 0:
                raise DatasetError(f"{p} is not an IDX file (bad magic number)")
            dtype, ndim = _IDX_TYPES.get(header[2]), header[3]
            if dtype is None or not 1 <= ndim <= 4:
                raise DatasetError(f"{p} is not an IDX file (type 0x{header[2]:02x}, "
                                   f"{ndim} dimensions)")
            dims_raw = f.read(4 * ndim)
            if len(dims_raw) < 4 * ndim:
                raise DatasetError(f"{p} is truncated (its header is incomplete)")
            dims = struct.unpack(f">{ndim}I", dims_raw)
            need = int(np.prod(dims, dtype=object)) * dtype.itemsize
            shape = "×".join(f"{d:,}" for d in dims)
            if need > MAX_IDX_BYTES:
                raise DatasetError(
                    f"{p} declares {shape} {dtype.name} values ({_size_text(need)}), more than "
                    f"the {_size_text(MAX_IDX_BYTES)} ConvStudio reads from one file: it is not "
                    "a dataset file, or it is damaged")
            if not gz and p.stat().st_size < 4 + 4 * ndim + need:
                raise DatasetError(f"{p} is truncated: its header declares {shape} values "
                                   f"({need:,} bytes) but the file has {p.stat().st_size:,}")
            data = bytearray()
            while len(data) < need:
                piece = f.read(min(_CHUNK, need - len(data)))
                if not piece:
                    break
                data += piece
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(f"cannot read {p}: {exc}") from exc
    if len(data) < need:
        raise DatasetError(f"{p} is truncated: {len(data):,} of {need:,} bytes")
    return np.frombuffer(bytes(data), dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def check_images(x: np.ndarray, where: str) -> np.ndarray:
    """Return images (N, 28, 28) as uint8 0…255, or refuse them saying what is wrong.

    Integers must lie in 0…255; floats must be finite, in 0…1 (scaled to 0…255) or 0…255.
    """
    if x.ndim != 3 or x.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DatasetError(f"{where} holds images of shape {x.shape[1:]}, not 28×28")
    if not len(x):
        raise DatasetError(f"{where} holds no images")
    if x.dtype == np.uint8:
        return x
    if x.dtype.kind == "f":
        bad = int(np.count_nonzero(~np.isfinite(x)))
        if bad:
            raise DatasetError(f"{where}: {bad:,} pixel values are not numbers (NaN or "
                               "infinite); the file is damaged")
    lo, hi = float(x.min()), float(x.max())
    if lo < 0 or hi > 255:
        raise DatasetError(f"{where}: pixel values run from {lo:g} to {hi:g}; images must "
                           "be 0…255 (or 0…1)")
    scale = 255.0 if x.dtype.kind == "f" and hi <= 1.0 else 1.0
    return np.rint(x.astype(np.float64) * scale).astype(np.uint8)


def check_labels(y: np.ndarray, n_images: int, n_classes: int, where: str) -> np.ndarray:
    """Return labels as int64 0…``n_classes``-1, one per image, or refuse them saying why."""
    if y.ndim != 1:
        raise DatasetError(f"{where} holds an array of shape {y.shape}, not one label per image")
    if len(y) != n_images:
        raise DatasetError(f"{where} holds {len(y):,} labels for {n_images:,} images")
    if y.dtype.kind == "f" and not (np.isfinite(y).all() and (y == np.rint(y)).all()):
        raise DatasetError(f"{where}: labels must be whole numbers 0…{n_classes - 1}")
    labels = y.astype(np.int64)
    bad = np.nonzero((labels < 0) | (labels >= n_classes))[0]
    if len(bad):
        raise DatasetError(f"{where}: label {labels[bad[0]]} (image {bad[0]:,}) is outside "
                           f"0…{n_classes - 1}; this dataset has {n_classes} classes")
    return labels


def search_dirs(name: str, data_dir: str | Path | None = None) -> list[Path]:
    """Folders searched, in order, for an IDX dataset called ``name``."""
    dirs: list[Path] = []
    if data_dir:
        dirs += [Path(data_dir), Path(data_dir) / name]
    env = os.environ.get("CONVSTUDIO_DATA")
    if env:
        dirs += [Path(env), Path(env) / name]
    dirs.append(Path.home() / ".keras" / "datasets" / name)
    dirs.append(Path("/usr/share/datasets") / name)
    return dirs


def _checked(name: str, arrays: dict[str, np.ndarray], where: dict[str, str],
             source: str) -> Dataset:
    classes = IDX_DATASETS[name]
    checked = {}
    for split in ("train", "test"):
        x = check_images(arrays[f"x_{split}"], where[f"x_{split}"])
        checked[f"x_{split}"] = x
        checked[f"y_{split}"] = check_labels(arrays[f"y_{split}"], len(x), len(classes),
                                             where[f"y_{split}"])
    return Dataset(name, checked["x_train"], checked["y_train"], checked["x_test"],
                   checked["y_test"], classes, source)


def _load_npz(path: Path) -> Dataset:
    from ..files import FileReadError, check_regular

    try:
        check_regular(path, limit=MAX_IDX_BYTES)
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: np.asarray(f[k]) for k in IDX_FILES}
    except FileReadError as exc:
        raise DatasetError(str(exc)) from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from exc
    return _checked("mnist", arrays, {k: f"{path} ({k})" for k in IDX_FILES}, str(path))


def load_idx_dataset(name: str, data_dir: str | Path | None = None, *,
                     only_data_dir: bool = False) -> Dataset:
    """Load ``fashion-mnist`` or ``mnist`` from the first folder holding all four files.

    MNIST found nowhere (folders, then Keras' ``mnist.npz``) is the sample bundled with
    ConvStudio, with ``source`` saying so and ``bundled`` true. ``only_data_dir``: look in
    ``data_dir`` (and its sub-folder ``name``) and nowhere else, as the command line does when
    it is given a folder.
    """
    if name not in IDX_DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    looked = search_dirs(name, data_dir)
    if only_data_dir and data_dir:
        looked = looked[:2]
    for folder in looked:
        if all((folder / f).is_file() for f in IDX_FILES.values()):
            arrays = {k: read_idx(folder / f) for k, f in IDX_FILES.items()}
            return _checked(name, arrays, {k: str(folder / f) for k, f in IDX_FILES.items()},
                            str(folder))
    npz = Path.home() / ".keras" / "datasets" / "mnist.npz"
    if name == "mnist" and npz.is_file() and not only_data_dir:  # keras.datasets' download
        return _load_npz(npz)
    bundled = bundled_mnist_files(IDX_FILES) if name == "mnist" and not only_data_dir else None
    if bundled:
        arrays = {k: read_idx(p) for k, p in bundled.items()}
        ds = _checked(name, arrays, {k: str(p) for k, p in bundled.items()}, BUNDLED_SOURCE)
        ds.extra["bundled"] = True
        return ds
    places = "\n  ".join(str(d) for d in looked)
    hint = ("sudo apt install dataset-fashion-mnist" if name == "fashion-mnist"
            else "put the four MNIST IDX .gz files in one of them")
    raise DatasetError(
        f"{name} was not found. Looked for {', '.join(IDX_FILES.values())} in:\n  {places}\n"
        f"Get it with: {hint}; or choose a folder; or press Download (needs the internet); "
        "or train on the built-in 'shapes' set, which needs nothing.")


# --- built-in shapes ------------------------------------------------------------------------
def _draw_shape(kind: int, rng: np.random.Generator) -> np.ndarray:
    import cv2

    img = np.zeros((IMAGE_SIDE, IMAGE_SIDE), np.uint8)
    r = int(rng.integers(5, 11))
    cx, cy = (int(v) for v in rng.integers(r + 2, IMAGE_SIDE - r - 2, 2))
    t = int(rng.integers(2, 4))
    v = int(rng.integers(170, 256))
    pts = {
        0: [((cx - r, cy), (cx + r, cy))],
        1: [((cx, cy - r), (cx, cy + r))],
        2: [((cx - r, cy - r), (cx + r, cy + r))],
        3: [((cx - r, cy + r), (cx + r, cy - r))],
        4: [((cx - r, cy), (cx + r, cy)), ((cx, cy - r), (cx, cy + r))],
        5: [((cx - r, cy - r), (cx + r, cy + r)), ((cx - r, cy + r), (cx + r, cy - r))],
    }
    if kind in pts:
        for a, b in pts[kind]:
            cv2.line(img, a, b, v, t, lineType=cv2.LINE_AA)
    elif kind == 6:
        cv2.rectangle(img, (cx - r, cy - r), (cx + r, cy + r), v, t, lineType=cv2.LINE_AA)
    elif kind == 7:
        cv2.circle(img, (cx, cy), r, v, -1, lineType=cv2.LINE_AA)
    elif kind == 8:
        cv2.circle(img, (cx, cy), r, v, t, lineType=cv2.LINE_AA)
    else:
        tri = np.array([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], np.int32)
        cv2.polylines(img, [tri], True, v, t, lineType=cv2.LINE_AA)
    noise = rng.normal(0, 6, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def shapes_dataset(n_train: int = 12000, n_test: int = 2000, seed: int = 0) -> Dataset:
    """Generate the offline ``shapes`` set: 10 classes of strokes and shapes, 28×28, seeded."""
    rng = np.random.default_rng(seed)

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = np.arange(n, dtype=np.int64) % len(SHAPE_CLASSES)
        rng.shuffle(y)
        x = np.stack([_draw_shape(int(k), rng) for k in y]) if n else np.zeros((0, 28, 28),
                                                                               np.uint8)
        return x, y

    x_train, y_train = make(n_train)
    x_test, y_test = make(n_test)
    return Dataset("shapes", x_train, y_train, x_test, y_test, SHAPE_CLASSES,
                   f"generated in ConvStudio (seed {seed})")


# --- image folder -----------------------------------------------------------------------------
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


MAX_IMAGE_BYTES = 64 * 1024**2
MAX_FOLDER_IMAGES = 200_000


def _read_folder_image(path: Path) -> np.ndarray:
    """One image of a class folder as 28×28 uint8; ValueError saying why it cannot be."""
    import cv2

    from ..core.images import load_image
    from ..files import check_regular

    check_regular(path, limit=MAX_IMAGE_BYTES)
    try:
        img = load_image(path, mode="gray")
    except (ValueError, OSError) as exc:  # ImageLoadError is a ValueError
        raise ValueError(str(exc) or type(exc).__name__) from None
    if img.ndim != 2 or not img.size or not np.isfinite(img).all():
        raise ValueError(f"{path.name} has no usable pixels")
    small = cv2.resize(img, (IMAGE_SIDE, IMAGE_SIDE), interpolation=cv2.INTER_AREA)
    return np.clip(small * 255 + 0.5, 0, 255).astype(np.uint8)


def folder_dataset(root: str | Path, *, test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Load a folder with one sub-folder of images per class, scaled to 28×28 grey.

    An image that cannot be read is skipped, not fatal: ``extra["skipped"]`` counts them and
    ``extra["skipped_files"]`` lists each (path relative to ``root``, why) to show the user.
    """
    base = Path(root)
    if not base.is_dir():
        raise DatasetError(f"{base} is not a folder")
    try:
        classes = sorted(d.name for d in base.iterdir()
                         if d.is_dir() and not d.name.startswith("."))
    except OSError as exc:
        raise DatasetError(f"cannot list {base}: {exc.strerror or exc}") from None
    if len(classes) < 2:
        raise DatasetError(f"{base} needs at least two sub-folders, one per class "
                           f"(found {len(classes)})")
    xs: list[np.ndarray] = []
    ys: list[int] = []
    skipped: list[tuple[str, str]] = []
    for label, cls in enumerate(classes):
        try:
            files = sorted((base / cls).iterdir())
        except OSError as exc:
            raise DatasetError(f"cannot list {base / cls}: {exc.strerror or exc}") from None
        for f in files:
            if f.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            if len(xs) >= MAX_FOLDER_IMAGES:
                raise DatasetError(f"{base} holds more than {MAX_FOLDER_IMAGES:,} images; "
                                   "use a smaller folder")
            try:
                xs.append(_read_folder_image(f))
            except ValueError as exc:  # FileReadError and ImageLoadError among them
                skipped.append((str(f.relative_to(base)), str(exc)))
                continue
            ys.append(label)
    if len(xs) < 2:
        raise DatasetError(f"{base} holds no readable images in its class folders "
                           f"({len(skipped)} unreadable)")
    x, y = np.stack(xs), np.array(ys, np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_test = max(1, int(len(x) * test_fraction))
    extra: dict[str, object] = {"skipped": len(skipped), "skipped_files": tuple(skipped)}
    return Dataset("folder", x[n_test:], y[n_test:], x[:n_test], y[:n_test], tuple(classes),
                   str(base), extra)


def skipped_text(ds: Dataset, most: int = 3) -> str:
    """Say which images of an image-folder dataset were skipped, and why ("" if none)."""
    files = ds.extra.get("skipped_files") or ()
    if not isinstance(files, tuple) or not files:
        return ""
    shown = "; ".join(f"{name} ({why.rstrip('.')})" for name, why in files[:most])
    more = f"; and {len(files) - most} more" if len(files) > most else ""
    return f"Skipped {len(files)} unreadable image(s): {shown}{more}."


def load_dataset(name: str, data_dir: str | Path | None = None, *, limit: int | None = None,
                 seed: int = 0, only_data_dir: bool = False) -> Dataset:
    """Load any dataset by name; ``folder`` needs ``data_dir`` (see ``load_idx_dataset``)."""
    if name == "shapes":
        ds = shapes_dataset(seed=seed)
    elif name == "folder":
        if not data_dir:
            raise DatasetError("the folder dataset needs a folder (--data-dir)")
        ds = folder_dataset(data_dir, seed=seed)
    else:
        ds = load_idx_dataset(name, data_dir, only_data_dir=only_data_dir)
    return ds.limited(limit)


def download(name: str) -> Dataset:
    """Fetch ``fashion-mnist`` or ``mnist`` with keras.datasets (network; only on request)."""
    from .backend import load_keras

    keras = load_keras()

    if name not in IDX_DATASETS:
        raise DatasetError(f"only {', '.join(IDX_DATASETS)} can be downloaded")
    module = keras.datasets.fashion_mnist if name == "fashion-mnist" else keras.datasets.mnist
    try:
        (x_train, y_train), (x_test, y_test) = module.load_data()
    except Exception as exc:  # noqa: BLE001 (any network or file error ends in one message)
        raise DatasetError(f"download of {name} failed: {exc}") from exc
    return Dataset(name, x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64),
                   IDX_DATASETS[name], "downloaded by keras.datasets")
