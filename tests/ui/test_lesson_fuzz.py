"""Issue 14: random mutations of a saved lesson (fixed seed) through the real window.

Whatever the file holds: ``lessons.loads`` raises only LessonError; a refused lesson leaves the
window exactly as it was; an accepted one is applied, saved, and the saved file re-opens to
the same state.
"""

import copy
import json
import random

import numpy as np

from convstudio import lessons as L

from .window_state import settle

CASES = 400
SEED = 14


def _state(w):
    m, an = w.model, w.animator_model
    return {"rgb": m.rgb.copy(), "name": m.source_name, "channel": m.channel,
            "kernel": m.kernel.entries.copy(), "use_weight": m.kernel.use_weight,
            "params": m.params, "selection": m.selection, "display": m.display_mode,
            "anim_source": an.source_kind, "step": an.cursor.step, "tab": w.tabs.currentIndex(),
            "text": w.lesson_panel.text,
            "training": w.training_model.settings.as_dict()}


def _same(a, b):
    if a.keys() != b.keys():
        return False
    return all(np.array_equal(a[k], b[k]) if isinstance(a[k], np.ndarray) else a[k] == b[k]
               for k in a)


def _deep(depth):
    v: object = 0
    for _ in range(depth):
        v = [v]
    return v


HOSTILE = [None, True, False, 0, 1, -1, 2, 3, 7, 8, 15, 16, 17, 255, 256, 4096, 4097, 2**31,
           2**64, -(2**64), 0.5, -0.0, 1e-300, 999.99, 1000.01, 1e6, 1e7, 1e39, 1e308, -1e308,
           float("nan"), float("inf"), float("-inf"), "", "x", "valid", "same", "max", "region",
           "\x00", "a\x00b.keras", "../x.keras", "m.keras", "é" * 50, [], [1], [1, 2],
           [1, 2, 3, 4], [[1]], [[1, 2], [3]], {}, {"a": 1}]


def _paths(doc, depth=0):
    """Every (container, key) pair in the document, the image's fields included."""
    out = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc)
    for k, v in items:
        out.append((doc, k))
        if isinstance(v, dict | list) and depth < 6:
            out.extend(_paths(v, depth + 1))
    return out


def _mutate_doc(rng, doc):
    for _ in range(rng.randint(1, 3)):
        container, key = rng.choice(_paths(doc))
        action = rng.random()
        value = container[key]
        if action < 0.45:
            container[key] = copy.deepcopy(rng.choice(HOSTILE))
        elif action < 0.6 and isinstance(container, dict):
            del container[key]
        elif action < 0.75 and isinstance(value, int | float) and not isinstance(value, bool):
            container[key] = value * rng.choice([-1, 2, 10, 1000, 1e30]) + rng.choice([0, 1])
        elif action < 0.8:
            container[key] = _deep(rng.choice([50, 500]))
        elif action < 0.9 and isinstance(value, str):
            container[key] = value[: rng.randint(0, len(value))]
        elif isinstance(value, list) and value:
            container[key] = value + value if rng.random() < 0.5 else value[1:]
        else:
            container[key] = str(value)[:100]
    return json.dumps(doc).encode()


