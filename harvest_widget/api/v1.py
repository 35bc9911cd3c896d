"""`Backend` over Harvest's legacy Time Tracking API (v1 `/daily`), JSON or XML.

Endpoints: `GET /daily[/{doy}/{year}]`, `GET /daily/show/{id}`, `GET /daily/timer/{id}` (toggle),
`POST /daily/add`, `POST /daily/update/{id}`, `DELETE /daily/delete/{id}` (all with `of_user` when
acting for another user), `GET /account/who_am_i` and `GET /account/rate_limit_status`.

Call costs, because every call counts against the account's throttle:

- `start`/`stop`: 2 calls. v1 only has a toggle, and toggling on stale knowledge would turn a "stop"
  into a start, so the entry is read first and toggled only when it is not already in the wanted state.
- `update`: 3 calls. The update reply is undocumented and whether omitted fields are cleared is
  unknown, so the entry is read, the full set of fields is sent (as live-tested clients did), and the
  entry is read again.
- `find_running`: 1-2 calls. v1 cannot search, so it reads today (Harvest's "today" for the user,
  `slim=1`) and, when nothing runs there, the day before: a timer started before midnight is still
  running on its own day. A timer left running for more than a day is not found.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from harvest_widget.api.auth import Auth, OAuthToken
from harvest_widget.api.rate_limiter import SlidingWindowLimiter
from harvest_widget.api.transport import DEFAULT_RETRIES, Transport
from harvest_widget.api.v1_codec import (
    DataFormat,
    encode_changes,
    encode_draft,
    parse_day,
    parse_entry,
    parse_rate_limit_status,
    parse_timer,
    parse_whoami,
)
from harvest_widget.core.account import RateLimitStatus, WhoAmI
from harvest_widget.core.calendar import day_of_year_path
from harvest_widget.core.timesheet import Day, Entry, EntryChanges, EntryDraft, TimerResult

log = logging.getLogger(__name__)


class V1Backend:
    """Harvest v1 for one login; `of_user` (admins only) acts on another user's timesheet."""

    def __init__(self, transport: Transport, *, of_user: int | None = None) -> None:
        self.transport = transport
        self.of_user = of_user

    @property
    def _format(self) -> DataFormat:
        return self.transport.data_format

    # ---- account ---------------------------------------------------------------------------------

    def whoami(self) -> WhoAmI:
        return parse_whoami(self.transport.request("GET", "/account/who_am_i").content, self._format)

    def rate_limit_status(self) -> RateLimitStatus:
        """Harvest's throttle window for this account; the limiter adopts it from now on."""
        reply = self.transport.request("GET", "/account/rate_limit_status")
        status = parse_rate_limit_status(reply.content, self._format)
        self.adopt_rate_limit(status)
        return status

    def adopt_rate_limit(self, status: RateLimitStatus) -> None:
        """Keep under a window Harvest reported earlier (remembered in the cache), without asking."""
        self.transport.limiter.set_limits(status.max_calls, float(status.timeframe_seconds))

    # ---- reading ---------------------------------------------------------------------------------

    def day(self, date: dt.date, *, slim: bool = False) -> Day:
        """The entries of `date` (a date in the user's Harvest time zone); `slim` skips projects."""
        reply = self.transport.request("GET", day_of_year_path(date), params=self._params(slim=slim))
        return parse_day(reply.content, self._format, fallback_day=date)

    def today(self, *, slim: bool = False) -> Day:
        """Harvest's own "today" for the user (its time zone, its clock)."""
        reply = self.transport.request("GET", "/daily", params=self._params(slim=slim))
        return parse_day(reply.content, self._format)

    def entry(self, entry_id: int) -> Entry:
        reply = self.transport.request("GET", f"/daily/show/{entry_id}", params=self._params())
        return parse_entry(reply.content, self._format)

    def find_running(self) -> Entry | None:
        today = self.today(slim=True)
        running = today.running_entry()
        if running is None:
            running = self.day(today.date - dt.timedelta(days=1), slim=True).running_entry()
        return running

    # ---- changing --------------------------------------------------------------------------------

    def create(self, draft: EntryDraft) -> TimerResult:
        """`POST /daily/add` (201); a draft without hours starts its timer, stopping any other."""
        reply = self.transport.request(
            "POST", "/daily/add", params=self._params(), body=encode_draft(draft, self._format)
        )
        return parse_timer(reply.content, self._format, fallback_day=draft.spent_on)

    def update(self, entry_id: int, changes: EntryChanges) -> Entry:
        current = self.entry(entry_id)
        if changes.is_empty():
            return current
        self.transport.request(
            "POST",
            f"/daily/update/{entry_id}",
            params=self._params(),
            body=encode_changes(_full_changes(current, changes), self._format),
        )
        return self.entry(entry_id)

    def delete(self, entry_id: int) -> None:
        self.transport.request("DELETE", f"/daily/delete/{entry_id}", params=self._params())

    def toggle(self, entry_id: int) -> TimerResult:
        """`GET /daily/timer/{id}`: starts the timer if stopped, stops it if running.

        A GET that changes state: never retried automatically. On timestamp-timer accounts starting a
        stopped entry creates a new entry, which is what the result holds.
        """
        reply = self.transport.request(
            "GET", f"/daily/timer/{entry_id}", params=self._params(), idempotent=False
        )
        return parse_timer(reply.content, self._format)

    def start(self, entry_id: int) -> TimerResult:
        current = self.entry(entry_id)
        if current.is_running:
            return TimerResult(current)
        return self.toggle(entry_id)

    def stop(self, entry_id: int) -> Entry:
        current = self.entry(entry_id)
        if not current.is_running:
            return current
        stopped = self.toggle(entry_id).entry
        if stopped.is_running:
            # Someone stopped it between our read and our toggle, so the toggle restarted it.
            log.warning("entry %s was stopped elsewhere meanwhile; toggling it off again", entry_id)
            stopped = self.toggle(stopped.id).entry
        return stopped

    def _params(self, *, slim: bool = False) -> Mapping[str, str | int]:
        params: dict[str, str | int] = {}
        if slim:
            params["slim"] = 1
        if self.of_user is not None:
            params["of_user"] = self.of_user
        return params


