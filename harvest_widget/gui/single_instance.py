"""One widget per home: a lock file, and a local socket through which a second launch wakes the first.

The lock decides which launch runs. The socket opens a moment after start-up (`LISTEN_AFTER_MS`),
once the first paint is done: QtNetwork costs ~5 ms and ~3 MB that the paint should not wait for.
A second launch in that moment keeps knocking for up to `WAKE_WAIT_S`.
"""

from __future__ import annotations

import logging
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile, QObject, QThread, QTimer, Signal

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer

log = logging.getLogger(__name__)

_WAKE = b"show\n"
LISTEN_AFTER_MS = 1000
WAKE_WAIT_S = 5.0
_KNOCK_INTERVAL_MS = 100


def server_name(lock_path: Path) -> str:
    """A socket name unique to this home (the demo's throwaway home gets its own). A checksum, not
    hashlib: that would load OpenSSL (~4 MB, ~5 ms) before the first paint, for a name."""
    path = str(lock_path.resolve()).encode()
    return f"harvest-widget-{zlib.crc32(path):08x}{zlib.adler32(path):08x}"


class SingleInstance(QObject):
    """`acquire()` is True for the first instance; later ones wake it and get False."""

    activated = Signal()

    def __init__(self, lock_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = QLockFile(str(lock_path))
        self._lock.setStaleLockTime(0)  # released only by unlock (or a dead process, which Qt detects)
        self._name = server_name(lock_path)
        self._server: QLocalServer | None = None
        self._listen_timer = QTimer(self)
        self._listen_timer.setSingleShot(True)
        self._listen_timer.setInterval(LISTEN_AFTER_MS)
        self._listen_timer.timeout.connect(self.listen)

    def acquire(self) -> bool:
        """Take the lock and open the wake-up socket shortly; False (after waking the first) if taken."""
        if not self._lock.tryLock(100):
            self._wake_first()
            return False
        self._listen_timer.start()
        return True

    def is_listening(self) -> bool:
        return self._server is not None and self._server.isListening()

    def listen(self) -> None:
        """Open the socket a later launch wakes us through (`acquire` schedules it; idempotent)."""
        self._listen_timer.stop()
        if self._server is not None:
            return
        from PySide6.QtNetwork import QLocalServer

        QLocalServer.removeServer(self._name)  # a stale socket from a crashed run
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self._server.listen(self._name):
            log.warning("cannot listen on %s: %s", self._name, self._server.errorString())
        self._server.newConnection.connect(self._on_new_connection)

    def release(self) -> None:
        self._listen_timer.stop()
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()

    def _wake_first(self) -> None:
        from PySide6.QtNetwork import QLocalSocket

        socket = QLocalSocket()
        deadline = time.monotonic() + WAKE_WAIT_S
        while True:
            socket.connectToServer(self._name)
            if socket.waitForConnected(1000):
                socket.write(_WAKE)
                socket.waitForBytesWritten(1000)
                socket.disconnectFromServer()
                return
            if time.monotonic() >= deadline:
                log.warning("another instance holds the lock but does not answer on %s", self._name)
                return
            QThread.msleep(_KNOCK_INTERVAL_MS)  # the first one may be starting: it listens shortly

    def _on_new_connection(self) -> None:
        server = self._server
        while server is not None and (socket := server.nextPendingConnection()) is not None:
            socket.readyRead.connect(self._on_ready_read)
            socket.disconnected.connect(socket.deleteLater)

    def _on_ready_read(self) -> None:
        from PySide6.QtNetwork import QLocalSocket

        socket = self.sender()
        if isinstance(socket, QLocalSocket) and bytes(socket.readAll().data()).startswith(_WAKE.strip()):
            self.activated.emit()
