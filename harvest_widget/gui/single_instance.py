"""One widget per home: a lock file, and a local socket through which a second launch wakes the first."""

from __future__ import annotations

import logging
import zlib
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

_WAKE = b"show\n"


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

    def acquire(self) -> bool:
        if not self._lock.tryLock(100):
            self._wake_first()
            return False
        QLocalServer.removeServer(self._name)  # a stale socket from a crashed run
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self._server.listen(self._name):
            log.warning("cannot listen on %s: %s", self._name, self._server.errorString())
        self._server.newConnection.connect(self._on_new_connection)
        return True

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()

    def _wake_first(self) -> None:
        socket = QLocalSocket()
        socket.connectToServer(self._name)
        if socket.waitForConnected(1000):
            socket.write(_WAKE)
            socket.waitForBytesWritten(1000)
            socket.disconnectFromServer()
        else:
            log.warning("another instance holds the lock but does not answer on %s", self._name)

    def _on_new_connection(self) -> None:
        server = self._server
        while server is not None and (socket := server.nextPendingConnection()) is not None:
            socket.readyRead.connect(self._on_ready_read)
            socket.disconnected.connect(socket.deleteLater)

    def _on_ready_read(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket) and bytes(socket.readAll().data()).startswith(_WAKE.strip()):
            self.activated.emit()
