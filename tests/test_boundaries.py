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


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _internal_graph() -> dict[str, set[str]]:
    """Every import between convstudio's modules, including those inside functions and
    under TYPE_CHECKING: a cycle through any of them is a cycle in the design."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in paths}
    for module, path in paths.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, node, is_package)
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            for target in targets:
                while target and target not in paths:
                    target = target.rpartition(".")[0]
                if target and target != module and target.startswith("convstudio"):
                    graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _is_package_init_edge(a: str, b: str) -> bool:
    # A package's __init__ re-exporting its own modules is not a dependency between layers.
    return b.startswith(a + ".") or a.startswith(b + ".") and "." not in a[len(b) + 1:]


def test_no_import_cycles_anywhere():
    graph = _internal_graph()
    graph = {a: {b for b in bs if not _is_package_init_edge(a, b)} for a, bs in graph.items()}
    assert _cycles(graph) == []


def test_ui_subpackages_import_only_their_own_and_lower_layers():
    graph = _internal_graph()
    subpackages = ("workspace", "animator", "training")
    for module, deps in graph.items():
        parts = module.split(".")
        if len(parts) < 3 or parts[1] != "ui" or parts[2] not in subpackages:
            continue
        own = f"convstudio.ui.{parts[2]}"
        is_model = module == f"{own}.model"
        for dep in deps:
            other = dep.split(".")
            if len(other) >= 3 and other[1] == "ui" and other[2] in subpackages:
                # A model may build on another tab's model (the animator slices the workspace's
                # source); views and forms talk to their own tab's model only.
                allowed = dep.startswith(own) or (is_model and dep.endswith(".model"))
                assert allowed, f"{module} imports {dep} (another tab's package)"
            if dep.startswith("convstudio.ui.main_window") or dep == "convstudio.app":
                raise AssertionError(f"{module} imports {dep} (the window is above the tabs)")


def test_core_and_training_import_nothing_above_them():
    graph = _internal_graph()
    for module, deps in graph.items():
        for layer in ("convstudio.core", "convstudio.training"):
            if module == layer or module.startswith(layer + "."):
                above = [d for d in deps if d.startswith(("convstudio.ui", "convstudio.app",
                                                          "convstudio.lessons"))]
                assert not above, f"{module} imports {above}"