def _full_changes(current: Entry, changes: EntryChanges) -> EntryChanges:
    """Every sensible field, changed or not, so a server that clears omitted fields loses nothing.

    Hours are left out, unless they change, for a running entry (sending the running total back could
    reset the timer's base) and for a timestamp entry (its start and end times say the hours).
    """
    keep_hours = changes.hours is None and not current.is_running and current.started_at is None
    return EntryChanges(
        notes=current.notes if changes.notes is None else changes.notes,
        hours=current.hours if keep_hours else changes.hours,
        project_id=changes.project_id or current.project_id,
        task_id=changes.task_id or current.task_id,
        spent_on=changes.spent_on or current.spent_on,
        started_at=changes.started_at or current.started_at,
        ended_at=changes.ended_at or current.ended_at,
    )


def connect_v1(
    base_url: str,
    auth: Auth,
    data_format: DataFormat = "json",
    limiter: SlidingWindowLimiter | None = None,
    *,
    of_user: int | None = None,
    timeouts: tuple[float, float] = (5.0, 30.0),
    max_wait: float | None = 120.0,
    retries: int = DEFAULT_RETRIES,
) -> V1Backend:
    """A v1 backend on a fresh transport. An OAuth token without a token URL refreshes at
    `{base_url}/oauth2/token` (v1 serves its token endpoint on the account's own host).

    `retries`: how often a call that failed on the network (or with a 5xx) is sent again after a
    backoff; only calls that cannot have changed anything twice are (see `Transport`)."""
    if isinstance(auth, OAuthToken) and auth.token_url is None:
        auth.token_url = base_url.rstrip("/") + "/oauth2/token"
    transport = Transport(
        base_url,
        auth,
        data_format=data_format,
        limiter=limiter,
        timeouts=timeouts,
        max_wait=max_wait,
        retries=retries,
    )
    return V1Backend(transport, of_user=of_user)
