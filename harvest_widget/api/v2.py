"""The Harvest REST API v2 backend (`/v2/...`), behind the same seam as v1.

Differences from v1 the engine must know:
- v2 does not report `hours_for_previously_running_timer`: `TimerResult.previous_timer_hours` is
  always None, and whether starting a timer stops another one is not confirmed for v2. After a
  start or a running create the engine must re-read the running state (`find_running()` / the day)
  instead of assuming what happened to the previous timer.
- `start()` is `PATCH /v2/time_entries/{id}/restart`; the entry it returns may have another id.
- Hours are never sent for a running timer, nor on timestamp-timer accounts (see `v2_codec`).

Calls saved: the project/task list (`users/me/project_assignments`, all pages) is kept for
`projects_ttl` seconds, so a day refresh is one call, not two or more; and a re-read of a day that
took several pages is done incrementally with `updated_since` (see `_read_day`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harvest_widget.api import v2_codec
from harvest_widget.api.api_detection import HARVEST_V2_URL
from harvest_widget.api.auth import Auth, BasicAuth, OAuthToken
from harvest_widget.api.errors import AuthError, ProtocolError, ValidationError
from harvest_widget.api.harvest_id import TOKEN_PATH, HarvestIdToken, identity_url_for
from harvest_widget.api.rate_limiter import SlidingWindowLimiter
from harvest_widget.api.transport import DEFAULT_RETRIES, Transport
from harvest_widget.api.v2_codec import JsonObject
from harvest_widget.core.account import TimerMode, WhoAmI
from harvest_widget.core.timesheet import Day, Entry, EntryChanges, EntryDraft, Project, TimerResult

log = logging.getLogger(__name__)

MAX_PAGES = 10_000  # a server that keeps sending "next" forever must not hang the worker
# How far back an incremental re-read looks before the previous read, for clock skew and for writes
# that committed while the previous read ran.
UPDATED_SINCE_MARGIN = dt.timedelta(minutes=5)


@dataclass(slots=True)
class _DayCache:
    entries: dict[int, Entry]
    read_at: dt.datetime
    pages: int


class V2Backend:
    """`Backend` over Harvest v2. `transport` carries the token and `Harvest-Account-Id`.

    `per_page` is None in production (Harvest's default and maximum, 2000); tests set it small.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        per_page: int | None = None,
        projects_ttl: float = 600.0,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        token: HarvestIdToken | None = None,
    ) -> None:
        """`token`: the Harvest ID token inside `transport`, renewed shortly before it expires."""
        self._transport = transport
        self._token = token
        self._per_page = per_page
        self._projects_ttl = projects_ttl
        self._monotonic = monotonic
        self._clock = clock
        self._who: WhoAmI | None = None
        self._projects: tuple[Project, ...] | None = None
        self._projects_read_at = 0.0
        self._days: dict[dt.date, _DayCache] = {}

    # ---- the seam ----------------------------------------------------------------------------

    def whoami(self) -> WhoAmI:
        me = self._get("/v2/users/me")
        company = self._get("/v2/company")
        self._who = v2_codec.parse_whoami(me, company)
        return self._who

    def adopt_whoami(self, whoami: WhoAmI) -> None:
        self._who = whoami

    def day(self, date: dt.date) -> Day:
        entries = self._read_day(date)
        return Day(date=date, entries=entries, projects=self._project_list())

    def entry(self, entry_id: int) -> Entry:
        return self._entry(self._get(f"/v2/time_entries/{entry_id}"))

    def create(self, draft: EntryDraft) -> TimerResult:
        body = v2_codec.draft_body(draft, self._mode())
        entry = self._entry(self._send("POST", "/v2/time_entries", body))
        self._forget_day(draft.spent_on)
        return TimerResult(entry=entry, previous_timer_hours=None)

    def update(self, entry_id: int, changes: EntryChanges) -> Entry:
        mode = self._mode()
        # Only an hours change needs to know whether the timer runs (one extra read, only then).
        running = changes.hours is not None and mode is TimerMode.DURATION and self.entry(entry_id).is_running
        body = v2_codec.changes_body(changes, mode, running=running)
        if not body:  # nothing this account's mode can change (e.g. times on a duration account)
            return self.entry(entry_id)
        entry = self._entry(self._send("PATCH", f"/v2/time_entries/{entry_id}", body))
        self._forget_entry(entry_id)
        return entry

    def delete(self, entry_id: int) -> None:
        self._send("DELETE", f"/v2/time_entries/{entry_id}", None)
        self._forget_entry(entry_id)

    def start(self, entry_id: int) -> TimerResult:
        """`PATCH .../restart`; the returned entry (whose id may differ) is the one now running.

        Restarting a running entry is refused by v2 (422): if the entry already runs (e.g. a retry
        after a lost reply) that is success, so the refusal is checked with one read.
        """
        try:
            entry = self._entry(self._send("PATCH", f"/v2/time_entries/{entry_id}/restart", None))
        except ValidationError:
            current = self.entry(entry_id)
            if not current.is_running:
                raise
            entry = current
        self._forget_entry(entry_id)
        return TimerResult(entry=entry, previous_timer_hours=None)

    def stop(self, entry_id: int) -> Entry:
        """`PATCH .../stop`; stopping an entry that is already stopped returns it as it is."""
        try:
            entry = self._entry(self._send("PATCH", f"/v2/time_entries/{entry_id}/stop", None))
        except ValidationError:
            entry = self.entry(entry_id)
            if entry.is_running:
                raise
        self._forget_entry(entry_id)
        return entry

    def find_running(self) -> Entry | None:
        params: dict[str, str | int] = {"user_id": self._user_id(), "is_running": "true"}
        items, _ = self._read_all("/v2/time_entries", params, "time_entries")
        running = [self._entry(item) for item in items]
        # One timer per user is Harvest's rule; if the server ever shows two, the newest start wins.
        return max(running, key=lambda e: e.timer_started_at or _EPOCH, default=None)

    # ---- reading days and projects -------------------------------------------------------------

    def _read_day(self, date: dt.date) -> tuple[Entry, ...]:
        """All of the user's entries on `date` (`from=to=date`, always `user_id`, every page).

        When the last read of this day took more than two pages, a re-read asks only for entries
        `updated_since` that read (usually one page) plus one `per_page=1` call for the day's total:
        if cached + changed entries add up to that total nothing was deleted and the merge is exact;
        otherwise (something was deleted or moved elsewhere) it falls back to a full read. A day with
        a running timer is always read in full: its hours grow without `updated_at` changing.
        """
        params: dict[str, str | int] = {
            "user_id": self._user_id(),
            "from": date.isoformat(),
            "to": date.isoformat(),
        }
        started = self._clock()
        cached = self._days.get(date)
        if cached is not None and cached.pages > 2 and not any(e.is_running for e in cached.entries.values()):
            since = (cached.read_at - UPDATED_SINCE_MARGIN).strftime("%Y-%m-%dT%H:%M:%SZ")
            changed, _ = self._read_all(
                "/v2/time_entries", {**params, "updated_since": since}, "time_entries"
            )
            merged = dict(cached.entries)
            merged.update((e.id, e) for e in map(self._entry, changed))
            merged = {i: e for i, e in merged.items() if e.spent_on == date}
            if self._total("/v2/time_entries", params) == len(merged):
                newest = max((e.updated_at for e in merged.values() if e.updated_at), default=started)
                self._days[date] = _DayCache(merged, min(started, newest), cached.pages)
                return _ordered(merged.values())
            log.info("entries of %s were deleted elsewhere; reading the day in full", date)
        items, pages = self._read_all("/v2/time_entries", params, "time_entries")
        entries = {e.id: e for e in map(self._entry, items)}
        # The next `updated_since` counts from the earlier of our clock and the server's newest
        # `updated_at`, so a skew between the two clocks can only make it read more, never less.
        newest = max((e.updated_at for e in entries.values() if e.updated_at), default=started)
        self._days[date] = _DayCache(entries, min(started, newest), pages)
        return _ordered(entries.values())

    def _project_list(self) -> tuple[Project, ...]:
        now = self._monotonic()
        if self._projects is None or now - self._projects_read_at > self._projects_ttl:
            items, _ = self._read_all("/v2/users/me/project_assignments", {}, "project_assignments")
            self._projects = v2_codec.parse_project_assignments(items)
            self._projects_read_at = now
        return self._projects

    def _forget_day(self, date: dt.date) -> None:
        self._days.pop(date, None)

    def _forget_entry(self, entry_id: int) -> None:
        # A changed entry may have moved days; dropping every day that holds it keeps merges exact.
        for date in [d for d, cache in self._days.items() if entry_id in cache.entries]:
            del self._days[date]

    # ---- plumbing -----------------------------------------------------------------------------

    def _mode(self) -> TimerMode:
        return (self._who or self.whoami()).timer_mode

    def _user_id(self) -> int:
        return (self._who or self.whoami()).user_id

    def _entry(self, body: Any) -> Entry:
        return v2_codec.parse_entry(body, timestamps=self._mode() is TimerMode.TIMESTAMP)

    def _get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        self._renew_if_expiring()
        return v2_codec.parse_json(
            self._transport.request("GET", path, params=params).content.decode("utf-8", "replace")
        )

    def _send(self, method: str, path: str, body: Mapping[str, Any] | None) -> Any:
        self._renew_if_expiring()
        data = json.dumps(body).encode() if body is not None else None
        reply = self._transport.request(method, path, body=data)
        text = reply.content.decode("utf-8", "replace")
        return v2_codec.parse_json(text) if text.strip() else {}

    def _renew_if_expiring(self) -> None:
        if self._token is not None and self._token.expires_soon():
            self._transport.refresh_auth()

    def _read_all(self, path: str, params: Mapping[str, str | int], key: str) -> tuple[list[JsonObject], int]:
        """Every item of a list, following `links.next` (else `next_page`) to the end; and the page count."""
        query: dict[str, str | int] = dict(params)
        if self._per_page is not None:
            query["per_page"] = self._per_page
        target: str = path
        items: list[JsonObject] = []
        seen: set[str] = set()
        for pages in range(1, MAX_PAGES + 1):
            page = v2_codec.parse_page(self._get(target, query), key)
            items.extend(page.items)
            if page.next_url is not None:
                target, query = self._local_target(page.next_url), {}
            elif page.next_page is not None:
                query = {**query, "page": page.next_page}
            else:
                return items, pages
            fingerprint = f"{target}?{sorted(query.items())}"
            if fingerprint in seen:
                raise ProtocolError(
                    "Harvest sent the same page twice; the list could not be read to its end."
                )
            seen.add(fingerprint)
        raise ProtocolError(
            f"Harvest sent more than {MAX_PAGES} pages; the list could not be read to its end."
        )

    def _total(self, path: str, params: Mapping[str, str | int]) -> int | None:
        body = self._get(path, {**params, "per_page": 1})
        total = body.get("total_entries") if isinstance(body, Mapping) else None
        return total if isinstance(total, int) and not isinstance(total, bool) else None

    def _local_target(self, url: str) -> str:
        """`links.next` as a path on OUR base URL: the token is never sent to a host a reply names."""
        parts = urllib.parse.urlsplit(url)
        base_path = urllib.parse.urlsplit(self._transport.base_url).path.rstrip("/")
        path = parts.path[len(base_path) :] if base_path and parts.path.startswith(base_path) else parts.path
        return f"{path}?{parts.query}" if parts.query else path


