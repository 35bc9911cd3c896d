"""Harvest REST API v2 (`/v2/...`) and the Harvest ID endpoints (`/api/v2/...`), over the same world.

Same users, entries, locks and one-timer rule as v1; only the wire differs:
- auth: `Authorization: Bearer <token>` (or `?access_token=`) plus `Harvest-Account-Id` (or
  `?account_id=`); no Basic. No `User-Agent` -> 400. A missing/unknown token or an account that is
  not the user's -> 401 with Harvest's `invalid_token` JSON body.
- throttle: the account's one budget (shared with v1), but 429 + `Retry-After` instead of 503.
- errors: JSON `{"message": ...}`; refused data -> 422, locked -> 403, unknown -> 404.
- lists: `page`/`per_page` (1..2000; default `page_size`, small in tests) with `links` and `next_page`.
Choices where v2 is not documented: restarting a running entry or stopping a stopped one is 422;
sending the other mode's fields (`hours` on a timestamp account, times on a duration account) is 422;
`timer_started_at` is only set on duration accounts ("if tracking by duration").
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode

from harvest_widget.sandbox.messages import Request, Response
from harvest_widget.sandbox.oauth import Authority, OAuthRoutes
from harvest_widget.sandbox.throttle import Throttle
from harvest_widget.sandbox.world import (
    EntryFields,
    Forbidden,
    Invalid,
    NotFound,
    SandboxEntry,
    SandboxProject,
    SandboxUser,
    World,
    WorldError,
)

MAX_PER_PAGE = 2000
FORECAST_ACCOUNT_OFFSET = 900_000  # the sandbox's made-up Forecast account id = company id + this

_INVALID_TOKEN = {
    "error": "invalid_token",
    "error_description": "The access token provided is expired, revoked, malformed or invalid for other reasons.",
}
_ENTRY_PATH = re.compile(r"^/v2/time_entries/(?P<id>\d+)(?:/(?P<action>restart|stop))?$")
_TIME = re.compile(r"^\s*(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?\s*$", re.IGNORECASE)


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class V2Routes:
    """The `/v2/` table. `page_size` is the default `per_page` (Harvest's is 2000)."""

    prefixes = ("/v2",)
    is_control = False

    def __init__(
        self, world: World, authority: Authority, throttle: Throttle, page_size: int = MAX_PER_PAGE
    ) -> None:
        self._world = world
        self._authority = authority
        self._throttle = throttle
        self.page_size = page_size

    def handle(self, request: Request) -> Response:
        try:
            user = self._admit(request)
            return self._route(request, user)
        except _Refused as refused:
            return Response.json(refused.status, {"message": refused.message})
        except NotFound as error:
            return Response.json(404, {"message": str(error)})
        except Forbidden as error:
            return Response.json(403, {"message": str(error)})
        except (Invalid, WorldError) as error:
            return Response.json(422, {"message": str(error)})
        except _Answer as answer:
            return answer.response

    # ---- auth and throttle -----------------------------------------------------------------------

    def _admit(self, request: Request) -> SandboxUser:
        if not request.header("user-agent").strip():
            raise _Answer(Response.text(400, "Bad Request: a User-Agent header is required."))
        scheme, _, value = request.header("authorization").strip().partition(" ")
        token = value.strip() if scheme.lower() == "bearer" else request.query.get("access_token", "")
        account = request.header("harvest-account-id") or request.query.get("account_id", "")
        user = self._authority.user_for_token(token) if token else None
        if user is None or account.strip() != str(user.company.id):
            raise _Answer(Response.json(401, _INVALID_TOKEN))
        verdict = self._throttle.check(user.company.id)
        if not verdict.allowed:
            raise _Answer(
                Response.json(
                    429,
                    {"message": f"Rate limit exceeded. Retry in {verdict.retry_after} seconds."},
                    {"Retry-After": str(verdict.retry_after)},
                )
            )
        return user

    # ---- routes ----------------------------------------------------------------------------------

    def _route(self, request: Request, user: SandboxUser) -> Response:
        method, path = request.method, request.path.rstrip("/")
        if (method, path) == ("GET", "/v2/users/me"):
            return Response.json(200, _user_json(user))
        if (method, path) == ("GET", "/v2/company"):
            return Response.json(200, _company_json(user))
        if (method, path) == ("GET", "/v2/users/me/project_assignments"):
            assignments = [_assignment_json(user, p) for p in self._world.projects_for(user)]
            return Response.json(200, self._page(request, "project_assignments", assignments))
        if path == "/v2/time_entries":
            if method == "GET":
                return Response.json(200, self._page(request, "time_entries", self._list(request, user)))
            if method == "POST":
                return self._create(request, user)
        if match := _ENTRY_PATH.match(path):
            entry_id, action = int(match["id"]), match["action"]
            owner = self._owner_of(user, entry_id)
            if action is None:
                if method == "GET":
                    return Response.json(200, self._json(self._world.entry(owner, entry_id)))
                if method == "PATCH":
                    return self._update(request, user, owner, entry_id)
                if method == "DELETE":
                    self._world.delete(user, owner, entry_id)
                    return Response.json(200, {})
            elif method == "PATCH":
                return self._timer(user, owner, entry_id, action)
        raise _Refused(404, "Not found")

    def _list(self, request: Request, user: SandboxUser) -> list[dict[str, Any]]:
        query = request.query
        if "user_id" in query:
            owners = [self._world.timesheet_owner(user, _query_int(query, "user_id"))]
        elif user.is_admin:
            owners = [u for u in self._world.users if u.company.id == user.company.id]
        else:
            owners = [user]
        first = _query_date(query, "from")
        last = _query_date(query, "to")
        since = _query_datetime(query, "updated_since")
        running = query.get("is_running")
        entries = [e for owner in owners for e in self._world.entries_of(owner)]
        chosen = [
            e
            for e in entries
            if (first is None or e.spent_at >= first)
            and (last is None or e.spent_at <= last)
            and (since is None or e.updated_at >= since)
            and (running is None or e.running == (running.lower() == "true"))
        ]
        # Sorted by spent_date, newest first, as in Harvest's examples; ties by creation, newest first.
        chosen.sort(key=lambda e: (e.spent_at, e.created_at, e.id), reverse=True)
        return [self._json(e) for e in chosen]

    def _create(self, request: Request, user: SandboxUser) -> Response:
        body = _body(request)
        owner = self._world.timesheet_owner(user, _body_int(body, "user_id"))
        fields = self._fields(body, owner)
        if fields.project_id is None or fields.task_id is None or fields.spent_at is None:
            raise _Refused(422, "project_id, task_id and spent_date are required.")
        outcome = self._world.add(user, owner, fields)
        return Response.json(201, self._json(outcome.entry))

    def _update(self, request: Request, user: SandboxUser, owner: SandboxUser, entry_id: int) -> Response:
        fields = self._fields(_body(request), owner)
        return Response.json(200, self._json(self._world.update(user, owner, entry_id, fields)))

    def _timer(self, user: SandboxUser, owner: SandboxUser, entry_id: int, action: str) -> Response:
        running = self._world.entry(owner, entry_id).running
        if action == "restart":
            if running:
                raise _Refused(422, "Only stopped time entries can be restarted.")
            return Response.json(200, self._json(self._world.start(user, owner, entry_id).entry))
        if not running:
            raise _Refused(422, "Only running time entries can be stopped.")
        return Response.json(200, self._json(self._world.stop(user, owner, entry_id)))

    def _fields(self, body: dict[str, Any], owner: SandboxUser) -> EntryFields:
        timestamps = owner.timestamp_timers
        if timestamps and body.get("hours") not in (None, ""):
            raise _Refused(422, "hours cannot be set on an account that tracks start and end times.")
        if not timestamps and any(body.get(k) not in (None, "") for k in ("started_time", "ended_time")):
            raise _Refused(
                422, "started_time and ended_time need an account that tracks start and end times."
            )
        return EntryFields(
            notes=_body_str(body, "notes"),
            hours=_body_hours(body),
            project_id=_body_int(body, "project_id"),
            task_id=_body_int(body, "task_id"),
            spent_at=_body_date(body, "spent_date"),
            started_at=_body_time(body, "started_time"),
            ended_at=_body_time(body, "ended_time"),
        )

    def _json(self, entry: SandboxEntry) -> dict[str, Any]:
        owner = self._world.user(entry.user_id)
        assert owner is not None  # entries belong to users of the catalog
        return _entry_json(entry, owner)

    def _owner_of(self, user: SandboxUser, entry_id: int) -> SandboxUser:
        """Entry ids are global in v2; admins reach their colleagues' entries, others only theirs."""
        candidates = [user] + (
            [u for u in self._world.users if u.company.id == user.company.id and u is not user]
            if user.is_admin
            else []
        )
        for candidate in candidates:
            try:
                self._world.entry(candidate, entry_id)
            except NotFound:
                continue
            return candidate
        raise NotFound("Not found")

    def _page(self, request: Request, key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        per_page = _query_int(request.query, "per_page") or self.page_size
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise _Refused(422, "Invalid per_page parameter")
        page = max(_query_int(request.query, "page") or 1, 1)
        total_pages = max((len(items) + per_page - 1) // per_page, 1)
        base = f"http://{request.header('host', '127.0.0.1')}{request.path}"

        def link(number: int) -> str:
            params = {k: v for k, v in request.query.items() if k not in ("page", "per_page", "access_token")}
            return f"{base}?{urlencode({**params, 'page': number, 'per_page': per_page})}"

        has_next, has_previous = page < total_pages, 1 < page <= total_pages
        return {
            key: items[(page - 1) * per_page : page * per_page],
            "per_page": per_page,
            "total_pages": total_pages,
            "total_entries": len(items),
            "next_page": page + 1 if has_next else None,
            "previous_page": page - 1 if has_previous else None,
            "page": page,
            "links": {
                "first": link(1),
                "next": link(page + 1) if has_next else None,
                "previous": link(page - 1) if has_previous else None,
                "last": link(total_pages),
            },
        }


class HarvestIdRoutes:
    """Harvest ID's API: `/api/v2/oauth2/token` (code and refresh grants) and `/api/v2/accounts`.

    `/oauth2/authorize` and the grants themselves are the OAuth table's (same parameters, same
    authority, so a code from `/oauth2/authorize` is exchanged here); only the path differs.
    """

    prefixes = ("/api/v2",)
    is_control = False

    def __init__(self, world: World, authority: Authority) -> None:
        self._authority = authority
        self._oauth = OAuthRoutes(world, authority)
        # More accounts `/api/v2/accounts` lists for every user, after their own (e.g. a second Harvest
        # account, so a client has to choose); the v2 API itself still serves only the user's own.
        self.other_accounts: list[dict[str, Any]] = []

    def handle(self, request: Request) -> Response:
        if not request.header("user-agent").strip():
            return Response.text(400, "Bad Request: a User-Agent header is required.")
        if (request.method, request.path) == ("POST", "/api/v2/oauth2/token"):
            return self._oauth.handle(replace(request, path="/oauth2/token"))
        if (request.method, request.path) == ("GET", "/api/v2/accounts"):
            return self._accounts(request)
        return Response.json(404, {"message": "Not found"})

    def _accounts(self, request: Request) -> Response:
        scheme, _, value = request.header("authorization").strip().partition(" ")
        user = self._authority.user_for_token(value.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            return Response.json(401, _INVALID_TOKEN)
        company = user.company
        return Response.json(
            200,
            {
                "user": {
                    "id": user.id,
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "email": user.email,
                },
                "accounts": [
                    {"id": company.id, "name": company.name, "product": "harvest"},
                    {"id": company.id + FORECAST_ACCOUNT_OFFSET, "name": company.name, "product": "forecast"},
                    *self.other_accounts,
                ],
            },
        )


class _Answer(Exception):
    """A finished response raised from deep inside (auth, throttle)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


# ---- JSON rendering ------------------------------------------------------------------------------


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clock_text(value: dt.time | None, clock: str) -> str | None:
    if value is None:
        return None
    if clock == "12h":
        return f"{value.hour % 12 or 12}:{value.minute:02d}{'am' if value.hour < 12 else 'pm'}"
    return f"{value.hour:02d}:{value.minute:02d}"


def _user_json(user: SandboxUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "telephone": "",
        "timezone": user.rails_time_zone,
        "has_access_to_all_future_projects": False,
        "is_contractor": False,
        "is_active": True,
        "weekly_capacity": 126000,
        "default_hourly_rate": None,
        "cost_rate": None,
        "roles": [],
        "access_roles": ["administrator"] if user.is_admin else ["member"],
        "avatar_url": "",
        "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2020-01-01T00:00:00Z",
    }


def _company_json(user: SandboxUser) -> dict[str, Any]:
    company = user.company
    return {
        "base_uri": f"https://{company.subdomain}.harvestapp.com",
        "full_domain": f"{company.subdomain}.harvestapp.com",
        "name": company.name,
        "is_active": True,
        "week_start_day": company.week_start_day,
        "wants_timestamp_timers": company.timestamp_timers,
        "time_format": company.time_format,
        "date_format": "%Y-%m-%d",
        "plan_type": company.plan_type,
        "clock": company.clock,
        "currency_code_display": "iso_code_none",
        "currency_symbol_display": "symbol_before",
        "decimal_symbol": company.decimal_symbol,
        "thousands_separator": company.thousands_separator,
        "color_scheme": company.color_scheme,
        "weekly_capacity": 126000,
        "expense_feature": True,
        "invoice_feature": True,
        "estimate_feature": True,
        "approval_feature": company.approval,
        "team_feature": True,
    }


def _assignment_json(user: SandboxUser, project: SandboxProject) -> dict[str, Any]:
    return {
        "id": user.id * 100_000 + project.id,
        "is_project_manager": user.is_admin,
        "is_active": True,
        "use_default_rates": True,
        "budget": None,
        "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2020-01-01T00:00:00Z",
        "hourly_rate": None,
        "project": {"id": project.id, "name": project.name, "code": project.code},
        "client": {"id": project.client.id, "name": project.client.name},
        "task_assignments": [
            {
                "id": project.id * 100_000 + task.id,
                "billable": task.billable,
                "is_active": True,
                "created_at": "2020-01-01T00:00:00Z",
                "updated_at": "2020-01-01T00:00:00Z",
                "hourly_rate": None,
                "budget": None,
                "task": {"id": task.id, "name": task.name},
            }
            for task in project.tasks
        ],
    }


def _entry_json(entry: SandboxEntry, owner: SandboxUser) -> dict[str, Any]:
    clock = owner.company.clock
    return {
        "id": entry.id,
        "spent_date": entry.spent_at.isoformat(),
        "user": {"id": owner.id, "name": f"{owner.first_name} {owner.last_name}".strip()},
        "client": {"id": entry.project.client.id, "name": entry.project.client.name, "currency": "EUR"},
        "project": {"id": entry.project.id, "name": entry.project.name, "code": entry.project.code},
        "task": {"id": entry.task.id, "name": entry.task.name},
        "user_assignment": None,
        "task_assignment": {
            "id": entry.project.id * 100_000 + entry.task.id,
            "billable": entry.task.billable,
        },
        "external_reference": None,
        "invoice": None,
        "hours": float(entry.hours),
        "hours_without_timer": float(entry.hours_without_timer),
        "rounded_hours": float(entry.hours),
        "notes": entry.notes or None,
        "is_locked": entry.is_locked,
        "locked_reason": "Item Approved and Locked for this Time Period" if entry.is_locked else None,
        "is_closed": entry.is_locked,
        "approval_status": "approved" if entry.is_locked else "unsubmitted",
        "is_billed": False,
        "timer_started_at": (
            _stamp(entry.timer_started_at)
            if entry.timer_started_at is not None and not entry.timestamp_timers
            else None
        ),
        "started_time": _clock_text(entry.started_at, clock) if entry.timestamp_timers else None,
        "ended_time": _clock_text(entry.ended_at, clock) if entry.timestamp_timers else None,
        "is_running": entry.running,
        "billable": entry.task.billable and entry.project.billable,
        "budgeted": False,
        "billable_rate": None,
        "cost_rate": None,
        "created_at": _stamp(entry.created_at),
        "updated_at": _stamp(entry.updated_at),
    }


# ---- request parsing -----------------------------------------------------------------------------


def _body(request: Request) -> dict[str, Any]:
    """POST/PATCH bodies come as JSON or as form data (both are valid in v2)."""
    text = request.body.decode("utf-8", "replace").strip()
    if not text:
        return {}
    if "json" in request.header("content-type"):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise _Refused(400, "The request body is not valid JSON.") from exc
        if not isinstance(value, dict):
            raise _Refused(422, "The request body must be a JSON object.")
        return value
    return dict(parse_qsl(text, keep_blank_values=True))


def _body_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return None if value is None else str(value)


def _body_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not str(value).strip().isdigit():
        raise _Refused(422, f"{key} must be an integer.")
    return int(value)


def _body_hours(body: dict[str, Any]) -> Decimal | None:
    value = body.get("hours")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        hours = Decimal(str(value))
    except InvalidOperation as exc:
        raise _Refused(422, "hours must be a decimal number.") from exc
    if not hours.is_finite():
        raise _Refused(422, "hours must be a decimal number.")
    return hours


def _body_date(body: dict[str, Any], key: str) -> dt.date | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise _Refused(422, f"{key} must be a date like 2017-12-31.") from exc


def _body_time(body: dict[str, Any], key: str) -> dt.time | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    match = _TIME.match(str(value))
    if match is None:
        raise _Refused(422, f"{key} must be a time like 8:00am or 14:59.")
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise _Refused(422, f"{key} must be a time like 8:00am or 14:59.")
        hour = hour % 12 + (12 if match["ampm"].lower() == "pm" else 0)
    if hour > 23 or minute > 59:
        raise _Refused(422, f"{key} must be a time like 8:00am or 14:59.")
    return dt.time(hour, minute)


def _query_int(query: dict[str, str], key: str) -> int | None:
    value = query.get(key)
    if value is None or value == "":
        return None
    if not value.strip().isdigit():
        raise _Refused(422, f"Invalid {key} parameter")
    return int(value)


def _query_date(query: dict[str, str], key: str) -> dt.date | None:
    value = query.get(key)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _Refused(422, f"Invalid {key} parameter") from exc


def _query_datetime(query: dict[str, str], key: str) -> dt.datetime | None:
    value = query.get(key)
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise _Refused(422, f"Invalid {key} parameter") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
