"""Command line, QApplication and the main window. TensorFlow is never imported here."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .core.animator_sources import ANIMATOR_SOURCES
from .core.limits import TABS
from .core.pipeline_params import FAMILIES

if TYPE_CHECKING:
    from .lesson_state import Lesson

DEFAULT_SIZE = (1440, 900)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, got {text!r}") from None
    if not (200 <= w <= 8192 and 200 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"size must be between 200 and 8192 per side: {text!r}")
    return w, h


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser (no Qt needed, so --help and --version stay instant)."""
    parser = argparse.ArgumentParser(
        prog="convstudio",
        description="ConvStudio: see how convolutional neural networks see.",
    )
    parser.add_argument("--version", action="version", version=f"ConvStudio {__version__}")
    parser.add_argument("file", nargs="?", metavar="FILE",
                        help="a lesson (.convstudio) or an image to open (what the desktop "
                             "launcher passes)")
    parser.add_argument("--screenshot", metavar="PATH",
                        help="render the window offscreen to a PNG and exit")
    parser.add_argument("--tab", choices=TABS, default="workspace", help="tab to show first")
    parser.add_argument("--size", type=_size, default=None, metavar="WxH",
                        help="window size (default: as it was last closed, else 1440x900)")
    parser.add_argument("--projection", action="store_true",
                        help="start in projection mode (large text and cells; F5 toggles)")
    parser.add_argument("--lesson", metavar="PATH|builtin:NAME",
                        help="open a lesson file, or a built-in lesson such as "
                             "builtin:strides-padding")
    parser.add_argument("--print-code", choices=("numpy", "keras", "cnn"), metavar="KIND",
                        help="print the program Show code gives for the state the other flags "
                             "(and a lesson) describe, then exit without opening a window: "
                             "numpy or keras for the workspace, cnn for the Training tab's "
                             "model")
    parser.add_argument("--model", metavar="PATH.keras",
                        help="with --print-code cnn: a model the Training tab saved; the "
                             "program rebuilds the network it holds and loads it by its path")
    start = parser.add_argument_group("workspace start state")
    start.add_argument("--image", metavar="NAME|PATH",
                       help="a sample image name (camera, coins, brick, glyph…) or an image file")
    start.add_argument("--kernel", metavar="PRESET",
                       help="a kernel preset (sobel_x, laplacian, box_blur…)")
    start.add_argument("--stride", type=_pair, metavar="H,W", help="stride, e.g. 2,1")
    start.add_argument("--padding", metavar="MODE",
                       help="valid, same, full, or custom zeros as H,W")
    start.add_argument("--pool", choices=("max", "avg", "none"), help="pooling after the conv")
    start.add_argument("--family", choices=FAMILIES,
                       help="the conv family: standard Conv2D, transposed, depthwise or "
                            "separable")
    anim = parser.add_argument_group("animator start state")
    anim.add_argument("--source", choices=ANIMATOR_SOURCES,
                      help="what the animator steps through (default: the 28×28 glyph; "
                           "pool-example: the course's 4×4 pooling block)")
    anim.add_argument("--phase", choices=("conv", "pool", "learn"), help="start in this phase")
    anim.add_argument("--train", type=int, metavar="N",
                      help="start the kernel from random weights and take N SGD steps of the "
                           "Learn phase (0: the random start only)")
    anim.add_argument("--step", type=int, metavar="N",
                      help="start at step N of the phase (1 = first; negative counts from the end)")
    return parser


def _pair(text: str) -> tuple[int, int]:
    try:
        parts = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected H,W such as 2,1, got {text!r}") from None
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or min(parts) < 1:
        raise argparse.ArgumentTypeError(f"expected two positive ints H,W, got {text!r}")
    return parts[0], parts[1]


