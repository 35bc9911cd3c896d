"""`/_sandbox/...`: steer a running sandbox from outside (curl, another process), loopback only.

- ``GET /_sandbox/faults`` lists the faults in force; ``POST`` adds one (a JSON object with the
  `Fault` fields, answers 201); ``DELETE`` clears them all.
- ``POST /_sandbox/throttle`` with ``{"calls": 5, "seconds": 1}`` changes the throttle.
- ``GET /_sandbox/requests`` lists the request log (without bodies); ``DELETE`` clears it.

A peer that is not a loopback address gets 403, whatever interface the sandbox listens on.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from harvest_widget.sandbox.faults import Fault, FaultSet, FaultSpecError
from harvest_widget.sandbox.messages import Request, Response
from harvest_widget.sandbox.request_log import RequestLog
from harvest_widget.sandbox.throttle import Throttle


def is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


class ControlRoutes:
    prefixes: tuple[str, ...] = ("/_sandbox",)
    is_control: bool = True

    def __init__(self, faults: FaultSet, throttle: Throttle, log: RequestLog) -> None:
        self._faults = faults
        self._throttle = throttle
        self._log = log

    def handle(self, request: Request) -> Response:
        if not is_loopback(request.peer):
            return Response.text(403, "The sandbox control endpoint answers only on loopback.")
        path, method = request.path.rstrip("/"), request.method
        try:
            if path == "/_sandbox/faults":
                return self._on_faults(method, request)
            if path == "/_sandbox/throttle" and method == "POST":
                spec = _json_object(request)
                self._throttle.configure(int(spec["calls"]), float(spec["seconds"]))
                return Response.json(
                    200, {"calls": self._throttle.max_calls, "seconds": self._throttle.window_seconds}
                )
            if path == "/_sandbox/requests":
                return self._on_requests(method)
        except (FaultSpecError, KeyError, TypeError, ValueError) as error:
            return Response.text(400, f"Bad control request: {error}")
        return Response.text(404, "Not found.")

    def _on_faults(self, method: str, request: Request) -> Response:
        if method == "GET":
            return Response.json(200, [f.describe() for f in self._faults.active()])
        if method == "POST":
            fault = self._faults.add(Fault.from_mapping(_json_object(request)))
            return Response.json(201, fault.describe())
        if method == "DELETE":
            self._faults.clear()
            return Response.json(200, [])
        return Response.text(405, "Use GET, POST or DELETE.")

    def _on_requests(self, method: str) -> Response:
        if method == "DELETE":
            self._log.clear()
            return Response.json(200, [])
        rows = [
            {
                "method": r.method,
                "path": r.path,
                "query": r.query,
                "time": r.time.isoformat(),
                "status": r.status,
            }
            for r in self._log.items()
        ]
        return Response.json(200, rows)


def _json_object(request: Request) -> dict[str, Any]:
    value = json.loads(request.body.decode("utf-8") or "{}")
    if not isinstance(value, dict):
        raise ValueError("the body must be a JSON object")
    return value
