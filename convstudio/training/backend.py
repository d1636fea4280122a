"""The one way ConvStudio imports Keras (and TensorFlow with it): quietly, and gently on the GUI.

:func:`load_keras` is what every module that needs Keras calls instead of ``import keras``. The
first call, on a training thread, does three things the plain import does not:

- It loads TensorFlow's two large shared libraries through ``dlopen`` called as a C function,
  which runs without Python's GIL. Imported the ordinary way, the ~800 MB ``libtensorflow_cc`` is
  mapped and initialised while the importing thread holds the GIL: 0.4-0.9 s in which the window
  could not paint (the "first Start freezes" of issue 14). The later import finds them loaded.
- It pauses the cyclic garbage collector while the ~4,000 modules load, then freezes what
  they made (``gc.freeze``): each collection over those objects held the GIL for 0.1-0.3 s,
  several times during the import and once more just after it.
- It drops TensorFlow's start-up log lines below ``TF_CPP_MIN_LOG_LEVEL`` (default 2 here):
  "oneDNN custom operations are on …" is written by two copies of TensorFlow's C++ logging
  before it reads that variable, so each import printed it twice whatever the level. The lines
  go to the process's stderr file descriptor, so it is pointed at a temporary file during the
  import, and whatever else arrived meanwhile is copied back afterwards. TensorFlow's Python
  logger (retracing notes) gets the same level.

oneDNN itself stays on (``TF_ENABLE_ONEDNN_OPTS`` is left alone): the numbers are TensorFlow's own.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

# Loaded before TensorFlow's own extension modules, in this order (framework first: cc needs it).
_LIBRARIES = ("libtensorflow_framework.so.2", "libtensorflow_cc.so.2")
_LOCK = threading.Lock()
_loaded: ModuleType | None = None

# absl's prefix line, and its "I0000 00:00:1.2 123 file.cc:45] text" lines (severity first).
_BEFORE_INIT = b"WARNING: All log messages before absl::InitializeLog() is called are written"
_ABSL_LINE = re.compile(rb"^([IWEF])\d{4} \d\d:\d\d:[\d.]+\s+\d+ [\w./-]+:\d+\] ")
_SEVERITY = {b"I": 0, b"W": 1, b"E": 2, b"F": 3}
# The second line of the CPU-feature notice has no prefix of its own.
_CONTINUATION = re.compile(rb"^To enable the following instructions: .* compiler flags\.$")


def _min_level() -> int:
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        return 0


def filter_native_log(data: bytes, min_level: int) -> bytes:
    """Return ``data`` without TensorFlow's log lines of a severity below ``min_level``.

    ``min_level`` is TF_CPP_MIN_LOG_LEVEL's meaning: 1 hides info, 2 also warnings, 3 also
    errors. Every other line is kept as it was.
    """
    if min_level <= 0:
        return data
    kept: list[bytes] = []
    dropped_last = False
    for line in data.splitlines(keepends=True):
        text = line.rstrip(b"\r\n")
        match = _ABSL_LINE.match(text)
        if text.startswith(_BEFORE_INIT):
            dropped_last = True
            continue
        if match is not None:
            dropped_last = _SEVERITY[match.group(1)] < min_level
            if dropped_last:
                continue
        elif dropped_last and _CONTINUATION.match(text):
            continue
        else:
            dropped_last = False
        kept.append(line)
    return b"".join(kept)


@contextmanager
def _native_stderr_filtered() -> Iterator[None]:
    """Send file descriptor 2 to a temporary file; copy back what is not library noise."""
    import tempfile

    level = _min_level()
    if level <= 0:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no usable stderr: nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            rest = filter_native_log(capture.read(), level)
            if rest:
                os.write(2, rest)


@contextmanager
def _collector_paused() -> Iterator[None]:
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # The import's ~3·10⁵ objects would all be walked by the next young collection
        # (0.2 s); they live as long as the process, so they leave the collector's sight.
        gc.freeze()
        if was_enabled:
            gc.enable()


def _preload_libraries() -> None:
    """``dlopen`` TensorFlow's big libraries without the GIL (best effort; Linux wheels)."""
    import ctypes
    import importlib.util

    try:
        spec = importlib.util.find_spec("tensorflow")
    except (ImportError, ValueError):
        return
    if spec is None or not spec.submodule_search_locations:
        return
    folder = Path(next(iter(spec.submodule_search_locations)))
    try:
        libc = ctypes.CDLL(None)
        dlopen = libc.dlopen
    except (OSError, AttributeError):
        return
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    # The flags Python's own import uses, so the import reuses these handles as they are.
    flags = sys.getdlopenflags()
    for name in _LIBRARIES:
        path = folder / name
        if not path.is_file() or not dlopen(os.fsencode(path), flags):
            return


def load_keras() -> ModuleType:
    """Return the ``keras`` module, importing it (and TensorFlow) as described above."""
    global _loaded
    if _loaded is not None:
        return _loaded
    with _LOCK:
        if _loaded is None:
            # The libraries' static initialisers log too: preload inside the filter.
            with _collector_paused(), _native_stderr_filtered():
                if "tensorflow" not in sys.modules:
                    _preload_libraries()
                import keras
            _quiet_python_loggers()
            _loaded = keras
    return _loaded


def _quiet_python_loggers() -> None:
    """Apply the same level to TensorFlow's Python logger (its retracing notes and the like)."""
    import logging

    level = _min_level()
    if level >= 1:
        python_level = (logging.WARNING, logging.ERROR, logging.CRITICAL)[min(level, 3) - 1]
        logging.getLogger("tensorflow").setLevel(python_level)