def _valid_change(rng, doc):
    """Set one field to another value the window allows (so that many cases are applied)."""
    ws, params = doc["workspace"], doc["workspace"]["params"]
    side = lambda: rng.randint(1, 7)  # noqa: E731
    choice = rng.randrange(11)
    if choice == 0:
        ws["kernel"] = [[rng.uniform(-1e6, 1e6) if rng.random() < 0.2 else rng.randint(-9, 9)
                         for _ in range(side())] for _ in range(1)] * side()
    elif choice == 1:
        params["stride"] = [rng.randint(1, 16), rng.randint(1, 16)]
    elif choice == 2:
        params["padding"] = rng.choice(["valid", "same", "full",
                                        [rng.randint(0, 16), rng.randint(0, 16)]])
    elif choice == 3:
        params["bias"] = rng.choice([rng.uniform(-1000, 1000), -1000, 1000, 0.125])
    elif choice == 4:
        params["dilation"] = [rng.randint(1, 8), rng.randint(1, 8)]
        params["pool_size"] = [rng.randint(1, 8), rng.randint(1, 8)]
        params["pool_stride"] = rng.choice([None, [rng.randint(1, 8), rng.randint(1, 8)]])
    elif choice == 5:
        top, left = rng.randint(0, 23), rng.randint(0, 31)
        ws["selection"] = rng.choice([None, [top, left, rng.randint(1, 24 - top),
                                             rng.randint(1, 32 - left)]])
    elif choice == 6:
        doc["animator"] = {"source": rng.choice(["glyph", "region", "image"]),
                           "step": rng.choice([0, 1, 5, 40])}
    elif choice == 7:
        ws["channel"] = rng.choice(["luminance", "R", "G", "B", "all"])
        ws["display"] = rng.choice(["signed", "absolute", "clipped"])
    elif choice == 8:
        doc["tab"] = rng.choice(["workspace", "animator", "training"])
        doc["training"] = {"epochs": rng.randint(1, 1000), "dropout": rng.choice([0, 0.9]),
                           "optimizer": rng.choice(["adam", "sgd", "rmsprop"])}
    elif choice == 9:
        doc["text"] = rng.choice(["", "<p>hi</p>", "<table><tr><td>" * 40, "<b>" * 50 + "x"])
        doc["title"] = rng.choice(["", "t" * 1000, "Ünïcode ✓"])
    else:
        ws.pop("image", None)
        ws["sample"] = rng.choice(["camera", "checkerboard", "glyph"])
        ws["selection"] = None
    return doc


def _mutate_bytes(rng, data):
    kind = rng.random()
    if kind < 0.3:
        return data[: rng.randint(0, len(data))]
    if kind < 0.5:
        i = rng.randrange(len(data))
        return data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
    if kind < 0.65:
        return data.replace(b'"version": 1', b'"version": 1, "version": 9', 1)
    if kind < 0.8:
        return data.replace(b'"step": ', b'"step": ' + b"9" * rng.choice([30, 5000]), 1)
    if kind < 0.9:
        return b"[" * 100_000 + data + b"]" * 100_000
    return data.replace(b'"bias": ', b'"bias": 1' + b"0" * rng.choice([20, 400]) + b" + ", 1)


def test_mutated_lessons_are_refused_whole_or_applied_whole(window, qtbot, tmp_path):
    w = window
    m = w.model
    m.set_source(np.random.default_rng(0).integers(0, 256, (24, 32, 3)).astype(np.float32)
                 / np.float32(255), "fuzz.png")
    m.set_kernel(np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], np.float32))
    m.set_params(stride=(2, 1), padding="same", bias=1.25, pool="avg")
    m.set_selection((2, 3, 10, 12))
    w.animator_model.set_source_kind("region")
    w.training_model.set_settings({"epochs": 3})
    settle(qtbot, w)
    base_path = w.save_lesson(str(tmp_path / "base"))
    base = base_path.read_bytes()
    base_doc = json.loads(base)
    rng = random.Random(SEED)
    counts = {"refused": 0, "accepted": 0, "applied": 0}
    for case in range(CASES):
        doc = copy.deepcopy(base_doc)
        for _ in range(rng.randint(0, 3)):
            doc = _valid_change(rng, doc)
        if rng.random() < 0.35:
            data = json.dumps(doc).encode()
        elif rng.random() < 0.65:
            data = _mutate_doc(rng, doc)
        else:
            data = _mutate_bytes(rng, base)
        try:
            L.loads(data)
            accepted = True
        except L.LessonError:
            accepted = False
        counts["accepted" if accepted else "refused"] += 1
        # Every accepted lesson goes through the window, and a third of the refused ones.
        if not accepted and case % 3:
            continue
        counts["applied"] += 1
        path = tmp_path / f"case{case}.convstudio"
        path.write_bytes(data)
        before = _state(w)
        opened = w.open_lesson(str(path))
        settle(qtbot, w)
        assert opened == accepted, (case, w.last_message)
        if not opened:
            assert "Nothing was changed" in w.last_message, case
            assert _same(_state(w), before), case
            continue
        after = _state(w)
        saved = w.save_lesson(str(tmp_path / f"saved{case}"))
        assert saved is not None, (case, w.last_message)
        assert w.open_lesson(str(saved)), (case, w.last_message)
        settle(qtbot, w)
        assert _same(_state(w), after), case
        saved.unlink()
        path.unlink()
    assert counts["accepted"] > 100 and counts["refused"] > 100, counts
