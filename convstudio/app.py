"""Command line, QApplication and the main window. TensorFlow is never imported here."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import __version__

TABS = ("workspace", "animator", "training")


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
    parser.add_argument("--screenshot", metavar="PATH",
                        help="render the window offscreen to a PNG and exit")
    parser.add_argument("--tab", choices=TABS, default="workspace", help="tab to show first")
    parser.add_argument("--size", type=_size, default=(1440, 900), metavar="WxH",
                        help="window size (default 1440x900)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ConvStudio; return the process exit status."""
    args = build_parser().parse_args(argv)
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
    window = MainWindow()
    window.show_tab(args.tab)
    window.resize(*args.size)
    if args.screenshot:
        return _screenshot(app, window, args.screenshot)
    window.show()
    return app.exec()


def _screenshot(app: object, window: object, path: str) -> int:
    from PySide6.QtWidgets import QApplication, QWidget

    assert isinstance(app, QApplication) and isinstance(window, QWidget)
    window.show()
    for _ in range(5):
        app.processEvents()
    ok = window.grab().save(path)
    window.close()
    if not ok:
        print(f"convstudio: could not write the screenshot to {path!r}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0
