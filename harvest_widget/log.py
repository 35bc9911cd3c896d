"""Logging: a rotating file in the log folder, with secrets redacted before anything is written.

Redaction works on two levels: known secret values (passwords, tokens) registered at runtime with
`redact_value`, and patterns that look like credentials (Authorization headers, access_token=...,
"password": "..."), so a secret never reaches a log line even if a caller forgets.
"""

from __future__ import annotations

import logging
import logging.handlers
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
    """Send the root logger to a rotating, redacting file (1 MB x 5); returns the handler."""
    log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler
