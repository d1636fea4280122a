"""Shared test setup: Qt offscreen before any Qt import, and a hypothesis profile for CI."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from hypothesis import settings  # noqa: E402

# No deadline: a shared 2-core machine makes per-example timing meaningless.
settings.register_profile("default", deadline=None, print_blob=True)
settings.load_profile("default")


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path):
    """Every test gets its own QSettings (recent files, preferences, the saved session)."""
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # pragma: no cover
        yield
        return
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    yield
    import sys

    theme = sys.modules.get("convstudio.ui.theme")
    if theme is not None and theme._PRESENTATION is not None:
        theme._PRESENTATION.reset()  # projection, zoom and theme are application-wide
