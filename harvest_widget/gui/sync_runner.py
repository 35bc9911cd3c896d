"""The thread that talks to Harvest: it owns the networked engine and does nothing but sync.

Local operations never wait behind a sync: the command worker (`worker.EngineWorker`) keeps its own
engine on its own SQLite connection to the same cache and answers at once, while this thread drains
the outbox and refreshes days. The engine is built for several engines on one home (outbox
operations are claimed atomically), so an operation queued mid-sync is sent exactly once: by the
running drain if it reaches it, else by the next sync.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

if TYPE_CHECKING:  # the sync package is loaded on the worker thread, after the first paint
    from harvest_widget.sync.engine import Engine


class SyncRunner(QObject):
    """Lives on the sync thread; the command worker drives it through queued signals only."""

    finished = Signal(object, object)  # SyncReport | None (no engine), Exception | None

    def __init__(self) -> None:
        super().__init__()
        self._engine: Engine | None = None

    @Slot(object)
    def adopt(self, engine: Engine | None) -> None:
        """Sync through `engine` from now on; None forgets it (signed out, reconnecting, closing).
        Its SQLite connection closes with the last reference."""
        self._engine = engine

    @Slot(object)
    def run(self, days: tuple[dt.date, ...]) -> None:
        """One sync: drain the outbox, then refresh `days`; always answers with `finished`."""
        engine = self._engine
        if engine is None:
            self.finished.emit(None, None)
            return
        try:
            report = engine.sync(refresh=days)
        except Exception as error:  # reported (and logged) by the worker
            self.finished.emit(None, error)
            return
        self.finished.emit(report, None)
