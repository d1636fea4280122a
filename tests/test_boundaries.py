"""Layer boundaries: core/ and training/ never import Qt; start-up never imports TensorFlow."""

import ast
import pathlib
import subprocess
import sys

import convstudio

PACKAGE = pathlib.Path(convstudio.__file__).parent
QT = ("PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6")


def _imports(path: pathlib.Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_and_training_do_not_import_qt():
    for sub in ("core", "training"):
        for path in (PACKAGE / sub).rglob("*.py"):
            bad = _imports(path) & set(QT)
            assert not bad, f"{path} imports {bad}"


def test_core_imports_no_tensorflow_anywhere():
    for path in (PACKAGE / "core").rglob("*.py"):
        assert not _imports(path) & {"tensorflow", "keras"}, path


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True, text=True, check=True, timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    return set(out.stdout.split())


def test_importing_the_app_and_window_does_not_load_tensorflow():
    mods = _modules_after(
        "import convstudio.app\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from convstudio.ui.main_window import MainWindow\n"
        "w = MainWindow()\n"
    )
    assert "convstudio.ui.main_window" in mods  # the probe really built the window
    assert not {"tensorflow", "keras"} & mods


def test_importing_the_package_pulls_in_neither_qt_nor_tensorflow():
    mods = _modules_after("import convstudio, convstudio.core")
    assert "convstudio.core" in mods
    assert not {"tensorflow", "keras", "PySide6"} & mods