def _start_state(model: object, args: argparse.Namespace) -> str | None:
    """Apply the workspace flags to the model; return an error message for a bad one.

    An image *file* is opened later by the window, as File ▸ Open does (with its offer to
    shrink a large photo); a sample name is applied here.
    """
    from .core import sample_image, sample_names
    from .ui.workspace import WorkspaceModel

    assert isinstance(model, WorkspaceModel)
    try:
        if args.image and args.image in sample_names():
            model.set_source(sample_image(args.image, mode="rgb"), args.image)
        if args.kernel:
            model.apply_preset(args.kernel)
        changes: dict[str, object] = {}
        if args.stride:
            changes["stride"] = args.stride
        if args.padding:
            mode = args.padding.lower()
            changes["padding"] = mode if mode in ("valid", "same", "full") else _pair(mode)
        if args.pool:
            changes["pool"] = args.pool
        if args.family:
            changes["family"] = args.family
        if changes:
            model.set_params(**changes)
    except (ValueError, argparse.ArgumentTypeError) as exc:
        return str(exc)
    return None


def _open_start_image(window: object, args: argparse.Namespace) -> bool:
    """Open an image file named on the command line as File ▸ Open does; False if it failed."""
    from .core import sample_names
    from .ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    if not args.image or args.image in sample_names():
        return True
    if args.screenshot:  # nobody to ask: shrink a large photo, as the dialog's Yes would
        window.workspace.confirm_downscale = lambda w, h: True  # type: ignore[method-assign]
    return window.workspace.open_path(args.image)


def _animator_state(window: object, args: argparse.Namespace) -> None:
    from .ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    m = window.animator_model  # the tab itself is built when first shown
    if args.source:
        if args.source == "cnn-maps":  # the tab first, to show why when there is no CNN
            _ = window.animator
        m.set_source_kind(args.source)
    if args.train is not None:
        m.random_start()
        m.rebuild()
        if args.train > 0:
            m.train_steps(args.train)
            m.rebuild()
    if args.phase:
        m.set_phase(args.phase)
    if args.step is not None and m.learning:
        m.learn_go_to(args.step - 1 if args.step > 0 else m.n_learn + args.step)
    elif args.step is not None:
        first, n = (0, m.n_conv) if m.in_conv else (m.n_conv, m.n_pool)
        local = args.step - 1 if args.step > 0 else n + args.step
        m.go_to(first + max(0, min(local, n - 1)))


