"""The one way ConvStudio reads and writes user files (no Qt).

Reading: only regular files, with a byte limit, so a FIFO, ``/dev/zero`` or a symlink loop
gives a message instead of a hang or an exhausted memory. Writing: a temporary file in the
target's folder, flushed and fsynced, then ``os.replace`` — a kill at any moment leaves the
old file whole. Temporary files a kill left behind are removed by the next write.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TMP_SUFFIX = ".convstudio-tmp"
# A temporary file older than this was left by a killed write, not by one in progress.
STALE_SECONDS = 15 * 60


class FileReadError(ValueError):
    """A user file that cannot be read; the message names the file and says why."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    return "not a regular file"


def _why(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "its symbolic links form a loop"
    if exc.errno == errno.ENOENT:
        return "there is no such file"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long"
    if exc.errno == errno.EISDIR:
        return "it is a folder, not a file"
    return exc.strerror or str(exc)


def _size_text(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"


def check_regular(path: str | os.PathLike[str], *, limit: int | None = None) -> Path:
    """Return ``path`` if it names a readable regular file (within ``limit`` bytes).

    For files a library opens itself (Pillow, Keras): the checks :func:`read_bytes` makes
    before reading.

    Raises
    ------
    FileReadError
        Naming the file and what is wrong with it.
    """
    p = Path(path)
    if "\x00" in str(p):
        raise FileReadError(f"Cannot open {str(p)!r}: the name contains a NUL character.")
    try:
        st = p.stat()
    except OSError as exc:
        raise FileReadError(f"Cannot open {str(p)!r}: {_why(exc)}.") from None
    if not stat.S_ISREG(st.st_mode):
        raise FileReadError(f"Cannot open {str(p)!r}: it is {_kind(st.st_mode)}.")
    if st.st_size == 0:
        raise FileReadError(f"Cannot open {str(p)!r}: the file is empty (0 bytes).")
    if limit is not None and st.st_size > limit:
        raise FileReadError(f"Cannot open {str(p)!r}: {_size_text(st.st_size)} is more than "
                            f"the {_size_text(limit)} ConvStudio reads.")
    return p


def read_bytes(path: str | os.PathLike[str], *, limit: int) -> bytes:
    """Read a regular file of at most ``limit`` bytes.

    The file is opened non-blocking and checked again after opening, so a FIFO swapped in
    after the first check cannot hang the caller; at most ``limit + 1`` bytes are ever read.

    Raises
    ------
    FileReadError
        Naming the file and what is wrong with it.
    """
    p = check_regular(path, limit=limit)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileReadError(f"Cannot open {str(p)!r}: {_why(exc)}.") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileReadError(f"Cannot open {str(p)!r}: it is {_kind(st.st_mode)}.")
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise FileReadError(f"Cannot read {str(p)!r}: {_why(exc)}.") from None
    if len(data) > limit:
        raise FileReadError(f"Cannot open {str(p)!r}: it is more than the "
                            f"{_size_text(limit)} ConvStudio reads.")
    return data


def _umask() -> int:
    # Linux reports it without changing it; os.umask can only read it by setting it, which
    # for a moment gives any other thread creating a file the wrong permissions.
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove_stale_temps(target: Path) -> None:
    now = time.time()
    try:
        leftovers = list(target.parent.glob(f".{target.name}.*{TMP_SUFFIX}{target.suffix}"))
    except OSError:
        return
    for tmp in leftovers:
        try:
            if now - tmp.stat().st_mtime > STALE_SECONDS:
                tmp.unlink()
        except OSError:
            continue


def atomic_write(path: str | os.PathLike[str],
                 content: bytes | str | Callable[[Path], object]) -> Path:
    """Write ``content`` to ``path`` atomically and return ``path``.

    Parameters
    ----------
    path : path-like
        The target; its folder must exist.
    content : bytes, str or callable
        The bytes or UTF-8 text to write, or a function that writes the file at the path it
        is given (for libraries that save to a path: Keras, Pillow, Qt). A function that
        returns ``False`` counts as a failed write.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OSError
        When the folder cannot be written; the old file is untouched.
    """
    target = Path(path)
    _remove_stale_temps(target)
    # The target's own suffix last: Keras, Pillow and Qt choose the format by it.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.",
                                    suffix=TMP_SUFFIX + target.suffix, dir=target.parent)
    tmp = Path(tmp_name)
    try:
        # mkstemp creates 0600; a saved file gets the permissions any other program's would.
        os.fchmod(fd, 0o666 & ~_umask())
        if callable(content):
            os.close(fd)
            fd = -1
            if content(tmp) is False:
                raise OSError(f"could not write {target}")
            fd = os.open(tmp, os.O_RDONLY)
        else:
            data = content.encode("utf-8") if isinstance(content, str) else content
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, target)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    return target
