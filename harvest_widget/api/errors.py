"""The small taxonomy of everything that can go wrong talking to Harvest.

Every request either returns a `core` value or raises one of these. `message` is a sentence a user
can read; `raw` keeps the response body (which may be HTML) for the log, never for the user.
"""

from __future__ import annotations

import datetime as dt


class HarvestError(Exception):
    """Base: a user-ready `message`, the HTTP `status` (if any) and the `raw` body for the log."""

    def __init__(self, message: str, *, status: int | None = None, raw: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.raw = raw

    @property
    def is_transient(self) -> bool:
        """True when the same call may succeed later without the user doing anything."""
        return False


class AuthError(HarvestError):
    """Wrong email/password, or a token that is expired, revoked or for another account."""


class ForbiddenError(HarvestError):
    """The user may not do this (not an admin, or the entry is locked/approved)."""


class NotFoundError(HarvestError):
    """The entry (or day) does not exist, or is not visible to this user."""


class ValidationError(HarvestError):
    """Harvest refused the data (e.g. an unknown project or task)."""


class ThrottledError(HarvestError):
    """Harvest's throttle is on: nothing may be sent to this account before `retry_at` (UTC)."""

    def __init__(
        self, message: str, *, retry_at: dt.datetime, status: int | None = None, raw: str = ""
    ) -> None:
        super().__init__(message, status=status, raw=raw)
        self.retry_at = retry_at

    @property
    def is_transient(self) -> bool:
        return True


class ServerError(HarvestError):
    """Harvest answered with a 5xx (other than the throttle): it is down or failing."""

    @property
    def is_transient(self) -> bool:
        return True


class NetworkError(HarvestError):
    """No answer at all: offline, DNS, refused, reset, or timed out."""

    def __init__(
        self, message: str, *, status: int | None = None, raw: str = "", maybe_applied: bool = False
    ) -> None:
        super().__init__(message, status=status, raw=raw)
        # True when the request was sent and the reply was lost: a create may have happened.
        self.maybe_applied = maybe_applied

    @property
    def is_transient(self) -> bool:
        return True


class ProtocolError(HarvestError):
    """Harvest answered 2xx with a body we cannot read (malformed, truncated, HTML)."""
