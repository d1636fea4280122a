"""Importing Keras through the training package: no TensorFlow chatter on the console."""

import os
import subprocess
import sys

import pytest

from convstudio.training.backend import filter_native_log

ONEDNN = (b"I0000 00:00:1796119169.544115    8142 port.cc:153] oneDNN custom operations are on. "
          b"You may see slightly different numerical results due to floating-point round-off "
          b"errors from different computation orders. To turn them off, set the environment "
          b"variable `TF_ENABLE_ONEDNN_OPTS=0`.\n")
BEFORE = (b"WARNING: All log messages before absl::InitializeLog() is called are written to "
          b"STDERR\n")
GUARD = (b"I0000 00:00:1796119169.658878    8142 cpu_feature_guard.cc:227] This TensorFlow "
         b"binary is optimized to use available CPU instructions in performance-critical "
         b"operations.\nTo enable the following instructions: AVX2 FMA, in other operations, "
         b"rebuild TensorFlow with the appropriate compiler flags.\n")
ERROR = b"E0000 00:00:1796119170.1 8142 cuda_dnn.cc:8] Unable to register cuDNN factory\n"


def test_the_filter_drops_lines_below_the_level_and_keeps_everything_else():
    other = b"QThread: a message of the window's own\nTraceback (most recent call last):\n"
    data = BEFORE + ONEDNN + other + GUARD + ERROR + b"partial line without newline"
    assert filter_native_log(data, 2) == other + ERROR + b"partial line without newline"
    assert filter_native_log(data, 3) == other + b"partial line without newline"
    assert filter_native_log(data, 0) == data


@pytest.mark.parametrize("level", [None, "3"])
def test_importing_the_training_modules_and_training_prints_no_library_noise(level):
    code = (
        "import threading\n"
        "from convstudio.training.datasets import shapes_dataset\n"
        "from convstudio.training.models import ConvBlock, ModelConfig, build_model\n"
        "from convstudio.training.session import TrainingConfig, train\n"
        "import sys\n"
        "build_model(ModelConfig((ConvBlock(4, 3, True),), 8))\n"
        "class Quiet:\n"
        "    def __getattr__(self, name): return lambda *a: None\n"
        "cfg = TrainingConfig(dataset='shapes', model=ModelConfig((ConvBlock(4, 3, True),), 8),"
        " epochs=2, batch_size=16)\n"
        "train(cfg, Quiet(), threading.Event(), dataset=shapes_dataset(200, 40))\n"
        "print('ours on stderr', file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    # oneDNN on as on an AVX-512 CPU, where TensorFlow turns it on itself and says so twice.
    env["TF_ENABLE_ONEDNN_OPTS"] = "1"
    if level is not None:
        env["TF_CPP_MIN_LOG_LEVEL"] = level
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for noise in ("oneDNN", "absl::InitializeLog", "cpu_feature_guard", "retracing",
                  "WARNING:tensorflow"):
        assert noise not in proc.stderr, proc.stderr[-3000:]
    assert proc.stderr.strip().splitlines() == ["ours on stderr"]
