"""Installed from a wheel, the app still finds its icon, .desktop entry and MIME file."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DESKTOP_FILES = ("convstudio.svg", "convstudio.desktop", "convstudio-mime.xml")


@pytest.fixture(scope="module")
def wheel_site(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for folder in ("convstudio", "resources"):
        shutil.copytree(ROOT / folder, src / folder, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.png"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(out), str(src)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = out.glob("convstudio-*.whl")
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    return site


def test_the_wheel_carries_the_desktop_files_as_real_files(wheel_site):
    for name in DESKTOP_FILES:
        shipped = wheel_site / "convstudio" / "desktop" / name
        assert shipped.is_file() and not shipped.is_symlink()
        assert shipped.read_bytes() == (ROOT / "resources" / name).read_bytes()


def test_an_installed_package_finds_its_icon_outside_the_checkout(wheel_site):
    code = ("from convstudio.ui.panels import icon_path, desktop_file; "
            "print(icon_path()); print(desktop_file('convstudio.desktop'))")
    proc = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, "
                           f"{str(wheel_site)!r}); {code}"], capture_output=True, text=True,
                          timeout=120, cwd=wheel_site)
    assert proc.returncode == 0, proc.stderr
    icon, entry = (Path(line) for line in proc.stdout.split())
    assert icon.is_file() and wheel_site in icon.parents
    assert entry.read_text().startswith("[Desktop Entry]")


def test_the_window_has_its_icon(window):
    assert not window.windowIcon().isNull()
