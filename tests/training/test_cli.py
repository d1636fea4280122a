"""The command line: user errors end in one line on stderr and exit status 2, never a traceback."""

import gzip
import struct
import subprocess
import sys

from convstudio.training import __main__ as cli
from convstudio.training import datasets


def test_a_data_dir_that_does_not_exist_is_refused_before_anything_else(capsys):
    # Before, the shapes set (which needs no folder) trained anyway, and an IDX dataset was
    # silently read from /usr/share/datasets.
    for name in ("shapes", "fashion-mnist"):
        assert cli.main(["--dataset", name, "--data-dir", "/nonexistent/dir"]) == 2
        out = capsys.readouterr()
        assert "/nonexistent/dir" in out.err and "not found" in out.err and out.out == ""


def test_a_data_dir_without_the_dataset_is_refused_naming_it(capsys, tmp_path):
    assert cli.main(["--dataset", "fashion-mnist", "--data-dir", str(tmp_path)]) == 2
    out = capsys.readouterr()
    assert str(tmp_path) in out.err and "not found" in out.err and out.out == ""
    assert "/usr/share/datasets" not in out.err  # only the folder given was searched


def test_an_unwritable_save_target_is_refused_before_training(capsys, tmp_path):
    for target, says in ((tmp_path / "missing" / "m.keras", "does not exist"),
                         (tmp_path, "is a folder")):
        if target == tmp_path:
            (tmp_path / "m.keras").mkdir()
            target = tmp_path / "m"
        assert cli.main(["--dataset", "shapes", "--epochs", "1", "--limit", "60",
                         "--save", str(target)]) == 2
        out = capsys.readouterr()
        assert says in out.err and out.out == ""  # no epoch was trained


def test_a_hostile_idx_file_exits_2_without_a_traceback(tmp_path):
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for name in datasets.IDX_FILES.values():
        with gzip.open(folder / name, "wb") as f:
            f.write(bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", 9_000_000, 28, 28))
    proc = subprocess.run([sys.executable, "-m", "convstudio.training", "--data-dir",
                           str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "declares 9,000,000×28×28" in proc.stderr
