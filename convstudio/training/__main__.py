"""Headless training: ``python -m convstudio.training --dataset NAME …``; JSON per epoch."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .datasets import DATASETS, DatasetError


class _JsonLines:
    """Print each epoch as one JSON line."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def on_started(self, info: dict[str, Any]) -> None:
        if not self.as_json:
            print(f"{info['dataset']} from {info['source']}: {info['train']:,} training, "
                  f"{info['validation']:,} validation, {info['test']:,} test images; "
                  f"{info['parameters']:,} parameters", file=sys.stderr)

    def on_batch(self, event: object) -> None:
        pass

    def on_snapshot(self, snapshot: object) -> None:
        pass

    def on_epoch(self, event: Any) -> None:
        row = {"epoch": event.epoch + 1, "loss": round(event.loss, 6),
               "accuracy": round(event.accuracy, 6),
               "val_loss": None if event.val_loss is None else round(event.val_loss, 6),
               "val_accuracy": None if event.val_accuracy is None else round(event.val_accuracy,
                                                                              6),
               "seconds": round(event.seconds, 3)}
        print(json.dumps(row), flush=True)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    from . import LR_SCHEDULES
    from .session import TrainingConfig

    default = TrainingConfig()
    p = argparse.ArgumentParser(prog="python -m convstudio.training",
                                description="Train the lessons' CNN without a window.")
    p.add_argument("--dataset", choices=DATASETS, default="fashion-mnist")
    p.add_argument("--data-dir", help="folder with the dataset (or the class folders)")
    p.add_argument("--epochs", type=_positive, default=default.epochs)
    p.add_argument("--batch-size", type=_positive, default=default.batch_size)
    p.add_argument("--learning-rate", type=float, default=default.learning_rate)
    p.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=default.lr_schedule,
                   help="cosine: the rate falls to 0 over the run; constant: it stays")
    p.add_argument("--limit", type=_positive, help="use only the first N training images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--validation-split", type=float, default=default.validation_split,
                   metavar="FRACTION",
                   help="hold out this fraction of the training images (0: the lessons' fit)")
    p.add_argument("--save", metavar="PATH", help="save the trained model (.keras)")
    p.add_argument("--json", action="store_true",
                   help="machine-readable output only (JSON lines on stdout)")
    return p


def _fail(text: str) -> int:
    print(f"convstudio.training: {text}", file=sys.stderr)
    return 2


def _check_save_target(path: str) -> str | None:
    """Say why ``path`` cannot be written (before hours of training), or None if it can."""
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        return f"--save {path}: the folder {folder} does not exist"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"--save {path}: the folder {folder} is not writable"
    keras_path = target if target.suffix == ".keras" else target.with_suffix(".keras")
    if keras_path.is_dir():
        return f"--save {path}: {keras_path} is a folder"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Train; return 0, or 2 when an argument, the dataset or the save folder is unusable."""
    args = build_parser().parse_args(argv)
    from .datasets import load_dataset, skipped_text
    from .session import TrainingConfig, train

    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        return _fail(f"--data-dir {args.data_dir}: folder not found")
    if args.save:
        problem = _check_save_target(args.save)
        if problem:
            return _fail(problem)
    try:
        config = TrainingConfig(dataset=args.dataset, data_dir=args.data_dir, epochs=args.epochs,
                                batch_size=args.batch_size, limit=args.limit, seed=args.seed,
                                validation_split=args.validation_split,
                                learning_rate=args.learning_rate, lr_schedule=args.lr_schedule)
        # A folder given on the command line is the only place looked in.
        ds = load_dataset(args.dataset, args.data_dir, limit=args.limit, seed=args.seed,
                          only_data_dir=args.data_dir is not None)
        skipped = skipped_text(ds)
        if skipped:
            print(f"convstudio.training: {skipped}", file=sys.stderr)
        if ds.bundled:
            from .bundled import BUNDLED_SOURCE, FULL_MNIST_HINT

            print(f"convstudio.training: MNIST was not found, so this run uses "
                  f"the {BUNDLED_SOURCE}; {FULL_MNIST_HINT}.", file=sys.stderr)
        result = train(config, _JsonLines(args.json), threading.Event(), dataset=ds)
    except (DatasetError, ValueError) as exc:  # DatasetError is a ValueError; both are ours
        return _fail(str(exc))
    except KeyboardInterrupt:
        print("convstudio.training: interrupted", file=sys.stderr)
        return 130
    if args.save:
        from .persist import ModelFileError, save_model

        try:
            written = save_model(result.model, result.history, args.save)
        except ModelFileError as exc:
            print(f"convstudio.training: {exc}", file=sys.stderr)
            return 1
        if not args.json:
            print(f"saved {written}", file=sys.stderr)
    print(json.dumps({"test_accuracy": result.test_accuracy, "epochs": result.epochs_done,
                      "dataset": ds.name, "source": ds.source, "bundled": ds.bundled}),
          flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
