"""The real app crashes on purpose: the traceback is in the log, the password and token nowhere.

A child process signs in to the sandbox as the app would find it (settings in the home, a password
and a token in the keyring), breaks the window's `show_view` (so the shell's real `_on_view_ready`
slot raises), and runs `gui.app.main`, which
installs the crash handlers itself. When the crash dialog appears it clicks "Copy details", prints
the clipboard and quits. The test then reads every file under the home.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

from harvest_widget.paths import AppPaths
from harvest_widget.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent(
    """
    import sys
    import keyring
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from harvest_widget.credentials import CredentialStore, Secrets
    from harvest_widget.gui import app as gui_app
    from harvest_widget.gui.crash_dialog import CrashDialog
    from harvest_widget.gui.timesheet_window import TimesheetWindow
    from harvest_widget.paths import app_paths
    from harvest_widget.settings import Settings, save_settings
    from tests.memory_keyring import MemoryKeyring

    url, email, password, token = sys.argv[1:5]
    keyring.set_keyring(MemoryKeyring())
    paths = app_paths().ensure()
    settings = Settings(server_url=url, email=email)
    save_settings(paths, settings)
    CredentialStore().set(settings.account_key, Secrets(password=password, access_token=token))


    def broken_show_view(self, view):
        stored = CredentialStore().get(settings.account_key)
        raise RuntimeError(f"cannot show {view.today.date} for {stored.password} / {stored.access_token}")


    # Broken on purpose; the shell's real slot calls it on the GUI thread when the first day arrives.
    TimesheetWindow.show_view = broken_show_view


    def when_the_crash_dialog_shows():
        shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog) and w.isVisible()]
        if not shown:
            QTimer.singleShot(20, when_the_crash_dialog_shows)
            return
        shown[0].copy_button.click()
        print(QApplication.clipboard().text(), flush=True)
        QApplication.exit(0)  # not quit(): Qt 6 refuses it while the hide-to-tray window is open


    app = QApplication([sys.argv[0]])
    QTimer.singleShot(0, when_the_crash_dialog_shows)
    sys.exit(gui_app.main([]))
    """
)


def test_app_crash_leaves_a_redacted_traceback_and_no_secret_in_any_file(
    home: AppPaths, sandbox: Sandbox, tmp_path: Path
) -> None:
    user = sandbox.users["admin"]
    password = user.password
    token = "tok-" + secrets.token_hex(16)
    script = tmp_path / "crashing_app.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, str(script), sandbox.url, user.email, password, token],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    copied = result.stdout
    assert "Traceback (most recent call last)" in copied
    assert "in _on_view_ready" in copied
    assert "RuntimeError: cannot show " in copied
    assert " for [REDACTED] / [REDACTED]" in copied

    log_text = home.log_file.read_text(encoding="utf-8")
    assert "CRITICAL MainThread harvest_widget.gui.crash: Unhandled exception" in log_text
    assert "in broken_show_view\n    raise RuntimeError(" in log_text
    assert " for [REDACTED] / [REDACTED]" in log_text
    assert "WARNING MainThread qt: " in log_text  # Qt's own messages are routed into the log too

    files = [path for path in home.config_dir.parent.rglob("*") if path.is_file()]
    assert {home.log_file, home.settings_file, home.cache_db} <= set(files)
    for path in files:
        content = path.read_bytes()
        assert password.encode() not in content, path
        assert token.encode() not in content, path
    for stream in (result.stdout, result.stderr):
        assert password not in stream
        assert token not in stream
