"""Save and load trained models (``.keras``, safe mode on) with their history as JSON."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


class ModelFileError(ValueError):
    """A model file could not be read or written; the message says which and why."""


def _history_path(path: Path) -> Path:
    return path.with_suffix(".history.json")


def save_model(model: Any, history: dict[str, list[float]], path: str | Path) -> Path:
    """Write ``model`` to ``path`` (.keras) and its history beside it, each atomically."""
    target = Path(path)
    if target.suffix != ".keras":
        target = target.with_suffix(".keras")
    fd, tmp = tempfile.mkstemp(prefix=".convstudio-", suffix=".keras", dir=target.parent)
    os.close(fd)
    try:
        model.save(tmp)
        os.replace(tmp, target)
        hist_tmp = tmp + ".json"
        Path(hist_tmp).write_text(json.dumps(history, indent=1))
        os.replace(hist_tmp, _history_path(target))
    except OSError as exc:
        raise ModelFileError(f"could not save {target}: {exc}") from exc
    finally:
        for leftover in (tmp, tmp + ".json"):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return target


def load_model(path: str | Path) -> tuple[Any, dict[str, list[float]]]:
    """Load a ``.keras`` model with Keras' safe mode on, and its history if present."""
    import keras

    source = Path(path)
    try:
        model = keras.saving.load_model(source, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 (Keras raises many kinds for a bad file)
        raise ModelFileError(f"could not load {source.name}: {exc}") from exc
    history: dict[str, list[float]] = {}
    hist = _history_path(source)
    if hist.is_file():
        try:
            loaded = json.loads(hist.read_text())
            if isinstance(loaded, dict):
                history = {str(k): [float(v) for v in vals] for k, vals in loaded.items()
                           if isinstance(vals, list)}
        except (OSError, ValueError, TypeError):
            history = {}
    return model, history
