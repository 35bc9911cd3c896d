"""Logging: a file in the log folder, rotated at start-up, with secrets redacted before anything is written.

Redaction works on two levels: known secret values (passwords, tokens) registered at runtime with
`redact_value`, and patterns that look like credentials (Authorization headers, access_token=...,
"password": "..."), so a secret never reaches a log line even if a caller forgets.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

_PATTERNS = (
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:basic|bearer)\s+)[^\s'\",}]+"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|password|token|code)['\"]?\s*[:=]\s*['\"]?)[^\s&'\",}]+"
    ),
)
_MASK = "[REDACTED]"
MAX_LOG_BYTES = 1_000_000
LOG_BACKUPS = 5
_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def redact_value(secret: str | None) -> None:
    """Remember a secret so it is masked wherever it appears in later log records."""
    if secret and len(secret) >= 4:
        with _secrets_lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + _MASK, text)
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, _MASK)
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(log_file: Path, level: int = logging.INFO) -> logging.Handler:
    """Send the root logger to `log_file`, redacted; returns the handler.

    The file is rotated when a process starts, once it is over `MAX_LOG_BYTES` (`LOG_BACKUPS` old
    files kept), not as it is written: RotatingFileHandler's module (socket, pickle, queue) costs
    ~7 ms before the widget's first paint, and the app logs problems, not traffic, so a file
    outgrows 1 MB only over many days without a restart."""
    log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    rotate_log(log_file)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def rotate_log(log_file: Path) -> None:
    """`app.log` -> `app.log.1` -> ... -> `app.log.5` (dropped) when `app.log` is over the limit.
    A file another process holds open (Windows refuses to rename it) is rotated another time."""
    try:
        if log_file.stat().st_size < MAX_LOG_BYTES:
            return
        for index in range(LOG_BACKUPS - 1, 0, -1):
            older = log_file.with_name(f"{log_file.name}.{index}")
            if older.exists():
                older.replace(log_file.with_name(f"{log_file.name}.{index + 1}"))
        log_file.replace(log_file.with_name(f"{log_file.name}.1"))
    except OSError:
        return
