"""GUI test setup: offscreen Qt cannot raise windows or grab the keyboard for popups; say so once."""

from __future__ import annotations

import pytest

OFFSCREEN_NOISE = (
    "This plugin does not support raise",
    "This plugin does not support grabbing the keyboard",
    "This plugin does not support setting window opacity",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE))
