"""Datasets for the training tab, as NumPy arrays: IDX files, a built-in set, image folders.

Nothing here touches the network: Fashion-MNIST and MNIST are read from folders holding their four
IDX ``.gz`` files (see :func:`search_dirs`); :func:`download` is separate and only ever called by
an explicit user action.
"""

from __future__ import annotations

import gzip
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

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
_MAX_IDX_ITEMS = 10_000_000


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

    def limited(self, n: int | None) -> Dataset:
        """Return the first ``n`` training and ``n // 6`` test images (a quick run)."""
        if n is None or n >= len(self.x_train):
            return self
        m = max(1, n // 6)
        return Dataset(self.name, self.x_train[:n], self.y_train[:n], self.x_test[:m],
                       self.y_test[:m], self.class_names, self.source + f" (first {n:,})")


# --- IDX --------------------------------------------------------------------------------------
def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped) into an array.

    Raises
    ------
    DatasetError
        Wrong magic number, unknown element type, or fewer bytes than the header promises.
    """
    p = Path(path)
    opener = gzip.open if p.suffix == ".gz" else open
    try:
        with opener(p, "rb") as f:
            header = f.read(4)
            if len(header) < 4 or header[0] != 0 or header[1] != 0:
                raise DatasetError(f"{p.name} is not an IDX file (bad magic number)")
            dtype, ndim = _IDX_TYPES.get(header[2]), header[3]
            if dtype is None or not 1 <= ndim <= 4:
                raise DatasetError(f"{p.name} is not an IDX file (type 0x{header[2]:02x}, "
                                   f"{ndim} dimensions)")
            dims_raw = f.read(4 * ndim)
            if len(dims_raw) < 4 * ndim:
                raise DatasetError(f"{p.name} is truncated (its header is incomplete)")
            dims = struct.unpack(f">{ndim}I", dims_raw)
            count = int(np.prod(dims, dtype=np.int64))
            if count > _MAX_IDX_ITEMS * 784:
                raise DatasetError(f"{p.name} declares {dims}, far more than a dataset holds")
            itemsize = dtype.itemsize
            data = f.read(count * itemsize)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DatasetError(f"cannot read {p}: {exc}") from exc
    if len(data) < count * itemsize:
        raise DatasetError(f"{p.name} is truncated: {len(data):,} of {count * itemsize:,} bytes")
    return np.frombuffer(data, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


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


def load_idx_dataset(name: str, data_dir: str | Path | None = None) -> Dataset:
    """Load ``fashion-mnist`` or ``mnist`` from the first folder holding all four files."""
    if name not in IDX_DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    looked = search_dirs(name, data_dir)
    for folder in looked:
        if all((folder / f).is_file() for f in IDX_FILES.values()):
            arrays = {k: read_idx(folder / f) for k, f in IDX_FILES.items()}
            for split in ("train", "test"):
                x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
                if x.ndim != 3 or x.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE) or len(x) != len(y):
                    raise DatasetError(f"{folder}: the {split} files do not match "
                                       f"(images {x.shape}, labels {y.shape})")
            return Dataset(name, arrays["x_train"], arrays["y_train"].astype(np.int64),
                           arrays["x_test"], arrays["y_test"].astype(np.int64),
                           IDX_DATASETS[name], str(folder))
    npz = Path.home() / ".keras" / "datasets" / "mnist.npz"
    if name == "mnist" and npz.is_file():  # where keras.datasets.mnist caches its download
        with np.load(npz, allow_pickle=False) as f:
            return Dataset(name, f["x_train"], f["y_train"].astype(np.int64), f["x_test"],
                           f["y_test"].astype(np.int64), DIGIT_CLASSES, str(npz))
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


def folder_dataset(root: str | Path, *, test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Load a folder with one sub-folder of images per class, scaled to 28×28 grey."""
    import cv2

    from ..core.images import ImageLoadError, load_image

    base = Path(root)
    if not base.is_dir():
        raise DatasetError(f"{base} is not a folder")
    classes = sorted(d.name for d in base.iterdir() if d.is_dir() and not d.name.startswith("."))
    if len(classes) < 2:
        raise DatasetError(f"{base} needs at least two sub-folders, one per class "
                           f"(found {len(classes)})")
    xs, ys, skipped = [], [], 0
    for label, cls in enumerate(classes):
        for f in sorted((base / cls).iterdir()):
            if f.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                img = load_image(f, mode="gray")
            except ImageLoadError:
                skipped += 1
                continue
            small = cv2.resize(img, (IMAGE_SIDE, IMAGE_SIDE), interpolation=cv2.INTER_AREA)
            xs.append(np.clip(small * 255 + 0.5, 0, 255).astype(np.uint8))
            ys.append(label)
    if len(xs) < 2:
        raise DatasetError(f"{base} holds no readable images in its class folders "
                           f"({skipped} unreadable)")
    x, y = np.stack(xs), np.array(ys, np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_test = max(1, int(len(x) * test_fraction))
    extra: dict[str, object] = {"skipped": skipped}
    return Dataset("folder", x[n_test:], y[n_test:], x[:n_test], y[:n_test], tuple(classes),
                   str(base), extra)


def load_dataset(name: str, data_dir: str | Path | None = None, *, limit: int | None = None,
                 seed: int = 0) -> Dataset:
    """Load any dataset by name; ``folder`` needs ``data_dir``."""
    if name == "shapes":
        ds = shapes_dataset(seed=seed)
    elif name == "folder":
        if not data_dir:
            raise DatasetError("the folder dataset needs a folder (--data-dir)")
        ds = folder_dataset(data_dir, seed=seed)
    else:
        ds = load_idx_dataset(name, data_dir)
    return ds.limited(limit)


def download(name: str) -> Dataset:
    """Fetch ``fashion-mnist`` or ``mnist`` with keras.datasets (network; only on request)."""
    import keras

    if name not in IDX_DATASETS:
        raise DatasetError(f"only {', '.join(IDX_DATASETS)} can be downloaded")
    module = keras.datasets.fashion_mnist if name == "fashion-mnist" else keras.datasets.mnist
    try:
        (x_train, y_train), (x_test, y_test) = module.load_data()
    except Exception as exc:  # noqa: BLE001 (any network or file error ends in one message)
        raise DatasetError(f"download of {name} failed: {exc}") from exc
    return Dataset(name, x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64),
                   IDX_DATASETS[name], "downloaded by keras.datasets")
