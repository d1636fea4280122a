"""The one read and the one atomic write: special files refused, temp files cleaned, umask kept."""

import os
import stat

import pytest

from convstudio import files


def test_read_bytes_reads_a_regular_file_and_refuses_one_over_the_limit(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes(b"12345")
    assert files.read_bytes(p, limit=5) == b"12345"
    with pytest.raises(files.FileReadError, match="more than"):
        files.read_bytes(p, limit=4)


@pytest.mark.parametrize(("make", "why"), [
    (lambda d: os.mkfifo(d / "fifo") or d / "fifo", "named pipe"),
    (lambda d: d, "folder"),
    (lambda d: d / "missing", "no such file"),
    (lambda d: (d / "empty").write_bytes(b"") or d / "empty", "empty"),
])
def test_read_bytes_says_what_is_wrong(tmp_path, make, why):
    with pytest.raises(files.FileReadError, match=why):
        files.read_bytes(make(tmp_path), limit=100)


def test_devices_and_symlink_loops_are_named_as_such(tmp_path):
    with pytest.raises(files.FileReadError, match="device"):
        files.read_bytes("/dev/zero", limit=100)
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    with pytest.raises(files.FileReadError, match="loop"):
        files.read_bytes(tmp_path / "a", limit=100)
    with pytest.raises(files.FileReadError, match="NUL"):
        files.check_regular(str(tmp_path / "x\x00y"))


def test_atomic_write_uses_the_umask_and_replaces_the_old_file(tmp_path):
    old = os.umask(0o027)
    try:
        target = files.atomic_write(tmp_path / "out.txt", "first")
        files.atomic_write(target, b"second")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["out.txt"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = files.atomic_write(tmp_path / "m.keras", b"old")

    def broken(path):
        path.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        files.atomic_write(target, broken)
    with pytest.raises(OSError):
        files.atomic_write(tmp_path / "x.png", lambda p: False)
    assert target.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]


def test_the_writer_gets_a_path_with_the_targets_suffix(tmp_path):
    seen = []
    files.atomic_write(tmp_path / "model.keras", lambda p: seen.append(p) or p.write_bytes(b"k"))
    assert seen[0].suffix == ".keras" and seen[0].parent == tmp_path


def test_a_temp_file_left_by_a_killed_write_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "lesson.convstudio"
    stale = tmp_path / f".lesson.convstudio.abc{files.TMP_SUFFIX}.convstudio"
    fresh = tmp_path / f".lesson.convstudio.def{files.TMP_SUFFIX}.convstudio"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"in progress")
    os.utime(stale, (1, 1))
    files.atomic_write(target, "{}")
    assert not stale.exists() and fresh.exists() and target.read_text() == "{}"
