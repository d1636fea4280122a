"""The architecture a saved ``.keras`` file holds, read from its config without Keras.

``--print-code cnn --model FILE`` writes a program that rebuilds the Training tab's network
and loads the file's weights into it; the program must rebuild the network the file holds,
whatever the form says. A ``.keras`` file is a zip archive whose ``config.json`` describes
the layers: this module reads that JSON (nothing in the file is run, no Keras is imported)
and accepts only what :func:`~convstudio.training.models.build_model` builds — Conv2D blocks
(ReLU, 'valid', stride 1, optionally 2×2 max-pooled), Flatten, one ReLU Dense layer, an
optional Dropout and a softmax Dense — with the layer names it gives, which Keras matches
when it loads the weights.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from ..files import FileReadError, check_regular
from .models import IMAGE_SHAPE, ConvBlock, ModelConfig
from .persist import MAX_MODEL_BYTES, ModelFileError

MAX_CONFIG_BYTES = 16 * 1024**2  # the lessons' model's config.json is about 10 kB


class _NotOurs(Exception):
    """The file holds another kind of network; the message says what differs."""


def _layers(path: Path) -> list[dict[str, Any]]:
    try:
        check_regular(path, limit=MAX_MODEL_BYTES)
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise ModelFileError(f"could not read {path.name}: its config.json is "
                                     f"{info.file_size:,} bytes, far more than a model's")
            doc = json.loads(archive.read(info))
    except FileReadError as exc:
        raise ModelFileError(str(exc)) from None
    except KeyError:
        raise ModelFileError(f"could not read {path.name}: it is a zip archive but holds no "
                             "Keras model (no config.json)") from None
    except (zipfile.BadZipFile, OSError):
        raise ModelFileError(f"could not read {path.name}: it is not a Keras model file (a "
                             ".keras file is a zip archive; this one is damaged or another "
                             "kind of file)") from None
    except (ValueError, RecursionError):  # JSONDecodeError, bad UTF-8
        raise ModelFileError(f"could not read {path.name}: its config.json is not valid "
                             "JSON") from None
    if not isinstance(doc, dict) or doc.get("class_name") != "Sequential":
        raise _NotOurs("it is not a Sequential model")
    layers = (doc.get("config") or {}).get("layers")
    if not isinstance(layers, list) or not all(isinstance(x, dict) for x in layers):
        raise _NotOurs("its config lists no layers")
    return layers


def _expect(layer: dict[str, Any] | None, kind: str, name: str, **values: Any) -> dict[str, Any]:
    """Return the layer's config if it is a ``kind`` called ``name`` with ``values``."""
    if layer is None:
        raise _NotOurs(f"it ends where a {kind} layer {name!r} should follow")
    found = layer.get("config")
    config: dict[str, Any] = found if isinstance(found, dict) else {}
    got = f"a {layer.get('class_name')} layer {config.get('name')!r}"
    if layer.get("class_name") != kind or config.get("name") != name:
        raise _NotOurs(f"it has {got} where the Training tab puts a {kind} layer {name!r}")
    for key, want in values.items():
        if config.get(key) != want:
            raise _NotOurs(f"its {got} has {key} {config.get(key)!r}, not {want!r}")
    return config


def _whole(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _NotOurs(f"its {what} is {value!r}")
    return value


def _architecture(layers: list[dict[str, Any]]) -> ModelConfig:
    rest = iter(layers)
    nxt = next(rest, None)
    if nxt is not None and nxt.get("class_name") == "InputLayer":
        shape = (nxt.get("config") or {}).get("batch_shape")
        if not isinstance(shape, list) or tuple(shape[1:]) != IMAGE_SHAPE:
            raise _NotOurs(f"it takes inputs of shape {shape!r}, not (batch, 28, 28, 1)")
        nxt = next(rest, None)
    blocks: list[ConvBlock] = []
    while nxt is not None and nxt.get("class_name") == "Conv2D":
        i = len(blocks) + 1
        conv = _expect(nxt, "Conv2D", f"conv{i}", strides=[1, 1], padding="valid",
                       dilation_rate=[1, 1], groups=1, activation="relu", use_bias=True)
        size = conv.get("kernel_size")
        if not isinstance(size, list) or len(size) != 2 or size[0] != size[1]:
            raise _NotOurs(f"its conv{i} has kernel size {size!r}, not a square")
        filters = _whole(conv.get("filters"), f"conv{i}'s filter count")
        nxt = next(rest, None)
        pool = nxt is not None and nxt.get("class_name") == "MaxPooling2D"
        if pool:
            _expect(nxt, "MaxPooling2D", f"pool{i}", pool_size=[2, 2], strides=[2, 2],
                    padding="valid")
            nxt = next(rest, None)
        blocks.append(ConvBlock(filters, _whole(size[0], f"conv{i}'s kernel size"), pool))
    if not blocks:
        raise _NotOurs("it has no Conv2D layer first")
    _expect(nxt, "Flatten", "flatten")
    dense = _expect(next(rest, None), "Dense", "dense", activation="relu", use_bias=True)
    nxt = next(rest, None)
    dropout = 0.0
    if nxt is not None and nxt.get("class_name") == "Dropout":
        rate = _expect(nxt, "Dropout", "dropout").get("rate")
        if not isinstance(rate, int | float) or isinstance(rate, bool):
            raise _NotOurs(f"its dropout rate is {rate!r}")
        dropout = float(rate)
        nxt = next(rest, None)
    output = _expect(nxt, "Dense", "output", activation="softmax", use_bias=True)
    extra = next(rest, None)
    if extra is not None:
        raise _NotOurs(f"it has a {extra.get('class_name')} layer after its softmax output")
    try:
        return ModelConfig(tuple(blocks), _whole(dense.get("units"), "dense units"), dropout,
                           _whole(output.get("units"), "number of classes"))
    except ValueError as exc:  # SettingsError too: outside the form's ranges
        raise _NotOurs(str(exc)) from None


def model_config_from_file(path: str | Path) -> ModelConfig:
    """Return the architecture of the Training tab's network saved at ``path`` (``.keras``).

    Raises
    ------
    ModelFileError
        The file is missing, not a ``.keras`` archive, or holds a network the Training tab
        does not build; the message names the file and what differs.
    """
    source = Path(path)
    if source.suffix != ".keras":
        raise ModelFileError(f"could not read {source.name}: a saved model is a Keras .keras "
                             "file")
    try:
        return _architecture(_layers(source))
    except _NotOurs as exc:
        raise ModelFileError(f"{source.name} is not a network the Training tab builds: {exc}"
                             ) from None
