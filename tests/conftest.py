"""Shared test setup: Qt offscreen before any Qt import, and a hypothesis profile for CI."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from hypothesis import settings  # noqa: E402

# No deadline: a shared 2-core machine makes per-example timing meaningless.
settings.register_profile("default", deadline=None, print_blob=True)
settings.load_profile("default")
