"""The v1 Time Tracking API routes: `/daily...` and `/account/...`, in JSON or XML.

The format follows the request: `Accept` first, then `Content-Type`, else XML (Harvest's default).
Statuses for cases the documentation leaves open (spec [ND]): 404 for an unknown or foreign entry
and an invalid day of year, 403 with a text body for `of_user` from a non-admin and for locked
entries, 400 with a text body for an invalid project, task or body. `/account/rate_limit_status`
needs credentials but is neither counted nor blocked by the throttle, so clients can read it while
locked out. Update answers like `show`; delete answers 200 with an empty body.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from harvest_widget.core.calendar import date_from_day_of_year
from harvest_widget.sandbox import v1_codec as codec
from harvest_widget.sandbox.gate import Gate
from harvest_widget.sandbox.messages import JSON, XML, Request, Response
from harvest_widget.sandbox.throttle import Throttle
from harvest_widget.sandbox.world import Forbidden, Invalid, NotFound, SandboxUser, World, WorldError

_Handler = Callable[["_Call"], Response]


class _Call:
    """One authenticated v1 call: who asks, for whose timesheet, in which format."""

    def __init__(self, request: Request, actor: SandboxUser, match: re.Match[str]) -> None:
        self.request = request
        self.actor = actor
        self.match = match
        self.format = response_format(request)

    @property
    def body_format(self) -> codec.Format:
        content_type = self.request.header("content-type").lower()
        if "json" in content_type:
            return "json"
        if "xml" in content_type:
            return "xml"
        return self.format

    def reply(self, status: int, body: bytes) -> Response:
        return Response(status, body, JSON if self.format == "json" else XML)


def response_format(request: Request) -> codec.Format:
    for header in ("accept", "content-type"):
        value = request.header(header).lower()
        if "json" in value:
            return "json"
        if "xml" in value:
            return "xml"
    return "xml"


class V1Routes:
    prefixes: tuple[str, ...] = ("/daily", "/account")
    is_control: bool = False

    def __init__(self, world: World, gate: Gate, throttle: Throttle) -> None:
        self._world = world
        self._gate = gate
        self._throttle = throttle
        self._table: list[tuple[set[str], re.Pattern[str], _Handler]] = [
            ({"GET"}, re.compile(r"/daily/?"), self._daily),
            ({"GET"}, re.compile(r"/daily/(?P<doy>\d+)/(?P<year>\d{4})/?"), self._daily),
            ({"GET"}, re.compile(r"/daily/show/(?P<id>\d+)/?"), self._show),
            ({"GET"}, re.compile(r"/daily/timer/(?P<id>\d+)/?"), self._toggle),
            ({"POST"}, re.compile(r"/daily/add/?"), self._add),
            ({"POST", "PUT"}, re.compile(r"/daily/update/(?P<id>\d+)/?"), self._update),
            ({"DELETE"}, re.compile(r"/daily/delete/(?P<id>\d+)/?"), self._delete),
            ({"GET"}, re.compile(r"/account/who_am_i/?"), self._who_am_i),
            ({"GET"}, re.compile(r"/account/rate_limit_status/?"), self._rate_limit_status),
        ]

    def handle(self, request: Request) -> Response:
        is_status = request.path.rstrip("/") == "/account/rate_limit_status"
        admitted = self._gate.admit(request, counts=not is_status)
        if isinstance(admitted, Response):
            return admitted
        for methods, pattern, handler in self._table:
            match = pattern.fullmatch(request.path)
            if match and request.method in methods:
                try:
                    return handler(_Call(request, admitted, match))
                except NotFound as error:
                    return Response.text(404, str(error))
                except Forbidden as error:
                    return Response.text(403, str(error))
                except Invalid as error:
                    return Response.text(400, str(error))
                except WorldError as error:  # a new kind nobody mapped yet: still an answer
                    return Response.text(400, str(error))
        return Response.text(404, "Not found.")

    # ----- helpers -------------------------------------------------------------------------------

    def _owner(self, call: _Call) -> SandboxUser:
        raw = call.request.query.get("of_user")
        if raw is None or raw == "":
            return call.actor
        try:
            of_user = int(raw)
        except ValueError:
            raise NotFound(f"No user {raw!r} in this account.") from None
        return self._world.timesheet_owner(call.actor, of_user)

    @staticmethod
    def _entry_id(call: _Call) -> int:
        return int(call.match["id"])

    # ----- endpoints -----------------------------------------------------------------------------

    def _daily(self, call: _Call) -> Response:
        owner = self._owner(call)
        if call.match.groupdict().get("doy"):
            try:
                day = date_from_day_of_year(int(call.match["doy"]), int(call.match["year"]))
            except ValueError:
                raise NotFound(f"There is no day {call.match['doy']} in {call.match['year']}.") from None
        else:
            day = self._world.today(owner)
        slim = call.request.query.get("slim") == "1"
        projects = None if slim else self._world.projects_for(owner) or None
        body = codec.daily_body(call.format, day, self._world.day(owner, day), projects, owner.company.clock)
        return call.reply(200, body)

    def _show(self, call: _Call) -> Response:
        owner = self._owner(call)
        entry = self._world.entry(owner, self._entry_id(call))
        return call.reply(200, codec.entry_body(call.format, entry, owner.company.clock))

    def _toggle(self, call: _Call) -> Response:
        owner = self._owner(call)
        outcome = self._world.toggle(call.actor, owner, self._entry_id(call))
        body = codec.entry_body(
            call.format, outcome.entry, owner.company.clock, previous=outcome.previous_hours
        )
        return call.reply(200, body)

    def _add(self, call: _Call) -> Response:
        owner = self._owner(call)
        fields = codec.parse_entry_fields(call.request.body, call.body_format)
        outcome = self._world.add(call.actor, owner, fields)
        body = codec.entry_body(
            call.format, outcome.entry, owner.company.clock, root="add", previous=outcome.previous_hours
        )
        return call.reply(201, body)

    def _update(self, call: _Call) -> Response:
        owner = self._owner(call)
        fields = codec.parse_entry_fields(call.request.body, call.body_format)
        entry = self._world.update(call.actor, owner, self._entry_id(call), fields)
        return call.reply(200, codec.entry_body(call.format, entry, owner.company.clock))

    def _delete(self, call: _Call) -> Response:
        owner = self._owner(call)
        self._world.delete(call.actor, owner, self._entry_id(call))
        return call.reply(200, b"")

    def _who_am_i(self, call: _Call) -> Response:
        user = call.actor
        company = user.company
        base_uri = f"http://{call.request.header('host', '127.0.0.1')}"
        offset = self._world.local_now(user).utcoffset() or dt.timedelta()
        tree: dict[str, Any] = {
            "company": {
                "base_uri": base_uri,
                "full_domain": call.request.header("host", "127.0.0.1"),
                "name": company.name,
                "active": True,
                "week_start_day": company.week_start_day,
                "time_format": company.time_format,
                "clock": company.clock,
                "decimal_symbol": company.decimal_symbol,
                "thousands_separator": company.thousands_separator,
                "color_scheme": company.color_scheme,
                "modules": {
                    "expenses": True,
                    "invoices": True,
                    "estimates": False,
                    "approval": company.approval,
                },
                "plan_type": company.plan_type,
            },
            "user": {
                "id": user.id,
                "email": user.email,
                "timezone": user.rails_time_zone,
                "timezone_identifier": user.time_zone,
                "timezone_utc_offset": int(offset.total_seconds()),
                "admin": user.is_admin,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "avatar_url": "/assets/profile_images/big_ben.png",
                "project_manager": {
                    "is_project_manager": user.is_admin,
                    "can_see_rates": user.is_admin,
                    "can_create_projects": user.is_admin,
                    "can_create_invoices": user.is_admin,
                },
                "timestamp_timers": user.timestamp_timers,
            },
        }
        return call.reply(200, codec.hash_body(call.format, tree))

    def _rate_limit_status(self, call: _Call) -> Response:
        state = self._throttle.state(call.actor.company.id)
        tree: dict[str, Any] = {
            "last_access_at": state.last_access_at,
            "count": state.count,
            "timeframe_limit": round(state.window_seconds),
            "max_calls": state.max_calls,
            "lockout_seconds": round(state.lockout_seconds),
        }
        return call.reply(200, codec.hash_body(call.format, tree))
