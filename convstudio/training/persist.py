"""Save and load trained models (``.keras``, safe mode on) with their history as JSON."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any

from ..files import FileReadError, atomic_write, check_regular, read_bytes

# Far above any model the form can build that a classroom machine can train (the lessons'
# model is 3 MB with its optimizer state); what is larger is not a model for this app.
MAX_MODEL_BYTES = 2 * 1024**3
MAX_HISTORY_BYTES = 16 * 1024**2


class ModelFileError(ValueError):
    """A model file could not be read or written; the message says which and why."""


def history_path(path: Path) -> Path:
    """Return where the history of the model saved at ``path`` is kept."""
    return path.with_suffix(".history.json")


def save_model(model: Any, history: dict[str, list[float]], path: str | Path) -> Path:
    """Write ``model`` to ``path`` (.keras) and its history beside it, each atomically."""
    target = Path(path)
    if target.suffix != ".keras":
        target = target.with_suffix(".keras")
    # NaN (an epoch whose validation was cut short) is written as null: JSON has no NaN.
    clean = {k: [None if not math.isfinite(v) else v for v in vals] for k, vals in history.items()}
    try:
        atomic_write(target, lambda tmp: model.save(tmp))
        atomic_write(history_path(target), json.dumps(clean, indent=1))
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ModelFileError(f"could not save {target}: {why}") from exc
    return target


def _keras_reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, KeyError) and "config.json" in text:
        return "it is a zip archive but holds no Keras model (no config.json)"
    return text.splitlines()[0]


def read_model_file(path: str | Path) -> Any:
    """Load a ``.keras`` file with Keras' safe mode on; refuse what is not one, saying why.

    Raises
    ------
    ModelFileError
        A special file (FIFO, device, symlink loop), a file that is not a Keras archive, or one
        Keras cannot rebuild; the message names the file.
    """
    from .backend import load_keras

    source = Path(path)
    if source.suffix != ".keras":
        raise ModelFileError(f"could not load {source.name}: ConvStudio opens Keras .keras "
                             "files only")
    try:
        check_regular(source, limit=MAX_MODEL_BYTES)
        is_zip = zipfile.is_zipfile(source)
    except FileReadError as exc:
        raise ModelFileError(str(exc)) from None
    except OSError as exc:
        raise ModelFileError(f"could not load {source.name}: {exc.strerror or exc}") from None
    if not is_zip:
        raise ModelFileError(f"could not load {source.name}: it is not a Keras model file (a "
                             ".keras file is a zip archive; this one is damaged or another kind "
                             "of file)")
    keras = load_keras()
    try:
        return keras.saving.load_model(source, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 (Keras raises many kinds for a bad file)
        raise ModelFileError(f"could not load {source.name}: {_keras_reason(exc)}") from exc


def _read_history(path: Path) -> dict[str, list[float]]:
    try:
        loaded = json.loads(read_bytes(path, limit=MAX_HISTORY_BYTES))
    except (FileReadError, ValueError, RecursionError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    history: dict[str, list[float]] = {}
    for key, values in loaded.items():
        if isinstance(values, list):
            try:
                history[str(key)] = [math.nan if v is None else float(v) for v in values]
            except (TypeError, ValueError, OverflowError):
                continue
    return history


def load_model(path: str | Path, *,
               n_classes: int | None = None) -> tuple[Any, dict[str, list[float]]]:
    """Load a ``.keras`` model and its history (if any); check it fits the Training tab.

    ``n_classes``: the classes the model must output (None: any number, at least 2).

    Raises
    ------
    ModelFileError
        See :func:`read_model_file`; or the model does not fit (see ``models.check_model``).
    """
    from .models import IncompatibleModelError, check_model

    source = Path(path)
    model = read_model_file(source)
    try:
        check_model(model, n_classes)
    except IncompatibleModelError as exc:
        raise ModelFileError(f"{source.name} is not a model for this tab: {exc}") from None
    return model, _read_history(history_path(source))
