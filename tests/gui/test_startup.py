"""What a restart loads before the cached day is on screen: the app's own start-up path, run by
`harvest-widget` in a fresh interpreter, with nothing that the first paint can do without."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# Run `harvest-widget` (gui.app.main) and print the loaded modules when the first day is shown.
WATCHED_START = """
import json, sys
from harvest_widget.gui import app as gui_app

build_shell = gui_app.build_shell


def build_and_watch(*args, **kwargs):
    shell = build_shell(*args, **kwargs)

    def on_first_view(view):
        if not hasattr(shell, "reported"):
            shell.reported = True
            print(json.dumps({"rows": len(view.shown.entries), "modules": sorted(sys.modules)}), flush=True)
            shell.quit()

    shell.view_shown.connect(on_first_view)
    return shell


gui_app.build_shell = build_and_watch
sys.exit(gui_app.main([]))
"""

NOT_BEFORE_THE_FIRST_PAINT = (
    "requests",  # the HTTP client, the keyring and the engine's network half load after it
    "ssl",
    "keyring",
    "harvest_widget.api.transport",
    "harvest_widget.connection",
    "PySide6.QtNetwork",  # the single-instance socket opens a second later
    "PySide6.QtSvg",  # the icons are rendered bitmaps
    "http.server",
    "logging.handlers",  # the log file is rotated at start-up by the app itself
    "harvest_widget.gui.crash_dialog",  # loaded when something has crashed
)


def test_a_restart_shows_the_cached_day_without_loading_the_network_keyring_or_svg_code(shell):
    rows = len(shell.window.current_view().shown.entries)
    shell.shutdown()
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    result = subprocess.run(
        [sys.executable, "-c", WATCHED_START], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    report = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("{")))
    assert report["rows"] == rows > 0
    loaded = set(report["modules"])
    assert loaded.isdisjoint(NOT_BEFORE_THE_FIRST_PAINT), sorted(loaded & set(NOT_BEFORE_THE_FIRST_PAINT))
