"""The local-first engine: operations, the outbox drain, refresh and reconciliation (no Qt)."""

from harvest_widget.sync.engine import Engine
from harvest_widget.sync.snapshots import (
    DaySnapshot,
    LocalEntry,
    PendingOp,
    RecentCombination,
    SyncReport,
    SyncStatus,
)

__all__ = [
    "DaySnapshot",
    "Engine",
    "LocalEntry",
    "PendingOp",
    "RecentCombination",
    "SyncReport",
    "SyncStatus",
]
