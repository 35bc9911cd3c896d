"""The seam between the engine and a Harvest API version (v1 `/daily`, v2 REST).

The engine, the CLI and the GUI program against `Backend` only. Implementations translate to and
from `core` values and raise only `api.errors.HarvestError` subclasses.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

from harvest_widget.core.account import RateLimitStatus, WhoAmI
from harvest_widget.core.timesheet import Day, Entry, EntryChanges, EntryDraft, TimerResult


class Backend(Protocol):
    def whoami(self) -> WhoAmI:
        """The user and company behind the credentials; also the credential check."""
        ...

    def day(self, date: dt.date) -> Day:
        """The user's entries on `date`, with the project/task pairs they may track to."""
        ...

    def entry(self, entry_id: int) -> Entry:
        """One entry, freshly read (raises NotFoundError when it is gone)."""
        ...

    def create(self, draft: EntryDraft) -> TimerResult:
        """Create an entry; a draft without hours starts its timer (stopping any other)."""
        ...

    def update(self, entry_id: int, changes: EntryChanges) -> Entry:
        """Change an entry and return it as the server now has it."""
        ...

    def delete(self, entry_id: int) -> None: ...

    def start(self, entry_id: int) -> TimerResult:
        """Start the entry's timer (stopping any other); the returned entry's id may differ."""
        ...

    def stop(self, entry_id: int) -> Entry: ...

    def find_running(self) -> Entry | None:
        """The user's running entry, whatever its day, or None."""
        ...


@runtime_checkable
class ReportsRateLimit(Protocol):
    """A backend that can ask Harvest for the account's throttle window (v1's
    `/account/rate_limit_status`) and adopts it in its rate limiter."""

    def rate_limit_status(self) -> RateLimitStatus:
        """Ask Harvest for the window and keep under it from now on."""
        ...

    def adopt_rate_limit(self, status: RateLimitStatus) -> None:
        """Keep under a window Harvest reported earlier."""
        ...


@runtime_checkable
class ActsForKnownUser(Protocol):
    """A backend that needs the user itself (v2 filters entries by user id and creates them in the
    company's timer mode) and can take the one read earlier instead of spending calls on it."""

    def adopt_whoami(self, whoami: WhoAmI) -> None:
        """Act for this user (read from Harvest recently) until `whoami` is called again."""
        ...
