import os
import subprocess
import sys

from PIL import Image

from convstudio.app import build_parser, main
from convstudio.ui.main_window import MainWindow


def test_version_and_help_exit_cleanly(capsys):
    for flag in ("--version", "--help"):
        try:
            build_parser().parse_args([flag])
        except SystemExit as exc:
            assert exc.code == 0
    out = capsys.readouterr().out
    assert "ConvStudio 0.1.0" in out and "--screenshot" in out


def test_bad_size_is_refused(capsys):
    try:
        build_parser().parse_args(["--size", "huge"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "1920x1080" in capsys.readouterr().err


def test_screenshot_writes_a_png_of_the_requested_size(tmp_path, qapp):
    path = tmp_path / "shot.png"
    # 1024 wide: the smallest projector resolution still in classrooms.
    assert main(["--screenshot", str(path), "--tab", "animator", "--size", "1024x700"]) == 0
    with Image.open(path) as im:
        assert im.size == (1024, 700)
        colours = im.convert("L").getextrema()
    assert colours[0] < colours[1]  # something was drawn, not a blank frame


def test_window_has_three_tabs_and_switches(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    labels = [window.tabs.tabText(i).replace("&", "") for i in range(window.tabs.count())]
    assert labels == ["Workspace", "Animator", "Training"]
    assert not window.training_built and "animator" not in window._lazy  # built on first use
    window.show_tab("training")
    assert window.tabs.currentIndex() == 2
    assert window.training_built
    assert window.tabs.currentWidget() is window.training


def test_python_dash_m_runs_the_app():
    out = subprocess.run([sys.executable, "-m", "convstudio", "--version"], capture_output=True,
                         text=True, timeout=60, check=True)
    assert out.stdout.strip() == "ConvStudio 0.1.0"


def test_start_up_probe_paints_the_window_and_exits(tmp_path):
    # The start-up benchmark's probe: the real app, first paint, a clean exit.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONVSTUDIO_EXIT_AFTER_PAINT="1",
               XDG_CONFIG_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-m", "convstudio", "--size", "800x600"],
                         capture_output=True, text=True, timeout=60, env=env, check=True)
    words = out.stdout.split()
    assert words[0] == "painted" and float(words[1]) > 0
    assert not (tmp_path / "ConvStudio").exists() or not any((tmp_path / "ConvStudio").iterdir())


def test_a_screenshot_process_exits_cleanly_while_the_dataset_still_loads(tmp_path):
    # The Training tab starts loading its dataset in the background; a screenshot closes the
    # window at once and returns without an event loop. Python then tore Qt down under the
    # running load and the process died (exit 139) after writing the PNG, in most runs.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    for run in range(2):
        path = tmp_path / f"training-{run}.png"
        out = subprocess.run([sys.executable, "-m", "convstudio", "--screenshot", str(path),
                              "--tab", "training", "--size", "1024x768"],
                             capture_output=True, text=True, timeout=120, env=env)
        assert out.returncode == 0, (out.returncode, out.stderr[-500:])
        assert path.stat().st_size > 0
