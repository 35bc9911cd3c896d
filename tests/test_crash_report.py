"""The app crashes on purpose in a real process: the traceback is in the log, the secrets nowhere.

A child process sets up logging and the crash handlers the way the app does, stores a password and a
token through `CredentialStore` (an in-memory keyring), then raises inside a Qt slot and inside a
thread with both secrets in the exception messages, clicks "Copy details" in the crash dialog and
prints the clipboard. The test then reads every file under the home.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

from harvest_widget.paths import AppPaths

ROOT = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent(
    """
    import sys, threading
    import keyring
    from PySide6.QtCore import QObject, QTimer, Signal, qWarning
    from PySide6.QtWidgets import QApplication
    from harvest_widget.credentials import CredentialStore, Secrets
    from harvest_widget.gui.crash import install_crash_handlers
    from harvest_widget.log import setup_logging
    from harvest_widget.paths import app_paths
    from harvest_widget.settings import Settings, save_settings
    from tests.memory_keyring import MemoryKeyring

    password, token = sys.argv[1], sys.argv[2]
    paths = app_paths().ensure()
    setup_logging(paths.log_file)
    keyring.set_keyring(MemoryKeyring())
    settings = Settings(server_url="https://example.harvestapp.com", email="crash@example.com")
    save_settings(paths, settings)
    credentials = CredentialStore()
    credentials.set(settings.account_key, Secrets(password=password, access_token=token))

    app = QApplication([])
    reporter = install_crash_handlers(paths)
    qWarning("qt warning routed to the log")

    class Timesheet(QObject):
        refreshed = Signal()

        def on_refreshed(self):
            stored = credentials.get(settings.account_key)
            raise RuntimeError(f"login failed for {stored.password} with token {stored.access_token}")

    def worker():
        raise ConnectionError(f"Authorization: Bearer {credentials.get(settings.account_key).access_token}")

    def when_dialog_shows():
        if reporter.dialog is None or not reporter.dialog.isVisible():
            QTimer.singleShot(20, when_dialog_shows)
            return
        reporter.dialog.copy_button.click()
        print(QApplication.clipboard().text())
        thread = threading.Thread(target=worker, name="sync-worker")
        thread.start()
        thread.join()
        QTimer.singleShot(100, app.quit)

    timesheet = Timesheet()
    timesheet.refreshed.connect(timesheet.on_refreshed)
    QTimer.singleShot(0, timesheet.refreshed.emit)
    QTimer.singleShot(0, when_dialog_shows)
    sys.exit(app.exec())
    """
)


def test_crash_leaves_a_redacted_traceback_and_no_secret_in_any_file(home: AppPaths, tmp_path: Path) -> None:
    password = "pw-" + secrets.token_hex(10)
    token = "tok-" + secrets.token_hex(16)
    script = tmp_path / "crashing_app.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, str(script), password, token],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    copied = result.stdout
    assert "Traceback (most recent call last)" in copied
    assert "RuntimeError: login failed for [REDACTED] with token [REDACTED]" in copied
    assert "in on_refreshed" in copied

    log_text = home.log_file.read_text(encoding="utf-8")
    assert "CRITICAL MainThread harvest_widget.gui.crash: Unhandled exception" in log_text
    assert 'in on_refreshed\n    raise RuntimeError(f"login failed' in log_text
    assert "RuntimeError: login failed for [REDACTED] with token [REDACTED]" in log_text
    assert "Unhandled exception in thread sync-worker" in log_text
    assert "ConnectionError: Authorization: Bearer [REDACTED]" in log_text
    assert "WARNING MainThread qt: qt warning routed to the log" in log_text

    files = [path for path in Path(home.config_dir).parent.rglob("*") if path.is_file()]
    assert home.log_file in files and home.settings_file in files
    for path in files:
        content = path.read_bytes()
        assert password.encode() not in content, path
        assert token.encode() not in content, path
    for stream in (result.stdout, result.stderr):
        assert password not in stream
        assert token not in stream
