"""Building real engines for tests: a real cache file, the real v1 or v2 client, the local sandbox.

Used by the sync tests in this process and by `engine_process.py` in child processes. `Wire` holds
what differs between the two APIs in a test: the paths a fault targets, how Harvest throttles, how a
change is made "elsewhere" (the web app), and how sent operations are counted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import requests

from harvest_widget.api.auth import Auth, BasicAuth
from harvest_widget.api.backend import Backend
from harvest_widget.api.rate_limiter import SlidingWindowLimiter, SqliteWindowStore
from harvest_widget.api.transport import Transport
from harvest_widget.api.v1 import V1Backend
from harvest_widget.api.v1_codec import DataFormat
from harvest_widget.api.v2 import PersonalAccessToken, V2Backend
from harvest_widget.sandbox import Fault, Sandbox
from harvest_widget.store import Store
from harvest_widget.sync import Engine

Api = Literal["v1", "v2"]
APIS: tuple[Api, ...] = ("v1", "v2")
THROTTLE_DB = "throttle.sqlite3"
PROJECT, TASK = 2001, 3002  # Website Redesign / Development, assigned to every demo-studio user
WHO_AM_I: dict[Api, tuple[str, ...]] = {"v1": ("/account/who_am_i",), "v2": ("/v2/users/me", "/v2/company")}


def account_key(api: str, url: str, email: str) -> str:
    return f"{api}|{url}|{email}"


def make_engine(
    store: Store,
    data_dir: Path,
    url: str,
    email: str,
    secret: str,
    *,
    api: Api = "v1",
    account_id: int | None = None,
    calls_per_window: int = 100,
    backend_type: type[Backend] | None = None,
    data_format: DataFormat = "json",
    **engine_args: Any,
) -> Engine:
    """An engine on the real client of `api`: v1 signs in with email + password (`secret`), v2 with a
    personal access token (`secret`) + `account_id`. It shares the throttle budget file of
    `data_dir` with every other process on that home. The transport does not wait out throttles or
    retry outages itself (max_wait=0, retries=0): the engine's own pause-and-resume is what the
    tests exercise."""
    key = account_key(api, url, email)
    limiter = SlidingWindowLimiter(calls_per_window, store=SqliteWindowStore(data_dir / THROTTLE_DB, key))
    auth: Auth = BasicAuth(email, secret) if api == "v1" else PersonalAccessToken(secret)
    headers = {"Harvest-Account-Id": str(account_id)} if api == "v2" else None
    transport = Transport(
        url,
        auth,
        data_format=data_format,
        limiter=limiter,
        retries=0,
        max_wait=0,
        timeouts=(2.0, 5.0),
        headers=headers,
    )
    kind = backend_type or (V1Backend if api == "v1" else V2Backend)
    backend: Backend = kind(transport)  # type: ignore[call-arg]
    return Engine(store, backend, account_key=key, **engine_args)


def engine_for_user(
    store: Store, data_dir: Path, sandbox: Sandbox, api: Api, user: str = "admin", **args: Any
) -> Engine:
    """`make_engine` signed in as the sandbox's `user`, with the secret `api` signs in with."""
    person = sandbox.users[user]
    secret = person.password if api == "v1" else person.access_token
    return make_engine(
        store, data_dir, sandbox.url, person.email, secret, api=api, account_id=person.company.id, **args
    )


# The sandbox paths of each kind of change, as a fault's `path` regex.
_PATHS: dict[Api, dict[str, str]] = {
    "v1": {
        "create": "^/daily/add",
        "update": "^/daily/update",
        "timer": "^/daily/timer",
        "delete": "^/daily/delete",
        "read": "^/daily/(show|$|\\d)",
    },
    "v2": {
        "create": "^/v2/time_entries$",
        "update": "^/v2/time_entries/\\d+$",
        "timer": "^/v2/time_entries/\\d+/(restart|stop)$",
        "delete": "^/v2/time_entries/\\d+$",
        "read": "^/v2/time_entries",
    },
}
_METHODS: dict[Api, dict[str, str | None]] = {
    "v1": {"create": "POST", "update": "POST", "timer": None, "delete": "DELETE", "read": "GET"},
    "v2": {"create": "POST", "update": "PATCH", "timer": "PATCH", "delete": "DELETE", "read": "GET"},
}


