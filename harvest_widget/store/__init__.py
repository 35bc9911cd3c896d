"""The SQLite cache of days, entries, projects and the durable outbox (no Qt, no network)."""

from harvest_widget.store.database import Store

__all__ = ["Store"]