def print_code(args: argparse.Namespace) -> int:
    """Print ``codegen.program`` for the state the flags describe; 0, or 2 for a bad setting.

    No Qt and no TensorFlow: the state is built from the core as the window would build it
    (a lesson first, then the workspace flags over it, as at start-up).
    """
    from .core import codegen

    try:
        text = codegen.program(args.print_code, **_code_state(args))
    except (ValueError, argparse.ArgumentTypeError) as exc:
        print(f"convstudio: cannot print the {args.print_code} program: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


def _code_state(args: argparse.Namespace) -> dict[str, Any]:
    """Return ``codegen.program``'s keyword arguments for the flags (ValueError if refused)."""
    import dataclasses

    from . import lessons
    from .core import get_preset, load_image, sample_names
    from .core.codegen import Source
    from .core.limits import MAX_IMAGE_SIDE
    from .core.pipeline import PipelineParams, check_workspace_limits

    lesson = lessons.Lesson(kernel=get_preset("sobel_x").array, sample="camera",
                            params=PipelineParams())
    if args.lesson:
        lesson = _read_lesson(args.lesson)
    if args.print_code == "cnn":
        return _cnn_state(args, lesson)
    source = Source("sample", lesson.sample) if lesson.sample else None
    if args.image:
        if args.image in sample_names():
            source = Source("sample", args.image)
        else:
            h, w = load_image(args.image, mode="rgb").shape[:2]  # ImageLoadError says why
            if max(h, w) > MAX_IMAGE_SIDE:
                raise ValueError(f"{args.image} is {w}×{h}, larger than {MAX_IMAGE_SIDE}×"
                                 f"{MAX_IMAGE_SIDE}; open it in ConvStudio, which offers to "
                                 "shrink it, and use Show code there")
            source = Source("file", str(Path(args.image).resolve()))
    if source is None:
        raise ValueError("the lesson embeds its own image; open it in ConvStudio and use "
                         "View ▸ Show code there, or name an image with --image")
    kernel, use_weight = lesson.kernel, lesson.use_weight
    if args.kernel:
        kernel, use_weight = get_preset(args.kernel).array, True
    changes: dict[str, Any] = {}
    if args.stride:
        changes["stride"] = args.stride
    if args.padding:
        mode = args.padding.lower()
        changes["padding"] = mode if mode in ("valid", "same", "full") else _pair(mode)
    if args.pool:
        changes["pool"] = args.pool
    if args.family:
        changes["family"] = args.family
    params = dataclasses.replace(lesson.params, **changes)
    check_workspace_limits(params)
    return {"source": source, "channel": lesson.channel, "kernel": kernel,
            "use_weight": use_weight, "params": params}


def _cnn_state(args: argparse.Namespace, lesson: Lesson) -> dict[str, Any]:
    """Return the CNN program's arguments: a saved file's network (``--model``, a lesson's)."""
    from . import lessons
    from .training.datasets import IDX_DATASETS
    from .training.keras_file import model_config_from_file
    from .training.models import ModelConfig
    from .training.settings import TrainingSettings

    settings = TrainingSettings.from_dict(lesson.training, where="training")
    names = IDX_DATASETS.get(settings.dataset)  # a folder's classes are known only there
    path = Path(args.model) if args.model else None
    if path is None and args.lesson and not args.lesson.startswith("builtin:"):
        saved = lessons.model_path(lesson, args.lesson)  # the model saved with the lesson
        path = saved if saved is not None and saved.is_file() else None
    if path is None:
        n_classes = len(names) if names else 10
        return {"model": ModelConfig.from_settings(settings, n_classes), "class_names": names}
    model = model_config_from_file(path)
    # The file does not record its dataset: a lesson's names if they fit, else the numbers.
    if not args.lesson or (names is not None and len(names) != model.n_classes):
        names = None
    return {"model": model, "model_path": str(path.resolve()), "class_names": names}


def _read_lesson(spec: str) -> Lesson:
    from . import lessons

    if spec.startswith("builtin:"):
        name = spec.split(":", 1)[1]
        builtin = lessons.builtin_lessons()
        if name not in builtin:
            raise ValueError(f"there is no built-in lesson {name!r}; there are: "
                             f"{', '.join(builtin)}")
        return builtin[name]
    return lessons.read(spec)  # LessonError is a ValueError naming what was wrong


def settle_memory() -> None:
    """Move everything made at start-up out of the garbage collector's sight.

    Qt, NumPy and pyqtgraph leave ~10⁵ long-lived objects; without this a full collection
    walks them all and an animation frame now and then takes 10 ms longer.
    """
    import gc

    gc.collect()
    gc.freeze()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ConvStudio; return the process exit status."""
    args = build_parser().parse_args(argv)
    if args.file:
        if args.file.endswith(".convstudio"):
            args.lesson = args.lesson or args.file
        else:
            args.image = args.image or args.file
    if args.print_code:
        return print_code(args)
    if args.model:
        print("convstudio: --model names the saved model for --print-code cnn; open a model "
              "in the window with the Training tab's Load model…", file=sys.stderr)
        return 2
    # PySide6 hooks every later import and reads each new module's source (its "__feature__"
    # check: ~0.3 ms a module). NumPy and our Qt-free modules imported first skip that.
    from . import core, lessons  # noqa: F401

    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from .ui.main_window import MainWindow
    from .ui.theme import apply_theme

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName("ConvStudio")
    app.setOrganizationName("ConvStudio")
    app.setApplicationVersion(__version__)
    apply_theme(app)
    from .ui.theme import presentation

    # Projection text follows the screen's height: the rendered size for --screenshot.
    screen = app.primaryScreen()
    presentation().set_screen_height(
        args.size[1] if args.screenshot and args.size
        else screen.geometry().height() if screen is not None else 0)
    if args.projection:
        presentation().set_projection(True, remember=False)
    from .ui.workspace import WorkspaceModel

    model = WorkspaceModel()
    problem = _start_state(model, args)
    model.compute_now()
    window = MainWindow(model)
    _open_start_image(window, args)
    model.compute_now()  # the first paint (and a screenshot) shows the opened image's result
    if problem:  # last: opening the image and a new result clear the message line
        window.workspace.show_message(problem)
    _animator_state(window, args)
    window.show_tab(args.tab)
    if args.lesson:
        _open_lesson(window, args.lesson)
    size = args.size or DEFAULT_SIZE
    if args.screenshot:
        window.resize(*size)
        window.save_session_on_close = False
        shot = _screenshot(app, window, args.screenshot, size)
        return _leave(shot)
    if args.size or not window.restore_layout():
        window.resize(*size)
    window.fit_to_screen()  # a first start on a projector, or a layout from a larger screen
    if not args.lesson:
        window.offer_session()
    window.ask_before_closing = True
    if os.environ.get("CONVSTUDIO_EXIT_AFTER_PAINT"):
        _exit_after_first_paint(app, window)
    window.show()
    from PySide6.QtCore import QTimer

    handle = window.windowHandle()
    if handle is not None:  # moved to the projector: the text follows its height
        handle.screenChanged.connect(
            lambda s: presentation().set_screen_height(s.geometry().height()))
    QTimer.singleShot(500, window.fit_to_screen)  # again once the window manager framed it
    QTimer.singleShot(300, settle_memory)  # after the first paint, which should not wait for it
    return _leave(app.exec())


def _leave(code: int) -> int:
    """Return ``code`` if the window's background work has stopped; else leave at once.

    A screenshot closes the window without an event loop after it: the dataset loading it had
    started then still ran while Python tore Qt down, and the process crashed on its way out
    (exit 139 after writing the PNG, most runs).
    """
    import threading

    from .ui.tasks import running_tasks
    from .ui.training.worker import orphaned_threads

    busy = [t for t in threading.enumerate()
            if t is not threading.main_thread() and t.is_alive() and not t.daemon]
    if orphaned_threads() or running_tasks() or busy:
        # Training or a Keras comparison was still inside TensorFlow (an import cannot be
        # interrupted) and Python would wait for it at exit. The session is already saved and
        # exports write to a temporary name first, so nothing of the user's is in them.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _exit_after_first_paint(app: object, window: object) -> None:
    """Start-up benchmark probe: print "painted <wall clock>" at the window's first paint, quit.

    The first paint of any widget in the window counts (a main window whose children cover it
    never paints itself); ``benchmarks/startup.py`` gives its bare reference the same probe.
    """
    import time

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    assert isinstance(app, QApplication) and isinstance(window, QWidget)
    qapp: QApplication = app

    class _Probe(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if (event.type() == QEvent.Type.Paint and isinstance(watched, QWidget)
                    and watched.window() is window):
                qapp.removeEventFilter(self)
                print(f"painted {time.time():.6f}", flush=True)
                QTimer.singleShot(0, QApplication.quit)
            return False

    window.save_session_on_close = False  # type: ignore[attr-defined]
    probe = _Probe(window)
    qapp.installEventFilter(probe)


def _open_lesson(window: object, spec: str) -> None:
    from .ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    if spec.startswith("builtin:"):
        window.open_builtin(spec.split(":", 1)[1])
    else:
        window.open_lesson(spec)


def _screenshot(app: object, window: object, path: str, size: tuple[int, int]) -> int:
    from PySide6.QtWidgets import QApplication, QWidget

    assert isinstance(app, QApplication) and isinstance(window, QWidget)
    window.show()
    from .ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    for _ in range(5):
        app.processEvents()
    window.resize(*size)  # the size asked for, not the offscreen screen's (a folded strip refits)
    for _ in range(3):
        app.processEvents()
    import time

    deadline = time.monotonic() + 30.0
    while not window.model.idle and time.monotonic() < deadline:  # a lesson's edit computing
        app.processEvents()
        time.sleep(0.005)
    image = window.grab()
    ok = image.save(path)
    window.close()
    if ok and (image.width(), image.height()) != size:
        print(f"convstudio: the window cannot be as small as {size[0]}x{size[1]}; rendered "
              f"{image.width()}x{image.height()}", file=sys.stderr)
    if not ok:
        print(f"convstudio: could not write the screenshot to {path!r}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0