def _ordered(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    """Oldest first, the order the timesheet shows (v2 lists newest first)."""
    return tuple(sorted(entries, key=lambda e: (e.created_at or _EPOCH, e.id)))


_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


class PersonalAccessToken(OAuthToken):
    """A Harvest ID Personal Access Token: a bearer token that cannot be refreshed."""

    rejected_message = "Harvest did not accept the Personal Access Token for this account; sign in again."

    def __init__(self, token: str) -> None:
        super().__init__(token)


def connect_v2(
    auth: Auth,
    account_id: int | str,
    *,
    base_url: str = HARVEST_V2_URL,
    limiter: SlidingWindowLimiter | None = None,
    timeouts: tuple[float, float] = (5.0, 30.0),
    max_wait: float | None = 120.0,
    per_page: int | None = None,
    retries: int = DEFAULT_RETRIES,
) -> V2Backend:
    """A v2 backend on a fresh transport: `auth` is a `PersonalAccessToken` or a Harvest ID OAuth
    token; every request names `account_id` (`Harvest-Account-Id`). An `OAuthToken` without a token
    URL renews at Harvest ID (`harvest_id.identity_url_for(base_url)`)."""
    if isinstance(auth, BasicAuth):
        raise AuthError("Harvest API v2 has no password sign-in; use a Personal Access Token or Harvest ID.")
    if isinstance(auth, OAuthToken) and auth.token_url is None and auth.refresh_token:
        auth.token_url = identity_url_for(base_url) + TOKEN_PATH
    transport = Transport(
        base_url,
        auth,
        data_format="json",
        limiter=limiter,
        timeouts=timeouts,
        max_wait=max_wait,
        retries=retries,
        headers={"Harvest-Account-Id": str(account_id)},
    )
    token = auth if isinstance(auth, HarvestIdToken) else None
    return V2Backend(transport, per_page=per_page, token=token)