class Wire:
    """One API as the sandbox speaks it, for assertions and for changes made in the web app."""

    def __init__(self, api: Api, sandbox: Sandbox) -> None:
        self.api = api
        self.sandbox = sandbox

    def path(self, kind: str) -> str:
        """The regex of the paths a `kind` of change goes to: create, update, timer, delete, read."""
        return _PATHS[self.api][kind]

    def _is(self, kind: str, method: str, path: str) -> bool:
        wanted = _METHODS[self.api][kind]
        return re.match(self.path(kind), path) is not None and wanted in (None, method)

    def target(self, kind: str) -> dict[str, Any]:
        """A fault's `path` and `method` filters for one `kind` of call; "any" for every call."""
        return {} if kind == "any" else {"path": self.path(kind), "method": _METHODS[self.api][kind]}

    def drop_reply(self, kind: str) -> Fault:
        """Harvest commits a `kind` of change and the reply is lost, once."""
        return Fault("drop_after_commit", times=1, **self.target(kind))

    @property
    def throttle_status(self) -> int:
        return 503 if self.api == "v1" else 429

    def throttle(self, retry_after: int, kind: str | None = None, **filters: Any) -> Fault:
        """Harvest's throttle answer: v1's 503 text, v2's 429 JSON, each with `Retry-After`; on the
        calls of one `kind` of change when given, else on any call."""
        if kind is not None:
            filters.update(self.target(kind))
        if self.api == "v1":
            return Fault(
                "status", status=503, body="Throttled", content_type="text",
                headers={"Retry-After": str(retry_after)}, **filters,
            )  # fmt: skip
        return Fault(
            "status", status=429, body='{"message": "Rate limit exceeded."}', content_type="json",
            headers={"Retry-After": str(retry_after)}, **filters,
        )  # fmt: skip

    def calls(self) -> Counter[str]:
        """The sent changes by kind: create, update, delete, and v1 `timer` toggles or v2 `restart`/`stop`."""
        counted: Counter[str] = Counter()
        for r in self.sandbox.requests:
            kind = next(
                (k for k in ("create", "update", "timer", "delete") if self._is(k, r.method, r.path)), None
            )
            if kind is not None:
                counted[r.path.rsplit("/", 1)[1] if kind == "timer" and self.api == "v2" else kind] += 1
        return counted

    def timer_calls(self, starts: int, stops: int) -> dict[str, int]:
        """What `starts` restarts and `stops` stops of existing entries send: v1 toggles each time."""
        return {"timer": starts + stops} if self.api == "v1" else {"restart": starts, "stop": stops}

    # ---- changes made elsewhere (the web app), straight at the sandbox ------------------------

    def _web(
        self, user: str, method: str, v1_path: str, v2_path: str, body: dict[str, Any] | None = None
    ) -> None:
        person = self.sandbox.users[user]
        if self.api == "v1":
            reply = requests.request(
                method, f"{self.sandbox.url}{v1_path}", json=body, auth=(person.email, person.password),
                headers={"Accept": "application/json"}, timeout=5,
            )  # fmt: skip
        else:
            reply = requests.request(
                method, f"{self.sandbox.url}{v2_path}", json=body, timeout=5,
                headers={"Authorization": f"Bearer {person.access_token}",
                         "Harvest-Account-Id": str(person.company.id), "User-Agent": "web app"},
            )  # fmt: skip
        reply.raise_for_status()

    def delete_elsewhere(self, entry_id: int, user: str = "admin") -> None:
        self._web(user, "DELETE", f"/daily/delete/{entry_id}", f"/v2/time_entries/{entry_id}")

    def update_elsewhere(
        self, entry_id: int, *, notes: str, hours: str | None = None, user: str = "admin"
    ) -> None:
        body: dict[str, Any] = {"notes": notes}
        if hours is not None:
            body["hours"] = hours if self.api == "v1" else float(hours)
        if self.api == "v1":
            self._web(user, "POST", f"/daily/update/{entry_id}", "", body)
        else:
            self._web(user, "PATCH", "", f"/v2/time_entries/{entry_id}", body)

    def start_elsewhere(self, entry_id: int, user: str = "admin") -> None:
        if self.api == "v1":
            self._web(user, "GET", f"/daily/timer/{entry_id}", "")
        else:
            self._web(user, "PATCH", "", f"/v2/time_entries/{entry_id}/restart")

    def stop_elsewhere(self, entry_id: int, user: str = "admin") -> None:
        if self.api == "v1":
            self._web(user, "GET", f"/daily/timer/{entry_id}", "")
        else:
            self._web(user, "PATCH", "", f"/v2/time_entries/{entry_id}/stop")


def server_view(entries: list[Any], day: dt.date) -> dict[int, tuple[int, int, str, Decimal | None, bool]]:
    """(project, task, notes, hours unless running, running) by id: what cache and server must agree on."""
    return {
        e.id: (e.project_id, e.task_id, e.notes or "", None if e.running else e.hours, e.running)
        for e in entries
        if e.spent_at == day
    }


def cache_view(engine: Engine, day: dt.date) -> dict[int, tuple[int, int, str, Decimal | None, bool]]:
    return {
        le.entry.id: (
            le.entry.project_id,
            le.entry.task_id,
            le.entry.notes,
            None if le.entry.is_running else le.entry.hours,
            le.entry.is_running,
        )
        for le in engine.snapshot(day).entries
    }
