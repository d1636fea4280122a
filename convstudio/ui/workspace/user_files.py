"""The workspace's user files: kernel files read safely, and the recently opened images."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QSettings

from ...files import FileReadError, read_bytes

MAX_KERNEL_FILE = 1_000_000  # bytes: far more than a 7×7 kernel's text
RECENT_KEY = "recentFiles"
RECENT_COUNT = 8


def read_kernel_file(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a kernel from .npy (no pickles) or text (.txt whitespace, .csv commas).

    Raises
    ------
    ValueError
        Saying what is wrong with the file (not a regular file, too large, not numbers).
    """
    p = Path(path)
    try:
        data = read_bytes(p, limit=MAX_KERNEL_FILE)
    except FileReadError as exc:
        raise ValueError(str(exc).split(": ", 1)[-1].rstrip(".")) from None
    if p.suffix.lower() == ".npy":
        entries = np.load(io.BytesIO(data), allow_pickle=False)
    else:
        text = data.decode("utf-8", "replace").splitlines()
        entries = np.loadtxt(text, delimiter="," if p.suffix.lower() == ".csv" else None,
                             dtype=np.float64, ndmin=2)
    if entries.dtype.kind not in "iuf":
        raise ValueError(f"it holds {entries.dtype} values, not numbers")
    return entries


def recent_files() -> list[str]:
    """Return the paths opened recently, newest first (kept in QSettings)."""
    stored = QSettings().value(RECENT_KEY, [], list)
    if not isinstance(stored, list):
        return []
    # Stored as the file system's bytes: a name that is not UTF-8 (a Latin-1 "café.png")
    # became another, missing path as a QString. Older settings hold plain strings.
    return [os.fsdecode(bytes(p.data()) if isinstance(p, QByteArray) else p)
            if isinstance(p, QByteArray | bytes) else str(p) for p in stored]


def remember(path: str) -> None:
    """Put ``path`` first in the recent files."""
    recent = [p for p in recent_files() if p != path]
    QSettings().setValue(RECENT_KEY, [QByteArray(os.fsencode(p))
                                      for p in [path, *recent][:RECENT_COUNT]])


def clear_recent_files() -> None:
    """Forget the recently opened paths."""
    QSettings().setValue(RECENT_KEY, [])
